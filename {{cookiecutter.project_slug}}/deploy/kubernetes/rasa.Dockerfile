# The Rasa image the cluster runs: the Compose image (../../rasa.Dockerfile) plus ONE trained
# model, because no ./models folder is mounted in a cluster. From the bot's root folder:
#   docker compose build rasa
#   MODEL=$(cd models && ls -t -- *.tar.gz | head -n 1)
#   docker build -f deploy/kubernetes/rasa.Dockerfile --build-arg MODEL="$MODEL" -t IMAGE:TAG models
# The build context is models/ (the bot's .dockerignore keeps models/ out of the root context).
ARG BASE_IMAGE={{ cookiecutter.project_slug }}-rasa:latest
FROM ${BASE_IMAGE}

ARG MODEL
RUN test -n "${MODEL}" || { echo "pass --build-arg MODEL=<file in models/>" >&2; exit 1; }
COPY --chown=1001:0 ${MODEL} /app/models/${MODEL}
