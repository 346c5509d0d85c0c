// Checks the test's own RISC-V helper (riscv.mjs) against llvm-objdump: every direct jump and
// branch in the bundled guests decodes to the target objdump prints. No browser needed.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';

import {findFile, kRoot, nativeBuildDir, skipUnlessCi} from './harness.mjs';
import {elfParcelReader, fetchInsn, nextPc} from './riscv.mjs';

function objdump(file) {
  for (const tool of ['llvm-objdump', 'llvm-objdump-14']) {
    try {
      return execFileSync(tool, ['-d', '--no-show-raw-insn', file], {encoding: 'utf8',
                                                                      maxBuffer: 1 << 26});
    } catch {
      // try the next name
    }
  }
  return null;
}

for (const guest of ['demo.elf', 'bench.elf']) {
  test(`nextPc agrees with llvm-objdump on ${guest}`, (t) => {
    const file = findFile(path.join(nativeBuildDir(), 'guests'), guest) ||
                 findFile(path.join(kRoot, 'build'), guest);
    const listing = file && objdump(file);
    if (!listing) {
      skipUnlessCi(t, 'needs the built guest and llvm-objdump');
      return;
    }
    const read = elfParcelReader(fs.readFileSync(file));
    const zero = Array(32).fill(0n);
    let checked = 0;
    for (const line of listing.split('\n')) {
      const m = line.match(/^\s*([0-9a-f]+):\s+(\S+)\s+(.*)$/);
      if (!m) continue;
      const pc = BigInt(`0x${m[1]}`);
      const insn = fetchInsn(read, pc);
      assert.ok(insn, `instruction at ${m[1]}`);
      const target = m[3].match(/0x([0-9a-f]+)/);
      // With every register 0, "equal"/"greater or equal" branches are taken, the rest not.
      let expected = null;
      if (/^(j|jal)$/.test(m[2]) && target) expected = BigInt(`0x${target[1]}`);
      if (/^(beqz|beq|bge|bgeu|blez|bgez|ble|bleu)$/.test(m[2])) expected = BigInt(`0x${target[1]}`);
      if (/^(bnez|bne|blt|bltu|bltz|bgtz|bgt|bgtu)$/.test(m[2])) expected = pc + BigInt(insn.len);
      if (/^(addi|add|sd|ld|lw|sw|mv|li)$/.test(m[2])) expected = pc + BigInt(insn.len);
      if (expected === null) continue;
      assert.equal(nextPc(insn, pc, zero), expected, line);
      checked++;
    }
    assert.ok(checked > 100, `checked ${checked} instructions`);
  });
}
