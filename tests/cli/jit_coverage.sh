#!/usr/bin/env bash
# Runs a glassvm(-node) command line with --stats and checks that at least PERCENT of the
# guest's instructions ran in translated code, and that the command exited 0.
#   jit_coverage.sh PERCENT -- COMMAND...
# A guest whose hot loop keeps leaving translated code (a jump table's targets the JIT has not
# seen, say) and whose interpreter then runs on for many jumps fails this.
set -uo pipefail
percent=$1
shift 2
out=$("$@" 2>&1 </dev/null)
status=$?
if [ $status -ne 0 ]; then
  printf '%s\n' "$out"
  echo "jit_coverage: the command exited with $status" >&2
  exit 1
fi
total=$(printf '%s\n' "$out" | sed -n 's/^glassvm: \([0-9]*\) instructions,.*/\1/p')
jitted=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) steps in translated code.*/\1/p')
if [ -z "$total" ] || [ -z "$jitted" ]; then
  printf '%s\n' "$out"
  echo "jit_coverage: no instruction counts in the output (--stats?)" >&2
  exit 1
fi
echo "jit_coverage: $jitted of $total instructions in translated code"
if [ $((jitted * 100)) -lt $((total * percent)) ]; then
  echo "jit_coverage: fewer than $percent% in translated code" >&2
  exit 1
fi
