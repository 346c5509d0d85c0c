// Browser test: screenshots of the whole page and of each panel window, saved as test artifacts,
// on the RISC-V IOMMU lesson (riscv-iommu with edu-dma and ATS) once it has made IOMMU events
// and one of them is selected in the IOMMU panel. Each screenshot must decode as a PNG (the
// browser decodes it) and each panel's must show something: many distinct colours, where a
// blank window has a handful.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {artifactsDir, launch, openGlassVm, waitInPage} from './harness.mjs';

const kLesson = '?guest=teach_riscv_iommu.elf&device=riscv-iommu&device=edu-dma,ats=on';
/** Fewer distinct colours than this in the page's screenshot counts as blank. */
const kMinColours = 12;
/** The rows of a panel's title bar, left out when measuring what the panel drew. */
const kTitleRows = 24;
/**
 * A panel whose window has less than this share of its pixels (below the title bar) differing
 * from its background counts as blank: an empty window has only its border there; the
 * sparsest panel (the Lessons list: a few lines of text) has about 5%.
 */
const kMinInked = 0.02;

/** Waits until the page has drawn `n` more frames. */
function frames(page, n = 3) {
  return page.evaluate((count) => new Promise((resolve) => {
    const step = (left) => (left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
    step(count);
  }), n);
}

/**
 * Decodes `png` (a Buffer) in the page: {width, height, colours, inked}. `colours` counts the
 * distinct RGBA values; `inked` is the share of the pixels below the top `skipRows` rows (a
 * window's title bar) that differ from the most common colour there (the window's background):
 * what the panel drew inside its window.
 */
function decodeInPage(page, png, skipRows = 0) {
  return page.evaluate(async ({b64, skip}) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const seen = new Set();
    const body = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const rgba = ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]) >>> 0;
      seen.add(rgba);
      if (i / 4 >= skip * bitmap.width) body.set(rgba, (body.get(rgba) || 0) + 1);
    }
    let total = 0, most = 0;
    for (const n of body.values()) { total += n; most = Math.max(most, n); }
    return {width: bitmap.width, height: bitmap.height, colours: seen.size,
            inked: total ? (total - most) / total : 0};
  }, {b64: png.toString('base64'), skip: skipRows});
}

describe('screenshots of each panel', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: kLesson});
  });
  after(async () => {
    await browser?.close();
  });

  test('the lesson makes IOMMU events and one can be selected', async () => {
    const events = await waitInPage(tab.page, 'IOMMU events with a device', () => {
      const got = window.glassvm.iommuEvents(0);
      return got && got.events.some((e) => e.device !== null) ? got.events : null;
    }, null, 30000);
    // One page's UNMAP (not a whole-space one), whose walk the panel then draws.
    const pick = events.find((e) => e.device !== null && e.type === 'UNMAP' &&
                                    BigInt(e.iova) !== 0n) ||
                 events.find((e) => e.device !== null);
    assert.equal(await tab.page.evaluate((s) => window.glassvm.selectIommuEvent(s), pick.seq),
                 true);
    assert.equal(await tab.page.evaluate(() => window.glassvm.selectedIommuEvent()), pick.seq);
    // A sequence number the page never made is refused and leaves the selection.
    assert.equal(await tab.page.evaluate(() => window.glassvm.selectIommuEvent(1e12)), false);
    assert.equal(await tab.page.evaluate(() => window.glassvm.selectedIommuEvent()), pick.seq);
    await frames(tab.page);
  });

  test('panels() lists every panel and its window, and a closed panel is not drawn', async () => {
    const panels = await tab.page.evaluate(() => window.glassvm.panels());
    assert.deepEqual(panels.map((p) => p.name), ['CPU', 'Memory Map', 'Machine', 'Performance',
                                                 'IOMMU', 'Lessons', 'JIT']);
    for (const p of panels) {
      assert.equal(p.open, true, p.name);
      assert.equal(p.shown, true, p.name);
      assert.ok(p.w > 50 && p.h > 50, JSON.stringify(p));
    }
    assert.equal(await tab.page.evaluate(() => window.glassvm.setPanelOpen('nosuch', false)),
                 false);
    assert.equal(await tab.page.evaluate(() => window.glassvm.setPanelOpen('iommu', false)), true);
    await frames(tab.page);
    const closed = (await tab.page.evaluate(() => window.glassvm.panels())).find(
        (p) => p.name === 'IOMMU');
    assert.deepEqual(closed, {name: 'IOMMU', open: false, shown: false, x: 0, y: 0, w: 0, h: 0});
    assert.equal(await tab.page.evaluate(() => window.glassvm.setPanelOpen('IOMMU', true)), true);
    await frames(tab.page);
    const back = (await tab.page.evaluate(() => window.glassvm.panels())).find(
        (p) => p.name === 'IOMMU');
    assert.equal(back.shown, true);
  });

  test('saves a screenshot of the page and of each panel, none of them blank', async () => {
    // A large page, so that each panel shows most of what it has (the layout re-tiles).
    await tab.page.setViewportSize({width: 1600, height: 1400});
    await frames(tab.page, 10);
    const dir = artifactsDir();
    const page = path.join(dir, 'panels-page.png');
    await tab.page.screenshot({path: page});
    const whole = await decodeInPage(tab.page, fs.readFileSync(page));
    assert.ok(whole.colours >= kMinColours, `page.png: ${whole.colours} colours`);

    const canvas = await tab.page.evaluate(() => {
      const r = document.querySelector('#canvas').getBoundingClientRect();
      return {x: r.left, y: r.top, w: r.width, h: r.height};
    });
    const panels = await tab.page.evaluate(() => window.glassvm.panels());
    for (const p of panels) {
      // The window, clipped to the canvas.
      const x0 = Math.max(p.x, 0), y0 = Math.max(p.y, 0);
      const x1 = Math.min(p.x + p.w, canvas.w), y1 = Math.min(p.y + p.h, canvas.h);
      assert.ok(x1 - x0 > 50 && y1 - y0 > 50, `${p.name} on the canvas: ${JSON.stringify(p)}`);
      const file = path.join(dir, `panel-${p.name.toLowerCase().replace(/ /g, '-')}.png`);
      await tab.page.screenshot({
        path: file,
        clip: {x: canvas.x + x0, y: canvas.y + y0, width: x1 - x0, height: y1 - y0},
      });
      assert.ok(fs.existsSync(file), file);
      const png = fs.readFileSync(file);
      assert.equal(png.readUInt32BE(0), 0x89504e47, `${file} starts as a PNG`);
      const shot = await decodeInPage(tab.page, png, kTitleRows);
      assert.equal(shot.width, Math.round(x1 - x0), `${p.name} width`);
      assert.ok(shot.inked >= kMinInked,
                `${p.name}: only ${(shot.inked * 100).toFixed(2)}% of the window drawn on ` +
                `(blank?) in ${file}`);
    }
  });
});
