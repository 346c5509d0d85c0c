// Browser tests: the page's default guest is the bundled Linux. It starts from the machine
// saved at its busybox prompt (a snapshot), with the boot log on the screen, answers typed
// commands in the xterm.js console, shows S/U-mode and Sv48 paging in the CPU state, and powers
// off. ?boot=1 boots it from the kernel and the initramfs, as does a corrupt or damaged snapshot
// (the download worker's checksum finds the damage); a corrupt kernel gives a message while the
// page keeps working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {consoleLength, distDir, focusTerminal, launch, openGlassVm, openPage, waitForConsole,
        waitInPage} from './harness.mjs';

const kPrompt = '~ # ';
// SwiftShader draws the panels on the CPU, which shares the two cores with the guest: the boot
// takes longer here than on a desktop. The bound is generous; the time is printed.
const kBootTimeoutMs = 120000;

describe('the bundled Linux in the page', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: '', timeoutMs: 60000});
  });
  after(async () => {
    await browser?.close();
  });

  test('is the default guest and starts at the busybox prompt, from its snapshot', async () => {
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.guest, 'linux');
    const messages = await tab.page.evaluate(() => window.glassvm.messages());
    assert.ok(messages.some((m) => /Loaded snapshot linux/.test(m)), JSON.stringify(messages));
    // The download worker unpacked its RAM and boot images while it arrived; the core took them.
    const {prepared} = await tab.page.evaluate(() => window.glassvm.timing());
    assert.deepEqual([...prepared.sections].sort(), ['boot', 'ram'], JSON.stringify(prepared));
    const text = await waitForConsole(tab.page, kPrompt, kBootTimeoutMs);
    assert.match(text, /Linux version 7\.\d+/);
    assert.match(text, /Run \/init as init process/);
    const ms = await tab.page.evaluate(() => performance.now());
    // The page draws no panels while the first guest boots, and creates their WebGL context
    // only after its first output; at the prompt it draws them.
    await waitInPage(tab.page, 'the panels drawn after the boot', () => window.glassvm.frameMs() > 0);
    const timing = await tab.page.evaluate(() => window.glassvm.timing());
    assert.ok(timing.panelsMs > timing.firstOutputMs && timing.firstOutputMs > timing.guestLoadedMs,
              JSON.stringify(timing));
    console.log(`prompt within ${(ms / 1000).toFixed(2)} s of navigation ` +
                `(${await tab.page.evaluate(() => window.glassvm.instructions())} instructions)`);
  });

  test('its snapshot is asked for at once, not after the manifest that names it', async () => {
    // The web build writes the manifest's snapshot into index.html, and the download worker
    // starts it with the manifest: with the manifest held back by the server, the snapshot is
    // still asked for (once) before the manifest has gone out.
    const slow = await launch({server: {delays: {'/guests/linux.json': 1500}}});
    try {
      const t = await openGlassVm(slow, {query: '', timeoutMs: 60000});
      await waitForConsole(t.page, kPrompt, kBootTimeoutMs);
      const asked = (p) => slow.requests.filter((r) => r.path === p);
      const json = asked('/guests/linux.json');
      const snap = asked('/guests/linux/prompt.snap');
      const log = JSON.stringify(slow.requests);
      assert.equal(json.length, 1, log);
      assert.equal(snap.length, 1, log);
      assert.ok(snap[0].atMs < json[0].sentMs, log);
    } finally {
      await slow.close();
    }
  });

  test('runs commands typed into the terminal', async () => {
    await focusTerminal(tab.page);
    const from = await consoleLength(tab.page);
    await tab.page.keyboard.type('cat /proc/cpuinfo\n');
    const text = await waitForConsole(tab.page, 'mmu\t\t: sv48', 30000, from);
    assert.match(text.slice(from), /isa\t\t: rv64imafdc/);
    await waitForConsole(tab.page, kPrompt, 30000, from + 1);
    const from2 = await consoleLength(tab.page);
    await tab.page.keyboard.type('echo $((6 * 7))\n');
    await waitForConsole(tab.page, '42', 30000, from2 + 'echo $((6 * 7))'.length);
  });

  test('`sleep 1` in the guest takes about a second of real time', async () => {
    // Only a lower bound: the page waits for the wall clock after the guest skips ahead to its
    // timer; a loaded host may take longer.
    await focusTerminal(tab.page);
    const from = await consoleLength(tab.page);
    const t0 = Date.now();
    await tab.page.keyboard.type('sleep 1; echo slept\n');
    await waitForConsole(tab.page, '\nslept', 30000, from);
    const elapsed = Date.now() - t0;
    console.log(`sleep 1 took ${elapsed} ms`);
    assert.ok(elapsed >= 900, `sleep 1 returned after ${elapsed} ms`);
    await waitForConsole(tab.page, kPrompt, 30000, from + 1);
  });

  test('the hart runs Linux in S/U-mode with Sv48 paging', async () => {
    const regs = await tab.page.evaluate(() => window.glassvm.registers());
    assert.ok(regs.priv === 'S' || regs.priv === 'U', JSON.stringify(regs.priv));
  });

  test('translate() walks the kernel\'s page tables for the pc', async () => {
    const t = await tab.page.evaluate(() => {
      window.glassvm.pause();
      const pc = window.glassvm.registers().pc;
      const walk = window.glassvm.translate(pc, 'fetch');
      const wild = window.glassvm.translate('0x0000800000000000', 'load');
      window.glassvm.resume();
      return { pc, walk, wild, bad: window.glassvm.translate('xyz', 'load') };
    });
    assert.ok(t.walk && t.walk.paged && t.walk.ok, JSON.stringify(t.walk));
    assert.ok(t.walk.mode === 'Sv39' || t.walk.mode === 'Sv48', t.walk.mode);
    assert.ok(t.walk.steps.length >= 1 && t.walk.steps.length <= 4, JSON.stringify(t.walk.steps));
    // The kernel runs from RAM (0x80000000 up), with the pc's offset inside its page.
    const pa = BigInt(t.walk.pa);
    assert.ok(pa >= 0x80000000n, t.walk.pa);
    assert.equal(pa % BigInt(t.walk.pageSize), BigInt(t.pc) % BigInt(t.walk.pageSize));
    assert.equal(t.wild.ok, false);
    assert.equal(t.wild.fault.cause, 13);
    assert.equal(t.bad, null);
  });

  test('reset boots the snapshot\'s Linux from its kernel, back to the prompt', async () => {
    const from = await consoleLength(tab.page);
    await tab.page.evaluate(() => window.glassvm.reset());
    const text = (await waitForConsole(tab.page, kPrompt, kBootTimeoutMs, from)).slice(from);
    assert.match(text, /Linux version 7\.\d+/);
    assert.match(text, /Run \/init as init process/);
  });

  test('poweroff ends the machine with exit code 0', async () => {
    await focusTerminal(tab.page);
    await tab.page.keyboard.type('poweroff\n');
    const state = await waitInPage(tab.page, 'the machine to exit', () => {
      const s = window.glassvm.state();
      return s.exited ? s : null;
    }, null, 60000);
    assert.equal(state.exitCode, 0);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });

  test('a corrupt snapshot gives a message naming it, and Linux boots from its kernel instead',
       async () => {
         const t = await openPage(browser);
         await t.page.route(/prompt\.snap(\?.*)?$/, (route) => route.fulfill({
           status: 200, contentType: 'application/octet-stream', body: Buffer.alloc(5000, 0x5a)}));
         await t.page.goto(browser.url, {waitUntil: 'load'});
         const text = await waitForConsole(t.page, kPrompt, kBootTimeoutMs);
         assert.match(text, /Linux version 7\.\d+/);
         const messages = await t.page.evaluate(() => window.glassvm.messages());
         assert.ok(messages.some((m) => /prompt\.snap.*not a GlassVM snapshot.*from scratch/.test(m)),
                   JSON.stringify(messages));
         await t.page.close();
       });

  test('a snapshot damaged in its middle is refused by its checksum, and Linux boots instead',
       async () => {
         const bytes = fs.readFileSync(path.join(distDir(), 'guests', 'linux', 'prompt.snap'));
         bytes[bytes.length >> 1] ^= 0x10;
         const t = await openPage(browser);
         await t.page.route(/prompt\.snap(\?.*)?$/, (route) => route.fulfill({
           status: 200, contentType: 'application/octet-stream', body: bytes}));
         await t.page.goto(browser.url, {waitUntil: 'load'});
         const text = await waitForConsole(t.page, kPrompt, kBootTimeoutMs);
         assert.match(text, /Linux version 7\.\d+/);
         const messages = await t.page.evaluate(() => window.glassvm.messages());
         assert.ok(messages.some((m) => /prompt\.snap.*damaged.*from scratch/.test(m)),
                   JSON.stringify(messages));
         await t.page.close();
       });

  test('?boot=1 boots Linux from its kernel, and the boot reaches the prompt', async () => {
    const t = await openGlassVm(browser, {query: '?boot=1', timeoutMs: 60000});
    const text = await waitForConsole(t.page, kPrompt, kBootTimeoutMs);
    assert.match(text, /Linux version 7\.\d+/);
    const messages = await t.page.evaluate(() => window.glassvm.messages());
    assert.ok(!messages.some((m) => /snapshot/i.test(m)), JSON.stringify(messages));
    await t.page.close();
  });

  test('a corrupt kernel gives a message naming it and the page keeps working', async () => {
    const t = await openPage(browser);
    await t.page.route(/Image\.gz(\?.*)?$/, (route) => route.fulfill({
      status: 200, contentType: 'application/octet-stream', body: Buffer.alloc(5000, 0x5a)}));
    await t.page.goto(browser.url + '?boot=1', {waitUntil: 'load'});
    const messages = await waitInPage(t.page, 'a message about the kernel', () => {
      try {
        const m = window.glassvm && window.glassvm.messages();
        return m && m.some((x) => /Image\.gz/.test(x)) ? m : null;
      } catch {
        return null;
      }
    }, null, 30000);
    assert.ok(messages.some((m) => /Image\.gz.*gzip/i.test(m)), JSON.stringify(messages));
    // The page still loads and runs a guest.
    await t.page.evaluate(() => window.glassvm.loadGuest('demo.elf'));
    await waitForConsole(t.page, 'glassvm> ', 30000);
    const pageErrors = t.errors.filter((e) => !e.startsWith('console error'));
    assert.deepEqual(pageErrors, [], `page log:\n${t.log.join('\n')}`);
    await t.page.close();
  });
});
