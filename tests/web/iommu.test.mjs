// Browser test: the page builds machines with the IOMMU models, as the command line does
// (?device=riscv-iommu in the address, glassvm.setDevices() from JS).
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {distDir, findFile, launch, nativeBuildDir, openGlassVm, skipUnlessCi,
        waitInPage} from './harness.mjs';

const kRegs = /^ {2}0000000003010000-0000000003010fff \(prio 0, i\/o\): riscv-iommu-regs$/m;

describe('the IOMMU models in the page', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: '?guest=demo.elf&device=riscv-iommu'});
  });
  after(async () => {
    await browser?.close();
  });

  test('?device=riscv-iommu puts the RISC-V IOMMU registers in the memory map', async () => {
    const mtree = await tab.page.evaluate(() => window.glassvm.mtree());
    assert.match(mtree, kRegs);
    const shown = await tab.page.evaluate(() => window.glassvm.memoryMap());
    assert.ok(shown.some((r) => r.name === 'riscv-iommu-regs' && BigInt(r.start) === 0x3010000n),
              JSON.stringify(shown));
    // The guest still boots on that machine.
    await waitInPage(tab.page, 'the demo prompt',
                     () => window.glassvm.consoleText().includes('glassvm> '));
  });

  test('the map is the native glassvm -device riscv-iommu --info-mtree', async (t) => {
    const cli = path.join(nativeBuildDir(), 'cli', 'glassvm');
    if (!fs.existsSync(cli)) {
      skipUnlessCi(t, `no native CLI at ${cli}`);
      return;
    }
    const demo = findFile(distDir(), 'demo.elf');
    assert.ok(demo, 'demo.elf in the bundle');
    const native = execFileSync(cli, ['-device', 'riscv-iommu', '-kernel', demo, '--info-mtree'],
                                {encoding: 'utf8'});
    assert.equal(await tab.page.evaluate(() => window.glassvm.mtree()), native);
  });

  test('setDevices() rebuilds the machine, and keeps it when a device is refused', async () => {
    const bad = await tab.page.evaluate(() => window.glassvm.setDevices(['nosuch']));
    assert.equal(bad.ok, false);
    assert.match(bad.error, /unknown device 'nosuch'/);
    assert.match(await tab.page.evaluate(() => window.glassvm.mtree()), kRegs);

    const none = await tab.page.evaluate(() => window.glassvm.setDevices([]));
    assert.deepEqual(none, {ok: true, error: ''});
    assert.doesNotMatch(await tab.page.evaluate(() => window.glassvm.mtree()), /riscv-iommu/);

    const back = await tab.page.evaluate(() => window.glassvm.setDevices(['riscv-iommu-sys']));
    assert.deepEqual(back, {ok: true, error: ''});
    assert.match(await tab.page.evaluate(() => window.glassvm.mtree()), kRegs);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});

describe('the IOMMU events in the page', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {
      query: '?guest=teach_riscv_iommu.elf&device=riscv-iommu&device=edu-dma,ats=on',
    });
  });
  after(async () => {
    await browser?.close();
  });

  test('the RISC-V IOMMU lesson runs, and iommuEvents() gives its invalidations in order',
       async () => {
    await waitInPage(tab.page, 'the end of the lesson',
                     () => window.glassvm.consoleText().includes('0 unexpected'));
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.exitCode, 0, JSON.stringify(state));
    const all = await tab.page.evaluate(() => window.glassvm.iommuEvents(0));
    assert.ok(all.lastSeq > 3, JSON.stringify(all).slice(0, 400));
    assert.equal(all.dropped, 0);
    assert.deepEqual(all.events.map((e) => e.seq),
                     Array.from({length: all.events.length}, (_, i) => i + 1));
    // The remap: an UNMAP of edu-dma's (device 9) page at IOVA 0x40000000; ATS.INVAL: a
    // DEVIOTLB_UNMAP that edu-dma's own ATC receives.
    assert.ok(all.events.some((e) => e.model === 'riscv-iommu' && e.device === 9 &&
                                     e.type === 'UNMAP' && e.iova === '0x0000000040000000'),
              JSON.stringify(all.events));
    assert.ok(all.events.some((e) => e.type === 'DEVIOTLB_UNMAP' &&
                                     e.notifiers.some((n) => n.outcome === 'delivered')),
              JSON.stringify(all.events));
    const none = await tab.page.evaluate((s) => window.glassvm.iommuEvents(s), all.lastSeq);
    assert.deepEqual(none.events, []);
    // Nothing comes after a number past 2^64 either, and no such event can be selected (the
    // cast of such a number to uint64_t was undefined; in the wasm it gave 0: every event).
    for (const since of [Infinity, 1e20]) {
      const past = await tab.page.evaluate((s) => window.glassvm.iommuEvents(s), since);
      assert.deepEqual(past.events, [], `iommuEvents(${since})`);
      assert.equal(await tab.page.evaluate((s) => window.glassvm.selectIommuEvent(s), since),
                   false, `selectIommuEvent(${since})`);
    }
    // The ATC received the DEVIOTLB_UNMAPs and was spared the UNMAPs (its flags).
    const notifiers = await tab.page.evaluate(() => window.glassvm.iommuNotifiers());
    const atc = notifiers.find((n) => /ATC/.test(n.name));
    assert.ok(atc, JSON.stringify(notifiers));
    assert.equal(atc.delivered,
                 all.events.filter((e) => e.type === 'DEVIOTLB_UNMAP').length);
    assert.ok(atc.skippedFlags > 0, JSON.stringify(atc));
    // What it subscribed to: the device's own invalidations, all IOVAs, index = device 9.
    assert.equal(atc.flags, 'DEVIOTLB_UNMAP');
    assert.equal(atc.start, '0x0000000000000000');
    assert.equal(atc.end, '0xffffffffffffffff');
    assert.equal(atc.index, 9);
  });

  test('pauseOnIommuEvent() stops the lesson at its first event after a reset', async () => {
    await tab.page.evaluate(() => {
      window.glassvm.pauseOnIommuEvent(true);
      window.glassvm.reset();
    });
    await waitInPage(tab.page, 'the pause at an IOMMU event',
                     () => window.glassvm.state().paused && window.glassvm.iommuPausedAt() > 0);
    const at = await tab.page.evaluate(() => ({
      pausedAt: window.glassvm.iommuPausedAt(),
      events: window.glassvm.iommuEvents(0),
      state: window.glassvm.state(),
    }));
    assert.equal(at.pausedAt, 1);
    assert.equal(at.state.exited, false);
    assert.ok(at.events.events.length >= 1 && at.events.events[0].seq === 1,
              JSON.stringify(at.events).slice(0, 300));
    // Resumed, the lesson runs to its end and passes.
    await tab.page.evaluate(() => window.glassvm.resume());
    await waitInPage(tab.page, 'the end of the lesson',
                     () => window.glassvm.state().exited);
    assert.equal(await tab.page.evaluate(() => window.glassvm.state().exitCode), 0);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});

describe('the IOMMU state in the page', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {
      query: '?guest=teach_riscv_iommu.elf&device=riscv-iommu&device=edu-dma,ats=on',
    });
    await waitInPage(tab.page, 'the end of the lesson', () => window.glassvm.state().exited);
  });
  after(async () => {
    await browser?.close();
  });

  /// The first match of `re` in the guest's console output (its groups).
  async function printed(re) {
    const text = await tab.page.evaluate(() => window.glassvm.consoleText());
    const m = text.match(re);
    assert.ok(m, `${re} in:\n${text}`);
    return m;
  }

  test('iommuState() decodes the context and holds the fault the lesson read', async () => {
    assert.equal(await tab.page.evaluate(() => window.glassvm.state().exitCode), 0);
    const did = Number((await printed(/iommus = <\d+ (\d+)>/))[1]);
    const [, dcAddr, tc, pscid, root] =
        await printed(/device context \d+ at 0x([0-9a-f]+): tc = 0x([0-9a-f]+) \(V, EN_ATS\), ta\.PSCID = (\d+), fsc = iosatp Sv39 root 0x([0-9a-f]+)/);
    const state = await tab.page.evaluate(() => window.glassvm.iommuState());
    assert.equal(state.model, 'riscv-iommu');
    const ddtp = state.registers.find((r) => r.name === 'ddtp');
    assert.match(ddtp.meaning, /^mode 1LVL, directory at 0x/);
    const ctx = state.contexts.find((c) => c.device === did);
    assert.ok(ctx, JSON.stringify(state.contexts));
    assert.equal(BigInt(ctx.contextAddr), BigInt(`0x${dcAddr}`));
    const field = (name) => ctx.fields.find((f) => f.name === name);
    assert.equal(BigInt(field('tc.V').value), 1n);
    assert.equal(BigInt(field('tc.EN_ATS').value), BigInt(`0x${tc}`) >> 1n & 1n);
    assert.equal(field('tc.EN_ATS').meaning, 'ATS enabled');
    assert.equal(BigInt(field('ta.PSCID').value), BigInt(pscid));
    assert.equal(field('fsc.MODE').meaning, 'Sv39');
    assert.equal(BigInt(field('fsc.PPN').value) << 12n, BigInt(`0x${root}`));
    assert.equal(ctx.error, '');
    // Step 6's record, as the guest printed it from the fault queue.
    const [, cause, ttyp, recDid, iotval] =
        await printed(/fault record: cause = (\d+) \([^)]*\), ttyp = (\d+) \([^)]*\), did = (\d+), iotval = 0x([0-9a-f]+)/);
    assert.equal(state.faults.length, 1, JSON.stringify(state.faults));
    const f = state.faults[0];
    assert.equal(f.cause, Number(cause));
    assert.equal(f.text, 'read page fault');
    assert.equal(f.type, Number(ttyp) === 2 ? 'untranslated read' : `TTYP ${ttyp}`);
    assert.equal(f.device, Number(recDid));
    assert.equal(BigInt(f.iova), BigInt(`0x${iotval}`));
    assert.equal(f.delivered, true);
    assert.ok(f.timeNs > 0);
  });

  test('iommuMappings() and translateIova() agree with where the DMA went', async () => {
    const did = Number((await printed(/iommus = <\d+ (\d+)>/))[1]);
    const [, iovaSrc, iovaDst, dst] =
        await printed(/IOVA 0x([0-9a-f]+) -> buffer A 0x[0-9a-f]+, IOVA 0x([0-9a-f]+) -> destination 0x([0-9a-f]+)/);
    // The lesson ends with the source unmapped and the destination mapped.
    const mine = await tab.page.evaluate((d) => window.glassvm.iommuMappings(d), did);
    assert.equal(mine.truncated, false);
    assert.equal(mine.mappings.length, 1, JSON.stringify(mine));
    const row = mine.mappings[0];
    assert.equal(BigInt(row.iova), BigInt(`0x${iovaDst}`));
    assert.equal(BigInt(row.last), BigInt(`0x${iovaDst}`) + 0xfffn);
    assert.equal(BigInt(row.pa), BigInt(`0x${dst}`));
    assert.equal(row.perm, 'rw');
    assert.equal(row.domain, null);
    assert.deepEqual(await tab.page.evaluate(() => window.glassvm.iommuMappings()), mine);
    assert.deepEqual(await tab.page.evaluate(() => window.glassvm.iommuMappings(-1)), mine);
    assert.deepEqual((await tab.page.evaluate(() => window.glassvm.iommuMappings(3))).mappings, []);

    const walk = await tab.page.evaluate(
        ({d, v}) => window.glassvm.translateIova(d, v, 'write'), {d: did, v: `0x${iovaDst}`});
    assert.equal(walk.ok, true, JSON.stringify(walk));
    assert.equal(BigInt(walk.pa), BigInt(`0x${dst}`));
    assert.equal(walk.pageSize, 4096);
    assert.equal(walk.model, 'riscv-iommu');
    assert.deepEqual(walk.steps.map((s) => s.what),
                     ['ddtp', 'device context tc', 'device context iohgatp', 'device context ta',
                      'device context fsc', 'PTE level 2', 'PTE level 1', 'PTE level 0']);
    assert.equal(walk.steps[7].bits, 'DA-U-WRV');
    assert.equal(typeof walk.iotlbHit, 'boolean');

    const fault = await tab.page.evaluate(
        ({d, v}) => window.glassvm.translateIova(d, v, 'read'), {d: did, v: `0x${iovaSrc}`});
    assert.equal(fault.ok, false);
    assert.equal(fault.result, 'read page fault (cause 13)');
    assert.match(fault.steps.at(-1).meaning, /the walk stops here: read page fault/);
    // Looking changed nothing: the fault history still holds the lesson's one record.
    assert.equal((await tab.page.evaluate(() => window.glassvm.iommuState())).faults.length, 1);
    assert.equal(await tab.page.evaluate(() => window.glassvm.translateIova(9, 'zz', 'read')),
                 null);
    assert.equal(await tab.page.evaluate(() => window.glassvm.translateIova(9, '0x0', 'exec')),
                 null);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});
