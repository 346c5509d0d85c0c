// Browser tests of share links: a session typed into one page, shared, opens in another page and
// replays to the sender's very state (the bundled demo guest, and Linux started from its
// snapshot at the prompt); the native command line replays the same links to the same state;
// a session file recorded on the command line opens in the page; a bad link is refused with a
// message and the page starts its default guest.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {distDir, guestImage, launch, nativeBuildDir, openGlassVm, waitForConsole,
        waitInPage} from './harness.mjs';

const glassvm = path.join(nativeBuildDir(), 'cli', 'glassvm');

async function type(page, text, expect) {
  await page.evaluate((t) => window.glassvm.sendInput(t), text);
  await waitForConsole(page, expect);
}

async function share(page) {
  const got = await page.evaluate(() => {
    const r = window.glassvm.shareLink();
    return {ok: r.ok, url: r.url, error: r.error, hash: window.glassvm.stateHash(),
            box: document.getElementById('share-link').value};
  });
  assert.equal(got.ok, true, got.error);
  assert.equal(got.box, got.url, 'the link is shown in the page');
  assert.match(got.url, /#link=[A-Za-z0-9_-]+$/);
  return got;
}

/** Opens `url` in a new tab and waits for its replay to end; returns the tab and the result. */
async function openAndReplay(browser, url) {
  const tab = await openGlassVm(browser, {query: url.slice(url.indexOf('#')), timeoutMs: 60000});
  const replay = await waitInPage(tab.page, 'the replay to end', () => {
    const r = window.glassvm.replay();
    return r.finished ? {...r, stateHash: window.glassvm.stateHash(),
                         console: window.glassvm.consoleText(),
                         messages: window.glassvm.messages()} : null;
  }, null, 60000);
  return {tab, replay};
}

function replayNatively(url, workdir) {
  const file = path.join(workdir, 'link.txt');
  fs.writeFileSync(file, url);
  for (const source of [url, file]) {
    const r = spawnSync(glassvm, ['--replay', source, '--guests', path.join(distDir(), 'guests')],
                        {encoding: 'utf8', timeout: 120000});
    assert.equal(r.status, 0, `glassvm --replay: status ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /the same state as the recorded session's/, r.stderr);
  }
}

describe('share links', () => {
  let browser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassvm-links-'));

  before(async () => { browser = await launch(); });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  test('a session on the demo guest replays in another page and natively', async () => {
    const sender = await openGlassVm(browser);
    await waitForConsole(sender.page, 'glassvm> ');
    await type(sender.page, 'ticks\r', 'UART interrupts');
    await type(sender.page, 'echo shared by the sender\r', '\nshared by the sender');
    const link = await share(sender.page);
    assert.ok(link.url.length < 600, `a short session makes a short link (${link.url.length})`);
    // The Share button does the same.
    await sender.page.click('#share');
    const fromButton = await sender.page.evaluate(() => document.getElementById('share-link').value);
    assert.match(fromButton, /#link=/);

    const {tab, replay} = await openAndReplay(browser, link.url);
    assert.equal(replay.finished, true, JSON.stringify(replay));
    assert.equal(replay.matched, true, JSON.stringify(replay));
    assert.equal(replay.hash, link.hash, 'the state when the replay ended is the sender\'s');
    assert.match(replay.console, /shared by the sender/);
    assert.ok(replay.messages.some((m) => /exactly the sender's state/.test(m)),
              replay.messages.join('\n'));
    // The recipient takes over.
    await type(tab.page, 'echo the recipient types\r', '\nthe recipient types');
    await tab.page.close();
    replayNatively(link.url, dir);
    await sender.page.close();
  });

  test('Linux started from its snapshot replays to the same state', async () => {
    const sender = await openGlassVm(browser, {query: '', timeoutMs: 60000});
    await waitForConsole(sender.page, '~ # ');
    await type(sender.page, 'echo linked-$((6*7)); cat /proc/version\r', 'linked-42');
    await waitForConsole(sender.page, '~ # ');
    const link = await share(sender.page);
    const {tab, replay} = await openAndReplay(browser, link.url);
    assert.equal(replay.matched, true, JSON.stringify({...replay, console: undefined}));
    assert.equal(replay.hash, link.hash, 'the state when the replay ended is the sender\'s');
    assert.match(replay.console, /linked-42/);
    await tab.page.close();
    replayNatively(link.url, dir);
    await sender.page.close();
  });

  test('a session file recorded on the command line opens in the page', async () => {
    const demo = path.join(dir, 'demo.elf');
    const session = path.join(dir, 'cli.gvml');
    fs.writeFileSync(demo, guestImage('demo.elf'));
    const r = spawnSync(glassvm, ['-kernel', demo, '--record', session],
                        {input: 'echo recorded on the command line\rpoweroff\r', encoding: 'utf8',
                         timeout: 60000});
    assert.equal(r.status, 0, r.stderr);
    const hash = /state hash ([0-9a-f]{16})/.exec(r.stderr)[1];
    const tab = await openGlassVm(browser);
    await waitForConsole(tab.page, 'glassvm> ');
    await tab.page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'cli.gvml'));
      window.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }, Array.from(fs.readFileSync(session)));
    const replay = await waitInPage(tab.page, 'the session file to replay', () => {
      const r = window.glassvm.replay();
      return r.finished ? {...r, stateHash: window.glassvm.stateHash()} : null;
    }, null, 30000);
    assert.equal(replay.matched, true, JSON.stringify(replay));
    assert.equal(replay.hash, hash);
    await waitForConsole(tab.page, 'recorded on the command line');
    await tab.page.close();
  });

  test('a bad link is refused with a message, and the page starts its guest', async () => {
    for (const [fragment, why] of [
      ['#link=not!base64', /not base64url/],
      ['#link=R1ZNTAFIAAAAC0DY', /truncated/],
      ['#link=R1ZNTAlIAAAAC0DYCXja42KAgLz84tLkDL3UnDQGZNCAxGZkwAMAA-8EgQ', /newer GlassVM/],
    ]) {
      const tab = await openGlassVm(browser, {query: `?guest=demo.elf${fragment}`});
      await waitForConsole(tab.page, 'glassvm> ');
      const messages = await tab.page.evaluate(() => window.glassvm.messages());
      assert.ok(messages.some((m) => /^The link: /.test(m) && why.test(m)), messages.join('\n'));
      const state = await tab.page.evaluate(() => window.glassvm.state());
      assert.equal(state.guest, 'demo.elf');
      await tab.page.close();
    }
  });
});
