#!/usr/bin/env bash
# The workspace's test command (the README's, and .ci/run's): sets up what the tests need beyond
# the Rust toolchain, then runs `cargo test --workspace` with the given arguments and exits with its
# status.
#
#   scripts/test.sh [CARGO TEST ARGS...]     e.g. scripts/test.sh -p ims-runtime -- authz_
#
# Without arguments it then builds and runs examples/first-hour (README.md, "The first hour").
#
# 1. Python peers: a project-local virtual environment `.venv/` holds the pinned packages of
#    scripts/python-requirements.txt (pip runs only when that file changed); the tests get its
#    interpreter through IMS_PYTHON. An IMS_PYTHON already set is used as it is.
# 2. PostgreSQL: a throwaway cluster from Debian's server binaries (/usr/lib/postgresql/*/bin;
#    `apt-get install postgresql`) on 127.0.0.1 and a free port, exported as IMS_TEST_POSTGRES_URL,
#    stopped and deleted on exit. An IMS_TEST_POSTGRES_URL already set is used and nothing starts.
# 3. The official 1EdTech SDDs: ../shared/ims/real-sdd/ beside the clone, or IMS_REAL_SDD_DIR.
#
# A missing prerequisite is reported here and the tests that need it then FAIL naming the fix:
# no test passes without doing its work.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

note() { printf 'scripts/test.sh: %s\n' "$*" >&2; }

# --- 1. Python peers ---------------------------------------------------------------------------
setup_python() {
  if [ -n "${IMS_PYTHON:-}" ]; then
    note "Python: IMS_PYTHON=$IMS_PYTHON (set by the caller; .venv/ not used)"
    return
  fi
  local requirements="$root/scripts/python-requirements.txt" venv="$root/.venv"
  local stamp="$venv/.requirements.sha256" want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    "$venv/bin/python" -c 'pass' 2>/dev/null; then
    note "Python: .venv/ is up to date with scripts/python-requirements.txt"
  else
    note "Python: installing scripts/python-requirements.txt into .venv/"
    if ! command -v python3 >/dev/null 2>&1; then
      note "  python3 not found: install it (Debian: apt-get install python3 python3-venv); the Authlib interop test will fail"
      return
    fi
    rm -f "$stamp"
    if ! python3 -m venv "$venv" ||
      ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"; then
      note "  could not set up .venv/ (Debian needs python3-venv; pip needs the package index); the Authlib interop test will fail"
      return
    fi
    printf '%s\n' "$want" >"$stamp"
  fi
  export IMS_PYTHON="$venv/bin/python"
}

# --- 2. PostgreSQL -----------------------------------------------------------------------------
pg_dir=""
pg_ctl=""
as_postgres=()

stop_postgres() {
  if [ -n "$pg_dir" ]; then
    if [ -n "$pg_ctl" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
      ${as_postgres[@]+"${as_postgres[@]}"} "$pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pg_dir"
  fi
}

setup_postgres() {
  if [ -n "${IMS_TEST_POSTGRES_URL:-}" ]; then
    note "PostgreSQL: IMS_TEST_POSTGRES_URL is set by the caller; starting no server"
    return
  fi
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    note "PostgreSQL: no server binaries in /usr/lib/postgresql/*/bin; the PostgreSQL tests will fail."
    note "  Fix: apt-get install postgresql (Debian), or set IMS_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DATABASE"
    return
  fi
  pg_ctl="$bindir/pg_ctl"
  pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/ims-test-postgres.XXXXXX")"
  if [ "$(id -u)" = 0 ]; then
    # The server refuses to run as root: run it as the `postgres` user Debian's package creates.
    chown postgres: "$pg_dir"
    as_postgres=(runuser -u postgres --)
  fi
  # A free loopback port: bound by the kernel, released just before the server takes it.
  local port
  if ! port="$("${IMS_PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"; then
    note "PostgreSQL: no Python to pick a free port with; the PostgreSQL tests will fail (install python3)"
    return
  fi
  # Throwaway data: no fsync; trust auth on loopback only; enough connections for parallel tests.
  if ! ${as_postgres[@]+"${as_postgres[@]}"} "$bindir/initdb" -D "$pg_dir/data" -U postgres \
    --auth=trust --encoding=UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1; then
    note "PostgreSQL: initdb failed; the PostgreSQL tests will fail:"
    cat "$pg_dir/initdb.log" >&2
    return
  fi
  if ! ${as_postgres[@]+"${as_postgres[@]}"} "$pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir -c fsync=off -c max_connections=300" \
    start >/dev/null; then
    note "PostgreSQL: the server did not start; the PostgreSQL tests will fail:"
    cat "$pg_dir/server.log" >&2
    return
  fi
  export IMS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  note "PostgreSQL: $("$bindir/postgres" --version) at $IMS_TEST_POSTGRES_URL (deleted on exit)"
}

# --- 3. The official 1EdTech SDDs ----------------------------------------------------------------
check_real_sdd() {
  local dir="${IMS_REAL_SDD_DIR:-$root/../shared/ims/real-sdd}"
  if [ -d "$dir" ]; then
    # Absolute: each crate's tests run in their own folder.
    dir="$(cd "$dir" && pwd)"
    [ -z "${IMS_REAL_SDD_DIR:-}" ] || export IMS_REAL_SDD_DIR="$dir"
    note "official SDDs: $dir"
    return
  fi
  note "official SDDs: $dir not found; the real-SDD tests will fail."
  note "  ../shared is the team's shared folder beside the clone; its ims/real-sdd/ holds the official"
  note "  1EdTech OpenAPI files (listed with their provenance in its SOURCES.md). Put it beside the"
  note "  clone, or set IMS_REAL_SDD_DIR to a folder holding those files."
}

trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

setup_python
setup_postgres
check_real_sdd

status=0
cargo test --workspace "$@" || status=$?
if [ "$#" -eq 0 ]; then
  # The README's first hour: a crate outside the workspace, built and run as a user's would be.
  # It exits non-zero when an answer differs from what the README shows.
  note "examples/first-hour: cargo run"
  (cd examples/first-hour && cargo run --quiet) || status=$?
fi
exit "$status"
