"""The chat page (web_chat=yes), fast tier: every such bake has the socketio channel, the page, the
pinned client (checked against npm's tarball), an nginx.conf the real nginx accepts, and a `web`
service in Compose and Kubernetes that serves it same-origin with Rasa.

The page in a real browser against a real Rasa: tests/test_web_chat_browser.py (marker `browser`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import fail_or_skip
from harness import web_chat as tools
from harness.combinations import PINS, TEMPLATE_DIR, baked_combinations, combo_id

WITH_PAGE = [a for a in baked_combinations() if a["web_chat"]]
WITHOUT_PAGE = [a for a in baked_combinations() if not a["web_chat"]]
TEMPLATE_WEB = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "web"
PAGE_FILES = ["web/index.html", "web/widget.js", "web/widget.css", "web/allowed-origins.sh", "web/vendor/SOURCE",
              "web/vendor/socket.io.min.js", "web/vendor/socket.io-client.LICENSE"]  # fmt: skip
EDGE_FILES = ["web/nginx.conf", "web/tls.conf"]  # every bot's: the edge for the webhooks and HTTPS
CLUSTER_FILES = [
    "deploy/kubernetes/web.Dockerfile",
    "deploy/kubernetes/base/web-deployment.yaml",
    "deploy/kubernetes/base/web-service.yaml",
    "deploy/kubernetes/overlays/production/web-ingress.yaml",
]
COMPOSE = Path(sys.executable).parent / "docker-compose"


@pytest.fixture(params=WITH_PAGE, ids=combo_id)
def baked(request, bake_once):
    return request.param, bake_once(**request.param)


# --- the vendored client, once ------------------------------------------------------------------


def test_vendored_client_is_the_npm_release_it_names():
    source = tools.read_source(TEMPLATE_WEB / "vendor" / "SOURCE")
    assert source["package"] == "socket.io-client" and re.fullmatch(r"4\.\d+\.\d+", source["version"])
    try:
        tarball = tools.npm_tarball(source["package"], source["version"])
    except tools.MissingTool as error:
        fail_or_skip("web chat check", f"cannot get the npm tarball to check the vendored client: {error}")
    assert tools.sri(tarball.read_bytes()) == source["tarball-integrity"], "not the tarball npm publishes"
    released = tools.file_in_tarball(tarball, source["file"])
    vendored = (TEMPLATE_WEB / "vendor" / "socket.io.min.js").read_bytes()
    assert vendored == released, f"web/vendor/socket.io.min.js differs from {source['file']} of {tarball.name}"
    assert hashlib.sha256(vendored).hexdigest() == source["sha256"]
    assert b"Socket.IO v" + source["version"].encode() in vendored[:200]
    package = json.loads(tools.file_in_tarball(tarball, "package/package.json"))
    assert package["license"] == "MIT" and source["license"].startswith("MIT")


def test_nginx_t_catches_a_broken_config(tmp_path, bake_once):
    """The nginx -t check can fail: a typo, and a limit naming a zone nginx.conf does not define.
    (Rasa's host is a variable that nginx resolves per request, so nginx -t cannot catch a wrong
    name: the checker's W102 does, tests/test_bot_corpus.py.)"""
    text = bake_once().text("web/nginx.conf")
    (tmp_path / "shipped.conf").write_text(text)
    assert tools.nginx_test(tmp_path / "shipped.conf").returncode == 0
    for name, broken in (("typo", text.replace("proxy_pass $rasa", "proxy_pas $rasa", 1)),
                         ("zone", text.replace("zone=per_client burst", "zone=no_such_zone burst", 1))):  # fmt: skip
        conf = tmp_path / f"{name}.conf"
        conf.write_text(broken)
        assert tools.nginx_test(conf).returncode != 0, name


# --- every bake with the page ----------------------------------------------------------------------


def test_matrix_has_the_page_on_both_lines():
    assert {a["rasa_version"] for a in WITH_PAGE} == set(PINS["rasa_lines"])
    # Without the page: every answer of every other prompt at least once (combinations.SECONDARY).
    for key in ("rasa_version", "nlu_pipeline", "tracker_store", "custom_actions", "kubernetes"):
        assert {a[key] for a in WITHOUT_PAGE} == {a[key] for a in WITH_PAGE}, key


def test_socketio_channel_next_to_rest(baked):
    answers, bot = baked
    files = ["config/credentials.yml"] + (["deploy/kubernetes/base/config/credentials.yml"] if answers["kubernetes"]
                                          else [])  # fmt: skip
    for path in files:
        channels = bot.yaml(path)
        assert "rest" in channels, path
        assert channels["socketio"] == {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
        }, path
    # Rasa's socketio channel calls AsyncServer.enter_room without await: with python-socketio >= 5.10
    # (where it became a coroutine) a persistent session never joins its room and gets no reply. The
    # lock keeps 5.9.0; the launcher puts the bot's own channel in place for any other version
    # (tests/test_web_chat_browser.py runs both).
    lock = bot.text(f"requirements/rasa-{answers['rasa_version']}.lock")
    (pin,) = re.findall(r"^python-socketio==(\d+)\.(\d+)\.", lock, re.M)
    assert tuple(map(int, pin)) < (5, 10), pin
    assert "from socketio_channel import install" in bot.text("scripts/rasa_run.py")
    script = bot.text("web/widget.js")
    assert '"user_uttered"' in script and '"bot_uttered"' in script and '"session_request"' in script


def test_page_files_and_pinned_client(baked):
    answers, bot = baked
    for path in PAGE_FILES + EDGE_FILES + (CLUSTER_FILES if answers["kubernetes"] else []):
        assert bot.exists(path), path
    source = tools.read_source(bot.path / "web/vendor/SOURCE")
    assert hashlib.sha256((bot.path / "web/vendor/socket.io.min.js").read_bytes()).hexdigest() == source["sha256"]
    html = bot.text("web/index.html")
    # Everything the page loads is its own file: no CDN, no inline script.
    assert re.findall(r'<script src="([^"]+)"', html) == ["vendor/socket.io.min.js", "widget.js"]
    assert not re.search(r"<script>|<style|https?://", html)  # the page's CSP allows neither inline
    script = bot.text("web/widget.js")
    assert "innerHTML" not in script and "https://" not in script.split('"use strict"', 1)[1]


def test_nginx_accepts_the_config(baked):
    _, bot = baked
    conf = bot.path / "web/nginx.conf"
    result = _nginx_test_once(hashlib.sha256(conf.read_bytes()).hexdigest(), conf)
    assert result.returncode == 0, result.stderr
    text = conf.read_text(encoding="utf-8")
    for location in ("/socket.io/", "/webhooks/"):
        block = text.split(f"location {location} {{", 1)[1].split("\n        }", 1)[0]
        assert "proxy_pass $rasa;" in block, location
        # Only this origin and the sites of WEB_ALLOWED_ORIGINS: any other browser gets 403.
        assert block.split("proxy_pass", 1)[0].split() == ["if", "($origin_allowed", "=", "0)", "{", "return",
                                                           "403;", "}"], location  # fmt: skip
    # Rasa by its Compose name, through a variable: Docker's DNS is asked again every 10 s, so a
    # recreated rasa container is found without restarting nginx.
    assert "        set $rasa http://rasa:5005;\n" in text
    assert "    resolver 127.0.0.11 valid=10s ipv6=off;\n" in text
    assert re.findall(r"^\s*proxy_pass\s.*$", text, re.M) == ["            proxy_pass $rasa;"] * 2
    socket_block = text.split("location /socket.io/ {", 1)[1].split("\n        }", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in socket_block and "proxy_http_version 1.1;" in socket_block


_NGINX_RESULTS: dict[str, subprocess.CompletedProcess] = {}


def _nginx_test_once(digest: str, conf: Path) -> subprocess.CompletedProcess:
    """nginx -t per distinct file content (every bake gets the same nginx.conf today)."""
    if digest not in _NGINX_RESULTS:
        try:
            _NGINX_RESULTS[digest] = tools.nginx_test(conf)
        except tools.MissingTool as error:
            pytest.fail(str(error))
    return _NGINX_RESULTS[digest]


def test_compose_web_service(baked):
    answers, bot = baked
    proc = subprocess.run([str(COMPOSE), "config", "--format", "json"], cwd=bot.path, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    services = json.loads(proc.stdout)["services"]
    web = services["web"]
    assert web["image"] == PINS["images"]["nginx"]
    assert web["user"] == "101:101" and web["read_only"] is True
    assert [(p["host_ip"], p["published"], p["target"]) for p in web["ports"]] == [("127.0.0.1", "8080", 8080)]
    assert web["depends_on"] == {"rasa": {"condition": "service_healthy", "required": True}}
    assert web["healthcheck"]["test"][0] == "CMD" and web["restart"] == "unless-stopped"
    mounts = {(v["source"], v["target"], v["read_only"]) for v in web["volumes"]}
    assert mounts == {(str(bot.path / "web/nginx.conf"), "/etc/nginx/nginx.conf", True),
                      (str(bot.path / "web"), "/usr/share/nginx/html", True),
                      (str(bot.path / "web/allowed-origins.sh"), "/docker-entrypoint.d/40-allowed-origins.sh",
                       True)}  # fmt: skip
    assert os.access(bot.path / "web/allowed-origins.sh", os.X_OK), "the nginx entrypoint runs only executables"
    # The list of sites, once in .env, reaches nginx and Rasa (rasa_run.py turns it into --cors).
    assert web["environment"] == {"WEB_ALLOWED_ORIGINS": ""}
    assert services["rasa"]["environment"]["WEB_ALLOWED_ORIGINS"] == ""
    assert "WEB_ALLOWED_ORIGINS=" in bot.text(".env.example").splitlines()
    assert "--cors" not in services["rasa"]["command"], "the launcher adds --cors from WEB_ALLOWED_ORIGINS"
    assert "http://localhost:8080" in bot.text("Makefile")


def test_cluster_serves_the_same_page(baked, tmp_path):
    answers, bot = baked
    if not answers["kubernetes"]:
        assert not bot.exists("deploy")
        return
    base = bot.yaml("deploy/kubernetes/base/kustomization.yaml")["resources"]
    assert {"web-deployment.yaml", "web-service.yaml"} <= set(base)
    production = bot.yaml("deploy/kubernetes/overlays/production/kustomization.yaml")
    assert "web-ingress.yaml" in production["resources"]
    assert f"{bot.path.name}-web" in {image["name"] for image in production["images"]}
    dockerfile = bot.text("deploy/kubernetes/web.Dockerfile")
    assert f"FROM {PINS['images']['nginx']}\n" in dockerfile and "COPY nginx.conf /etc/nginx/nginx.conf" in dockerfile
    assert "COPY index.html widget.js widget.css /usr/share/nginx/html/" in dockerfile
    # The cluster's nginx: the image's own sed (run here on a copy) gives it the static proxy_pass on
    # both proxied locations (no Docker DNS there) and drops the per-client limits (the Ingress has
    # them: behind it every request comes from the controller); nginx accepts the result.
    (run,) = re.findall(r"^RUN (sed -i .*?/etc/nginx/nginx\.conf)$", dockerfile.replace("\\\n", " "), re.M)
    conf = tmp_path / "nginx.conf"
    shutil.copy(bot.path / "web/nginx.conf", conf)
    subprocess.run(["sh", "-c", run.replace("/etc/nginx/nginx.conf", str(conf))], check=True, timeout=30)
    cluster_conf = conf.read_text(encoding="utf-8")
    assert re.findall(r"^\s*proxy_pass\s.*$", cluster_conf, re.M) == ["            proxy_pass http://rasa:5005;"] * 2
    assert "limit_req zone=" not in cluster_conf and "limit_conn connections_per_client" not in cluster_conf
    assert "client_max_body_size 256k;" in cluster_conf
    result = _nginx_test_once(hashlib.sha256(cluster_conf.encode()).hexdigest(), conf)
    assert result.returncode == 0, result.stderr
    ingress = bot.yaml("deploy/kubernetes/overlays/production/web-ingress.yaml")["metadata"]["annotations"]
    assert {key.split("/")[1]: value for key, value in ingress.items() if "limit" in key or "body" in key} == {
        "limit-rps": "10",
        "limit-burst-multiplier": "2",
        "limit-connections": "20",
        "proxy-body-size": "256k",
    }
    assert "COPY allowed-origins.sh /docker-entrypoint.d/40-allowed-origins.sh" in dockerfile
    for name in ("web-deployment.yaml", "rasa-deployment.yaml"):
        (container,) = [c for c in bot.yaml(f"deploy/kubernetes/base/{name}")["spec"]["template"]["spec"]["containers"]
                        if c["name"] in ("web", "rasa")]  # fmt: skip
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
        assert refs.get("WEB_ALLOWED_ORIGINS") == "WEB_ALLOWED_ORIGINS", name
    assert "WEB_ALLOWED_ORIGINS=" in bot.text("deploy/kubernetes/base/.env.example").splitlines()
    service = bot.yaml("deploy/kubernetes/base/web-service.yaml")
    assert service["metadata"]["name"] == "web" and service["spec"]["ports"][0]["port"] == 8080


@pytest.mark.parametrize("answers", WITHOUT_PAGE[:: max(1, len(WITHOUT_PAGE) // 12)], ids=combo_id)
def test_no_page_without_web_chat(bake_once, answers):
    bot = bake_once(**answers)
    for path in PAGE_FILES + CLUSTER_FILES:
        assert not bot.exists(path), path
    for path in EDGE_FILES:  # nginx stays, for the webhooks and HTTPS
        assert bot.exists(path), path
    assert bot.exists("scripts/socketio_channel.py")  # scripts/rasa_run.py imports it in every bot
    assert "socketio" not in bot.yaml("config/credentials.yml")
    conf = bot.text("web/nginx.conf")
    assert "location /socket.io/" not in conf and "root /usr/share/nginx/html" not in conf
    assert "location /webhooks/" in conf
    assert "WEB_ALLOWED_ORIGINS" not in bot.text("docker-compose.yml") + bot.text(".env.example")
    assert "\nweb:" not in bot.text("Makefile")


# --- the widget's language, the allowed sites, the launcher's --cors ---------------------------------


@pytest.mark.parametrize("language", sorted(p.stem for p in (TEMPLATE_DIR / "languages").glob("*.yml")))
def test_every_language_renders_the_page_texts(bake_once, language):
    bot = bake_once(language=language, web_chat=True, custom_actions=False, tracker_store="in_memory")
    texts = yaml.safe_load((TEMPLATE_DIR / "languages" / f"{language}.yml").read_text(encoding="utf-8"))["web"]
    assert texts.keys() == ENGLISH_TEXTS.keys() and texts["dir"] in ("ltr", "rtl")
    script = bot.text("web/widget.js")
    (rendered,) = re.findall(r"^  const TEXTS = (\{.*\});$", script, re.M)
    assert json.loads(rendered) == texts
    assert f"const LANG = {json.dumps(language)};" in script and "{%" not in script and "{{" not in script
    html = bot.text("web/index.html")
    assert f'<html lang="{language}" dir="{texts["dir"]}">' in html
    assert f"<noscript>{texts['noscript']}</noscript>" in html.replace("&#39;", "'")


ENGLISH_TEXTS = yaml.safe_load((TEMPLATE_DIR / "languages" / "en.yml").read_text(encoding="utf-8"))["web"]


def test_allowed_origins_script_writes_the_list_nginx_reads(tmp_path, bake_once):
    script = TEMPLATE_WEB / "allowed-origins.sh"
    out = tmp_path / "nginx" / "allowed-origins.map"

    def run(value: str) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "WEB_ALLOWED_ORIGINS": value}
        return subprocess.run(["sh", str(script), str(out)], env=env, capture_output=True, text=True, timeout=30,
                              check=False)  # fmt: skip

    assert run("https://www.example.com, http://localhost:8000/  https://shop.example.com:8443").returncode == 0
    assert out.read_text().splitlines() == ['"https://www.example.com" 1;', '"http://localhost:8000" 1;',
                                            '"https://shop.example.com:8443" 1;']  # fmt: skip
    for bad in ("*", "https://*.example.com", "https://www.example.com/path", "www.example.com", "javascript:x"):
        proc = run(f"https://ok.example.com {bad}")
        assert proc.returncode != 0 and "not scheme://host[:port]" in proc.stderr, bad
    assert run("").returncode == 0 and out.read_text() == ""
    # nginx accepts the config with the written list included (and without it: the shipped test above).
    run("https://www.example.com")
    conf = tmp_path / "nginx.conf"
    text = bake_once().text("web/nginx.conf")
    assert text.count("include /tmp/nginx/allowed-origins*.map;") == 1
    conf.write_text(text.replace("/tmp/nginx/allowed-origins*.map", str(out)))
    result = tools.nginx_test(conf)
    assert result.returncode == 0, result.stderr
    out.write_text('"https://www.example.com" 1\n')  # a broken list fails nginx, not silently
    assert tools.nginx_test(conf).returncode != 0


def test_generate_env_adds_the_key_and_keeps_the_users_values(baked, tmp_path):
    _, bot = baked
    folder = tmp_path / "bot"
    (folder / "scripts").mkdir(parents=True)
    (folder / ".env.example").write_text(bot.text(".env.example"))
    (folder / ".env").write_text("RASA_AUTH_TOKEN=mine\nJOKE_API_URL=https://jokes.example\n")
    proc = subprocess.run([sys.executable, str(bot.path / "scripts/generate_env.py"), str(folder)],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = (folder / ".env").read_text().splitlines()
    assert lines[:2] == ["RASA_AUTH_TOKEN=mine", "JOKE_API_URL=https://jokes.example"]
    assert "WEB_ALLOWED_ORIGINS=" in lines


FAKE_RASA = {
    "rasa/__init__.py": "",
    "rasa/__main__.py": "import json, sys\nfrom rasa.core.channels import BUILTIN_CHANNELS as C\n\n\ndef main():\n"
    "    print(json.dumps(sys.argv + [C['socketio'].__module__]))\n",
    "rasa/core/__init__.py": "",
    "rasa/core/channels/__init__.py": "BUILTIN_CHANNELS = {}\n",
    "rasa/core/channels/socketio.py": "class SocketIOInput:\n    @staticmethod\n"
    "    def name():\n        return 'socketio'\n",
}


def test_launcher_gives_rasa_the_allowed_sites_as_cors(tmp_path):
    """scripts/rasa_run.py against a stand-in `rasa` package that prints its argv: WEB_ALLOWED_ORIGINS
    becomes --cors for `rasa run` (never '*'), and `socketio` becomes the bot's channel."""
    for name, text in FAKE_RASA.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    scripts = tmp_path / "scripts"  # the launcher and its channel, without secure_channels.py (below)
    scripts.mkdir()
    for name in ("rasa_run.py", "socketio_channel.py"):
        shutil.copy(TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "scripts" / name, scripts)
    launcher = scripts / "rasa_run.py"

    def run(origins: str, *args: str) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "WEB_ALLOWED_ORIGINS": origins,
               "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
        return subprocess.run([sys.executable, str(launcher), *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    proc = run("https://www.example.com, https://shop.example.com/", "run", "--enable-api")
    assert proc.returncode == 0, proc.stderr
    # The last item: the module of the `socketio` channel Rasa will build (the bot's own).
    assert json.loads(proc.stdout) == ["rasa", "run", "--enable-api", "--cors", "https://www.example.com",
                                       "https://shop.example.com", "socketio_channel"]  # fmt: skip
    assert json.loads(run("", "run").stdout) == ["rasa", "run", "socketio_channel"]
    actions = run("https://a.example", "run", "actions")
    assert json.loads(actions.stdout) == ["rasa", "run", "actions", "socketio_channel"]
    refused = run("https://a.example *", "run")
    assert refused.returncode != 0 and "may not contain '*'" in refused.stderr
    # A bot with scripts/secure_channels.py (telegram, twilio or mattermost) installs it too.
    (scripts / "secure_channels.py").write_text("def install():\n    print('secured')\n")
    assert run("", "run").stdout.splitlines()[0] == "secured"
