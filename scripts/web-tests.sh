#!/usr/bin/env bash
# The browser part of scripts/test: installs what the browser tests need (Emscripten, ImGui's
# sources, node and the npm packages, Chromium), builds the web preset's bundle (dist/), and
# runs tests/web/ under CTest (label `web`) from the native build, which also supplies the
# native CLI whose `--info-mtree` the page must reproduce. This turns GLASSVM_BUILD_WEB_TESTS on
# in build/native, so a later `ctest --preset native` runs them too (`-LE web` skips them).
# Screenshots land in build/web-test-artifacts/.
#   scripts/web-tests.sh           build and run the browser tests
#   scripts/web-tests.sh --bench   and then print the web benchmark (tests/bench/web_bench.mjs)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bench=0
[ "${1:-}" = "--bench" ] && bench=1

if declare -F ensure_web_toolchain >/dev/null; then
  ensure_web_toolchain
else
  ensure_packages "${GLASSVM_NATIVE_PACKAGES[@]}" "${GLASSVM_WEB_PACKAGES[@]}"
fi
ensure_packages "${GLASSVM_BROWSER_PACKAGES[@]:-chromium}"

cd "$GLASSVM_ROOT"
log "building the web preset (dist/)"
build_preset web

log "building the native preset with the browser tests"
build_preset native -DGLASSVM_BUILD_WEB_TESTS=ON

log "running the browser tests"
ctest --preset native -L web

if [ "$bench" = 1 ]; then
  log "web benchmark"
  GLASSVM_NATIVE_BUILD="$GLASSVM_ROOT/build/native" node tests/bench/web_bench.mjs
fi
