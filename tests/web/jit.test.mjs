// Browser tests: the JIT's place in the page. ?jit=0 starts with the JIT off, glassvm.setJit()
// switches it, and the demo guest's `bench` command retires the same instructions with the same
// result either way; glassvm.jit() and jitTranslations() report what the JIT did (translations
// are asserted only when this build has a JIT: `available`), and the JIT panel is drawn.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {launch, openGlassVm, waitForConsole, waitInPage} from './harness.mjs';

const kPrompt = 'glassvm> ';
const kBenchLine = /sieve x10: (\d+) instructions, \d+ mtime ticks \(\d+ us guest time\), result (0x[0-9a-f]+)/;

/** Runs the demo's `bench` command; returns {instructions, result} from the line it prints. */
async function runBench(page) {
  const from = await page.evaluate(() => window.glassvm.consoleText().length);
  await page.evaluate(() => window.glassvm.sendInput('bench\r'));
  const text = await waitForConsole(page, kPrompt, 60000,
                                    from + 'bench'.length + 1);  // past the echoed command
  const m = kBenchLine.exec(text.slice(from));
  assert.ok(m, `no bench line in: ${text.slice(from)}`);
  return {instructions: Number(m[1]), result: m[2]};
}

/** Waits for `n` animation frames in the page. */
function frames(page, n = 3) {
  return page.evaluate((n) => new Promise((resolve) => {
    let left = n;
    const tick = () => (--left > 0 ? requestAnimationFrame(tick) : resolve());
    requestAnimationFrame(tick);
  }), n);
}

describe('the JIT in the page', () => {
  let browser;

  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the JIT is on by default and ?jit=0 turns it off', async () => {
    let tab = await openGlassVm(browser);
    let jit = await tab.page.evaluate(() => window.glassvm.jit());
    assert.equal(jit.enabled, true, JSON.stringify(jit));
    assert.equal(typeof jit.available, 'boolean');
    assert.equal(jit.installed, jit.available, JSON.stringify(jit));
    assert.deepEqual(tab.errors, []);
    await tab.page.close();
    tab = await openGlassVm(browser, {query: '?jit=0'});
    jit = await tab.page.evaluate(() => window.glassvm.jit());
    assert.equal(jit.enabled, false, JSON.stringify(jit));
    assert.equal(jit.installed, false, JSON.stringify(jit));
    assert.deepEqual(tab.errors, []);
    await tab.page.close();
  });

  test('?jit=0 starts it off; setJit switches it and the guest computes the same', async () => {
    const tab = await openGlassVm(browser, {query: '?guest=demo.elf&jit=0'});
    const page = tab.page;
    await waitForConsole(page, kPrompt, 30000);
    let jit = await page.evaluate(() => window.glassvm.jit());
    assert.equal(jit.enabled, false, JSON.stringify(jit));
    assert.equal(jit.installed, false, JSON.stringify(jit));
    const available = jit.available;
    // Loudly: which case this run checked.
    console.log(`\n*** jit.test.mjs: the JIT is ${available ? 'AVAILABLE: translations are ' +
                'checked' : `UNAVAILABLE (${jit.why}): only the switch and the interpreter ` +
                'are checked'} ***\n`);
    if (!available) assert.ok(jit.why.length > 0, 'an unavailable JIT says why');
    const interpreted = await runBench(page);
    assert.ok(interpreted.instructions > 1e6, JSON.stringify(interpreted));
    assert.equal((await page.evaluate(() => window.glassvm.jit())).translations, 0);

    // On: the same instructions retired and the same result.
    await page.evaluate(() => window.glassvm.setJit(true));
    jit = await page.evaluate(() => window.glassvm.jit());
    assert.equal(jit.enabled, true, JSON.stringify(jit));
    assert.equal(jit.installed, available, JSON.stringify(jit));
    for (let i = 0; i < 2; i++) assert.deepEqual(await runBench(page), interpreted);
    jit = await page.evaluate(() => window.glassvm.jit());
    const translations = await page.evaluate(() => window.glassvm.jitTranslations());
    assert.ok(Array.isArray(translations));
    if (available) {
      assert.ok(jit.translations > 0, JSON.stringify(jit));
      assert.ok(jit.stepsJitted > 0 && jit.stepsJitted <= jit.steps, JSON.stringify(jit));
      assert.ok(jit.modulesLive > 0 && jit.codeBytes > 0, JSON.stringify(jit));
      assert.ok(translations.length > 0 && translations.length <= 64);
      for (const t of translations) {
        assert.match(t.page, /^0x[0-9a-f]{13}000$/, JSON.stringify(t.page));
        assert.ok(t.entries.length > 0 && t.riscv.length > 0 && t.bytes > 0, t.page);
        assert.match(t.wat, /\(module/, t.page);
      }
    } else {
      assert.equal(jit.translations, 0, JSON.stringify(jit));
      assert.equal(jit.stepsJitted, 0, JSON.stringify(jit));
      assert.deepEqual(translations, []);
    }

    // Off again: translations released, counters kept, the guest still computes the same and
    // answers input.
    await page.evaluate(() => window.glassvm.setJit(false));
    const off = await page.evaluate(() => window.glassvm.jit());
    assert.equal(off.enabled, false, JSON.stringify(off));
    assert.equal(off.installed, false, JSON.stringify(off));
    assert.equal(off.translations, jit.translations, JSON.stringify(off));
    assert.deepEqual(await runBench(page), interpreted);
    await page.evaluate(() => window.glassvm.sendInput('echo still-here\r'));
    await waitForConsole(page, '\nstill-here', 10000);
    assert.deepEqual(tab.errors, []);
    await page.close();
  });

  test('the JIT panel is drawn, and closes and opens', async () => {
    const tab = await openGlassVm(browser);
    const page = tab.page;
    await waitForConsole(page, kPrompt, 30000);
    const draws = await page.evaluate(() => window.glassvm.drawCount());
    await frames(page, 5);
    assert.ok(await page.evaluate(() => window.glassvm.drawCount()) > draws, 'the page draws');
    const shown = async () => (await page.evaluate(() => window.glassvm.panels())).find(
        (p) => p.name === 'JIT');
    const panel = await shown();
    assert.equal(panel.shown, true, JSON.stringify(panel));
    assert.ok(panel.w > 100 && panel.h > 100, JSON.stringify(panel));
    assert.equal(await page.evaluate(() => window.glassvm.setPanelOpen('jit', false)), true);
    await frames(page);
    assert.equal((await shown()).shown, false);
    assert.equal(await page.evaluate(() => window.glassvm.setPanelOpen('JIT', true)), true);
    await waitInPage(page, 'the JIT panel drawn again', () =>
      window.glassvm.panels().find((p) => p.name === 'JIT').shown);
    assert.deepEqual(tab.errors, []);
    await page.close();
  });
});
