#!/bin/bash
# TEST FIXTURE: the entrypoint of the rasa/rasa-sdk stand-in (tests/docker/rasa-sdk.Dockerfile),
# same behaviour as the official image's entrypoint.sh.
set -Eeuo pipefail

print_help() {
  echo "Available options:"
  echo " start commands (rasa_sdk command line arguments) - Start the action server"
  echo " help                                             - Print this help"
  echo " run                                              - Run an arbitrary command inside the container"
}

case ${1:-} in
  start) exec python -m rasa_sdk "${@:2}" ;;
  run) exec "${@:2}" ;;
  *) print_help ;;
esac
