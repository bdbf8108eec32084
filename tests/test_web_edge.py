"""The `web` service as the public edge (fast tier, no Rasa, no Docker): the bot's own web/nginx.conf
and web/tls.conf in Debian's real nginx, on loopback ports, in front of a small HTTP server that
stands in for Rasa and records what reaches it.

This proves nginx, not Rasa: HTTPS with a certificate of a CA made here (openssl), the redirect of
port 80 to HTTPS except Let's Encrypt's challenge, HSTS, that only the page, /socket.io/ and
/webhooks/ reach Rasa (its HTTP API gets 404 from nginx itself), and the abuse limits (429 over the
request rate or the connections per client, 413 over the body size). Each limit test also runs the
same traffic against the config with that limit taken out, and sees it pass: the test can fail.
Docker's resolver, the published ports and certbot itself are the Docker tier's (tests/test_docker_e2e.py)
and tests/test_compose.py's.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from harness import fail_or_skip, stand_ins
from harness import web_chat as tools
from harness.processes import LOCAL

NAME = "bot.test"  # the certificate's name, sent as SNI and Host
RASA_API = ["/model", "/model/train", "/conversations/me/tracker", "/status", "/version", "/domain"]
SLOW = 1.0  # seconds the stand-in holds /webhooks/slow/webhook (the connection-limit test)


class FakeRasa(stand_ins.RecordingAPI):
    """Stands in for Rasa: records each request, answers 200 with the path (slowly for /slow/)."""

    calls: list = []

    @staticmethod
    def reply(path: str) -> tuple[int, object]:
        if path.startswith("/webhooks/slow/"):
            time.sleep(SLOW)
        return 200, {"reached": path}


@pytest.fixture(scope="module")
def bot(bake_once):
    return bake_once(channels="telegram")


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> tuple[Path, Path]:
    """A CA made now, and a certificate for NAME laid out as certbot writes it: (CA file, live folder's parent)."""
    if not shutil.which("openssl"):
        fail_or_skip("edge test", "openssl is not installed (Debian: apt-get install -y openssl)")
    folder = tmp_path_factory.mktemp("certs")
    live = folder / "letsencrypt" / "live" / NAME
    live.mkdir(parents=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Edge test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
        ["req", *ec, "-keyout", str(live / "privkey.pem"), "-out", "server.csr", "-subj", f"/CN={NAME}"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
         "-out", str(live / "fullchain.pem"), "-extfile", "server.ext"],
    ]  # fmt: skip
    (folder / "server.ext").write_text(f"subjectAltName=DNS:{NAME}\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")  # fmt: skip
    for step in steps:
        subprocess.run(["openssl", *step], cwd=folder, check=True, capture_output=True, timeout=30)
    return folder / "ca.pem", folder / "letsencrypt"


@pytest.fixture(scope="module")
def upstream():
    with stand_ins.serving(FakeRasa) as url:
        yield url


@pytest.fixture
def edge(bot, certs, upstream, tmp_path):
    """nginx as production runs it (nginx.conf + tls.conf), fresh for each test: the limits count per test."""
    with tools.local_nginx(bot.path / "web", upstream, tmp_path / "nginx", tls_certs=certs[1]) as server:
        FakeRasa.calls.clear()
        yield server


def nginx_without(line: str, bot, upstream, workdir: Path):
    """The same nginx with one line of nginx.conf taken out (it must be there once)."""

    def edit(text: str) -> str:
        assert text.count(line) == 1, line
        return text.replace(line, "")

    return tools.local_nginx(bot.path / "web", upstream, workdir, edit=edit)


def https(server, ca: Path, *, maximum: ssl.TLSVersion | None = None) -> http.client.HTTPSConnection:
    """A connection to the HTTPS port that asks for NAME (SNI) and trusts only the test CA."""
    context = ssl.create_default_context(cafile=str(ca))
    if maximum:
        context.maximum_version = maximum
    port = server.https_port

    class ToLoopback(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = socket.create_connection((LOCAL, port), timeout=10)
            self.sock = context.wrap_socket(sock, server_hostname=NAME)

    return ToLoopback(NAME, port, timeout=10)


def plain(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def ask(connection, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one request on this connection (kept open for the next)."""
    connection.request(method, path, body=body, headers={"Host": NAME, **(headers or {})})
    answer = connection.getresponse()
    return answer.status, answer.headers, answer.read()


def burst(url: str, count: int) -> list[int]:
    """`count` webhook posts, one after the other on one connection, as fast as they go."""
    connection = plain(url)
    try:
        return [ask(connection, "POST", "/webhooks/rest/webhook", b'{"message": "hi"}')[0] for _ in range(count)]
    finally:
        connection.close()


# --- HTTPS -------------------------------------------------------------------------------------------


def test_https_serves_the_page_with_hsts_and_proxies_a_webhook(edge, certs):
    connection = https(edge, certs[0])
    status, headers, body = ask(connection, "GET", "/")
    assert status == 200 and b"widget.js" in body
    assert connection.sock.version() in {"TLSv1.2", "TLSv1.3"}
    assert headers["Strict-Transport-Security"] == "max-age=63072000"
    assert "default-src 'self'" in headers["Content-Security-Policy"]  # the page's own headers stay
    update = b'{"update_id": 1, "message": {"text": "hello"}}'
    status, _, body = ask(
        connection, "POST", "/webhooks/telegram/webhook", update, {"Content-Type": "application/json"}
    )
    assert (status, body) == (200, b'{"reached": "/webhooks/telegram/webhook"}')
    assert FakeRasa.calls == [("/webhooks/telegram/webhook", {"update_id": 1, "message": {"text": "hello"}})]


def test_tls_1_2_clients_get_a_forward_secret_aead_cipher(edge, certs):
    connection = https(edge, certs[0], maximum=ssl.TLSVersion.TLSv1_2)
    assert ask(connection, "GET", "/")[0] == 200
    name, version, _ = connection.sock.cipher()
    assert version == "TLSv1.2" and re.fullmatch(r"ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)", name)


def test_http_redirects_to_https_except_the_acme_challenge(edge):
    connection = plain(edge.redirect_url)
    status, headers, _ = ask(connection, "GET", "/webhooks/rest/webhook?x=1")
    assert (status, headers["Location"]) == (301, f"https://{NAME}/webhooks/rest/webhook?x=1")
    token = edge.acme_root / ".well-known" / "acme-challenge" / "token-123"  # as certbot --webroot writes it
    token.parent.mkdir(parents=True)
    token.write_text("token-123.key")
    for path in [token.parent.parent, token.parent, token]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    status, _, body = ask(connection, "GET", "/.well-known/acme-challenge/token-123")
    assert (status, body) == (200, b"token-123.key")
    assert FakeRasa.calls == []


# --- only the public paths ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_rasas_http_api_and_the_config_files_are_404(edge, certs, scheme):
    """18 requests: inside the burst of one client (each test has its own nginx)."""
    connection = https(edge, certs[0]) if scheme == "https" else plain(edge.url)
    for path in [*RASA_API, "/nginx.conf", "/tls.conf", "/allowed-origins.sh"]:
        for method in ("GET", "POST"):
            assert ask(connection, method, path, b"{}")[0] == 404, (method, path)
    assert FakeRasa.calls == []  # nothing of it reached "Rasa"
    # What is public does reach it: the socket.io channel (the webhooks: the tests above).
    assert ask(connection, "GET", "/socket.io/?EIO=4&transport=polling")[0] == 200
    assert [path for path, _ in FakeRasa.calls] == ["/socket.io/"]


# --- abuse limits --------------------------------------------------------------------------------


RATE_LIMIT = "    limit_req zone=per_client burst=20 nodelay;\n"
CONNECTION_LIMIT = "    limit_conn connections_per_client 20;\n"
BODY_LIMIT = "    client_max_body_size 256k;\n"


def test_a_burst_beyond_the_rate_gets_429_and_a_page_load_does_not(edge, bot, upstream, tmp_path):
    statuses = burst(edge.url, 60)
    # The burst (20 beyond the first; the fixture's readiness check took one): a page load, about
    # 10 requests, is far inside it.
    assert statuses[:15] == [200] * 15
    assert statuses.count(429) >= 20, statuses
    status, headers, body = ask(plain(edge.url), "POST", "/webhooks/rest/webhook", b"{}")
    assert (status, body, headers["Content-Type"]) == (429, b"Too many requests: slow down.\n", "text/plain")
    with nginx_without(RATE_LIMIT, bot, upstream, tmp_path / "no-rate-limit") as unlimited:
        assert burst(unlimited.url, 60) == [200] * 60


def test_more_connections_than_the_limit_get_429(bot, upstream, tmp_path):
    """Without the rate limit (it would answer first), 30 requests at once to a slow upstream."""

    def at_once(url: str) -> list[int]:
        def one(_):
            return ask(plain(url), "POST", "/webhooks/slow/webhook", b"{}")[0]

        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            return list(pool.map(one, range(30)))

    with nginx_without(RATE_LIMIT, bot, upstream, tmp_path / "connections") as limited:
        statuses = at_once(limited.url)
        assert statuses.count(200) <= 20 and statuses.count(429) >= 10, statuses
    text = (bot.path / "web/nginx.conf").read_text(encoding="utf-8")
    assert text.count(RATE_LIMIT) == text.count(CONNECTION_LIMIT) == 1

    def edit(conf: str) -> str:
        return conf.replace(RATE_LIMIT, "").replace(CONNECTION_LIMIT, "")

    with tools.local_nginx(bot.path / "web", upstream, tmp_path / "no-limits", edit=edit) as unlimited:
        assert at_once(unlimited.url) == [200] * 30


def test_a_body_over_the_size_limit_gets_413(edge, bot, upstream, tmp_path):
    def body(size: int) -> bytes:
        return b'{"message": "' + b"x" * size + b'"}'

    big = body(300_000)
    status, _, answer = ask(plain(edge.url), "POST", "/webhooks/rest/webhook", big)
    assert (status, answer) == (413, b"Request too large.\n")
    assert ask(plain(edge.url), "POST", "/webhooks/rest/webhook", body(200_000))[0] == 200  # under 256k passes
    with nginx_without(BODY_LIMIT, bot, upstream, tmp_path / "no-body-limit") as unlimited:
        assert ask(plain(unlimited.url), "POST", "/webhooks/rest/webhook", big)[0] == 200


# --- a bot without the chat page (web_chat=no): the same edge for its webhooks -------------------------


def test_without_the_page_https_proxies_only_the_webhooks(bake_once, certs, upstream, tmp_path):
    """web_chat=no keeps web/nginx.conf and tls.conf: HTTPS with HSTS, the webhooks proxied, a line
    at / (the healthcheck's), and 404 for Rasa's API, socket.io and the page's files."""
    bot = bake_once(web_chat=False, channels="telegram")
    with tools.local_nginx(bot.path / "web", upstream, tmp_path / "nginx", tls_certs=certs[1]) as server:
        FakeRasa.calls.clear()
        connection = https(server, certs[0])
        status, headers, body = ask(connection, "GET", "/")
        assert status == 200 and b"webhooks are under /webhooks/" in body, body
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        update = b'{"update_id": 1}'
        status, _, body = ask(
            connection, "POST", "/webhooks/telegram/webhook", update, {"Content-Type": "application/json"}
        )
        assert (status, body) == (200, b'{"reached": "/webhooks/telegram/webhook"}')
        for path in [*RASA_API, "/socket.io/?EIO=4&transport=polling", "/widget.js", "/index.html", "/nginx.conf"]:
            assert ask(connection, "GET", path)[0] == 404, path
        assert FakeRasa.calls == [("/webhooks/telegram/webhook", {"update_id": 1})]
        connection.close()
