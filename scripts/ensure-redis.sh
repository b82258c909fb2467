#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379 (idempotent). Starts the machine's
# redis-server when it is installed but not running (installing it from Debian's packages when it
# is missing and we may); otherwise says so and fails, so the tests that need it never pass silently.
set -euo pipefail
HOST=127.0.0.1
PORT=6379
if [ -n "${TEST_REDIS_URL:-}" ]; then
  exit 0 # the tests were pointed at another server
fi
ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
  fi
}
if ready; then
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: installing redis-server"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server < /dev/null
fi
if command -v redis-server >/dev/null 2>&1; then
  echo "ensure-redis: starting redis-server on $HOST:$PORT"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do
    ready && exit 0
    sleep 0.5
  done
fi
echo "ensure-redis: Redis is not reachable on $HOST:$PORT and could not be started here." >&2
echo "ensure-redis: the shared-state and multi-instance tests need it (set TEST_REDIS_URL to use another server)." >&2
exit 1
