// Browser tests of bad input: files that are not RISC-V ELF executables (loaded through the
// API or dropped onto the page) and a default guest image that is corrupt or fails to
// download. Each must give a clear message in the page, and the rest keeps working.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {guestImage, launch, openGlassVm, openPage, waitForConsole, waitInPage} from
    './harness.mjs';

const kText = Buffer.from('These are my notes, not a program.\n');

/** Loads `bytes` through glassvm.loadElf; returns {result, newMessages}. */
async function loadElf(page, bytes, name) {
  return page.evaluate(({bytes, name}) => {
    const before = window.glassvm.messages().length;
    const result = window.glassvm.loadElf(new Uint8Array(bytes), name);
    return {result, newMessages: window.glassvm.messages().slice(before)};
  }, {bytes: Array.from(bytes), name});
}

/** Asserts the guest still answers input: the machine kept running. */
async function assertGuestAlive(page, token) {
  await page.evaluate((t) => window.glassvm.sendInput(`echo ${t}\r`), token);
  await waitForConsole(page, `\n${token}`);
  const state = await page.evaluate(() => window.glassvm.state());
  assert.equal(state.running, true, JSON.stringify(state));
  assert.equal(state.exited, false);
  assert.match(state.guest, /demo/, 'the running guest is unchanged');
}

describe('bad input', () => {
  let browser;
  let tab;
  const demo = guestImage('demo.elf');

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser);
    await waitForConsole(tab.page, 'glassvm> ');
  });
  after(async () => {
    await browser?.close();
  });

  const badFiles = [
    ['a text file', 'notes.txt', kText],
    ['an empty file', 'empty.elf', Buffer.alloc(0)],
    ['a truncated ELF', 'truncated.elf', demo.subarray(0, 100)],
    ['an ELF for another machine (x86-64)', 'x86.elf',
     (() => {
       const b = Buffer.from(demo);
       b.writeUInt16LE(62, 18);  // e_machine = EM_X86_64
       return b;
     })()],
    ['a 32-bit ELF', 'elf32.elf',
     (() => {
       const b = Buffer.from(demo);
       b[4] = 1;  // EI_CLASS = ELFCLASS32
       return b;
     })()],
  ];
  for (const [what, name, bytes] of badFiles) {
    test(`loadElf of ${what} fails with a clear message and the guest keeps running`, async () => {
      const {result, newMessages} = await loadElf(tab.page, bytes, name);
      assert.equal(result.ok, false, JSON.stringify(result));
      assert.equal(typeof result.error, 'string');
      assert.ok(result.error.length > 10, `a clear error: ${JSON.stringify(result.error)}`);
      assert.ok(newMessages.length > 0, 'the error is shown in the page');
      assert.ok(newMessages.some((m) => m.includes(name) && /ELF|RISC-V/i.test(m)),
                `a message naming the file and the problem: ${JSON.stringify(newMessages)}`);
      await assertGuestAlive(tab.page, `alive-${name.replace(/\W/g, '-')}`);
    });
  }

  test('dropping a non-ELF file onto the page gives a message and the guest keeps running',
       async () => {
         const before = await tab.page.evaluate(() => window.glassvm.messages().length);
         await tab.page.evaluate((text) => {
           const dt = new DataTransfer();
           dt.items.add(new File([text], 'dropped-notes.txt', {type: 'text/plain'}));
           const target = document.elementFromPoint(innerWidth / 2, innerHeight / 2) || document.body;
           for (const type of ['dragenter', 'dragover', 'drop']) {
             target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                                       dataTransfer: dt}));
           }
         }, kText.toString());
         const messages = await waitInPage(tab.page, 'a message about the dropped file', (n) => {
           const m = window.glassvm.messages();
           return m.length > n ? m.slice(n) : null;
         }, before);
         assert.ok(messages.some((m) => m.includes('dropped-notes.txt') && /ELF|RISC-V/i.test(m)),
                   JSON.stringify(messages));
         await assertGuestAlive(tab.page, 'alive-after-drop');
       });

  test('picking a non-ELF file in the file dialog gives a message and the guest keeps running',
       async () => {
         const before = await tab.page.evaluate(() => window.glassvm.messages().length);
         // web/README.md: #file-input is the file dialog's <input type=file>.
         await tab.page.setInputFiles('#file-input',
                                      {name: 'picked.txt', mimeType: 'text/plain', buffer: kText});
         const messages = await waitInPage(tab.page, 'a message about the picked file', (n) => {
           const m = window.glassvm.messages();
           return m.length > n ? m.slice(n) : null;
         }, before);
         assert.ok(messages.some((m) => m.includes('picked.txt') && /ELF|RISC-V/i.test(m)),
                   JSON.stringify(messages));
         await assertGuestAlive(tab.page, 'alive-after-pick');
       });

  test('the messages are visible in the page', async () => {
    const messages = await tab.page.evaluate(() => window.glassvm.messages());
    assert.ok(messages.length > 0);
    for (const m of messages) assert.equal(typeof m, 'string');
    // web/README.md: #messages holds the user-visible messages, one <li> each.
    const shown = await tab.page.evaluate(() => {
      const list = document.querySelector('#messages');
      return list ? {text: list.innerText, visible: list.getClientRects().length > 0} : null;
    });
    assert.ok(shown, 'a #messages element');
    assert.ok(shown.visible, 'the #messages element is displayed');
    assert.ok(shown.text.includes(messages[messages.length - 1]), JSON.stringify({shown, messages}));
    console.log(`messages shown: ${JSON.stringify(messages, null, 1)}`);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [],
                     `page log:\n${tab.log.join('\n')}`);
  });

  // A page whose default guest image download is answered by `respond(route)`.
  // Or, without `respond`, the page opened with `query` (e.g. ?guest=URL).
  async function openWithBrokenGuest(respond, query = '?guest=demo.elf') {
    const t = await openPage(browser);
    if (respond) await t.page.route(/\/guests\/[^?]*\.elf(\?.*)?$/, respond);
    await t.page.goto(browser.url + query, {waitUntil: 'load'});
    const messages = await waitInPage(t.page, 'a message about the guest image', () => {
      try {
        const m = window.glassvm && window.glassvm.messages();
        return m && m.length ? m : null;
      } catch {
        return null;  // the runtime is still starting
      }
    }, null, 20000);
    console.log(`messages: ${JSON.stringify(messages)}`);
    return {...t, messages};
  }

  async function assertPageRecovers(t) {
    const pageErrors = t.errors.filter((e) => !e.startsWith('console error'));
    assert.deepEqual(pageErrors, [], `page log:\n${t.log.join('\n')}`);
    const text = await t.page.evaluate(() => window.glassvm.consoleText());
    assert.ok(!text.includes('GlassVM demo guest'), `the broken image did not run: ${text}`);
    // The rest of the page still works: load the real demo through the API.
    const result = await t.page.evaluate(
        (bytes) => window.glassvm.loadElf(new Uint8Array(bytes), 'demo.elf'), Array.from(demo));
    assert.equal(result.ok, true, JSON.stringify(result));
    await waitForConsole(t.page, 'glassvm> ');
    await t.page.close();
  }

  test('a corrupt default guest image gives a message and the page keeps working', async () => {
    const t = await openWithBrokenGuest((route) => route.fulfill({
      status: 200,
      contentType: 'application/octet-stream',
      body: Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(4000, 0xa5)]),
    }));
    assert.ok(t.messages.some((m) => /ELF|image|guest|corrupt|invalid|demo/i.test(m)),
              JSON.stringify(t.messages));
    await assertPageRecovers(t);
  });

  test('a guest image that fails to download gives a message and the page keeps working',
       async () => {
         const t = await openWithBrokenGuest((route) => route.fulfill({
           status: 404, contentType: 'text/plain', body: 'not found'}));
         assert.ok(t.messages.some((m) => /404|download|fetch|load|not found/i.test(m)),
                   JSON.stringify(t.messages));
         await assertPageRecovers(t);
       });

  test('a ?guest= URL naming a file that is not an ELF gives a message', async () => {
    const t = await openWithBrokenGuest(null, '?guest=../index.html');
    assert.ok(t.messages.some((m) => /ELF|image|guest|corrupt|invalid|index\.html/i.test(m)),
              JSON.stringify(t.messages));
    await assertPageRecovers(t);
  });

  test('a ?guest= URL that does not exist gives a message', async () => {
    const t = await openWithBrokenGuest(null, '?guest=no-such-guest.elf');
    assert.ok(t.messages.some((m) => /404|download|fetch|not found|no-such-guest/i.test(m)),
              JSON.stringify(t.messages));
    await assertPageRecovers(t);
  });
});
