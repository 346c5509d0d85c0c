#!/usr/bin/env bash
# same_as_native.sh GLASSVM GLASSVM_NODE_JS [--stdin FILE] -- ARGS...
# Runs `GLASSVM ARGS` (the native build) and `node GLASSVM_NODE_JS ARGS` (the wasm build under
# node, JIT on by default), each with stdin from FILE (default /dev/null, piped through cat so
# that it is a pipe), and checks that both exit with the same status and print the same
# standard output (the guest's console).
set -u
native=$1 js=$2 input=/dev/null
shift 2
if [ "$1" = --stdin ]; then
  input=$2
  shift 2
fi
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat "$input" | "$native" "$@" >"$dir/native.out" 2>"$dir/native.err"
want=$?
cat "$input" | node --no-experimental-fetch "$js" "$@" >"$dir/node.out" 2>"$dir/node.err"
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
echo "ok: both exit with status $got and print the same $(wc -c <"$dir/node.out") bytes"
