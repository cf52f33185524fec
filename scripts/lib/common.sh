#!/usr/bin/env bash
# Shared set-up helpers for Berth's scripts (Debian 12). Source this file; do not run it.
# Every ensure_* function is idempotent: it checks first and changes only what is missing.
set -euo pipefail

# Settings (override through the environment).
BERTH_SOCKET=${BERTH_SOCKET:-/run/berth-podman.sock}        # Docker-Engine-API socket served by Podman
BERTH_PODMAN_LOG=${BERTH_PODMAN_LOG:-/var/tmp/berth-podman.log}
BERTH_PODMAN_PIDFILE=${BERTH_PODMAN_PIDFILE:-/run/berth-podman.pid}
BERTH_PG_DIR=${BERTH_PG_DIR:-/var/tmp/berth-test-pg}         # throwaway test cluster: data/ + socket
BERTH_PG_PORT=${BERTH_PG_PORT:-54329}

# Debian packages the project needs: libyaml/SQLite headers for the build, Podman with runc
# (crun fails here: "cgroups in hybrid mode not supported"), a static busybox for offline
# images, PostgreSQL for the state store tests, and its client programs (pg_dump, pg_restore,
# psql: backups and restores; the server package brings a versioned client, this names it),
# HAProxy, the proxy in front of routed services (its driver's live tests start it), socat to
# talk to its runtime API by hand, and wrk and ab (apache2-utils) for load through it.
BERTH_PACKAGES=(
  libyaml-dev pkg-config libsqlite3-dev sqlite3 libpq-dev curl ca-certificates
  podman runc busybox-static postgresql postgresql-client
  haproxy wrk apache2-utils socat graphviz bash-completion
)

_BERTH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

# The repository's top directory.
berth_root() { (cd "$_BERTH_LIB_DIR/../.." && pwd -P); }

# Diagnostics go to standard error.
log() { printf '[berth] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_root CMD ARGS...: run a command as root, through sudo when we are not root
# (non-interactive sudo when there is no terminal, so CI fails instead of hanging).
need_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif [ -t 0 ]; then
    sudo "$@"
  else
    sudo -n "$@"
  fi
}

# ensure_packages [PKG...]: install the Debian packages that are missing (default: BERTH_PACKAGES).
# apt-get update runs at most once per shell, and only when something is missing.
ensure_packages() {
  [ "$#" -gt 0 ] || set -- "${BERTH_PACKAGES[@]}"
  local pkg missing=()
  for pkg in "$@"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing Debian packages: ${missing[*]}"
  if [ -z "${_BERTH_APT_UPDATED:-}" ]; then
    need_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
    _BERTH_APT_UPDATED=1
  fi
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null >&2
}

# --- Podman ------------------------------------------------------------------------------

# The engine configuration this machine needs: runc as runtime, and explicit ulimits (without
# them every container start fails with "setrlimit ... Operation not permitted").
_berth_containers_conf() {
  cat <<'EOF'
# Written by Berth's scripts/lib/common.sh.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
}

_berth_podman_ping() {
  need_root curl -sf --max-time 5 --unix-socket "$BERTH_SOCKET" http://d/v1.41/_ping >/dev/null 2>&1
}

# PID of the API service we started, if it still runs.
_berth_podman_service_pid() {
  local pid
  pid=$(need_root cat "$BERTH_PODMAN_PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && need_root kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# ensure_podman: Podman configured for this machine, and its Docker-Engine-API socket answering
# at $BERTH_SOCKET (started detached when it does not). Exports BERTH_ENGINE.
ensure_podman() {
  ensure_packages podman runc curl
  local conf=/etc/containers/containers.conf conf_changed=
  if [ "$(need_root cat "$conf" 2>/dev/null || true)" != "$(_berth_containers_conf)" ]; then
    log "writing $conf"
    need_root mkdir -p /etc/containers
    # Keep a copy of a configuration that someone else wrote.
    if need_root test -f "$conf" && ! need_root grep -q "^# Written by Berth's" "$conf" &&
      ! need_root test -e "$conf.berth-orig"; then
      need_root cp -p "$conf" "$conf.berth-orig"
    fi
    _berth_containers_conf | need_root tee "$conf" >/dev/null
    conf_changed=1
  fi

  local pid stale=
  # A service started from a folder that has since gone answers pings but cannot start containers.
  if pid=$(_berth_podman_service_pid) && [ "$(need_root readlink "/proc/$pid/cwd" 2>/dev/null || echo /)" != / ]; then
    stale=1
  fi
  if pid=$(_berth_podman_service_pid) && [ -n "$conf_changed$stale" ]; then
    log "restarting the Podman API service (pid $pid): ${conf_changed:+configuration changed}${stale:+started from a folder that is gone}"
    need_root kill "$pid" || true
    local _
    for _ in $(seq 50); do _berth_podman_service_pid >/dev/null || break; sleep 0.2; done
  fi

  if ! _berth_podman_ping; then
    if ! _berth_podman_service_pid >/dev/null; then
      log "starting the Podman API service on unix://$BERTH_SOCKET (log: $BERTH_PODMAN_LOG)"
      need_root rm -f "$BERTH_SOCKET"
      # setsid + nohup: the service outlives this script and its terminal. It starts from /: conmon
      # inherits the service's working directory, and every container start fails once that is gone.
      # The inner bash closes every inherited descriptor but 0-2, so that no caller's pipe (a CI log)
      # stays open for as long as the service lives; exec leaves no shell waiting in between.
      local runner=()
      [ "$(id -u)" -eq 0 ] || runner=(sudo -n)
      # shellcheck disable=SC2016 # expanded by the inner sh
      (cd / && exec "${runner[@]}" setsid nohup bash -c '
        for fd in $(ls /proc/$$/fd); do case $fd in 0|1|2) ;; *) eval "exec $fd>&-" ;; esac; done
        echo $$ >"$1"; exec podman system service --time=0 "unix://$2" >>"$3" 2>&1' \
        berth-podman "$BERTH_PODMAN_PIDFILE" "$BERTH_SOCKET" "$BERTH_PODMAN_LOG") </dev/null >/dev/null 2>&1 &
    fi
    local waited=0
    until _berth_podman_ping; do
      if [ "$waited" -ge 60 ]; then # 60 x 0.5 s
        need_root tail -n 20 "$BERTH_PODMAN_LOG" >&2 || true
        die "the Podman API did not answer on $BERTH_SOCKET within 30 s"
      fi
      sleep 0.5
      waited=$((waited + 1))
    done
  fi
  # A developer who is not root still needs to reach the root service's socket.
  if [ "$(id -u)" -ne 0 ]; then
    need_root chown "$(id -u)" "$BERTH_SOCKET"
  fi
  export BERTH_ENGINE="unix://$BERTH_SOCKET"
}

# --- Example images (built offline from the static busybox) ------------------------------

# _berth_import_image REF CMD_JSON VERSION: import a busybox root with every applet, /www/index.html
# naming the version and /www/health containing "ok", with CMD_JSON as the default command.
_berth_import_image() (
  local ref=$1 cmd=$2 version=$3 tmp applet
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/root/bin" "$tmp/root/www" "$tmp/root/tmp" "$tmp/root/etc"
  chmod 755 "$tmp/root"
  chmod 1777 "$tmp/root/tmp"
  cp /bin/busybox "$tmp/root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tmp/root/bin/$applet"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/root/etc/group"
  printf '<!doctype html>\n<title>Berth example</title>\n<h1>%s version %s</h1>\n' \
    "${ref%%:*}" "$version" >"$tmp/root/www/index.html"
  printf 'ok\n' >"$tmp/root/www/health"
  printf '%s\n' "$version" >"$tmp/root/www/version"
  tar -C "$tmp/root" --owner=0 --group=0 --numeric-owner -cf "$tmp/root.tar" .
  need_root podman import --quiet \
    --change "CMD $cmd" \
    --change "ENV BERTH_EXAMPLE_VERSION=$version" \
    --change "ENV PATH=/bin" \
    --change "LABEL org.opencontainers.image.version=$version" \
    "$tmp/root.tar" "$ref" >/dev/null
)

# ensure_example_images: localhost/berth-example-web:1.0.0 and :1.1.0 (httpd serving /www on
# port 80, /health says "ok"), localhost/berth-example-worker:1.0.0 (a loop printing ticks).
# Both stop promptly on SIGTERM (busybox as PID 1 ignores it otherwise).
ensure_example_images() {
  ensure_packages podman runc busybox-static
  local web_cmd worker_cmd version ref
  web_cmd='["sh", "-c", "trap '\''exit 0'\'' TERM; httpd -f -p 80 -h /www & wait"]'
  for version in 1.0.0 1.1.0; do
    ref=localhost/berth-example-web:$version
    if ! need_root podman image exists "$ref"; then
      log "building $ref"
      _berth_import_image "$ref" "$web_cmd" "$version"
    fi
  done
  # shellcheck disable=SC2016 # expanded by sh inside the container
  worker_cmd='["sh", "-c", "trap '\''exit 0'\'' TERM; while true; do echo \"worker $BERTH_EXAMPLE_VERSION tick $(date)\"; sleep 5 & wait $!; done"]'
  ref=localhost/berth-example-worker:1.0.0
  if ! need_root podman image exists "$ref"; then
    log "building $ref"
    _berth_import_image "$ref" "$worker_cmd" 1.0.0
  fi
}

# --- PostgreSQL (throwaway test cluster) -------------------------------------------------

# Newest installed server binaries (PostgreSQL 15 on Debian 12).
_berth_pg_bin() {
  local dir
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -d "$dir" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  printf '%s\n' "$dir"
}

# Run a command as the postgres user (initdb refuses root).
_berth_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    need_root runuser -u postgres -- "$@"
  fi
}

_berth_pg_login_ok() {
  PGPASSWORD=berth PGCONNECT_TIMEOUT=5 "$(_berth_pg_bin)/psql" -X -q -h 127.0.0.1 -p "$BERTH_PG_PORT" \
    -U berth -d berth -tAc 'select 1' </dev/null 2>/dev/null | grep -qx 1
}

_berth_pg_running() {
  _berth_as_postgres "$(_berth_pg_bin)/pg_ctl" status -D "$BERTH_PG_DIR/data" >/dev/null 2>&1
}

_berth_pg_start() {
  _berth_as_postgres "$(_berth_pg_bin)/pg_ctl" start -w -t 30 -D "$BERTH_PG_DIR/data" \
    -l "$BERTH_PG_DIR/postgres.log" \
    -o "-p $BERTH_PG_PORT -k $BERTH_PG_DIR -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700" \
    </dev/null >/dev/null
}

# A fresh cluster: local connections by peer (the postgres user only), TCP by password.
_berth_pg_init() {
  log "initialising a PostgreSQL cluster in $BERTH_PG_DIR"
  need_root rm -rf "$BERTH_PG_DIR"
  need_root install -d -m 700 -o postgres -g postgres "$BERTH_PG_DIR" "$BERTH_PG_DIR/data"
  _berth_as_postgres "$(_berth_pg_bin)/initdb" -D "$BERTH_PG_DIR/data" -U postgres -E UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 </dev/null >"/tmp/berth-initdb.$$.log" 2>&1 ||
    { cat "/tmp/berth-initdb.$$.log" >&2; rm -f "/tmp/berth-initdb.$$.log"; die "initdb failed"; }
  rm -f "/tmp/berth-initdb.$$.log"
}

# ensure_postgres: a PostgreSQL cluster on 127.0.0.1:$BERTH_PG_PORT with role berth (password
# berth, may create databases) owning database berth. Reuses a running cluster, re-initialises a
# broken one. Exports BERTH_TEST_POSTGRES_URL.
ensure_postgres() {
  ensure_packages postgresql postgresql-client
  export BERTH_TEST_POSTGRES_URL="postgres://berth:berth@127.0.0.1:$BERTH_PG_PORT/berth"
  if _berth_pg_login_ok; then
    return 0
  fi
  local bin
  bin=$(_berth_pg_bin)
  # Running but unusable (other port, missing role): stop it and start again below.
  if _berth_pg_running; then
    _berth_as_postgres "$bin/pg_ctl" stop -w -m fast -D "$BERTH_PG_DIR/data" </dev/null >/dev/null || true
  fi
  if ! need_root test -f "$BERTH_PG_DIR/data/PG_VERSION" ||
    [ "$(need_root cat "$BERTH_PG_DIR/data/PG_VERSION")" != "$(basename "$(dirname "$bin")")" ]; then
    _berth_pg_init
  fi
  if ! _berth_pg_start; then
    log "the existing cluster did not start; re-initialising it"
    _berth_pg_init
    _berth_pg_start || { need_root tail -n 20 "$BERTH_PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
  fi
  _berth_as_postgres "$bin/psql" -X -q -h "$BERTH_PG_DIR" -p "$BERTH_PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'berth') THEN
    CREATE ROLE berth LOGIN CREATEDB PASSWORD 'berth';
  ELSE
    ALTER ROLE berth LOGIN CREATEDB PASSWORD 'berth';
  END IF;
END
$$;
SELECT 'CREATE DATABASE berth OWNER berth' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'berth')\gexec
ALTER DATABASE berth OWNER TO berth;
SQL
  _berth_pg_login_ok || die "PostgreSQL runs on port $BERTH_PG_PORT but the berth login fails"
  log "PostgreSQL ready: $BERTH_TEST_POSTGRES_URL"
}

# stop_postgres [--wipe]: stop the test cluster if it runs; --wipe also deletes its directory.
stop_postgres() {
  if [ -d /usr/lib/postgresql ] && _berth_pg_running; then
    log "stopping PostgreSQL in $BERTH_PG_DIR"
    _berth_as_postgres "$(_berth_pg_bin)/pg_ctl" stop -w -m fast -D "$BERTH_PG_DIR/data" </dev/null >/dev/null
  fi
  if [ "${1:-}" = --wipe ]; then
    need_root rm -rf "$BERTH_PG_DIR"
  fi
}
