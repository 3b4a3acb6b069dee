#!/usr/bin/env bash
# What the test suites need on this machine, made ready: PostgreSQL and Redis started when they
# are installed but not running, nginx and Chromium present where the suites run them. A no-op
# when everything is up. When something is not installed it stops at once with one line naming
# it and the Debian package that brings it. Used by `npm test` (pretest) and by .ci/run.
#
# KEYHOLD_TEST_DATABASE_URL / KEYHOLD_TEST_REDIS_URL: the suites use that server instead, and this
# script leaves PostgreSQL / Redis alone. TEST_SERVICES_NGINX / TEST_SERVICES_CHROMIUM: where to
# look for them (the suites run /usr/sbin/nginx and /usr/bin/chromium).
set -euo pipefail

NGINX="${TEST_SERVICES_NGINX:-/usr/sbin/nginx}"
CHROMIUM="${TEST_SERVICES_CHROMIUM:-/usr/bin/chromium}"
PG_URL="postgres://postgres@127.0.0.1:5432/test"

missing() {
  echo "npm test needs $1, which is not installed: apt-get install -y $2" >&2
  exit 1
}

# First every check, so nothing is started when the run cannot succeed anyway.
use_local_pg=0
use_local_redis=0
if [ -z "${KEYHOLD_TEST_DATABASE_URL:-}" ]; then
  use_local_pg=1
  clusters=(/etc/postgresql/*/main)
  { command -v pg_ctlcluster && command -v pg_isready && [ -d "${clusters[0]}" ]; } >/dev/null 2>&1 || missing PostgreSQL postgresql
fi
if [ -z "${KEYHOLD_TEST_REDIS_URL:-}" ]; then
  use_local_redis=1
  { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || missing Redis redis-server
fi
[ -x "$NGINX" ] || missing "nginx ($NGINX)" nginx
[ -x "$CHROMIUM" ] || missing "Chromium ($CHROMIUM)" chromium

# Waits (bounded) for a service just started; `pg_ctlcluster start` waits by itself, Redis does not.
ready() {
  for _ in $(seq 1 50); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

if [ "$use_local_pg" = 1 ] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "test-services: starting PostgreSQL"
  version="${clusters[0]#/etc/postgresql/}"
  pg_ctlcluster --skip-systemctl-redirect "${version%/main}" main start
  ready pg_isready -h 127.0.0.1 -p 5432 -q || { echo "npm test: PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi
if [ "$use_local_pg" = 1 ] && command -v psql >/dev/null && ! psql "$PG_URL" -Atqc "select 1" >/dev/null 2>&1; then
  echo "npm test needs the database $PG_URL (no password), or KEYHOLD_TEST_DATABASE_URL naming another: createdb -h 127.0.0.1 -U postgres test" >&2
  exit 1
fi

if [ "$use_local_redis" = 1 ] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  ready redis-cli -h 127.0.0.1 -p 6379 ping || { echo "npm test: Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi
