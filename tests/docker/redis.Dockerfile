# TEST FIXTURE, not part of any rendered bot: stands in for the official `redis:<pin>` image
# (Docker Hub), which cannot be pulled here (no registry). Built by scripts/docker-sandbox from the
# sandbox's Debian bookworm base and Debian's own redis-server package (downloaded on the host,
# installed here offline), tagged exactly as the rendered docker-compose.yml names it.
#
# Contract of the official image kept here (docker-library/redis): redis-server and redis-cli on
# PATH (redis-cli reads REDISCLI_AUTH), WORKDIR and VOLUME /data, the command-line arguments the
# compose file passes (`redis-server --appendonly yes --requirepass ...`), the server running as
# the unprivileged `redis` user, protected mode off by default, EXPOSE 6379.
# Not the same: Debian bookworm's Redis is 7.0.x, not the pinned 7.2.x.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY debs /tmp/debs
RUN apt-get install -y -q --no-install-recommends /tmp/debs/*.deb \
    && rm -rf /tmp/debs /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && mkdir -p /data && chown redis:redis /data

COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
