#!/usr/bin/env bash
# Make sure the database servers the real-Rasa tests talk to answer on 127.0.0.1:
# PostgreSQL on 5432 (trust auth for root) and Redis on 6379. Uses running ones when they
# answer; otherwise installs Debian's packages and starts them.
#   scripts/services.sh            # idempotent; prints what it did
set -euo pipefail

log() { printf 'services: %s\n' "$*"; }
need_apt() {
  command -v apt-get >/dev/null || { echo "services: $1 is missing and apt-get is not available: install it by hand" >&2; exit 1; }
  [[ -n "${APT_UPDATED:-}" ]] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { command -v redis-cli >/dev/null && [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]; }

if postgres_up; then
  log "PostgreSQL answers on 127.0.0.1:5432"
else
  command -v pg_ctlcluster >/dev/null || need_apt postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 30); do postgres_up && break; sleep 1; done
  postgres_up || { echo "services: PostgreSQL did not start (see /var/log/postgresql)" >&2; exit 1; }
  # The role the tests connect as.
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='root'\" | grep -q 1 || createuser -s root"
fi

if redis_up; then
  log "Redis answers on 127.0.0.1:6379"
else
  command -v redis-server >/dev/null || need_apt redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis_up && break; sleep 0.5; done
  redis_up || { echo "services: Redis did not start (see /var/log/redis/ci.log)" >&2; exit 1; }
fi
