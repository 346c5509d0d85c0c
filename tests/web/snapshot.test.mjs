// Browser tests of snapshots: the page saves the running machine, another page goes on from
// it, a snapshot crosses between the page and the native command line both ways, and a bad
// snapshot is refused with a message while the guest keeps running.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {guestImage, launch, nativeBuildDir, openGlassVm, waitForConsole} from './harness.mjs';

const kMagic = 'GVMSNAP\0';

async function saveInPage(page) {
  const got = await page.evaluate(() => {
    const r = window.glassvm.saveSnapshot();
    return {ok: r.ok, error: r.error, bytes: r.bytes ? Array.from(r.bytes) : null};
  });
  assert.equal(got.ok, true, got.error);
  return Buffer.from(got.bytes);
}

async function loadInPage(page, bytes, name) {
  return page.evaluate(({bytes, name}) => {
    const before = window.glassvm.messages().length;
    const result = window.glassvm.loadSnapshot(new Uint8Array(bytes), name);
    return {result, newMessages: window.glassvm.messages().slice(before)};
  }, {bytes: Array.from(bytes), name});
}

async function echo(page, token) {
  await page.evaluate((t) => window.glassvm.sendInput(`echo ${t}\r`), token);
  await waitForConsole(page, `\n${token}`);
}

describe('snapshots in the page', () => {
  let browser;
  let tab;
  let saved;
  const glassvm = path.join(nativeBuildDir(), 'cli', 'glassvm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassvm-snap-'));

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser);
    await waitForConsole(tab.page, 'glassvm> ');
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  test('saves the running machine as a snapshot file', async () => {
    await echo(tab.page, 'before-the-save');
    saved = await saveInPage(tab.page);
    assert.equal(saved.subarray(0, 8).toString('latin1'), kMagic);
    assert.ok(saved.length > 1000 && saved.length < 4 << 20, `size ${saved.length}`);
  });

  test('another page goes on from the snapshot, with the guest in the same state', async () => {
    const other = await openGlassVm(browser);
    await waitForConsole(other.page, 'glassvm> ');
    const before = await other.page.evaluate(() => window.glassvm.instructions());
    const {result, newMessages} = await loadInPage(other.page, saved, 'saved.snap');
    assert.equal(result.ok, true, result.error);
    assert.ok(newMessages.some((m) => /Loaded snapshot saved\.snap/.test(m)), newMessages.join('\n'));
    const state = await other.page.evaluate(() => window.glassvm.state());
    assert.equal(state.guest, 'saved.snap');
    assert.equal(state.exited, false);
    await echo(other.page, 'after-the-restore');
    const after = await other.page.evaluate(() => window.glassvm.instructions());
    assert.notEqual(after, before, 'the restored machine, not the old one, is running');
    await other.page.close();
  });

  test('a snapshot from the page goes on in the native command line', async () => {
    const file = path.join(dir, 'page.snap');
    fs.writeFileSync(file, saved);
    const r = spawnSync(glassvm, ['--snapshot-load', file, '--max-insns', '50000000'],
                        {input: 'echo from-the-page\r', encoding: 'utf8', timeout: 60000});
    assert.ok(r.status === 0 || r.status === 3, `status ${r.status}: ${r.stderr}`);
    assert.match(r.stdout, /\nfrom-the-page/, r.stdout);
  });

  test('a snapshot from the native command line goes on in the page', async () => {
    const file = path.join(dir, 'native.snap');
    const demo = path.join(dir, 'demo.elf');
    fs.writeFileSync(demo, guestImage('demo.elf'));
    try {
      execFileSync(glassvm, ['-bios', 'none', '-kernel', demo,
                             '--max-insns', '3000000', '--snapshot-save', file],
                   {input: '', stdio: ['pipe', 'ignore', 'pipe']});
    } catch (e) {
      assert.equal(e.status, 3, `the native run ended with ${e.status}: ${e.stderr}`);
    }
    const {result} = await loadInPage(tab.page, fs.readFileSync(file), 'native.snap');
    assert.equal(result.ok, true, result.error);
    await echo(tab.page, 'from-the-command-line');
  });

  test('a truncated or foreign snapshot is refused and the guest keeps running', async () => {
    for (const [name, bytes, why] of [
      ['half.snap', saved.subarray(0, saved.length >> 1), /checksum/],
      ['notes.snap', Buffer.from('GVMSNAP\0 and then nonsense, not a snapshot at all'), /snapshot/],
    ]) {
      const {result, newMessages} = await loadInPage(tab.page, bytes, name);
      assert.equal(result.ok, false, name);
      assert.match(result.error, why);
      assert.ok(newMessages.some((m) => m.includes(name)), newMessages.join('\n'));
    }
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.guest, 'native.snap', 'the running machine is unchanged');
    await echo(tab.page, 'still-alive');
  });

  test('dropping a snapshot onto the page loads it', async () => {
    await tab.page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'dropped.snap'));
      window.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }, Array.from(saved));
    await tab.page.waitForFunction(() => window.glassvm.state().guest === 'dropped.snap',
                                   null, {timeout: 10000});
    await echo(tab.page, 'after-the-drop');
  });
});
