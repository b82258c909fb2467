#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (idempotent). Starts the machine's
# Debian cluster when it is installed but stopped; otherwise says so and fails, so the tests
# that need it never pass silently.
set -euo pipefail
HOST=127.0.0.1
PORT=5432
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exit 0 # the tests were pointed at another server
fi
ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
  fi
}
if ready; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "ensure-postgres: starting PostgreSQL $version (cluster main)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do
    ready && exit 0
    sleep 1
  done
fi
echo "ensure-postgres: PostgreSQL is not reachable on $HOST:$PORT and could not be started here." >&2
echo "ensure-postgres: the call-record tests need it (set TEST_DATABASE_URL to use another server)." >&2
exit 1
