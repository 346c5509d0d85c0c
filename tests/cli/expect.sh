#!/usr/bin/env bash
# expect.sh STATUS REGEX -- COMMAND...
# Runs COMMAND (stdin from /dev/null) and checks its exit status and that its combined output
# matches the extended regular expression REGEX.
set -u
want=$1 regex=$2
shift 3
out=$("$@" </dev/null 2>&1)
got=$?
if [ "$got" -ne "$want" ]; then
  printf 'expected exit status %s, got %s\n--- output:\n%s\n' "$want" "$got" "$out"
  exit 1
fi
if ! grep -Eq -- "$regex" <<<"$out"; then
  printf 'output does not match /%s/\n--- output:\n%s\n' "$regex" "$out"
  exit 1
fi
echo "ok: status $got, output matches /$regex/"
