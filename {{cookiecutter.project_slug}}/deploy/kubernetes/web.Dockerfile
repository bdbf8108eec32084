# The chat page for the cluster: the pinned nginx image with web/ baked in (a cluster has no ./web
# folder to mount). From the bot's root folder:
#   docker build -f deploy/kubernetes/web.Dockerfile -t IMAGE:TAG web
# The build context is web/: the page, the widget, its vendored client and nginx.conf (which proxies to the
# Service `rasa` on port 5005).
FROM {{ cookiecutter._pins.images.nginx }}
COPY nginx.conf /etc/nginx/nginx.conf
# Two edits of nginx.conf for the cluster:
# - it names Rasa through a variable, looked up at Docker's DNS server (127.0.0.11) so that Compose
#   can recreate the container. A cluster has no such server, and nginx's resolver uses no search
#   domains; a Service keeps its address: here nginx resolves `rasa` once, at start.
# - its per-client limits would see one client, the ingress controller: the Ingress limits each
#   client instead (overlays/production/web-ingress.yaml). The body size limit stays.
RUN sed -i -e 's|proxy_pass $rasa;|proxy_pass http://rasa:5005;|' \
    -e '/^    limit_req zone=per_client /d' -e '/^    limit_conn connections_per_client /d' /etc/nginx/nginx.conf
COPY index.html widget.js widget.css /usr/share/nginx/html/
COPY vendor/ /usr/share/nginx/html/vendor/
# Writes the sites of WEB_ALLOWED_ORIGINS for nginx.conf before nginx starts (the image runs
# /docker-entrypoint.d/*.sh; the file keeps its executable bit from web/).
COPY allowed-origins.sh /docker-entrypoint.d/40-allowed-origins.sh
# The image's unprivileged nginx user; nginx.conf listens on 8080 and writes only to /tmp.
USER 101
EXPOSE 8080
