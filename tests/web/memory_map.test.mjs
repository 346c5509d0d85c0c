// Browser test: the Memory Map panel's data (glassvm.memoryMap()) is the flat view that
// `info mtree -f` prints (glassvm.mtree()), and that text is the native CLI's --info-mtree.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {distDir, findFile, launch, nativeBuildDir, openGlassVm, skipUnlessCi} from './harness.mjs';

/**
 * Parses the flat view of the system address space ("memory") out of `info mtree -f` text:
 * [{start, end, name, kind, priority}] with bigint addresses.
 */
function parseFlatView(text) {
  const sections = text.split(/^FlatView #\d+$/m).slice(1);
  assert.ok(sections.length > 0, `no "FlatView #" section in:\n${text}`);
  const section = sections.find((s) => /^ AS "memory"/m.test(s)) || sections[0];
  const ranges = [];
  for (const line of section.split('\n')) {
    const m = line.match(/^ {2}([0-9a-f]+)-([0-9a-f]+) \(prio (-?\d+), ([^)]+)\): (\S+)/);
    if (m) {
      ranges.push({start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), priority: Number(m[3]),
                   kind: m[4], name: m[5]});
    }
  }
  return ranges;
}

/** The default guest's image (the page runs demo.elf). */
function demoPath() {
  const p = findFile(distDir(), 'demo.elf');
  assert.ok(p, 'demo.elf in the bundle');
  return p;
}

const normKind = (k) => String(k).toLowerCase().replace(/[^a-z]/g, '');  // "i/o" == "io"

describe('the memory map', () => {
  let browser;
  let tab;
  let mtree;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser);
    mtree = await tab.page.evaluate(() => window.glassvm.mtree());
  });
  after(async () => {
    await browser?.close();
  });

  test('mtree() is info mtree text with the virt board regions', () => {
    assert.equal(typeof mtree, 'string');
    assert.match(mtree, /^address-space: memory$/m);
    assert.match(mtree, /^FlatView #0$/m);
    for (const name of ['riscv_virt_board.mrom', 'riscv.sifive.test', 'riscv.aclint.mtimer',
                        'riscv.sifive.plic', 'serial', 'riscv_virt_board.ram']) {
      assert.ok(mtree.includes(`: ${name}`), `region ${name} in:\n${mtree}`);
    }
    // 128 MiB of RAM by default.
    assert.match(mtree, /0000000080000000-0000000087ffffff \(prio 0, ram\): riscv_virt_board\.ram/);
  });

  test('memoryMap() lists exactly the flat view of info mtree', async () => {
    const shown = await tab.page.evaluate(() => window.glassvm.memoryMap());
    assert.ok(Array.isArray(shown) && shown.length > 0, JSON.stringify(shown));
    for (const r of shown) {
      assert.match(r.start, /^0x[0-9a-f]+$/i, JSON.stringify(r));
      assert.match(r.end, /^0x[0-9a-f]+$/i, JSON.stringify(r));
    }
    const got = shown.map((r) => ({start: BigInt(r.start), end: BigInt(r.end), name: r.name,
                                   kind: normKind(r.kind), priority: Number(r.priority)}));
    const want = parseFlatView(mtree).map((r) => ({...r, kind: normKind(r.kind)}));
    assert.ok(want.length >= 8, `flat view parsed from mtree: ${want.length} ranges`);
    assert.deepEqual(got, want);
  });

  test('mtree() is identical to the native glassvm --info-mtree', (t) => {
    const cli = path.join(nativeBuildDir(), 'cli', 'glassvm');
    if (!fs.existsSync(cli)) {
      skipUnlessCi(t, `no native CLI at ${cli}`);
      return;
    }
    // The same guest: its HTIF symbols add the tohost/fromhost regions.
    const native = execFileSync(cli, ['-kernel', demoPath(), '--info-mtree'], {encoding: 'utf8'});
    assert.equal(mtree, native);
  });

  test('the map follows the memory size', async () => {
    await tab.page.evaluate(() => window.glassvm.setRamMiB(256));
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.ramMiB, 256);
    const text = await tab.page.evaluate(() => window.glassvm.mtree());
    assert.match(text, /0000000080000000-000000008fffffff \(prio 0, ram\): riscv_virt_board\.ram/);
    const ramEnds = (await tab.page.evaluate(() => window.glassvm.memoryMap()))
                        .filter((r) => r.name.startsWith('riscv_virt_board.ram'))
                        .map((r) => BigInt(r.end));
    assert.ok(ramEnds.length > 0, 'RAM in memoryMap()');
    assert.equal(ramEnds.reduce((a, b) => (a > b ? a : b)), 0x8fffffffn);
    const cli = path.join(nativeBuildDir(), 'cli', 'glassvm');
    if (fs.existsSync(cli)) {
      assert.equal(text, execFileSync(cli, ['-m', '256M', '-kernel', demoPath(), '--info-mtree'],
                                      {encoding: 'utf8'}));
    }
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});
