#!/usr/bin/env bash
# same_as_native.sh GLASSVM GLASSVM_NODE_JS [--stdin FILE] [--snapshot | --state-hash] -- ARGS...
# Runs `GLASSVM ARGS` (the native build) and `node GLASSVM_NODE_JS ARGS` (the wasm build under
# node, JIT on by default), each with stdin from FILE (default /dev/null, piped through cat so
# that it is a pipe), and checks that both exit with the same status and print the same
# standard output (the guest's console). With --snapshot, each saves its machine when the run
# ends (--snapshot-save), and the two snapshots must be the same bytes: the same guest state,
# RAM and devices included, at the same instruction. With --state-hash, each prints its
# machine's state hash and guest time when the run ends (Machine::state_hash), and the two
# must be the same.
set -u
native=$1 js=$2 input=/dev/null snapshot= hash=
shift 2
if [ "$1" = --stdin ]; then
  input=$2
  shift 2
fi
if [ "$1" = --snapshot ]; then
  snapshot=1
  shift
fi
if [ "$1" = --state-hash ]; then
  hash=--state-hash
  shift
fi
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
save() { [ -n "$snapshot" ] && echo --snapshot-save "$dir/$1.snap"; }
# shellcheck disable=SC2046  # save's output is two words, or none
cat "$input" | "$native" "$@" $(save native) $hash >"$dir/native.out" 2>"$dir/native.err"
want=$?
# shellcheck disable=SC2046
cat "$input" | node --no-experimental-fetch "$js" "$@" $(save node) $hash >"$dir/node.out" \
  2>"$dir/node.err"
got=$?
if [ "$got" -ne "$want" ]; then
  printf 'glassvm exited with %s, glassvm-node with %s\n--- glassvm-node stderr:\n' "$want" "$got"
  cat "$dir/node.err"
  exit 1
fi
if ! cmp -s "$dir/native.out" "$dir/node.out"; then
  echo "the console output differs (< glassvm, > glassvm-node):"
  diff "$dir/native.out" "$dir/node.out" | head -40
  exit 1
fi
if [ -n "$snapshot" ] && ! cmp "$dir/native.snap" "$dir/node.snap"; then
  echo "the snapshots differ (glassvm-node stderr follows)"
  cat "$dir/node.err"
  exit 1
fi
if [ -n "$hash" ]; then
  want_hash=$(grep -o 'state hash [0-9a-f]* at guest time [0-9]* ns' "$dir/native.err")
  got_hash=$(grep -o 'state hash [0-9a-f]* at guest time [0-9]* ns' "$dir/node.err")
  if [ -z "$want_hash" ] || [ "$want_hash" != "$got_hash" ]; then
    printf 'the state hashes differ: glassvm "%s", glassvm-node "%s"\n' "$want_hash" "$got_hash"
    exit 1
  fi
  echo "both reach $got_hash"
fi
echo "ok: both exit with status $got and print the same $(wc -c <"$dir/node.out") bytes" \
  ${snapshot:+"and save the same $(wc -c <"$dir/node.snap")-byte snapshot"}
