#!/bin/sh
# Writes the sites allowed to embed the chat widget (WEB_ALLOWED_ORIGINS in .env, separated by
# spaces or commas, e.g. "https://www.example.com https://shop.example.com") as an nginx map file.
# nginx.conf includes it: a browser on any other site gets 403 from /socket.io/ and /webhooks/.
# The nginx image runs this from /docker-entrypoint.d/ before nginx starts (docker-compose.yml
# mounts it there). An origin is scheme://host[:port], with no path and never "*".
#   sh web/allowed-origins.sh [FILE]      # FILE: /tmp/nginx/allowed-origins.map by default
set -euf # -f: a "*" stays a "*" (refused below), not the names of the files here

out="${1:-/tmp/nginx/allowed-origins.map}"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp"
: >"$tmp"
for origin in $(printf '%s' "${WEB_ALLOWED_ORIGINS:-}" | tr ',' ' '); do
  origin="${origin%/}"
  if ! printf '%s' "$origin" | grep -Eq '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$'; then
    echo "allowed-origins.sh: '$origin' in WEB_ALLOWED_ORIGINS is not scheme://host[:port] (no path, no *)" >&2
    rm -f "$tmp"
    exit 1
  fi
  printf '"%s" 1;\n' "$origin" >>"$tmp"
done
mv "$tmp" "$out"
echo "allowed-origins.sh: $(wc -l <"$out") site(s) may embed the chat" >&2
