# Shared helpers for scripts/run and scripts/test. Sourced, not executed.

GLASSVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages every build needs.
GLASSVM_NATIVE_PACKAGES=(cmake ninja-build g++ clang lld llvm libgtest-dev device-tree-compiler)

log() { printf '==> %s\n' "$*" >&2; }

# Installs the named Debian packages that are missing, after one `apt-get update`.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures and builds a CMake preset with two jobs.
build_preset() {
  local preset=$1
  shift
  (cd "$GLASSVM_ROOT" && cmake --preset "$preset" "$@" >/dev/null && cmake --build --preset "$preset" -j2)
}
