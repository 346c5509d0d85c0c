// Browser tests: the page loads cleanly, the demo guest talks through the terminal, the
// page survives resizing, and a screenshot of the whole page is saved as a test artifact.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {artifactsDir, consoleLength, focusTerminal, launch, openGlassVm, openPage, terminalScreenText,
        waitForConsole, waitInPage} from './harness.mjs';

const kBanner = 'GlassVM demo guest';
const kPrompt = 'glassvm> ';

describe('the GlassVM page', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser);
  });
  after(async () => {
    await browser?.close();
  });

  test('exposes the window.glassvm API', async () => {
    const missing = await tab.page.evaluate(() => [
      'ready', 'state', 'consoleText', 'sendInput', 'mtree', 'memoryMap', 'registers',
      'instructions', 'ips', 'pause', 'resume', 'step', 'reset', 'addBreakpoint',
      'removeBreakpoint', 'loadElf', 'setRamMiB', 'messages', 'timing', 'frameMs', 'hostMemory',
    ].filter((k) => !(k in window.glassvm)));
    assert.deepEqual(missing, []);
  });

  test('runs the demo guest, which prints its banner and prompt', async () => {
    const text = await waitForConsole(tab.page, kPrompt);
    assert.match(text, /GlassVM demo guest on hart 0\. Type 'help'\./);
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.running, true, JSON.stringify(state));
    assert.equal(state.paused, false);
    assert.equal(state.exited, false);
    assert.equal(state.ramMiB, 128);
    assert.match(state.guest, /demo/);
  });

  test('shows the banner in the xterm.js terminal', async () => {
    const screen = await waitInPage(tab.page, 'the banner on the terminal screen', (banner) => {
      const rows = document.querySelector('.xterm-rows');
      const text = rows ? rows.textContent.replace(/\u00a0/g, ' ') : '';
      return text.includes(banner) ? text : '';
    }, kBanner);
    assert.ok(screen.includes(kPrompt.trim()), screen);
  });

  test('records when the first guest output appeared', async () => {
    // A moment on the page's clock: after navigation began and before now (the banner is shown).
    const timing = await tab.page.evaluate(() => ({...window.glassvm.timing(),
                                                   now: performance.now()}));
    assert.ok(Number.isFinite(timing.firstOutputMs) && timing.firstOutputMs > 0 &&
              timing.firstOutputMs <= timing.now, JSON.stringify(timing));
  });

  test('sends keys typed into the terminal to the guest and shows its answer', async () => {
    await waitForConsole(tab.page, kPrompt);
    await focusTerminal(tab.page);
    await tab.page.keyboard.type('help');
    await tab.page.keyboard.press('Enter');
    const text = await waitForConsole(tab.page, 'poweroff  stop the machine');
    assert.ok(text.includes('glassvm> help'), 'the guest echoes the typed line');
    await waitInPage(tab.page, 'the help text on the terminal screen', () => {
      const rows = document.querySelector('.xterm-rows');
      return rows && rows.textContent.replace(/\u00a0/g, ' ').includes('poweroff  stop the machine');
    });
    // Backspace is line editing in the guest: "echo abX<BS>c" prints "abc".
    await tab.page.keyboard.type('echo abX');
    await tab.page.keyboard.press('Backspace');
    await tab.page.keyboard.type('c-typed');
    await tab.page.keyboard.press('Enter');
    await waitForConsole(tab.page, '\nabc-typed');
  });

  test('glassvm.sendInput reaches the guest', async () => {
    await tab.page.evaluate(() => window.glassvm.sendInput('echo via-send-input\r'));
    await waitForConsole(tab.page, '\nvia-send-input');
  });

  test('keeps working when the window is resized', async () => {
    const sizes = [{width: 480, height: 320}, {width: 1920, height: 1080}, {width: 200, height: 150},
                   {width: 1280, height: 800}];
    for (const size of sizes) {
      await tab.page.setViewportSize(size);
      await tab.page.waitForTimeout(150);
    }
    const token = `resized-${Date.now()}`;
    await tab.page.evaluate((t) => window.glassvm.sendInput(`echo ${t}\r`), token);
    await waitForConsole(tab.page, `\n${token}`);
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.equal(state.running, true);
    // The drawing buffer follows the canvas' laid-out size (the last viewport), frame by frame.
    await waitInPage(tab.page, 'the canvas drawing buffer to match its CSS size', () => {
      const c = document.getElementById('canvas');
      const w = Math.max(1, Math.floor(c.getBoundingClientRect().width));
      return c.width === w && w > 200 ? w : 0;
    });
  });

  test('keeps working after switching tabs', async () => {
    const other = await browser.context.newPage();
    await other.bringToFront();
    await tab.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await other.waitForTimeout(300);
    await other.close();
    await tab.page.bringToFront();
    const token = `back-${Date.now()}`;
    await tab.page.evaluate((t) => window.glassvm.sendInput(`echo ${t}\r`), token);
    await waitForConsole(tab.page, `\n${token}`);
  });

  test('reports instructions per second and frame time', async () => {
    const before = await tab.page.evaluate(() => window.glassvm.instructions());
    await tab.page.evaluate(() => window.glassvm.sendInput('bench\r'));
    // While the guest computes flat out, the meters measure a positive, finite rate.
    await waitInPage(tab.page, 'a positive ips() while the bench runs', () => {
      const v = window.glassvm.ips();
      return Number.isFinite(v) && v > 0 ? v : 0;
    });
    await waitForConsole(tab.page, 'sieve x10:', 30000);
    const n = await tab.page.evaluate(() => window.glassvm.instructions());
    assert.ok(Number.isSafeInteger(n) && n - before > 1e6,
              `instructions() went from ${before} to ${n} over the bench command`);
    const meters = await tab.page.evaluate(() => ({frameMs: window.glassvm.frameMs(),
                                                   interp: window.glassvm.interpreterIps()}));
    assert.ok(Number.isFinite(meters.frameMs) && meters.frameMs > 0, JSON.stringify(meters));
    assert.ok(Number.isFinite(meters.interp) && meters.interp > 0, JSON.stringify(meters));
  });

  test('rebuilding the machine reuses its RAM: the wasm heap stops growing', async () => {
    const g = (fn) => tab.page.evaluate(fn);
    await g(() => window.glassvm.reset());
    const first = await g(() => window.glassvm.hostMemory());
    const from = await consoleLength(tab.page);
    for (let i = 0; i < 4; i++) await g(() => window.glassvm.reset());
    const later = await g(() => window.glassvm.hostMemory());
    // Each reset builds a new machine while the old one lives, then drops the old one: from the
    // second rebuild on, the new machine's RAM is the block the previous one gave back.
    assert.equal(later.heapBytes, first.heapBytes, JSON.stringify({first, later}));
    assert.equal(later.freshBlocks, first.freshBlocks, JSON.stringify({first, later}));
    assert.equal(later.reusedBlocks, first.reusedBlocks + 4, JSON.stringify({first, later}));
    await waitForConsole(tab.page, kPrompt, 10000, from);  // the rebuilt machine runs
  });

  test('saves a screenshot of the whole page', async () => {
    const file = path.join(artifactsDir(), 'page.png');
    await tab.page.screenshot({path: file, fullPage: true});
    const png = fs.readFileSync(file);
    assert.equal(png.readUInt32BE(0), 0x89504e47, 'a PNG file');
    assert.ok(png.length > 10000, `a screenshot with content (${png.length} bytes)`);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});

describe('the page\'s start', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('draws no panels while a guest computes, until the user clicks the canvas', async () => {
    // bench.elf computes for seconds without printing or waiting: the quiet start lasts until
    // the click (or 10 s).
    const tab = await openGlassVm(browser, {query: '?guest=bench.elf'});
    await new Promise((r) => setTimeout(r, 300));
    const before = await tab.page.evaluate(() => window.glassvm.timing());
    assert.equal(before.panelsMs, null, JSON.stringify(before));
    const box = await tab.page.locator('#canvas').boundingBox();
    const clickMs = await tab.page.evaluate(() => performance.now());
    await tab.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const panelsMs = await waitInPage(tab.page, 'the panels\' WebGL context', () => {
      return window.glassvm.timing().panelsMs;
    });
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.ok(panelsMs >= clickMs && panelsMs < 10000, JSON.stringify({clickMs, panelsMs}));
    assert.equal(state.exited, false, 'the guest still computes');
    await waitInPage(tab.page, 'the panels drawn', () => window.glassvm.frameMs() > 0);
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
    await tab.page.close();
  });

  test('downloads on the main thread when its download worker does not load', async () => {
    const tab = await openPage(browser);
    await tab.page.route(/fetch_worker\.js(\?.*)?$/, (route) => route.fulfill({status: 404}));
    await tab.page.goto(browser.url + '?guest=demo.elf', {waitUntil: 'load'});
    await waitForConsole(tab.page, kPrompt, 30000);
    const state = await tab.page.evaluate(() => window.glassvm.state());
    assert.match(state.guest, /demo/);
    await tab.page.close();
  });

  test('starts the core when the early compile of its wasm fails', async () => {
    // Streaming compilation needs the application/wasm type: served as something else, the
    // early compile index.html starts fails, and glassvm.js compiles the bytes itself.
    const tab = await openPage(browser);
    await tab.page.route(/glassvm-core\.wasm(\?.*)?$/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({response, headers: {...response.headers(),
                                               'content-type': 'application/octet-stream'}});
    });
    await tab.page.goto(browser.url + '?guest=demo.elf', {waitUntil: 'load'});
    await waitForConsole(tab.page, kPrompt, 30000);
    await tab.page.close();
  });
});
