// Browser tests: the Lessons panel's lessons through the JS API. Each lesson opens (?lesson=id,
// or glassvm.openLesson) with its devices and guest, waiting at the guest's first instruction;
// lessonRun() runs to each step's event and the page stops there (the pause registers, the
// registers, the IOMMU events agree); the page-fault lesson's translation view gives the PA the
// guest prints; Linux and its disk behind the RISC-V IOMMU boot to the prompt, and the rng's and
// the disk's DMA show up as UNMAP events.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {focusTerminal, launch, openGlassVm, waitForConsole, waitInPage} from './harness.mjs';

/** The first hex number `re` captures in the page's console text, as a BigInt, or null. */
async function consoleHex(page, re) {
  const m = re.exec(await page.evaluate(() => window.glassvm.consoleText()));
  return m ? BigInt(`0x${m[1]}`) : null;
}

/**
 * Waits until the lesson stopped at its step's event (or finished); returns lessonState().
 * On a time-out the error shows the lesson, the machine and the console's end.
 */
async function waitForStop(page, what, timeoutMs) {
  try {
    return await waitInPage(page, what, () => {
      const s = window.glassvm.lessonState();
      return s.state === 'stopped' || s.state === 'finished' ? s : null;
    }, undefined, timeoutMs);
  } catch (e) {
    const seen = await page.evaluate(() => ({
      lesson: window.glassvm.lessonState(), state: window.glassvm.state(),
      instructions: window.glassvm.instructions(), messages: window.glassvm.messages().slice(-4),
      console: window.glassvm.consoleText().slice(-400),
    }));
    throw new Error(`${e.message}\n${JSON.stringify(seen)}`);
  }
}

/**
 * lessonRun(), then waits for the stop; returns {lesson: lessonState(), state: state(), pc:
 * registers().pc, pausedAt: iommuPausedAt()}.
 */
async function runToEvent(page, timeoutMs = 30000) {
  const before = await page.evaluate(() => window.glassvm.lessonState());
  await page.evaluate(() => window.glassvm.lessonRun());
  const lesson = await waitForStop(page, `the stop after step ${before.step}`, timeoutMs);
  return page.evaluate((lesson) => ({
    lesson,
    state: window.glassvm.state(),
    pc: window.glassvm.registers().pc,
    pausedAt: window.glassvm.iommuPausedAt(),
  }), lesson);
}

/** Checks that `at` is a stop (not an exit) at step `step` of kind `kind`. */
function assertStop(at, step, kind) {
  const why = JSON.stringify(at);
  assert.equal(at.lesson.state, 'stopped', why);
  assert.equal(at.lesson.step, step, why);
  assert.equal(at.lesson.lastStop.kind, kind, why);
  assert.equal(at.state.paused, true, why);
  assert.equal(at.state.exited, false, why);
  assert.equal(BigInt(at.pc), BigInt(at.lesson.lastStop.pc), why);
}

/** Runs past the last step: the guest runs to its end and passes. */
async function finishLesson(page) {
  const at = await runToEvent(page);
  assert.equal(at.lesson.state, 'finished', JSON.stringify(at.lesson));
  await waitInPage(page, 'the end of the program', () => window.glassvm.state().exited);
  assert.equal(await page.evaluate(() => window.glassvm.state().exitCode), 0);
}

describe('the page-fault lesson (?lesson=page-fault)', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: '?lesson=page-fault'});
  });
  after(async () => {
    await browser?.close();
  });

  test('lists every lesson and opens this one paused at the guest\'s first instruction',
       async () => {
    const ids = await tab.page.evaluate(() => window.glassvm.lessons().map((l) => l.id));
    assert.deepEqual(ids, ['riscv-iommu', 'virtio-iommu', 'page-fault', 'dma-fault',
                           'linux-iommu']);
    const at = await tab.page.evaluate(() => ({
      lesson: window.glassvm.lessonState(),
      state: window.glassvm.state(),
      instructions: window.glassvm.instructions(),
    }));
    assert.equal(at.lesson.id, 'page-fault');
    assert.equal(at.lesson.step, 0);
    assert.equal(at.lesson.state, 'ready');
    assert.ok(at.lesson.stepCount >= 6, JSON.stringify(at.lesson));
    assert.equal(at.state.guest, 'teach_page_fault.elf');
    assert.equal(at.state.paused, true);
    assert.equal(at.instructions, 0);
  });

  test('stops at each page fault with the VA the guest prints, and translate() agrees with ' +
       'the mapping the guest made', async () => {
    const page = tab.page;
    assertStop(await runToEvent(page), 0, 'console');  // S-mode
    assertStop(await runToEvent(page), 1, 'console');  // A and D
    let at = await runToEvent(page);
    assertStop(at, 2, 'trap');
    assert.equal(at.lesson.lastStop.cause, 13);
    const loadVa = await consoleHex(page, /loading from VA 0x([0-9a-f]+)/);
    assert.equal(BigInt(at.lesson.lastStop.tval), loadVa);
    // Stopped at the trap, before the handler ran: it has printed nothing yet.
    assert.ok(!(await page.evaluate(() => window.glassvm.consoleText())).includes('TRAP into'));
    const before = await page.evaluate((va) => window.glassvm.translate(va, 'load'),
                                       `0x${loadVa.toString(16)}`);
    assert.equal(before.ok, false, JSON.stringify(before));

    at = await runToEvent(page);  // the handler mapped the page
    assertStop(at, 3, 'console');
    const pa = await consoleHex(page, /-> mapped VA 0x40000000 -> PA 0x([0-9a-f]+)/);
    assert.ok(pa, 'the guest printed the PA');
    const walk = await page.evaluate((va) => window.glassvm.translate(va, 'load'),
                                     `0x${loadVa.toString(16)}`);
    assert.equal(walk.ok, true, JSON.stringify(walk));
    assert.equal(BigInt(walk.pa), pa, JSON.stringify(walk));

    at = await runToEvent(page);
    assertStop(at, 4, 'trap');
    assert.equal(at.lesson.lastStop.cause, 15);
    assert.equal(BigInt(at.lesson.lastStop.tval),
                 await consoleHex(page, /storing 0x5a5a to VA 0x([0-9a-f]+)/));
    at = await runToEvent(page);
    assertStop(at, 5, 'trap');
    assert.equal(at.lesson.lastStop.cause, 15);
    assert.equal(BigInt(at.lesson.lastStop.tval),
                 await consoleHex(page, /storing 0xbad to VA 0x([0-9a-f]+)/));
    assertStop(await runToEvent(page), 6, 'console');  // the verdict
    await finishLesson(page);
    assert.match(await page.evaluate(() => window.glassvm.consoleText()), /checks, 0 unexpected/);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});

describe('the IOMMU lessons (glassvm.openLesson)', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: '?guest=demo.elf'});
  });
  after(async () => {
    await browser?.close();
  });

  /** Opens lesson `id` from JS and waits for its guest. */
  async function open(id) {
    const result = await tab.page.evaluate((id) => window.glassvm.openLesson(id), id);
    assert.deepEqual(result, {ok: true, error: ''});
    const lesson = await waitInPage(tab.page, `lesson ${id}'s guest`, () => {
      const s = window.glassvm.lessonState();
      return s.state === 'ready' ? s : null;
    });
    assert.equal(lesson.id, id);
    assert.equal(lesson.step, 0);
  }

  /** Runs every step; checks the IOMMU stops against iommuEvents(); returns the stops. */
  async function runAllSteps() {
    const stops = [];
    for (;;) {
      const at = await runToEvent(tab.page);
      if (at.lesson.state === 'finished') break;
      assertStop(at, stops.length, at.lesson.lastStop.kind);
      if (at.lesson.lastStop.kind === 'iommu') {
        // The page stopped at that event: it is the newest, and the one iommuPausedAt names.
        const events = await tab.page.evaluate(() => window.glassvm.iommuEvents(0));
        const event = events.events.find((e) => e.seq === at.lesson.lastStop.seq);
        assert.ok(event, JSON.stringify(events).slice(0, 400));
        assert.equal(at.pausedAt, event.seq);
        assert.equal(event.type, at.lesson.lastStop.type);
        assert.equal(event.iova, at.lesson.lastStop.iova);
        assert.ok(events.lastSeq - event.seq <= 2, 'stopped right after the event');
      }
      stops.push(at.lesson.lastStop);
    }
    await waitInPage(tab.page, 'the end of the program', () => window.glassvm.state().exited);
    assert.equal(await tab.page.evaluate(() => window.glassvm.state().exitCode), 0);
    const seqs = stops.filter((s) => s.kind === 'iommu').map((s) => s.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'the events come in order');
    return stops;
  }

  test('an unknown lesson is refused', async () => {
    const result = await tab.page.evaluate(() => window.glassvm.openLesson('nosuch'));
    assert.deepEqual(result, {ok: false, error: 'no lesson \'nosuch\''});
    assert.equal(await tab.page.evaluate(() => window.glassvm.lessonState().id), null);
  });

  test('riscv-iommu: the ddtp UNMAP, the IOTINVAL UNMAP, the ATS DEVIOTLB_UNMAP', async () => {
    await open('riscv-iommu');
    const stops = await runAllSteps();
    const events = stops.filter((s) => s.kind === 'iommu');
    assert.deepEqual(events.map((s) => [s.type, s.device, s.iova]), [
      ['UNMAP', 9, '0x0000000000000000'],
      ['UNMAP', 9, '0x0000000040000000'],
      ['DEVIOTLB_UNMAP', 9, '0x0000000040000000'],
    ]);
  });

  test('virtio-iommu: MAP and UNMAP requests', async () => {
    await open('virtio-iommu');
    const stops = await runAllSteps();
    assert.deepEqual(stops.filter((s) => s.kind === 'iommu').map((s) => s.type),
                     ['UNMAP', 'MAP', 'UNMAP', 'UNMAP']);
    assert.ok(stops.some((s) => s.kind === 'console' && /MAPPING/.test(s.console)));
  });

  test('dma-fault: the fault record, then the tear-down\'s UNMAP', async () => {
    await open('dma-fault');
    const stops = await runAllSteps();
    const text = await tab.page.evaluate(() => window.glassvm.consoleText());
    assert.match(text, /fault record: cause = 15 \(write\/AMO page fault\), ttyp = 3/);
    assert.equal(stops[1].kind, 'console');
    assert.equal(stops[1].console, 'fault record:');
    const unmap = stops.find((s) => s.kind === 'iommu');
    assert.deepEqual([unmap.seq, unmap.type, unmap.device, unmap.iova],
                     [1, 'UNMAP', 9, '0x0000000040000000']);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});

describe('the Linux lesson (?lesson=linux-iommu)', () => {
  let browser;
  let tab;

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser, {query: '?lesson=linux-iommu', timeoutMs: 60000});
  });
  after(async () => {
    await browser?.close();
  });

  test('boots to the prompt, and the rng\'s and the disk\'s DMA behind the IOMMU appear as ' +
       'events',
       async () => {
    const page = tab.page;
    const lesson = await page.evaluate(() => window.glassvm.lessonState());
    assert.equal(lesson.id, 'linux-iommu');
    assert.equal(await page.evaluate(() => window.glassvm.state().guest), 'linux');
    assertStop(await runToEvent(page, 120000), 0, 'console');  // the driver binds
    assertStop(await runToEvent(page, 120000), 1, 'console');  // the prompt
    await page.evaluate(() => window.glassvm.lessonRun());
    await focusTerminal(page);
    const from = (await page.evaluate(() => window.glassvm.consoleText())).length;
    await page.keyboard.type('head -c 16 /dev/hwrng | od -x\n');
    const at = await waitForStop(page, 'an event of the rng', 60000);
    assert.equal(at.step, 2);
    assert.equal(at.lastStop.kind, 'iommu');
    assert.equal(at.lastStop.type, 'UNMAP');
    assert.equal(at.lastStop.device, 8);
    const events = await page.evaluate(() => window.glassvm.iommuEvents(0));
    assert.ok(events.events.some((e) => e.device === 8 && e.type === 'UNMAP'));
    // Resumed, the command completes.
    await page.evaluate(() => window.glassvm.resume());
    await waitForConsole(page, '~ # ', 30000, from + 1);
    // The disk: its reads are mapped and unmapped too (device 7).
    await page.evaluate(() => window.glassvm.lessonRun());
    const from2 = (await page.evaluate(() => window.glassvm.consoleText())).length;
    await page.keyboard.type(
        'echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4k count=16\n');
    const disk = await waitForStop(page, 'an event of the disk', 60000);
    assert.equal(disk.step, 3);
    assert.deepEqual([disk.lastStop.kind, disk.lastStop.type, disk.lastStop.device],
                     ['iommu', 'UNMAP', 7]);
    assert.equal(await page.evaluate(() => window.glassvm.iommuPausedAt()), disk.lastStop.seq);
    await page.evaluate(() => window.glassvm.resume());
    await waitForConsole(page, '16+0 records in', 30000, from2);
    await page.evaluate(() => window.glassvm.lessonRun());
    assert.equal(await page.evaluate(() => window.glassvm.lessonState().state), 'finished');
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});
