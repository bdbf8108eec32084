"""What the chat-page tests need besides Python: Debian's nginx and Chromium, the npm tarball of the
vendored socket.io client, and a local nginx that serves a baked bot's web/ like the `web` service.

Nothing here downloads a browser or a binary of its own: the programs come from Debian's packages
(installed with apt-get when missing) and the client tarball from npm (`npm pack`, cached).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import ipaddress
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
from pathlib import Path
from typing import Callable

from harness import venvs
from harness.processes import LOCAL, Service, free_port, http_json, serve

NGINX = "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Debian package of each program the tests run.
DEBIAN_PACKAGES = {NGINX: "nginx-light", CHROMIUM: "chromium", CHROMEDRIVER: "chromium-driver"}
# What the bot's nginx.conf names Rasa by (a Compose service name, through a variable its resolver looks up).
UPSTREAM = "set $rasa http://rasa:5005;"


class MissingTool(RuntimeError):
    """A program the tests need could not be installed (the message says how to get it)."""


def debian_programs(*programs: str) -> None:
    """Install the Debian packages of these programs when they are missing (apt-get, as root)."""
    missing = [p for p in programs if not os.access(p, os.X_OK)]
    if not missing:
        return
    packages = sorted({DEBIAN_PACKAGES[p] for p in missing})
    hint = f"install them with: apt-get install -y --no-install-recommends {' '.join(packages)}"
    if not shutil.which("apt-get") or os.geteuid() != 0:
        raise MissingTool(f"{', '.join(missing)} missing and apt-get is not usable here: {hint}")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update"], install):
        proc = subprocess.run(step, capture_output=True, text=True, timeout=900, env=env, check=False)
        if proc.returncode == 0 and step is install:
            break
    still = [p for p in programs if not os.access(p, os.X_OK)]
    if still:
        raise MissingTool(f"apt-get did not provide {', '.join(still)}:\n{(proc.stdout + proc.stderr)[-2000:]}\n{hint}")


# --- the vendored client -----------------------------------------------------------------------


def read_source(path: Path) -> dict[str, str]:
    """web/vendor/SOURCE: `key: value` lines (comments start with #)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if ":" in line and line[0] != "#"]
    return {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in lines)}


def npm_tarball(package: str, version: str) -> Path:
    """`npm pack package@version` once into the cache (npm checks the registry's integrity)."""
    folder = venvs.cache_root() / "npm"
    tarball = folder / f"{package.replace('/', '-').lstrip('@')}-{version}.tgz"
    if tarball.is_file():
        return tarball
    if not shutil.which("npm"):
        raise MissingTool("npm is not installed (Debian: apt-get install -y npm); it fetches the client's tarball")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        proc = subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", tmp],
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        packed = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or len(packed) != 1:
            raise MissingTool(f"npm pack {package}@{version} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        packed[0].rename(tarball)
    return tarball


def sri(data: bytes) -> str:
    """Subresource-integrity form of sha512, as npm records a tarball's `integrity`."""
    import base64

    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def file_in_tarball(tarball: Path, member: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball.read_bytes()), mode="r:gz") as archive:
        extracted = archive.extractfile(member)
        assert extracted is not None, f"{member} is not a file in {tarball.name}"
        return extracted.read()


# --- nginx -----------------------------------------------------------------------------------------


def nginx_test(conf: Path) -> subprocess.CompletedProcess:
    """`nginx -t -c conf` with the file as shipped. nginx resolves proxy_pass hosts while testing, and
    `rasa` is a Compose service name: a private mount namespace maps it to 127.0.0.1 in /etc/hosts
    (the machine's own /etc/hosts is not touched)."""
    debian_programs(NGINX)
    with tempfile.TemporaryDirectory() as tmp:
        hosts = Path(tmp) / "hosts"
        hosts.write_text("127.0.0.1 localhost\n127.0.0.1 rasa\n")
        script = 'mount --bind "$1" /etc/hosts && exec "$2" -t -c "$3"'
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                               str(hosts), NGINX, str(conf.resolve())],
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def local_config(
    conf_text: str, *, root: Path, listen: int, rasa_url: str, redirect_listen: int, tls_include: Path
) -> str:
    """The bot's nginx.conf for a local run: its own web root, loopback ports (the chat's, and the
    redirect server's that is port 80 in production), the local Rasa, where production's tls.conf
    would be (`tls_include`, a glob: nothing there, plain HTTP only), and certbot's webroot (`acme`
    beside `root`). Only these lines
    change; each must be there exactly once. Rasa's address must be an IP: nginx then asks no
    resolver (the shipped one is Docker's, 127.0.0.11)."""
    host = urllib.parse.urlsplit(rasa_url).hostname
    ipaddress.ip_address(host)  # ValueError for a name
    replacements = {
        "listen 8080;": f"listen {LOCAL}:{listen};",
        "listen 8081;": f"listen {LOCAL}:{redirect_listen};",
        "root /usr/share/nginx/html;": f"root {root};",
        "include /etc/nginx/tls*.conf;": f"include {tls_include};",
        "root /var/www/certbot;": f"root {root.parent / 'acme'};",
        UPSTREAM: f"set $rasa {rasa_url};",
    }
    for old, new in replacements.items():
        if old == "root /usr/share/nginx/html;" and "location /socket.io/" not in conf_text:
            assert old not in conf_text, "web_chat=no: no page, no web root"
            continue
        assert conf_text.count(old) == 1, f"expected one `{old}` in web/nginx.conf"
        conf_text = conf_text.replace(old, new)
    return conf_text


def local_tls_config(tls_text: str, *, listen: int, certs: Path) -> str:
    """The bot's web/tls.conf for a local run: a loopback port for 8443, and `certs` in place of
    /etc/letsencrypt (certbot's folder: live/NAME/fullchain.pem and privkey.pem)."""
    assert tls_text.count("listen 8443 ssl;") == 1, "expected one `listen 8443 ssl;` in web/tls.conf"
    assert tls_text.count("/etc/letsencrypt/live/") == 2, "expected the certificate and its key in web/tls.conf"
    text = tls_text.replace("listen 8443 ssl;", f"listen {LOCAL}:{listen} ssl;")
    return text.replace("/etc/letsencrypt/live/", f"{certs}/live/")


@contextlib.contextmanager
def local_nginx(web: Path, rasa_url: str, workdir: Path, *, allowed_origins: str = "", timeout: float = 30,
                tls_certs: Path | None = None, edit: Callable[[str], str] | None = None):  # fmt: skip
    """A real nginx serving a copy of `web` and proxying to `rasa_url`, on a free loopback port.
    The bot's web/allowed-origins.sh writes `allowed_origins` (WEB_ALLOWED_ORIGINS) for it first,
    as the image's entrypoint does. With `tls_certs` (a folder laid out as certbot's live/NAME/),
    web/tls.conf is included as production does. The server has `https_port`, `redirect_url` (port 80
    in production) and `acme_root` (certbot's webroot, /var/www/certbot in production). `edit`
    changes the config text last (a test that takes a limit out).

    nginx started as root runs its workers as `nobody`: the copy is world-readable (pytest's
    tmp folders are not).
    """
    debian_programs(NGINX)
    workdir.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix="webchat-site-"))
    try:
        site.chmod(0o755)
        shutil.copytree(web, site / "web")
        for path in [site / "web", *(site / "web").rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        port, redirect_port, https_port = free_port(), free_port(), free_port()
        conf = workdir / "nginx.conf"
        shipped = (web / "nginx.conf").read_text(encoding="utf-8")
        conf_text = local_config(shipped, root=site / "web", listen=port, rasa_url=rasa_url,
                                 redirect_listen=redirect_port, tls_include=site / "tls*.conf")  # fmt: skip
        if tls_certs is not None:
            shutil.copytree(tls_certs, site / "certs")
            for path in [site / "certs", *(site / "certs").rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            tls_text = (web / "tls.conf").read_text(encoding="utf-8")
            (site / "tls.conf").write_text(local_tls_config(tls_text, listen=https_port, certs=site / "certs"))
        # Its own pid file and temp folders (the shipped /tmp paths could clash with another run).
        conf_text = conf_text.replace("/tmp/nginx", str(site / "nginx"))
        conf.write_text(edit(conf_text) if edit else conf_text)
        script = web / "allowed-origins.sh"
        if script.is_file():  # web_chat=no: no page, no list of sites
            env = {**os.environ, "WEB_ALLOWED_ORIGINS": allowed_origins}
            out = site / "nginx" / "allowed-origins.map"
            subprocess.run(["sh", str(script), str(out)], env=env, check=True, timeout=30)
        url = f"http://{LOCAL}:{port}"

        def ready(server: Service) -> bool:
            status, _ = http_json(f"{url}/", timeout=3)
            return status == 200

        argv = [NGINX, "-c", str(conf), "-g", "daemon off;"]
        with serve("nginx", argv, cwd=workdir, env=dict(os.environ), log=workdir / "nginx.log", url=url,
                   ready=ready, timeout=timeout) as server:  # fmt: skip
            server.https_port = https_port  # type: ignore[attr-defined]  # this server only
            server.redirect_url = f"http://{LOCAL}:{redirect_port}"  # type: ignore[attr-defined]
            server.acme_root = site / "acme"  # type: ignore[attr-defined]  # certbot's webroot
            yield server
    finally:
        shutil.rmtree(site, ignore_errors=True)


# --- python-socketio as the official image may bring it -------------------------------------------

NEWEST_SOCKETIO = "5.18.1"  # the newest python-socketio 5.x when this was written


def socketio_overlay(venv: Path, version: str = NEWEST_SOCKETIO) -> Path:
    """python-socketio `version` alone (no dependencies: the lock's python-engineio suits it),
    installed once into a cached folder that goes ahead on PYTHONPATH. The venv is not modified."""

    def install(tmp: Path) -> None:
        python = venv / "bin" / "python"
        venvs.checked([venvs.find_uv(), "pip", "install", "--python", python, "--target", tmp, "--no-deps",
                       f"python-socketio=={version}"], f"installing python-socketio {version}")  # fmt: skip

    return venvs.install_once(venvs.cache_root() / "overlays" / f"python-socketio-{version}-{venv.name}", install)


SOCKETIO_CLIENT = Path(__file__).with_name("socketio_client.py")


def socketio_talk(venv: Path, url: str, session_id: str | None, message: str, *, wait: float = 60) -> dict:
    """One socket.io conversation turn (harness/socketio_client.py in the Rasa venv):
    {"session_id": ..., "replies": [...]}."""
    import json

    proc = subprocess.run([str(venv / "bin" / "python"), str(SOCKETIO_CLIENT), url, session_id or "", message,
                           str(wait)], capture_output=True, text=True, timeout=wait + 60, check=False)  # fmt: skip
    assert proc.returncode == 0, f"socket.io client failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def static_site(folder: Path):
    """A plain HTTP server for `folder` on a free loopback port (a site that embeds the widget);
    yields its port. It answers on http://127.0.0.1:PORT and http://localhost:PORT: two origins."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer((LOCAL, port), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def host_page(bot_folder: Path, bot_url: str) -> str:
    """A site's page that embeds the widget: a link, then the snippet of the bot's README with the
    bot's address in place of https://bot.example.com."""
    import re

    readme = (bot_folder / "README.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r'^<script src="https://bot\.example\.com/widget\.js"[^>]*></script>$', readme, re.M)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A shop</title></head>'
            f'<body><h1>A shop</h1><a href="#top" id="host-link">Our products</a>\n'
            f'{snippet.replace("https://bot.example.com", bot_url)}\n</body></html>\n')  # fmt: skip


def origin_status(url: str, origin: str) -> int:
    """The HTTP status nginx gives a browser request from `origin` (403 for a site not listed)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
