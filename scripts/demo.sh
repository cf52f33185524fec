#!/usr/bin/env bash
# Berth's demo on a fresh Debian 12 machine: installs what is missing, starts Podman's
# Docker-Engine-API socket, builds the example images and Berth, then validates and renders
# this repository's environments, then plans and applies dev against the local engine with SQLite.
# Works from any directory.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
root=$(berth_root)
cd "$root"

heading() { printf '\n==> %s\n' "$*"; }

command -v swift >/dev/null 2>&1 || die "swift is not on PATH (Swift 6 toolchain needed)"

heading "Setting up the machine (Debian packages, Podman API socket, example images)"
ensure_packages
ensure_podman
ensure_example_images
export BERTH_ENGINE
echo "engine: $BERTH_ENGINE"

heading "Building Berth (swift build)"
swift build </dev/null
berth=$root/.build/debug/berth

heading "berth validate --project $root"
"$berth" validate --project "$root"

heading "berth render --env dev --project $root"
"$berth" render --env dev --project "$root"

# plan exits 2 when there are changes: that is its answer, not a failure.
heading "berth plan --env dev (against $BERTH_ENGINE, SQLite)"
status=0
"$berth" plan --env dev --project "$root" || status=$?
[ "$status" -le 2 ] || exit "$status"

heading "berth apply --env dev --yes"
"$berth" apply --env dev --yes --project "$root"

heading "berth plan --env dev (again: nothing left to do)"
"$berth" plan --env dev --project "$root"

heading "berth drift --env dev"
"$berth" drift --env dev --project "$root"

heading "The example web service answers"
for port in 18080 18081; do
  printf 'http://127.0.0.1:%s/ -> ' "$port"
  curl -fsS "http://127.0.0.1:$port/health"
done
