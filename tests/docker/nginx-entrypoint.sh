#!/bin/bash
# TEST FIXTURE: the entrypoint of the nginx stand-in (tests/docker/nginx.Dockerfile), doing what
# the official image's docker-entrypoint.sh does: before `nginx` or `nginx-debug`, run the
# executable *.sh files of /docker-entrypoint.d (none in the stand-in), then exec the command.
set -Eeuo pipefail

if [[ ${1:-} == nginx || ${1:-} == nginx-debug ]]; then
  for script in /docker-entrypoint.d/*.sh; do
    if [[ -x $script ]]; then
      echo "$0: launching $script"
      "$script"
    fi
  done
fi

exec "$@"
