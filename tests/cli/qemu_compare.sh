#!/usr/bin/env bash
# qemu_compare.sh GLASSVM PAYLOAD FIRMWARE
# Boots the same firmware and S-mode payload on Debian's qemu-system-riscv64 (-M virt) and on
# GlassVM, and compares what matters to the boot: the exit status, the payload's lines, and
# what OpenSBI reports of the boot arguments (next address, device tree address, next mode).
# Without QEMU: a skip (77), or a failure under CI=true.
set -u
gv=$1 payload=$2 fw=$3
if ! command -v qemu-system-riscv64 >/dev/null; then
  echo "qemu-system-riscv64 (package qemu-system-misc) is not installed"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
q=$(timeout 60 qemu-system-riscv64 -M virt -m 128M -bios "$fw" -kernel "$payload" \
  -display none -monitor none -serial stdio </dev/null 2>&1)
qs=$?
g=$("$gv" -m 128M -bios "$fw" -kernel "$payload" --max-insns 50000000 </dev/null 2>&1)
gs=$?
pick() { grep -aE '^(payload:|Domain0 Next (Address|Arg1|Mode))' | tr -d '\r'; }
if [ "$qs" -ne 0 ] || [ "$gs" -ne "$qs" ]; then
  printf 'exit status: qemu %s, glassvm %s\n--- qemu:\n%s\n--- glassvm:\n%s\n' "$qs" "$gs" "$q" "$g"
  exit 1
fi
if [ "$(pick <<<"$q")" != "$(pick <<<"$g")" ] || [ -z "$(pick <<<"$g")" ]; then
  diff <(pick <<<"$q") <(pick <<<"$g")
  exit 1
fi
echo "ok: same boot on qemu and glassvm:"
pick <<<"$g"
