# TEST FIXTURE, not part of any rendered bot: stands in for the official `postgres:<pin>` image
# (Docker Hub), which cannot be pulled here (no registry). Built by scripts/docker-sandbox from the
# sandbox's Debian bookworm base and Debian's own PostgreSQL packages (downloaded on the host,
# installed here offline), tagged exactly as the rendered docker-compose.yml names it.
#
# Contract of the official image kept here (docker-library/postgres): POSTGRES_USER (default
# postgres), POSTGRES_PASSWORD (required), POSTGRES_DB (default: the user) create the role and
# database on first start; data in PGDATA=/var/lib/postgresql/data (a volume); password auth
# (scram-sha-256) from other containers; pg_isready/psql/postgres on PATH; the server runs as the
# unprivileged `postgres` user; EXPOSE 5432; STOPSIGNAL SIGINT.
# Not the same: Debian bookworm's PostgreSQL major (15, like the pin) but not the pinned minor,
# and no /docker-entrypoint-initdb.d scripts, POSTGRES_INITDB_ARGS or other extras.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY debs /tmp/debs
# Like the official image: no "main" cluster at install time (the entrypoint runs initdb).
RUN mkdir -p /etc/postgresql-common \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold /tmp/debs/*.deb \
    && rm -rf /tmp/debs /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && ln -s "$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)" /usr/lib/postgresql/current \
    && mkdir -p /var/run/postgresql /var/lib/postgresql/data \
    && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql \
    && chmod 2777 /var/run/postgresql && chmod 0700 /var/lib/postgresql/data

ENV PATH=/usr/lib/postgresql/current/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
