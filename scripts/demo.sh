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

heading "berth status --env dev (each replica: image, health and the last check, uptime, ports)"
"$berth" status --env dev --project "$root"

heading "berth logs --env dev web --tail 3"
"$berth" logs --env dev web --tail 3 --project "$root"

# A scratch copy of the project that shares this one's state (.berth): plans made there are about the
# very environment that just converged, and the repository's files stay as they are.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -R "$root/environments" "$scratch/environments"
ln -s "$root/.berth" "$scratch/.berth"

heading "What a change looks like (scratch copy, not applied): LOG_LEVEL and log_level edited"
sed -i 's/LOG_LEVEL: debug/LOG_LEVEL: trace/; s/log_level: debug/log_level: trace/' "$scratch/environments/dev.yaml"
status=0
"$berth" plan --env dev --project "$scratch" || status=$?
[ "$status" -le 2 ] || exit "$status"

heading "The same change limited to one replica: berth plan --env dev --target container:web-1"
status=0
"$berth" plan --env dev --target container:web-1 --project "$scratch" || status=$?
[ "$status" -le 2 ] || exit "$status"

heading "A release whose image the engine does not have is refused before anything changes"
sed -i 's#localhost/berth-example-web:1.0.0#localhost/berth-example-web:9.9.9#' "$scratch/environments/base.yaml"
status=0
"$berth" plan --env dev --project "$scratch" || status=$?
[ "$status" -eq 1 ] || die "expected the plan to be refused (exit 1), got $status"
echo "(plan refused with exit 1: nothing would be touched)"

heading "The example web service answers"
for port in 18080 18081; do
  printf 'http://127.0.0.1:%s/ -> ' "$port"
  curl -fsS "http://127.0.0.1:$port/health"
done

# Releases: the scratch copy applies a new image and a config change to dev (a release of its own),
# then rolls back to the release before. The repository's files stay as they are; the rollback pins
# dev to the files of the scratch copy, so the next demo's apply from the repository goes on as usual.
heading "A release: web 1.1.0 and LOG_LEVEL trace, applied from the scratch copy"
rm -rf "$scratch/environments" && cp -R "$root/environments" "$scratch/environments"
sed -i 's#localhost/berth-example-web:1.0.0#localhost/berth-example-web:1.1.0#' "$scratch/environments/base.yaml"
sed -i 's/LOG_LEVEL: debug/LOG_LEVEL: trace/; s/log_level: debug/log_level: trace/' "$scratch/environments/dev.yaml"
"$berth" apply --env dev --yes --roll-forward --project "$scratch"

heading "berth notes --env dev (what that release changed)"
"$berth" notes --env dev --project "$scratch"

heading "berth rollback --env dev --yes (back to the release before: image IDs, config bytes, schema)"
"$berth" rollback --env dev --yes --project "$scratch"

heading "berth releases --env dev --limit 3"
"$berth" releases --env dev --limit 3 --project "$root"

heading "berth notes --env dev (the rollback's)"
"$berth" notes --env dev --project "$root"

# Traffic: the preview environment runs web behind HAProxy, which Berth starts and drives through its
# runtime API. A new version gets a quarter of the clients first (a canary), is watched (5xx, response
# times, its containers, its logs), then takes them all; wrk sends requests through the proxy all along.
# under_load COMMAND...: runs the command with wrk sending requests through the proxy from before it
# starts until after it ends (loopback only, 120 s at most), prints wrk's summary, and fails when a
# request failed. A canary is judged on real clients: without them it waits, and fails as inconclusive.
under_load() {
  local load status=0 wrk_pid
  load=$(mktemp)
  wrk -t2 -c16 -d120s --latency http://127.0.0.1:18000/ >"$load" 2>&1 &
  wrk_pid=$!
  sleep 1
  "$@" || status=$?
  sleep 1
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  heading "wrk's summary (through the proxy, during that apply)"
  cat "$load"
  if grep -qE 'Non-2xx|Socket errors' "$load"; then rm -f "$load"; die "requests failed during the release"; fi
  echo "(no failed request)"
  rm -f "$load"
  return "$status"
}

heading "berth apply --env preview --yes (web behind HAProxy on 127.0.0.1:18000)"
# The proxy is up once preview has been applied; on the first run nothing listens yet, and the first
# release is verified on Berth's own requests.
if curl -fsS -o /dev/null "http://127.0.0.1:18000/health" 2>/dev/null; then
  under_load "$berth" apply --env preview --yes --project "$root"
else
  "$berth" apply --env preview --yes --project "$root"
fi
printf 'http://127.0.0.1:18000/ -> '
curl -fsS "http://127.0.0.1:18000/" | grep -o 'version [0-9.]*'

heading "A canary release of web 1.1.0 in preview, under load (wrk through the proxy)"
rm -rf "$scratch/environments" && cp -R "$root/environments" "$scratch/environments"
sed -i 's#localhost/berth-example-web:1.0.0#localhost/berth-example-web:1.1.0#' "$scratch/environments/base.yaml"
under_load "$berth" apply --env preview --yes --project "$scratch"
printf 'http://127.0.0.1:18000/ -> '
curl -fsS "http://127.0.0.1:18000/" | grep -o 'version [0-9.]*'

heading "berth status --env preview"
"$berth" status --env preview --project "$scratch"

# Promotion and parity: what moving dev's current release into staging would change in staging's file
# (shown, not written), and how preview differs from dev. Both exit 2 when they find a difference.
heading "berth promote --from dev --to staging (the diff of environments/staging.yaml; not written)"
status=0
"$berth" promote --from dev --to staging --project "$root" || status=$?
[ "$status" -le 2 ] || exit "$status"

heading "berth parity --env preview --with dev"
status=0
"$berth" parity --env preview --with dev --project "$root" || status=$?
[ "$status" -le 2 ] || exit "$status"

# Taking an environment down: preview's proxy, containers and config files go (its database is kept,
# as the plan says); a second destroy finds nothing. The next demo applies preview again from scratch.
heading "berth destroy --env preview --yes"
"$berth" destroy --env preview --yes --project "$root"

heading "berth destroy --env preview --yes (again: nothing to destroy)"
"$berth" destroy --env preview --yes --project "$root"
