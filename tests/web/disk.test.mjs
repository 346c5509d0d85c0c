// Browser test: the page's disk. ?disk=disk.img.gz attaches the bundled sample disk (an ext2
// image) to the bundled Linux behind the RISC-V IOMMU (?device=riscv-iommu); Linux reads it
// through its virtio-blk driver, the IOMMU reports the unmaps of the disk's DMA, what the guest
// writes survives a reset, and sizes the page refuses give errors and keep the machine.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import zlib from 'node:zlib';

import {consoleLength, distDir, kRoot, launch, openGlassVm, waitForConsole,
        waitInPage} from './harness.mjs';

const kPrompt = '~ # ';
const kBootTimeoutMs = 120000;  // SwiftShader shares the two cores with the guest (linux.test)
/// The virt board's virtio-mmio slots (engine/board/virt_fdt.h) and the device id of slot 0
/// (kFirstDmaDeviceId in engine/board/machine.h): slot n is device 1 + n.
const kVirtioBase = 0x10001000;
const kVirtioStride = 0x1000;
const kFirstDmaDeviceId = 1;

/// Types `command` at the prompt and returns what it printed up to the next prompt.
async function run(page, command, timeoutMs = 30000) {
  const from = await consoleLength(page);
  await page.evaluate((c) => window.glassvm.sendInput(c + '\n'), command);
  const text = await waitForConsole(page, kPrompt, timeoutMs, from + command.length);
  const out = text.slice(from);
  return out.slice(out.indexOf('\n') + 1, out.lastIndexOf(kPrompt)).replace(/\r/g, '');
}

describe('a disk in the page', () => {
  let browser;
  let tab;
  const image = zlib.gunzipSync(fs.readFileSync(path.join(distDir(), 'guests', 'disk.img.gz')));
  const readme = fs.readFileSync(path.join(kRoot, 'assets', 'disk', 'README'), 'utf8');

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser,
                            {query: '?device=riscv-iommu&disk=disk.img.gz', timeoutMs: 60000});
  });
  after(async () => {
    await browser?.close();
  });

  test('?disk=disk.img.gz attaches the bundled ext2 image', async () => {
    const disk = await tab.page.evaluate(() => window.glassvm.disk());
    assert.deepEqual(disk, {attached: true, name: 'disk.img', bytes: image.length,
                            readOnly: false, bytesWritten: 0});
    // An ext2 superblock: magic 0xef53 at 1024 + 56.
    assert.equal(image.readUInt16LE(1024 + 56), 0xef53);
  });

  test('Linux reads it behind the IOMMU, and the IOMMU reports the unmaps of its DMA',
       async () => {
    await waitForConsole(tab.page, kPrompt, kBootTimeoutMs);
    const since = await tab.page.evaluate(() => window.glassvm.iommuEvents(0).lastSeq);
    // The raw blocks first (mounting writes the superblock's mount count and time).
    const sum = await run(tab.page, 'dd if=/dev/vda bs=4k count=16 2>/dev/null | md5sum');
    const want = crypto.createHash('md5').update(image.subarray(0, 64 * 1024)).digest('hex');
    assert.match(sum, new RegExp(`^${want}\\s`), sum);
    const cat = await run(tab.page, 'mount /dev/vda /mnt && cat /mnt/README');
    assert.ok(cat.includes(readme.trimEnd()), cat);

    // The disk's virtio-mmio node, as Linux found it, gives its device id.
    const node = await run(tab.page,
                           'basename $(dirname $(readlink -f /sys/block/vda/device))');
    const m = /^([0-9a-f]+)\.virtio_mmio$/m.exec(node);
    assert.ok(m, node);
    const device = (parseInt(m[1], 16) - kVirtioBase) / kVirtioStride + kFirstDmaDeviceId;
    const grouped = await run(tab.page, 'ls /sys/class/iommu/*/devices/');
    assert.ok(grouped.includes(`${m[1]}.virtio_mmio`), grouped);
    const events = await tab.page.evaluate((s) => window.glassvm.iommuEvents(s), since);
    const unmaps = events.events.filter((e) => e.device === device && e.type === 'UNMAP' &&
                                               e.model === 'riscv-iommu');
    console.log(`disk at ${m[1]} (device ${device}): ${unmaps.length} UNMAPs of its DMA`);
    assert.ok(unmaps.some((e) => BigInt(e.last) - BigInt(e.iova) === 0xfffn),
              `no page UNMAP for device ${device}: ` +
                  JSON.stringify(events.events.slice(-5)));
  });

  test('what Linux writes survives a reset', async () => {
    const note = `written ${Date.now()}`;
    await run(tab.page, `echo '${note}' > /mnt/note && umount /mnt && sync`);
    const written = await tab.page.evaluate(() => window.glassvm.disk().bytesWritten);
    assert.ok(written > 0, `bytesWritten ${written}`);
    const from = await consoleLength(tab.page);
    await tab.page.evaluate(() => window.glassvm.reset());
    await waitForConsole(tab.page, 'Linux version', kBootTimeoutMs, from);
    await waitForConsole(tab.page, kPrompt, kBootTimeoutMs, from);
    const disk = await tab.page.evaluate(() => window.glassvm.disk());
    assert.equal(disk.attached, true);
    assert.equal(disk.bytesWritten, written);
    const back = await run(tab.page, 'mount /dev/vda /mnt && cat /mnt/note');
    assert.ok(back.includes(note), back);
  });

  test('what Linux writes is kept across visits, downloads, and resets to the original',
       async () => {
    await tab.page.evaluate(() => window.glassvm.syncDisk());
    const again = await openGlassVm(browser, {query: '?device=riscv-iommu&disk=disk.img.gz',
                                              timeoutMs: 60000});
    try {
      const messages = await again.page.evaluate(() => window.glassvm.messages());
      assert.ok(messages.some((m) => /disk\.img: put back \d+ KiB the guest wrote/.test(m)),
                messages.join('\n'));
      assert.equal(await again.page.evaluate(() => !document.getElementById('reset-disk').hidden),
                   true, 'the Reset disk button shows');
      await waitForConsole(again.page, kPrompt, kBootTimeoutMs);
      const back = await run(again.page, 'mount /dev/vda /mnt && cat /mnt/note; umount /mnt');
      assert.match(back, /written \d+/);
      // Save disk: the image as the guest left it.
      const saved = await again.page.evaluate(() => {
        const r = window.glassvm.saveDisk();
        return {ok: r.ok, bytes: r.ok ? Array.from(r.bytes) : null};
      });
      assert.equal(saved.ok, true);
      const savedImage = Buffer.from(saved.bytes);
      assert.equal(savedImage.length, image.length);
      assert.ok(!savedImage.equals(image), 'the saved disk holds the guest\'s writes');
      assert.ok(savedImage.includes(Buffer.from(back.match(/written \d+/)[0])));
      // Reset disk: the original contents, and nothing kept for the next visit.
      const from = await consoleLength(again.page);
      const reset = await again.page.evaluate(() => window.glassvm.resetDisk());
      assert.equal(reset.ok, true, reset.error);
      await waitForConsole(again.page, kPrompt, kBootTimeoutMs, from);
      const pristine = await again.page.evaluate(() => {
        const r = window.glassvm.saveDisk();
        return r.ok ? Array.from(r.bytes) : null;
      });
      assert.ok(Buffer.from(pristine).equals(image), 'after Reset disk, the original image');
      const after = await run(again.page, 'mount /dev/vda /mnt && cat /mnt/note; umount /mnt');
      assert.match(after, /No such file/);
      assert.deepEqual(again.errors, [], `page log:\n${again.log.join('\n')}`);
    } finally {
      await again.page.close();
    }
  });

  test('sizes the page refuses give errors and keep the machine and the disk', async () => {
    const r = await tab.page.evaluate(() => {
      const before = window.glassvm.instructions();
      const out = {
        big: window.glassvm.setDisk(257),
        half: window.glassvm.setDisk(1.5),
        odd: window.glassvm.setDisk(new Uint8Array(1000), 'odd.img'),
        notBytes: window.glassvm.setDisk('abc'),
      };
      out.disk = window.glassvm.disk();
      out.kept = window.glassvm.instructions() >= before;
      return out;
    });
    assert.equal(r.big.ok, false);
    assert.match(r.big.error, /257 MiB is not supported: choose 1 to 256 MiB/);
    assert.equal(r.half.ok, false);
    assert.match(r.half.error, /whole number of MiB/);
    assert.equal(r.odd.ok, false);
    assert.match(r.odd.error, /odd\.img: 1000 bytes is not a whole number of 512-byte sectors/);
    assert.equal(r.notBytes.ok, false);
    assert.equal(r.disk.name, 'disk.img');
    assert.ok(r.kept, 'the machine was rebuilt by a refused disk');
    // The guest still answers.
    assert.match(await run(tab.page, 'echo $((6 * 7))'), /42/);
  });

  test('a blank disk replaces it, and removeDisk() detaches it', async () => {
    const blank = await tab.page.evaluate(() => {
      const ok = window.glassvm.setDisk(2);
      return {ok, disk: window.glassvm.disk()};
    });
    assert.deepEqual(blank.ok, {ok: true, error: ''});
    assert.equal(blank.disk.bytes, 2 << 20);
    assert.equal(blank.disk.bytesWritten, 0);
    const gone = await tab.page.evaluate(() => {
      window.glassvm.removeDisk();
      return window.glassvm.disk();
    });
    assert.equal(gone.attached, false);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});
