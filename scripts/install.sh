#!/usr/bin/env bash
# Puts `berth` on the PATH: installs the Debian packages the build needs when they are missing,
# builds a release binary (the Swift runtime linked in, so it runs without the toolchain), and
# installs it as PREFIX/bin/berth (default PREFIX: /usr/local) with completions for bash, zsh and fish
# under PREFIX/share. Safe to run again: an unchanged binary or completion is left as it is.
#
#   scripts/install.sh [PREFIX]
#
# BERTH_INSTALL_BINARY=PATH installs that binary instead of building one (the tests use their build).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
root=$(berth_root)

case "${1:-}" in
  -h | --help) sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  -*) die "unknown option $1 (usage: scripts/install.sh [PREFIX])" ;;
esac
[ "$#" -le 1 ] || die "usage: scripts/install.sh [PREFIX]"
prefix=${1:-/usr/local}
case "$prefix" in /*) ;; *) prefix=$(pwd -P)/$prefix ;; esac

# Writes as root only when PREFIX is not ours to write.
as_owner() {
  local probe=$prefix
  while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
  if [ -w "$probe" ]; then "$@"; else need_root "$@"; fi
}

# put SOURCE MODE DESTINATION: install a file unless the destination already holds the same bytes.
put() {
  if [ -f "$3" ] && cmp -s "$1" "$3"; then
    log "unchanged: $3"
  else
    as_owner install -D -m "$2" "$1" "$3"
    log "installed: $3"
  fi
}

# bash-completion loads PREFIX/share/bash-completion/completions/berth the first time berth is completed.
ensure_packages bash-completion

binary=${BERTH_INSTALL_BINARY:-}
if [ -z "$binary" ]; then
  command -v swift >/dev/null 2>&1 || die "swift is not on PATH (a Swift 6 toolchain is needed to build Berth)"
  ensure_packages libyaml-dev pkg-config libsqlite3-dev libpq-dev
  log "building a release binary (swift build -c release --static-swift-stdlib)"
  (cd "$root" && swift build -c release --static-swift-stdlib --product berth --scratch-path "$root/.build-install" </dev/null >&2)
  binary=$root/.build-install/release/berth
fi
[ -x "$binary" ] || die "no berth binary at $binary"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for shell in bash zsh fish; do
  "$binary" --generate-completion-script "$shell" >"$scratch/$shell" || die "$binary cannot generate a $shell completion script"
done

# Without its symbols (a third of its size): what a user runs needs none.
cp "$binary" "$scratch/berth"
if command -v strip >/dev/null 2>&1; then strip "$scratch/berth"; fi
put "$scratch/berth" 0755 "$prefix/bin/berth"
put "$scratch/bash" 0644 "$prefix/share/bash-completion/completions/berth"
put "$scratch/zsh" 0644 "$prefix/share/zsh/site-functions/_berth"
put "$scratch/fish" 0644 "$prefix/share/fish/vendor_completions.d/berth.fish"

if [ "$(command -v berth 2>/dev/null)" != "$prefix/bin/berth" ]; then
  log "note: $prefix/bin is not first on PATH for berth; add it, or call $prefix/bin/berth"
fi
"$prefix/bin/berth" --version >/dev/null || die "the installed berth does not run"
log "berth $("$prefix/bin/berth" --version) is installed as $prefix/bin/berth"
