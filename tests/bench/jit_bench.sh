#!/usr/bin/env bash
# The JIT benchmark (a benchmark, not a test: it prints numbers). For each of the compute-bound
# guests assets/bench/{int,mem,branchy,fp}.c it prints the guest instructions, the seconds and
# the millions of instructions per second of
#   (a) glassvm-node --jit=off   the interpreter in wasm, under node
#   (b) glassvm-node --jit=on    the JIT (the interpreter while the build has no JIT runtime)
#   (c) glassvm                  the native interpreter
#   (d) qemu-system-riscv64 -M virt -bios none -kernel X -nographic   (Debian's QEMU, TCG)
# and the ratios JIT / interpreter-in-wasm and JIT / QEMU. Seconds are the whole process's wall
# time (start-up included); the instruction count is the one GlassVM's --stats reports, which
# QEMU's rate uses too (the same program retires the same instructions). For (a) and (b) it also
# prints the rates over the run alone (--stats' own wall time, without node's start and the
# wasm module's set-up, which are the same for both) and their ratio. Each guest checks its
# own checksum: a run that does not exit 0 is reported as failed. Then the bundled Linux's boot
# to its busybox prompt under glassvm-node --jit=off and --jit=on (tests/bench/boot_bench.py's
# pseudo-terminal clock).
#
#   tests/bench/jit_bench.sh [--native DIR] [--web DIR] [--runs N] [--no-linux] [NAME...]
# DIR defaults: build/native and build/web (scripts/glassvm-node and the native preset build
# them). NAME: any of int mem branchy fp (default: all). --runs N: the median of N runs each.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
native=$root/build/native
web=$root/build/web
runs=1
linux=1
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --native) native=$2; shift 2 ;;
    --web) web=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-linux) linux=0; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(int mem branchy fp)

gv=$native/cli/glassvm
js=$web/cli/glassvm-node.js
qemu=$(command -v qemu-system-riscv64 || true)
for f in "$gv" "$js"; do
  [ -f "$f" ] || { echo "jit_bench: $f is missing: build the native and web presets" >&2; exit 2; }
done
[ -n "$qemu" ] || echo "jit_bench: no qemu-system-riscv64 (Debian package qemu-system-misc): column (d) skipped" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run LABEL CMD...: runs CMD $runs times; sets secs (the median wall time), insns and
# run_secs (the median of the run's own wall time, without the process's start: both from
# --stats, when the command prints it); returns 1 if a run did not exit 0.
run() {
  local label=$1 i t0 t1 all=() own=()
  shift
  insns=
  run_secs=
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    local status=$?
    t1=$(date +%s%N)
    if [ $status -ne 0 ]; then
      echo "  $label: exit status $status" >&2
      tail -3 "$tmp/out" "$tmp/err" >&2
      return 1
    fi
    all+=($(((t1 - t0) / 1000000)))
    local n
    n=$(sed -n 's/.*glassvm: \([0-9]*\) instructions,.*/\1/p' "$tmp/err" | tail -1)
    [ -n "$n" ] && insns=$n
    n=$(sed -n 's/.*glassvm: [0-9]* instructions,.* \([0-9.]*\) s wall,.*/\1/p' "$tmp/err" | tail -1)
    [ -n "$n" ] && own+=("$n")
  done
  secs=$(printf '%s\n' "${all[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')
  if [ ${#own[@]} -gt 0 ]; then
    run_secs=$(printf '%s\n' "${own[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}')
  fi
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.1f", (s > 0 ? n / s / 1e6 : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else printf "-"}'; }

printf '%-8s %-22s %14s %9s %10s\n' program emulator instructions seconds "M insn/s"
for name in "${names[@]}"; do
  elf=$native/guests/jit_bench_$name.elf
  [ -f "$elf" ] || { echo "jit_bench: $elf is missing (target guests)" >&2; exit 2; }
  declare -A r=()
  run "glassvm (native)" "$gv" --stats -bios none -kernel "$elf" || continue
  n=$insns
  r[native]=$(rate "$n" "$secs"); s_native=$secs
  run "glassvm-node --jit=off" node --no-experimental-fetch "$js" --jit=off --stats -bios none -kernel "$elf" || continue
  r[off]=$(rate "$n" "$secs"); s_off=$secs; own_off=$(rate "$n" "${run_secs:-0}")
  run "glassvm-node --jit=on" node --no-experimental-fetch "$js" --jit=on --stats -bios none -kernel "$elf" || continue
  r[on]=$(rate "$n" "$secs"); s_on=$secs; own_on=$(rate "$n" "${run_secs:-0}")
  r[qemu]=0; s_qemu=-
  if [ -n "$qemu" ] && run "qemu" "$qemu" -M virt -bios none -kernel "$elf" -nographic; then
    r[qemu]=$(rate "$n" "$secs"); s_qemu=$secs
  fi
  printf '%-8s %-22s %14s %9s %10s\n' "$name" "glassvm-node --jit=off" "$n" "$s_off" "${r[off]}" \
    "" "glassvm-node --jit=on" "$n" "$s_on" "${r[on]}" \
    "" "glassvm (native)" "$n" "$s_native" "${r[native]}" \
    "" "qemu-system-riscv64" "$n" "$s_qemu" "${r[qemu]}"
  printf '%-8s JIT / interpreter in wasm: %s   JIT / QEMU: %s\n' "" \
    "$(ratio "${r[on]}" "${r[off]}")" "$(ratio "${r[on]}" "${r[qemu]}")"
  # The same without node's start and the wasm module's set-up (the same for both; --stats'
  # own wall time, from the machine's start to its end).
  printf '%-8s the run alone (--stats wall time): interpreter %s, JIT %s M insn/s: %s\n' "" \
    "$own_off" "$own_on" "$(ratio "$own_on" "$own_off")"
done

if [ "$linux" -eq 1 ]; then
  echo
  echo "Linux to the busybox prompt under glassvm-node (median of $runs):"
  for jit in off on; do
    python3 - "$root/tests/bench" "$js" "$native/assets/linux" "$jit" "$runs" <<'PY'
import statistics, sys
sys.path.insert(0, sys.argv[1])
from boot_bench import boot  # the pseudo-terminal clock of the boot benchmark
js, linux, jit, runs = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
cmd = ["node", "--no-experimental-fetch", js, f"--jit={jit}", "--stats", "-m", "256M",
       "-kernel", f"{linux}/Image", "-initrd", f"{linux}/initramfs.cpio.gz",
       "-append", "console=ttyS0"]
times = [boot(cmd, 300)[0] for _ in range(runs)]
print(f"  --jit={jit:3s}  {statistics.median(times):.3f} s")
PY
  done
fi
