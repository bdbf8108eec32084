#!/bin/bash
# TEST FIXTURE: the entrypoint of the redis stand-in (tests/docker/redis.Dockerfile), doing what
# the official image's docker-entrypoint.sh does: `redis-server` is implied before options or a
# *.conf file; as root, give /data to `redis` and drop to it; a restrictive umask; protected mode
# off unless the arguments say otherwise (the official binary is patched to default to "no").
set -Eeuo pipefail

if [[ ${1:-} == -* || ${1:-} == *.conf ]]; then set -- redis-server "$@"; fi

if [[ ${1:-} == redis-server && $(id -u) == 0 ]]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ $(umask) == 0022 ]]; then umask 0077; fi

if [[ ${1:-} == redis-server && ($# -eq 1 || ${2:-} == -*) ]]; then
  set -- redis-server --protected-mode no "${@:2}"
fi

exec "$@"
