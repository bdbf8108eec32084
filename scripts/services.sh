#!/usr/bin/env bash
# Make sure the servers the real-Rasa tests talk to answer on 127.0.0.1:
# PostgreSQL on 5432 (trust auth for root), Redis on 6379 and RabbitMQ on 5672 (guest/guest, which
# RabbitMQ allows from loopback only), and that the programs of the browser and Docker tiers are installed. Uses running servers when they
# answer; otherwise installs Debian's packages and starts them.
#   scripts/services.sh            # idempotent; prints what it did
set -euo pipefail

log() { printf 'services: %s\n' "$*"; }
need_apt() {
  command -v apt-get >/dev/null || {
    echo "services: $1 is missing and apt-get is not available: install it by hand" >&2
    exit 1
  }
  [[ -n "${APT_UPDATED:-}" ]] || {
    apt-get update -qq
    APT_UPDATED=1
  }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
# bash's /dev/tcp: a listener on 5672 (rabbitmq-diagnostics would start an Erlang VM each time).
rabbitmq_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
redis_up() { command -v redis-cli >/dev/null && [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]; }

if postgres_up; then
  log "PostgreSQL answers on 127.0.0.1:5432"
else
  command -v pg_ctlcluster >/dev/null || need_apt postgresql
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 30); do
    postgres_up && break
    sleep 1
  done
  postgres_up || {
    echo "services: PostgreSQL did not start (see /var/log/postgresql)" >&2
    exit 1
  }
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
  for _ in $(seq 30); do
    redis_up && break
    sleep 0.5
  done
  redis_up || {
    echo "services: Redis did not start (see /var/log/redis/ci.log)" >&2
    exit 1
  }
fi

if rabbitmq_up; then
  log "RabbitMQ answers on 127.0.0.1:5672"
else
  command -v rabbitmq-server >/dev/null || need_apt rabbitmq-server
  log "starting RabbitMQ"
  mkdir -p /var/log/rabbitmq && chown rabbitmq: /var/log/rabbitmq
  # Debian's wrapper runs it as the rabbitmq user; loopback only, the default guest user.
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672 rabbitmq-server -detached
  for _ in $(seq 60); do
    rabbitmq_up && break
    sleep 1
  done
  rabbitmq_up || {
    echo "services: RabbitMQ did not start (see /var/log/rabbitmq)" >&2
    exit 1
  }
fi

# The programs of the browser and Docker tiers, installed once here: the tests run on two
# pytest-xdist workers, and two apt-get at once would fail on dpkg's lock.
missing=()
for pair in chromium:chromium chromedriver:chromium-driver nginx:nginx-light npm:npm dockerd:docker.io \
  containerd:containerd runc:runc debootstrap:debootstrap ip:iproute2 certutil:libnss3-tools; do
  [[ -x /usr/bin/${pair%%:*} || -x /usr/sbin/${pair%%:*} ]] || command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt-get)"
  need_apt --no-install-recommends "${missing[@]}"
else
  log "Chromium, nginx, npm, Docker, debootstrap and certutil are installed"
fi
