// Just enough RISC-V to check single-stepping from outside the page: the instruction an ELF
// image holds at an address, and the pc that instruction leads to (RV64IMAC control flow).
// Written from the RISC-V unprivileged specification's encodings.

/**
 * Returns a function (addr: bigint) -> number|null giving the 16-bit parcel the loadable
 * segments of the ELF64 little-endian `elf` (a Buffer/Uint8Array) place at physical address
 * `addr`, or null outside them. Throws on a file that is not ELF64 LE.
 */
export function elfParcelReader(elf) {
  const b = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error('not an ELF64 little-endian file');
  }
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (b.readUInt32LE(o) !== 1) continue;  // PT_LOAD
    segments.push({
      offset: b.readBigUInt64LE(o + 8),
      paddr: b.readBigUInt64LE(o + 24),
      filesz: b.readBigUInt64LE(o + 32),
    });
  }
  return (addr) => {
    for (const s of segments) {
      if (addr >= s.paddr && addr + 2n <= s.paddr + s.filesz) {
        return b.readUInt16LE(Number(s.offset + addr - s.paddr));
      }
    }
    return null;
  };
}

/** Reads the instruction at `pc` (bigint) through a parcel reader: {raw, len} or null. */
export function fetchInsn(readParcel, pc) {
  const lo = readParcel(pc);
  if (lo === null) return null;
  if ((lo & 3) !== 3) return {raw: lo, len: 2};
  const hi = readParcel(pc + 2n);
  if (hi === null) return null;
  return {raw: (lo | (hi << 16)) >>> 0, len: 4};
}

const bits = (v, hi, lo) => (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v, width) => BigInt.asIntN(width, BigInt(v));
const kMask64 = (1n << 64n) - 1n;

/**
 * The pc after executing `insn` ({raw, len}) at `pc` with integer registers `x` (bigint[32],
 * unsigned), assuming no trap is taken. Returns null for instructions whose successor depends
 * on privileged state (ECALL, EBREAK, xRET, WFI and the other SYSTEM instructions).
 */
export function nextPc(insn, pc, x) {
  const fall = (pc + BigInt(insn.len)) & kMask64;
  const r = insn.raw;
  const signed = (v) => BigInt.asIntN(64, v);
  if (insn.len === 2) {
    const quadrant = r & 3;
    const funct3 = bits(r, 15, 13);
    if (quadrant === 1 && funct3 === 5) {  // C.J
      const imm = (bits(r, 12, 12) << 11) | (bits(r, 11, 11) << 4) | (bits(r, 10, 9) << 8) |
                  (bits(r, 8, 8) << 10) | (bits(r, 7, 7) << 6) | (bits(r, 6, 6) << 7) |
                  (bits(r, 5, 3) << 1) | (bits(r, 2, 2) << 5);
      return (pc + sext(imm, 12)) & kMask64;
    }
    if (quadrant === 1 && (funct3 === 6 || funct3 === 7)) {  // C.BEQZ / C.BNEZ
      const rs1 = 8 + bits(r, 9, 7);
      const imm = (bits(r, 12, 12) << 8) | (bits(r, 11, 10) << 3) | (bits(r, 6, 5) << 6) |
                  (bits(r, 4, 3) << 1) | (bits(r, 2, 2) << 5);
      const zero = x[rs1] === 0n;
      return (funct3 === 6) === zero ? (pc + sext(imm, 9)) & kMask64 : fall;
    }
    if (quadrant === 2 && funct3 === 4 && bits(r, 6, 2) === 0) {
      const rs1 = bits(r, 11, 7);
      if (rs1 === 0) return null;  // C.EBREAK (bit 12 set) or reserved
      return x[rs1] & ~1n & kMask64;  // C.JR / C.JALR
    }
    return fall;
  }
  const opcode = r & 0x7f;
  const rs1 = bits(r, 19, 15);
  const rs2 = bits(r, 24, 20);
  switch (opcode) {
    case 0x6f: {  // JAL
      const imm = (bits(r, 31, 31) << 20) | (bits(r, 19, 12) << 12) | (bits(r, 20, 20) << 11) |
                  (bits(r, 30, 21) << 1);
      return (pc + sext(imm, 21)) & kMask64;
    }
    case 0x67:  // JALR
      return (x[rs1] + sext(bits(r, 31, 20), 12)) & ~1n & kMask64;
    case 0x63: {  // branches
      const imm = (bits(r, 31, 31) << 12) | (bits(r, 7, 7) << 11) | (bits(r, 30, 25) << 5) |
                  (bits(r, 11, 8) << 1);
      const a = x[rs1], c = x[rs2];
      let taken;
      switch (bits(r, 14, 12)) {
        case 0: taken = a === c; break;
        case 1: taken = a !== c; break;
        case 4: taken = signed(a) < signed(c); break;
        case 5: taken = signed(a) >= signed(c); break;
        case 6: taken = a < c; break;
        case 7: taken = a >= c; break;
        default: return null;  // illegal: traps
      }
      return taken ? (pc + sext(imm, 13)) & kMask64 : fall;
    }
    case 0x73:  // SYSTEM
      return bits(r, 14, 12) === 0 ? null : fall;  // CSR instructions fall through
    default:
      return fall;
  }
}
