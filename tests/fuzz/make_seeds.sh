#!/bin/sh
# Regenerates the committed seed corpora in tests/fuzz/corpus/ (small files, hand-made or
# assembled from the sources next to them). Needs llvm-mc, llvm-objcopy, dtc, wat2wasm and
# python3.
# The seeds are committed so that the fuzz tests need none of these tools.
# snapshot_fuzz's seeds come from a real snapshot: GLASSVM (default build/native/cli/glassvm)
# saves a small machine running build/native/guests/test_uart_hello.elf.
set -eu
cd "$(dirname "$0")/corpus"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpu_interp_fuzz: a real program (code comes from the front of the input; the integers that
# choose the entry point, the handler and the registers come from the back).
llvm-mc -triple=riscv64 -mattr=+m,+a,+c -filetype=obj seed_program.s -o "$tmp/p.o"
llvm-objcopy -O binary --only-section=.text "$tmp/p.o" "$tmp/p.bin"
cp "$tmp/p.bin" cpu_interp_fuzz/program.bin
# FuzzedDataProvider takes integers from the back: entry offset (2 bytes), handler offset (2),
# vectored (1), budget (2), then 31 registers (8 each). Entry and handler at the start of RAM
# (traps restart the program), budget 1536, registers pointing at RAM.
python3 - "$tmp/p.bin" cpu_interp_fuzz/program-with-tail.bin <<'PY'
import sys
code = open(sys.argv[1], 'rb').read()
tail = bytes(31 * 8) + b'\xff\xff' + b'\x00' + b'\x00\x00' + b'\x00\x00'
open(sys.argv[2], 'wb').write(code + tail)
PY

# fdt_reader_fuzz: a tiny device tree.
dtc -I dts -O dtb -o fdt_reader_fuzz/tiny.dtb tiny.dts 2>/dev/null

# wasm_text_fuzz: a module with every section, and two cut from it.
mkdir -p wasm_text_fuzz
wat2wasm --enable-tail-call seed_module.wat -o wasm_text_fuzz/module.wasm
head -c 100 wasm_text_fuzz/module.wasm >wasm_text_fuzz/truncated.wasm
head -c 24 wasm_text_fuzz/module.wasm >wasm_text_fuzz/types-only.wasm  # header and types

python3 - <<'PY'
import random, struct

# elf_loader_fuzz: a minimal RISC-V ELF64 executable with one PT_LOAD, and variants.
def elf(entry=0x80000000, paddr=0x80000000, filesz=8, memsz=16, cls=2, machine=243):
    code = bytes([0x13, 0, 0, 0, 0x6f, 0, 0, 0])[:filesz]
    ehdr = b'\x7fELF' + bytes([cls, 1, 1, 0]) + b'\0' * 8
    ehdr += struct.pack('<HHIQQQIHHHHHH', 2, machine, 1, entry, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack('<IIQQQQQQ', 1, 5, 120, paddr, paddr, filesz, memsz, 4)
    return ehdr + phdr + code
open('elf_loader_fuzz/minimal.elf', 'wb').write(elf())
open('elf_loader_fuzz/bss-only.elf', 'wb').write(elf(filesz=0, memsz=0x1000))
open('elf_loader_fuzz/wrong-machine.elf', 'wb').write(elf(machine=62))
open('elf_loader_fuzz/truncated.elf', 'wb').write(elf()[:90])

# cpu_decode_fuzz: instruction word (4 bytes LE) + pc (8 bytes LE).
words = {
    'addi': 0x00150513, 'lui': 0x000802b7, 'jal': 0x008000ef, 'beq': 0x00b50463,
    'amoswap-d': 0x08b5352f, 'lr-w': 0x1005252f, 'csrrw': 0x30529073, 'mret': 0x30200073,
    'sfence-vma': 0x12000073, 'mul': 0x02b50533, 'c-addi': 0x0505, 'c-lwsp': 0x4502,
    'c-j': 0xa001, 'c-illegal': 0x0000, 'fld': 0x00053007, 'sraiw': 0x4015551b,
}
for name, w in words.items():
    open(f'cpu_decode_fuzz/{name}', 'wb').write(struct.pack('<IQ', w, 0x80000000))

# address_space_fuzz: operation scripts from a fixed generator (any bytes are a valid script).
rng = random.Random(1)
for i in range(4):
    open(f'address_space_fuzz/script-{i}', 'wb').write(bytes(rng.randrange(256) for _ in range(96 + 160 * i)))
PY

# fdt_writer_fuzz: a tree shaped like the virt board's using every builder call, chains of
# nodes at the reader's depth limit and one past it, and random scripts.
mkdir -p fdt_writer_fuzz
python3 - <<'PY'
# FuzzedDataProvider takes integers from the input's end (high byte first) and byte strings
# from its front, so a script is assembled as two lists.
import random

class Script:
    def __init__(self):
        self.front, self.back = b'', []
    def int(self, v, n):
        self.back += [(v >> 8 * i) & 0xff for i in reversed(range(n))]
        return self
    def bytes(self, b):
        self.front += b
        return self
    def data(self):
        return self.front + bytes(reversed(self.back))
    # Ops, numbered as in fdt_writer_fuzz.cpp (Op).
    def op(self, n): return self.int(n, 1)
    def name(self, idx, unit=None, raw=None):  # a common name (index), with a unit address, or raw
        if raw is not None:
            long = len(raw) > 12  # lengths up to 12, or up to 300 in two bytes
            return self.int(2, 1).int(0, 1).int(long, 1).int(len(raw) - 1, 1 + long).bytes(raw)
        if unit is None: return self.int(0, 1).int(idx, 1)
        return self.int(1, 1).int(idx, 1).int(unit, 8)
    def begin(self, *a, **k): return self.op(0).name(*a, **k)
    def end(self): return self.op(1)
    def string(self, s): return self.int(len(s), 1).bytes(s)

NODE = dict(cpus=0, cpu=1, memory=2, soc=3, serial=4, chosen=5, intc=6, a=7)
PROP = dict(reg=0, compatible=1, address_cells=2, size_cells=3, status=4, linux_phandle=5,
            phandle=6, ranges=7)

s = Script()
s.int(4, 1).int(0, 4).int(16, 4)  # corruption: 16 bytes appended past totalsize
s.op(11).int(0, 4)  # boot_cpuid_phys 0
s.op(10).int(0x80000000, 8).int(0x80000 - 1, 8)  # a reservation of 512 KiB
s.op(4).name(PROP['address_cells']).int(2, 4)  # u32
s.op(8).name(PROP['compatible']).int(2, 1).string(b'riscv-virtio').string(b'simple-bus').int(0, 1)
s.op(7).name(0, raw=b'model').string(b'riscv-virtio,qemu')  # a raw (odd) name
s.begin(NODE['chosen']).op(7).name(0, raw=b'bootargs').string(b'console=ttyS0').end()
s.begin(NODE['memory'], unit=0x80000000)
s.op(6).name(PROP['reg']).int(4, 1).int(0, 4).int(0x80000000, 4).int(0, 4).int(0x8000000, 4)
s.int(0, 1).end()  # cells through the span overload
s.begin(NODE['cpus']).op(4).name(PROP['size_cells']).int(0, 4)
s.begin(NODE['cpu'], unit=0).op(9).op(5).name(PROP['reg']).int(0x123456789, 8)  # phandle, u64
s.begin(NODE['intc']).op(3).name(0, raw=b'interrupt-controller').op(9).end().end().end()
s.begin(NODE['soc']).op(3).name(PROP['ranges'])
s.begin(NODE['serial'], unit=0x10000000).op(2).name(PROP['status']).int(0, 1).int(3, 1)
s.bytes(b'\x01\x02\x03').op(6).name(PROP['linux_phandle']).int(1, 1).int(1, 4).int(1, 1).end()
s.begin(0, raw=b'node-with-a-rather-long-name,v2@1f').end()
open('fdt_writer_fuzz/seed-01', 'wb').write(s.data())

# Zero bytes: every integer 0, a chain of nodes named "cpus".
open('fdt_writer_fuzz/seed-02', 'wb').write(bytes(198))  # exactly kFdtMaxDepth deep: accepted
open('fdt_writer_fuzz/seed-03', 'wb').write(bytes(201))  # one level deeper: refused

rng = random.Random(1)  # any bytes are a valid script
for i, n in enumerate((96, 256, 512)):
    open(f'fdt_writer_fuzz/seed-{i + 4:02}', 'wb').write(bytes(rng.randrange(256) for _ in range(n)))
PY

# jit_translate_fuzz: snippets assembled from jit_*.s (every operation the decoder knows, ALU
# and branches, memory and AMOs, system and FP, compressed code) and random words, each followed
# by the translator's choices (entries, caps) as jit_translate_fuzz.cpp reads them.
mkdir -p jit_translate_fuzz
for s in all_ops alu_branch mem_amo system_fp compressed; do
  attrs=+m,+a,+f,+d
  [ $s = compressed ] && attrs=+m,+a,+c,+f,+d
  llvm-mc -triple=riscv64 -mattr=$attrs -filetype=obj jit_$s.s -o "$tmp/$s.o"
  llvm-objcopy -O binary --only-section=.text "$tmp/$s.o" "$tmp/$s.bin"
done
python3 - "$tmp" <<'PY'
# Appends jit_translate_fuzz's choices (FuzzedDataProvider takes integers from the back, most
# significant byte first) to assembled code.
import random, sys
def enc(v, k):  # k bytes, in the order consumed
    return [(v >> (8 * (k - 1 - i))) & 0xff for i in range(k)]
def seed(code, code_at=0, tile=False, words=False, page=0x80000000, mods=()):
    c = enc(code_at // 2, 2) + [int(tile)] + [int(words)] + enc(page, 8) + [len(mods) - 1]
    for m in mods:
        e = m['entries']
        c += [len(e) - 1]
        for x in e: c += enc(x, 2)
        c += [int(m.get('sweep', False))]
        for key, k in (('max_bytes', 3), ('max_blocks', 2), ('regs', 2)):
            c += [0] if key not in m else [1] + enc(m[key], k)
        c += [int(m.get('listing', True))]
    return bytes(code) + bytes(reversed(c))
def w(name, data):
    assert len(data) < 4096
    open(name, 'wb').write(data)
r = lambda f: open(sys.argv[1] + '/' + f, 'rb').read()
out = 'jit_translate_fuzz'
w(out + '/alu-branch', seed(r('alu_branch.bin'), mods=[{'entries': [0]}, {'entries': [0, 12], 'regs': 0, 'listing': False}]))
w(out + '/mem-amo', seed(r('mem_amo.bin'), code_at=0x40, mods=[{'entries': [0x40], 'sweep': True}]))
w(out + '/system-fp', seed(r('system_fp.bin'), code_at=0xf70, mods=[{'entries': [0xf70], 'sweep': True, 'max_bytes': 32768}]))
w(out + '/compressed-tiled', seed(r('compressed.bin'), code_at=0x10, tile=True, mods=[{'entries': [0x10, 0x800], 'sweep': True, 'max_bytes': 4096}, {'entries': [0], 'max_blocks': 3}]))
rnd = random.Random(1)
w(out + '/random-words', seed(bytes(rnd.randrange(256) for _ in range(1024)), code_at=0x200, tile=True, words=True,
  mods=[{'entries': [0, 0x200, 0x404, 0xffe], 'sweep': True}, {'entries': [0x200], 'max_bytes': 32768, 'regs': 64}, {'entries': [0x300, 0x302], 'max_blocks': 40}, {'entries': [0x600], 'sweep': True, 'max_bytes': 2000}]))
# Every operation once, swept (every instruction a block entry), and with the blocks found only
# from offset 0 with registers in locals across all of them.
w(out + '/every-op', seed(r('all_ops.bin'), mods=[{'entries': [0], 'sweep': True}, {'entries': [0], 'regs': 400, 'listing': False}]))
PY

# mmu_fuzz: page tables (Sv39, Sv48, and Bare with PMP) and accesses through them at U, S and
# M, in the input format mmu_fuzz.cpp describes.
mkdir -p mmu_fuzz
python3 - <<'PY'
import struct
out = 'mmu_fuzz'
def pte_spec(page, slot, kind, raw):
    return bytes([page]) + struct.pack('<H', slot) + bytes([kind]) + struct.pack('<Q', raw)
def ptr(page, slot, to):             # a pointer (V only) to RAM page `to`
    return pte_spec(page, slot, 0, (to << 8) | 0x01)
def leaf(page, slot, to, flags):     # a 4 KiB leaf over RAM page `to`
    return pte_spec(page, slot, 0, (to << 8) | flags)
def big(page, slot, flags):          # a superpage leaf over RAM's start
    return pte_spec(page, slot, 200, flags)
def va_op(access, priv, vpns, offset, sum_=0, mxr=0):
    op = access | priv << 2 | sum_ << 4 | mxr << 5 | 0 << 6
    return bytes([op]) + b''.join(struct.pack('<H', v) for v in vpns) + struct.pack('<H', offset)
def edit(page, slot, to, flags):
    return bytes([3 | 0 << 2]) + pte_spec(page, slot, 0, (to << 8) | flags)
def edit_last(to, flags):
    return bytes([3 | 2 << 2]) + bytes([0]) + struct.pack('<Q', (to << 8) | flags)
LOAD, STORE, FETCH = 0, 1, 2
U, S, M = 0, 1, 3
flags = [0x0f, 0x1f, 0x03, 0x07, 0x0b, 0x09, 0xcf, 0xdf, 0x13, 0x17, 0x19, 0x1b, 0x4b, 0x8f, 0x0d, 0x01]

def write(name, mode, root, pmp_page, pmp_perms, ptes, ops):
    config = mode | (4 | pmp_perms << 3 if pmp_perms is not None else 0)
    data = bytes([config, root | pmp_page << 4]) + struct.pack('<H', 7) + bytes([len(ptes)])
    data += b''.join(ptes) + b''.join(ops)
    open(f'{out}/{name}', 'wb').write(data)

# Sv39: root in page 0, a level-1 table in page 1, a level-0 table in page 2 whose entries map
# pages 0..15 with assorted flags; a gigapage over RAM at VPN[2] = 2 and a megapage at 1/1.
ptes = [ptr(0, 0, 1), ptr(1, 0, 2), big(0, 2, 0x0f), big(1, 1, 0x1f)]
ptes += [leaf(2, k, k, flags[k]) for k in range(16)]
ops = []
for k in range(16):
    ops.append(va_op([LOAD, STORE, FETCH][k % 3], [U, S][k % 2], [k, 0, 0, 0], 8 * k, k & 1, (k >> 1) & 1))
ops += [va_op(LOAD, S, [5, 0, 2, 0], 0x100), va_op(STORE, U, [0, 1, 0, 0], 0x18, 1),
        va_op(FETCH, U, [3, 1, 0, 0], 0x40), edit(2, 4, 9, 0x1f), va_op(LOAD, U, [4, 0, 0, 0], 0),
        edit_last(12, 0x17), va_op(STORE, U, [4, 0, 0, 0], 8), va_op(LOAD, M, [1, 0, 2, 0], 0)]
write('sv39-tables', 0, 0, 3, 1, ptes, ops)
# Sv48: one more level (root in page 0 -> page 3 -> page 1 -> page 2), and PMP entry 0 making
# the level-0 table read-only (A/D updates there fault).
ptes = [ptr(0, 0, 3), ptr(3, 0, 1), ptr(1, 0, 2)] + [leaf(2, k, k, flags[k] | 0x10) for k in range(16)]
ops = [va_op([LOAD, STORE, FETCH][k % 3], U, [k, 0, 0, 0], 16 * k) for k in range(16)]
write('sv48-tables', 1, 0, 2, 1, ptes, ops)
# Bare with PMP entry 0 execute-only over page 5: S and U accesses straight to RAM.
ops = [va_op([LOAD, STORE, FETCH][k % 3], [U, S][k % 2], [k, 0, 2, 0], 8 * k) for k in range(16)]
write('bare-pmp', 3, 0, 5, 4, [], ops)
PY

# snapshot_fuzz: snapshots, each as a file (first byte even) and as its sections in the clear
# (first byte odd; see snapshot_fuzz.cpp): a 1 MiB machine 3000 instructions into a guest, and
# 4 MiB machines in the middle of the IOMMU teaching programs, with the RISC-V IOMMU and
# edu-dma with its ATC, and with virtio-iommu (their devices' and notifier consumers' readers).
root=$(cd ../../.. && pwd)
glassvm=${GLASSVM:-$root/build/native/cli/glassvm}
guests=$root/build/native/guests
mkdir -p snapshot_fuzz
save() {  # save NAME MAX_INSNS GLASSVM_ARGS...
  name=$1 insns=$2
  shift 2
  "$glassvm" "$@" --max-insns "$insns" --snapshot-save "$tmp/$name.snap" >/dev/null 2>&1 ||
    [ $? -eq 3 ]
  python3 - "$tmp/$name.snap" "$name" <<'PY'
import struct, sys, zlib
snap, name = open(sys.argv[1], 'rb').read(), sys.argv[2]
open(f'snapshot_fuzz/{name}file.bin', 'wb').write(b'\x00' + snap)
count = struct.unpack_from('<I', snap, 12)[0]
pos, clear = 16, b'\x01'
for _ in range(count):
    n = snap[pos]; section = snap[pos + 1:pos + 1 + n]; pos += 1 + n
    version, stored, unpacked = struct.unpack_from('<IQQ', snap, pos); pos += 20
    payload = zlib.decompress(snap[pos:pos + stored]); pos += stored
    assert len(payload) == unpacked and len(payload) < 65536, section
    clear += bytes([n]) + section + struct.pack('<IH', version, len(payload)) + payload
open(f'snapshot_fuzz/{name}sections.bin', 'wb').write(clear)
PY
}
save "" 3000 -m 1M -bios none -kernel "$guests/test_uart_hello.elf"
save riscv-iommu- 300000 -m 4M -device riscv-iommu-sys -device edu-dma,ats=on -bios none \
  -kernel "$guests/teach_riscv_iommu.elf"
save virtio-iommu- 250000 -m 4M -device virtio-iommu-device -device edu-dma -bios none \
  -kernel "$guests/teach_virtio_iommu.elf"

# board_fuzz: each machine (the first byte chooses its devices: see board_fuzz.cpp) followed by
# bytes from a fixed generator (any bytes are a valid script).
mkdir -p board_fuzz
python3 - <<'PY'
import random
rng = random.Random(7)
for choice in (0x00, 0x03, 0x07, 0x0b, 0x13, 0x37, 0x3b):
    open(f'board_fuzz/machine-{choice:02x}', 'wb').write(
        bytes([choice]) + bytes(rng.randrange(256) for _ in range(1024)))
PY

# link_fuzz: a link of the bundled Linux started from its snapshot with a few keystrokes, as a
# binary form (first byte 0), as a URL (1), and as its body in the clear (2; see link_fuzz.cpp).
mkdir -p link_fuzz
python3 - <<'PY'
import base64, struct, zlib
def s(b): return struct.pack('<Q', len(b)) + b
def varint(v):
    out = b''
    while v >= 0x80:
        out += bytes([v & 0x7f | 0x80]); v >>= 7
    return out + bytes([v])
events = b''.join(varint(250_000_000 if i else 1000) + varint(1) + bytes([c])
                  for i, c in enumerate(b'echo hi\r'))
body = (s(b'linux') + struct.pack('<I', 0x1234abcd) + s(b'') + bytes([1]) +
        struct.pack('<III', 128, 1, 0)[:8] + s(b'riscv-iommu-sys') + struct.pack('<I', 4) +
        bytes([1]) + struct.pack('<QQQ', 5_000_000, 9_000_000_000, 0x0123456789abcdef) +
        struct.pack('<I', 8) + events)
binary = b'GVML' + bytes([1]) + struct.pack('<II', len(body), zlib.crc32(body)) + zlib.compress(body, 9)
open('link_fuzz/binary.bin', 'wb').write(b'\x00' + binary)
url = 'http://127.0.0.1:8000/#link=' + base64.urlsafe_b64encode(binary).decode().rstrip('=')
open('link_fuzz/url.txt', 'wb').write(b'\x01' + url.encode())
open('link_fuzz/body.bin', 'wb').write(b'\x02' + body)
PY
