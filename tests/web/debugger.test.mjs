// Browser tests of the CPU controls: pause stops the instruction count, step executes exactly
// one instruction (checked against the instruction the guest image holds at the pc),
// breakpoints stop the guest, keys pressed while paused do no harm, and reset restarts it.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {consoleLength, focusTerminal, guestImage, launch, openGlassVm, waitForConsole, waitInPage} from
    './harness.mjs';
import {elfParcelReader, fetchInsn, nextPc} from './riscv.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseRegisters(r) {
  assert.match(r.pc, /^0x[0-9a-f]+$/i, `pc ${r.pc}`);
  assert.equal(r.x.length, 32);
  for (const v of r.x) assert.match(v, /^0x[0-9a-f]+$/i);
  assert.ok(['M', 'S', 'U'].includes(r.priv), `priv ${r.priv}`);
  return {pc: BigInt(r.pc), x: r.x.map((v) => BigInt(v)), priv: r.priv};
}

const hex = (v) => `0x${v.toString(16)}`;

describe('the CPU controls', () => {
  let browser;
  let tab;
  const bench = guestImage('bench.elf');
  const readParcel = elfParcelReader(bench);
  const g = (fn, arg) => tab.page.evaluate(fn, arg);

  before(async () => {
    browser = await launch();
    tab = await openGlassVm(browser);
    await waitForConsole(tab.page, 'glassvm> ');
  });
  after(async () => {
    await browser?.close();
  });

  test('registers() reports the pc, 32 registers with x0 = 0, and the privilege level', async () => {
    const r = parseRegisters(await g(() => window.glassvm.registers()));
    assert.equal(r.x[0], 0n);
    assert.equal(r.priv, 'M');
    assert.ok(r.pc >= 0x80000000n, `pc ${hex(r.pc)} in RAM`);
  });

  test('loads bench.elf through loadElf and runs it', async () => {
    const result = await g(({bytes}) => window.glassvm.loadElf(new Uint8Array(bytes), 'bench.elf'),
                           {bytes: Array.from(bench)});
    assert.deepEqual(result.ok, true, JSON.stringify(result));
    const state = await g(() => window.glassvm.state());
    assert.equal(state.guest, 'bench.elf');
    assert.equal(state.exited, false);
    const n0 = await g(() => window.glassvm.instructions());
    await waitInPage(tab.page, 'the instruction count to grow',
                     (n) => window.glassvm.instructions() > n + 1e6, n0);
  });

  test('pause stops the instruction count and the pc', async () => {
    await g(() => window.glassvm.pause());
    const state = await g(() => window.glassvm.state());
    assert.equal(state.paused, true);
    const n1 = await g(() => window.glassvm.instructions());
    const pc1 = (await g(() => window.glassvm.registers())).pc;
    await sleep(500);
    assert.equal(await g(() => window.glassvm.instructions()), n1);
    assert.equal((await g(() => window.glassvm.registers())).pc, pc1);
    assert.equal((await g(() => window.glassvm.state())).paused, true);
  });

  test('step executes exactly one instruction', async () => {
    let fallThroughSteps = 0;
    for (let i = 0; i < 40; i++) {
      const r = await g(() => {
        const vm = window.glassvm;
        const before = {regs: vm.registers(), n: vm.instructions()};
        vm.step();
        return {before, after: {regs: vm.registers(), n: vm.instructions()}};
      });
      const before = parseRegisters(r.before.regs);
      const afterStep = parseRegisters(r.after.regs);
      const insn = fetchInsn(readParcel, before.pc);
      assert.ok(insn, `the pc ${hex(before.pc)} lies in bench.elf's code`);
      assert.equal(r.after.n, r.before.n + 1, `one instruction retired at ${hex(before.pc)}`);
      const expected = nextPc(insn, before.pc, before.x);
      if (expected === null) continue;  // a SYSTEM instruction: its successor is not ours to say
      assert.equal(hex(afterStep.pc), hex(expected),
                   `pc after stepping ${insn.len}-byte insn ${insn.raw.toString(16)} at ${hex(before.pc)}`);
      if (expected === before.pc + BigInt(insn.len)) fallThroughSteps++;
    }
    assert.ok(fallThroughSteps > 0, 'stepped over at least one non-jump instruction');
    assert.equal((await g(() => window.glassvm.state())).paused, true, 'still paused');
  });

  test('a breakpoint stops the running guest at its pc', async () => {
    // The pc where we paused lies in bench's hot loop, so it comes round again soon.
    const pc = (await g(() => window.glassvm.registers())).pc;
    const target = BigInt(pc);
    await g((p) => window.glassvm.addBreakpoint(p), hex(target));
    await g(() => window.glassvm.step());  // leave the breakpoint's own pc
    await g(() => window.glassvm.resume());
    const hit = await waitInPage(tab.page, `a stop at the breakpoint ${hex(target)}`, () => {
      const s = window.glassvm.state();
      return s.paused ? window.glassvm.registers().pc : null;
    }, null, 15000);
    assert.equal(BigInt(hit), target);
    const n = await g(() => window.glassvm.instructions());
    await sleep(300);
    assert.equal(await g(() => window.glassvm.instructions()), n, 'stays stopped');
    await g((p) => window.glassvm.removeBreakpoint(p), hex(target));
  });

  test('resume continues after the breakpoint is removed', async () => {
    await g(() => window.glassvm.resume());
    const n0 = await g(() => window.glassvm.instructions());
    await waitInPage(tab.page, 'the instruction count to grow again',
                     (n) => window.glassvm.instructions() > n + 1e6, n0);
    assert.equal((await g(() => window.glassvm.state())).paused, false);
  });

  test('keys pressed while paused do not break the machine', async () => {
    // Back to the interactive demo: reset reloads the current guest, so load demo.elf.
    const demo = guestImage('demo.elf');
    const from = await consoleLength(tab.page);
    const result = await g(({bytes}) => window.glassvm.loadElf(new Uint8Array(bytes), 'demo.elf'),
                           {bytes: Array.from(demo)});
    assert.equal(result.ok, true, JSON.stringify(result));
    await waitForConsole(tab.page, 'glassvm> ', 10000, from);
    await g(() => window.glassvm.pause());
    const n0 = await g(() => window.glassvm.instructions());
    await focusTerminal(tab.page);
    await tab.page.keyboard.type('echo typed-while-paused');
    await tab.page.keyboard.press('Enter');
    await tab.page.keyboard.press('Escape');
    await tab.page.keyboard.press('Tab');
    await g(() => window.glassvm.step());
    await sleep(200);
    const state = await g(() => window.glassvm.state());
    assert.equal(state.paused, true);
    assert.ok((await g(() => window.glassvm.instructions())) <= n0 + 1, 'no running while paused');
    await g(() => window.glassvm.resume());
    // Whatever became of the keys typed while paused, the guest answers new input.
    await g(() => window.glassvm.sendInput('\recho alive-after-pause\r'));
    await waitForConsole(tab.page, '\nalive-after-pause');
  });

  test('reset restarts the guest from its entry point', async () => {
    const before = (await g(() => window.glassvm.consoleText())).split('GlassVM demo guest').length;
    await g(() => window.glassvm.reset());
    await waitInPage(tab.page, 'the banner printed again',
                     (n) => window.glassvm.consoleText().split('GlassVM demo guest').length > n,
                     before);
    await waitForConsole(tab.page, 'glassvm> ');
    const state = await g(() => window.glassvm.state());
    assert.equal(state.running, true);
    assert.equal(state.exited, false);
  });

  test('poweroff makes the machine exit with code 0', async () => {
    await g(() => window.glassvm.sendInput('poweroff\r'));
    const state = await waitInPage(tab.page, 'the guest to exit', () => {
      const s = window.glassvm.state();
      return s.exited ? s : null;
    });
    assert.equal(state.exitCode, 0);
  });

  test('logged no console errors and no uncaught exceptions', () => {
    assert.deepEqual(tab.errors, [], `page log:\n${tab.log.join('\n')}`);
  });
});
