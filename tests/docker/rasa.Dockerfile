# TEST FIXTURE, not part of any rendered bot: stands in for the official `rasa/rasa:<rasa pin>`
# image (Docker Hub), which cannot be pulled here (no registry). Built by scripts/docker-sandbox
# and tagged exactly as the rendered rasa.Dockerfile names it.
#
# It reproduces the contract of the official image that the rendered files rely on (RasaHQ/rasa
# Dockerfile, "runner" stage): Rasa on PATH, ENTRYPOINT ["rasa"] CMD ["--help"], HOME=/app,
# WORKDIR /app writable by group 0 (and others), USER 1001, VOLUME /tmp, EXPOSE 5005.
# It does NOT prove the official image's own contents (its Debian/Python build, its /opt/venv,
# its exact dependency set): it carries the venv of this repo's pinned lock instead.
ARG VENV_IMAGE
FROM ${VENV_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV HOME=/app
WORKDIR /app
RUN chgrp -R 0 /app && chmod -R g=u /app && chmod o+wr /app

USER 1001
VOLUME /tmp
EXPOSE 5005
ENTRYPOINT ["rasa"]
CMD ["--help"]
