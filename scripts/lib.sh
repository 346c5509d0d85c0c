# Shared helpers for scripts/run and scripts/test. Sourced, not executed.

GLASSVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages every build needs (binaryen and wabt: the native tests validate wasm modules
# with binaryen's library and wabt's wasm-validate).
GLASSVM_NATIVE_PACKAGES=(cmake ninja-build g++ clang lld llvm libgtest-dev zlib1g-dev device-tree-compiler binaryen wabt)

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
  if [ -z "${GLASSVM_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    GLASSVM_APT_UPDATED=1  # one update per run is enough
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures and builds a CMake preset with two jobs.
build_preset() {
  local preset=$1
  shift
  (cd "$GLASSVM_ROOT" && cmake --preset "$preset" "$@" >/dev/null && cmake --build --preset "$preset" -j2)
}

# Debian packages the web build needs on top (Emscripten, node for the bundle and server,
# e2fsprogs and gzip for the sample disk; the wasm tools are in the native list).
GLASSVM_WEB_PACKAGES=(emscripten nodejs dpkg-dev e2fsprogs gzip)
# What the browser tests need on top (playwright-core drives Debian's chromium).
GLASSVM_BROWSER_PACKAGES=(chromium)

# Prints the URI of the machine's own Debian archive entry (the one carrying the release's
# main suite, not -security/-updates), read from the apt sources at run time.
debian_mirror_uri() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  local f uri=
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: paragraphs separated by blank lines; pick one whose Suites list the codename.
    uri=$(awk -v c="$codename" '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; s=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { u=$i; sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); u=a[1] }
          if ($i ~ /^Suites:/) { s=" " $i " " }
        }
        if (u != "" && s ~ (" " c "[ \t]")) { print u; exit }
      }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk -v c="$codename" '
      $1 == "deb" || $1 == "deb-src" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == c) { print $i; exit }
      }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

# Makes sure Debian source package $1's unpacked tree, the one holding file $2, is linked at
# $GLASSVM_ROOT/.cache/$3. Fetches it through a private apt configuration that leaves the
# system's package lists alone (the lists are fetched once and shared by every package).
ensure_debian_source() {
  local package=$1 file=$2 link=$3
  local cache="$GLASSVM_ROOT/.cache"
  [ -f "$cache/$link/$file" ] && return 0
  ensure_packages dpkg-dev
  local uri codename
  uri=$(debian_mirror_uri) || { log "error: no Debian archive found in /etc/apt/sources*"; return 1; }
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  log "fetching the $package sources (Debian source package $package, $codename)"
  local d="$cache/aptsrc"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/src"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $codename main" >"$d/sources.list"
  local o=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
  compgen -G "$d/lists/*Sources*" >/dev/null || apt-get "${o[@]}" -qq update
  (cd "$d/src" && apt-get "${o[@]}" -qq source "$package" >/dev/null)
  local src
  src=$(find "$d/src" -maxdepth 2 -path "$d/src/$package-*/$file" -printf '%h\n' | head -n1)
  [ -n "$src" ] || { log "error: the $package source package has no $file"; return 1; }
  rm -rf "${cache:?}/$link"
  ln -s "${src#"$cache"/}" "$cache/$link"  # relative, so the checkout may move
  [ -f "$cache/$link/$file" ]
}

# Dear ImGui 1.86's sources in .cache/imgui (imgui.cpp, the backends).
ensure_imgui() { ensure_debian_source imgui imgui.cpp imgui; }

# zlib's sources in .cache/zlib, which the web build compiles (Emscripten's frozen cache has no
# zlib port); the native build links Debian's zlib1g-dev.
ensure_zlib_source() { ensure_debian_source zlib inflate.c zlib; }

# Makes sure node and npm exist and node_modules matches package-lock.json (`npm ci` when it is
# missing or older than the lock file).
ensure_node_modules() {
  command -v node >/dev/null || ensure_packages nodejs
  command -v npm >/dev/null || ensure_packages npm
  local lock="$GLASSVM_ROOT/package-lock.json" stamp="$GLASSVM_ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ "$GLASSVM_ROOT/package.json" -nt "$stamp" ]; then
    log "installing the npm packages (npm ci)"
    (cd "$GLASSVM_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Everything the web build needs: Emscripten and friends, ImGui's sources, the npm packages.
ensure_web_toolchain() {
  ensure_packages "${GLASSVM_NATIVE_PACKAGES[@]}" "${GLASSVM_WEB_PACKAGES[@]}"
  ensure_imgui
  ensure_zlib_source
  ensure_node_modules
}
