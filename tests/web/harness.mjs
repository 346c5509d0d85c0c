// Shared helpers for the browser tests and the web benchmark: serves the web bundle (dist/)
// on 127.0.0.1 on a free port, launches Debian's Chromium through playwright-core with the
// options from TOOLCHAIN.md, and records what the page reports as errors.
//
// Environment (all optional; CTest sets them):
//   GLASSVM_WEB_DIST       the bundle directory (default: dist/, the web preset's output)
//   GLASSVM_CHROMIUM       the browser executable (default: /usr/bin/chromium)
//   GLASSVM_WEB_ARTIFACTS  where screenshots go (default: build/web-test-artifacts)
//   GLASSVM_NATIVE_BUILD   the native build directory (default: build/native)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

/** The repository root (two levels above this file). */
export const kRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Returns the bundle directory, or throws with a message saying how to build it. */
export function distDir() {
  const candidates = process.env.GLASSVM_WEB_DIST
    ? [process.env.GLASSVM_WEB_DIST]
    : [path.join(kRoot, 'dist'), path.join(kRoot, 'build', 'web', 'dist')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'index.html'))) return path.resolve(dir);
  }
  throw new Error(`no web bundle (index.html) in ${candidates.join(' or ')}: ` +
                  'build it with `cmake --preset web && cmake --build --preset web`');
}

/** Returns the directory for test artifacts (created if missing). */
export function artifactsDir() {
  const dir = process.env.GLASSVM_WEB_ARTIFACTS || path.join(kRoot, 'build', 'web-test-artifacts');
  fs.mkdirSync(dir, {recursive: true});
  return dir;
}

/**
 * Skips test `t` because `why` is missing, except under CI (CI=true), where a missing tool or
 * build product is a failure: the suite must never shrink silently.
 */
export function skipUnlessCi(t, why) {
  if (process.env.CI === 'true') assert.fail(`${why} (required under CI=true)`);
  t.skip(why);
}

/** Returns the native build directory (may not exist). */
export function nativeBuildDir() {
  return process.env.GLASSVM_NATIVE_BUILD || path.join(kRoot, 'build', 'native');
}

/** Finds a file by base name under `dir` (depth-first), or returns null. */
export function findFile(dir, name) {
  if (!fs.existsSync(dir)) return null;
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return p;
  }
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    if (entry.isDirectory()) {
      const found = findFile(path.join(dir, entry.name), name);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Returns the bytes of a bundled guest image (e.g. 'bench.elf'): the copy in the bundle, else
 * the one built by the native or any other build. Throws when none exists.
 */
export function guestImage(name) {
  let dist = null;
  try {
    dist = distDir();
  } catch {
    // no bundle: use a build's copy
  }
  const found = (dist && findFile(dist, name)) ||
                findFile(path.join(nativeBuildDir(), 'guests'), name) ||
                findFile(path.join(kRoot, 'build'), name);
  if (!found) throw new Error(`guest image ${name} not found in the bundle or build/`);
  return fs.readFileSync(found);
}

const kMimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Serves `root` read-only on 127.0.0.1 on a free port, like any static web server would.
 * Resolves to {url, close(), requests}; the url ends with '/'. `requests` lists what was asked
 * for, in order: {path, atMs, sentMs} (ms on the server's clock; sentMs once the answer went
 * out). `delays` maps paths ('/guests/linux.json') to milliseconds to wait before answering.
 */
export function serveStatic(root, {delays = {}} = {}) {
  const requests = [];
  const start = performance.now();
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    const request = {path: rel, atMs: performance.now() - start, sentMs: null};
    requests.push(request);
    res.on('finish', () => { request.sentMs = performance.now() - start; });
    const answer = () => fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, {'Content-Type': 'text/plain'}).end('not found');
        return;
      }
      res.writeHead(200, {
        'Content-Type': kMimeTypes[path.extname(file)] || 'application/octet-stream',
        'Content-Length': data.length,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
    if (delays[rel]) {
      setTimeout(answer, delays[rel]);
    } else {
      answer();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

function loadPlaywright() {
  const require = createRequire(path.join(kRoot, 'package.json'));
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error(`cannot load playwright-core (${e.message}): run \`npm ci\` in ${kRoot}`);
  }
}

/**
 * Serves the bundle and launches headless Chromium with a fresh profile. Resolves to
 * {url, context, requests, close()}. `close()` shuts down the browser, the server and the
 * profile. `server` takes serveStatic's options; `requests` is its list.
 */
export async function launch({server: serverOptions = {}} = {}) {
  const dist = distDir();
  const {chromium} = loadPlaywright();
  const server = await serveStatic(dist, serverOptions);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glassvm-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.GLASSVM_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      viewport: {width: 1280, height: 800},
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    await server.close();
    fs.rmSync(profile, {recursive: true, force: true});
    throw e;
  }
  return {
    url: server.url,
    requests: server.requests,
    context,
    close: async () => {
      await context.close().catch(() => {});
      await server.close();
      fs.rmSync(profile, {recursive: true, force: true});
    },
  };
}

/**
 * Opens a new tab and records its problems: `errors` collects console messages of type 'error'
 * and uncaught exceptions ('pageerror'), `log` every console line (for diagnostics).
 * Returns {page, errors, log}. Does not navigate.
 */
export async function openPage(browser) {
  const page = await browser.context.newPage();
  const errors = [];
  const log = [];
  page.on('console', (msg) => {
    log.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === 'error') {
      const where = msg.location()?.url;
      errors.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('crash', () => errors.push('page crashed'));
  return {page, errors, log};
}

/**
 * Navigates to the page and waits for `window.glassvm.ready` (the guest runs). Most tests drive
 * the small demo guest (`?guest=demo.elf`); query '' opens the page's own default (Linux).
 * Throws with the page's console log when it does not become ready within `timeoutMs`.
 */
export async function openGlassVm(browser, {timeoutMs = 30000, query = '?guest=demo.elf'} = {}) {
  const tab = await openPage(browser);
  await tab.page.goto(browser.url + query, {waitUntil: 'load'});
  try {
    await tab.page.waitForFunction(() => window.glassvm && window.glassvm.ready, null,
                                   {timeout: timeoutMs});
    await tab.page.evaluate((ms) => Promise.race([
      window.glassvm.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('glassvm.ready timed out')), ms)),
    ]), timeoutMs);
  } catch (e) {
    throw new Error(`${e.message}\npage log:\n${tab.log.join('\n')}`);
  }
  return tab;
}

/**
 * Polls `fn` (run in the page with `arg`) until it returns a truthy value; returns that value.
 * Throws `what` plus the last value seen when `timeoutMs` passes.
 */
export async function waitInPage(page, what, fn, arg, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await page.evaluate(fn, arg);
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ` +
                      JSON.stringify(last));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Polls until glassvm.consoleText() contains `text` at or after offset `from` (the console
 * accumulates over the page's life); returns the console text.
 */
export function waitForConsole(page, text, timeoutMs = 10000, from = 0) {
  return waitInPage(page, `console output ${JSON.stringify(text)}`,
                    ({t, from}) => {
                      const s = window.glassvm.consoleText();
                      return s.indexOf(t, from) >= 0 ? s : '';
                    },
                    {t: text, from}, timeoutMs);
}

/** The current length of glassvm.consoleText(), for waitForConsole's `from`. */
export function consoleLength(page) {
  return page.evaluate(() => window.glassvm.consoleText().length);
}

/** The text xterm.js shows on screen (its DOM rows), with non-breaking spaces as spaces. */
export function terminalScreenText(page) {
  return page.evaluate(() => {
    const rows = document.querySelector('.xterm-rows');
    if (!rows) return null;
    return Array.from(rows.children, (r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n');
  });
}

/** Focuses the terminal (clicks its screen) so that keyboard events go to the guest. */
export async function focusTerminal(page) {
  const screen = page.locator('.xterm-screen').first();
  await screen.click();
  await page.waitForFunction(() => {
    const a = document.activeElement;
    return a && a.closest && a.closest('.xterm');
  }, null, {timeout: 5000});
}
