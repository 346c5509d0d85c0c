#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted with the repository's .clang-format.
set -u
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null | grep -v '^assets/\|^tests/guest/')
[ ${#files[@]} -gt 0 ] || { echo "no files (not a git checkout?)"; exit 0; }
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "run: clang-format -i \$(git ls-files '*.cpp' '*.h' | grep -v '^assets/\\|^tests/guest/')"
  exit 1
fi
echo "${#files[@]} files formatted"
