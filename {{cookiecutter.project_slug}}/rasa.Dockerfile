# The Rasa server: the official image for the "{{ cookiecutter.nlu_pipeline }}" pipeline, plus a
# state folder that its unprivileged user (1001) can write to. The trained model is NOT baked in:
# ./models is mounted, so `make train` + `docker compose restart rasa` ships a new model.
FROM rasa/rasa:{{ cookiecutter.rasa }}{% if cookiecutter.nlu_pipeline == "spacy" %}-spacy-{{ cookiecutter.language }}{% endif %}

WORKDIR /app

USER root
RUN mkdir -p /app/state /app/models && chown -R 1001:0 /app/state /app/models

# Starts `rasa run` with the API token from the environment, and the socketio channel that works
# with any python-socketio 5.x (see the scripts).
COPY --chown=1001:0 scripts/rasa_run.py /app/scripts/rasa_run.py
COPY --chown=1001:0 scripts/socketio_channel.py /app/scripts/socketio_channel.py
{%- if cookiecutter.secured_channels %}
# The {{ cookiecutter.secured_channels | join(", ") }} channel(s), refusing webhooks the platform did not sign.
COPY --chown=1001:0 scripts/secure_channels.py /app/scripts/secure_channels.py
{%- endif %}

USER 1001
