# TEST FIXTURE, not part of any rendered bot: stands in for the official `rasa/rasa-sdk:<sdk pin>`
# image (Docker Hub), which cannot be pulled here (no registry). Built by scripts/docker-sandbox
# and tagged exactly as the rendered Dockerfile names it.
#
# Contract of the official image kept here (RasaHQ/rasa-sdk Dockerfile + entrypoint.sh):
# WORKDIR /app, USER 1001, EXPOSE 5055, ENTRYPOINT ["./entrypoint.sh"] with
# CMD ["start", "--actions", "actions"] running `python -m rasa_sdk --actions actions`, and
# python + pip on PATH, so the rendered `pip install -r actions/requirements.txt` works (offline,
# while the file lists no package).
# Differences it cannot hide: it shares the rasa stand-in's venv, which also holds Rasa itself
# (the official SDK image has only rasa-sdk and its dependencies), so an action importing `rasa`
# would pass here and fail on the real image.
ARG VENV_IMAGE
FROM ${VENV_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /app
COPY rasa-sdk-entrypoint.sh /app/entrypoint.sh
RUN chmod 0755 /app/entrypoint.sh && chgrp -R 0 /app && chmod -R g=u /app

USER 1001
EXPOSE 5055
ENTRYPOINT ["./entrypoint.sh"]
CMD ["start", "--actions", "actions"]
