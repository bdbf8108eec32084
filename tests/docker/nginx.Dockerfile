# TEST FIXTURE, not part of any rendered bot: stands in for the official `nginx:<pin>` image
# (Docker Hub), which cannot be pulled here (no registry). Built by scripts/docker-sandbox from the
# sandbox's Debian bookworm base and Debian's own nginx package (downloaded on the host, installed
# here offline), tagged exactly as the rendered docker-compose.yml names it.
#
# Contract of the official image kept here (nginxinc/docker-nginx, Debian variant): nginx on PATH,
# /etc/nginx/mime.types, /usr/share/nginx/html, the `nginx` user and group with uid/gid 101 (the
# bots' web service runs as "101:101"), access and error logs linked to stdout and stderr, bash
# (the bots' healthcheck uses its /dev/tcp), /docker-entrypoint.sh running /docker-entrypoint.d/*.sh
# before nginx, EXPOSE 80, STOPSIGNAL SIGQUIT, CMD nginx -g "daemon off;".
# Not the same: Debian bookworm's nginx is 1.22.x, not the pinned 1.28.x, built with Debian's
# modules and paths; /docker-entrypoint.d is empty (the official scripts only edit
# conf.d/default.conf and templates, which a bot that mounts its own nginx.conf does not use).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY debs /tmp/debs
RUN groupadd --system --gid 101 nginx \
    && useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent \
        --shell /bin/false --comment "nginx user" nginx \
    && apt-get install -y -q --no-install-recommends /tmp/debs/*.deb \
    && rm -rf /tmp/debs /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && rm -f /etc/nginx/sites-enabled/default \
    && mkdir -p /usr/share/nginx/html /docker-entrypoint.d \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log \
    && test -f /etc/nginx/mime.types && command -v nginx

COPY nginx-entrypoint.sh /docker-entrypoint.sh
EXPOSE 80
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
