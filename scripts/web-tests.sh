#!/usr/bin/env bash
# The browser part of scripts/test: installs what the browser tests need (Emscripten, Chromium,
# node and npm, the npm packages), builds the web preset's bundle, and runs tests/web/ under
# CTest (label `web`) from the native build, which also supplies the native CLI whose
# `--info-mtree` the page must reproduce. Screenshots land in build/web-test-artifacts/.
#   scripts/web-tests.sh [--bench]   --bench also prints the web benchmark afterwards
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bench=0
[ "${1:-}" = "--bench" ] && bench=1

ensure_packages "${GLASSVM_NATIVE_PACKAGES[@]}" "${GLASSVM_WEB_PACKAGES[@]}" nodejs npm chromium

cd "$GLASSVM_ROOT"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@xterm/xterm ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing the npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

if declare -F ensure_imgui >/dev/null; then
  ensure_imgui
fi
log "building the web preset"
build_preset web

log "building the native preset with the browser tests"
build_preset native -DGLASSVM_BUILD_WEB_TESTS=ON

log "running the browser tests"
ctest --preset native -L web --output-on-failure

if [ "$bench" = 1 ]; then
  log "web benchmark"
  node tests/bench/web_bench.mjs
fi
