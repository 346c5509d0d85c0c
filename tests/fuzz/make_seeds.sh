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
