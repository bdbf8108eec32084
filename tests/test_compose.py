"""docker-compose.yml of every valid combination, as Compose itself reads it (no Docker engine needed).

`docker compose config --format json` interpolates .env and normalises the file; the tests read that
model, so they check what `docker compose up` would really run, not just the YAML text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import check_jsonschema
import jsonschema
import pytest

from harness.combinations import DATABASE_STORES, PINS, baked_combinations, combo_id

VALID = baked_combinations()
WITH_REDIS = [a for a in VALID if a["tracker_store"] == "redis"]
WITH_MONGO_EXPRESS = [a for a in VALID if a["mongo_express"]]
WITH_DUCKLING = [a for a in VALID if a["duckling"]]
WITH_BROKER = [a for a in VALID if a["event_broker"] == "rabbitmq"]
DOCKER_COMPOSE = Path(sys.executable).parent / "docker-compose"
COMPOSE_SCHEMA = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"

BUILT_SERVICES = {"rasa": "rasa.Dockerfile", "action_server": "Dockerfile"}
PINNED_IMAGES = {
    "postgres": PINS["images"]["postgres"],
    "redis": PINS["images"]["redis"],
    "lock-redis": PINS["images"]["redis"],
    "mongo": PINS["images"]["mongo"],
    "mongo-express": PINS["images"]["mongo_express"],
    "web": PINS["images"]["nginx"],
    "duckling": PINS["images"]["duckling"],
    "rabbitmq": PINS["images"]["rabbitmq"],
}
# Named volume -> (service, mount point), per tracker store.
DATABASE_VOLUMES = {
    "postgres": ("postgres-data", "postgres", "/var/lib/postgresql/data"),
    "redis": ("redis-data", "redis", "/data"),
    "mongo": ("mongo-data", "mongo", "/data/db"),
}
STATE_STORES = {"sqlite", "custom"}
UI_SERVICES = {"mongo-express", "web"}  # published on 127.0.0.1 only; they wait for their backend
# Service -> {its environment variable: the .env key it must carry}.
SECRET_WIRING = {
    "postgres": {
        "POSTGRES_DB": "POSTGRES_DB",
        "POSTGRES_USER": "POSTGRES_USER",
        "POSTGRES_PASSWORD": "POSTGRES_PASSWORD",
    },
    "redis": {"REDISCLI_AUTH": "REDIS_PASSWORD"},
    "mongo": {"MONGO_INITDB_ROOT_USERNAME": "MONGO_USER", "MONGO_INITDB_ROOT_PASSWORD": "MONGO_PASSWORD"},
    "mongo-express": {"ME_CONFIG_BASICAUTH_PASSWORD": "MONGO_EXPRESS_PASSWORD"},
    "rabbitmq": {"RABBITMQ_DEFAULT_USER": "RABBITMQ_USER", "RABBITMQ_DEFAULT_PASS": "RABBITMQ_PASSWORD"},
}


# --- helpers ---------------------------------------------------------------------------------------


def compose_env() -> dict[str, str]:
    """A minimal environment: no DOCKER_HOST/COMPOSE_* and no shell variable that would shadow .env."""
    return {"PATH": str(DOCKER_COMPOSE.parent), "HOME": str(Path.home()), "LANG": "C.UTF-8"}


def compose_config(bot_dir: Path, *more: str) -> subprocess.CompletedProcess:
    """`docker compose config` of docker-compose.yml, then the override files and options in `more`."""
    files = ["docker-compose.yml", *(name for name in more if not name.startswith("-"))]
    options = [name for name in more if name.startswith("-")]
    return subprocess.run(
        [str(DOCKER_COMPOSE), *(f"--file={name}" for name in files), *options, "config", "--format", "json"],
        cwd=bot_dir,
        env=compose_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_dotenv(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


class Composed:
    """One baked bot with its raw compose YAML, its .env and Compose's normalised model."""

    def __init__(self, answers: dict, bot) -> None:
        self.answers = answers
        self.bot = bot
        self.raw_text = bot.text("docker-compose.yml")
        self.raw = bot.yaml("docker-compose.yml")
        self.env = read_dotenv(bot.text(".env"))
        self.secret_keys = [key for key, value in read_dotenv(bot.text(".env.example")).items() if value == "change-me"]
        self.proc = compose_config(bot.path)

    @property
    def config(self) -> dict:
        assert self.proc.returncode == 0, f"docker compose config failed:\n{self.proc.stderr}"
        return json.loads(self.proc.stdout)

    @property
    def services(self) -> dict:
        return self.config["services"]

    def expected_services(self) -> set[str]:
        store = self.answers["tracker_store"]
        expected = {"rasa"}
        if self.answers["custom_actions"]:
            expected.add("action_server")
        if store in DATABASE_STORES:
            expected.add(store)
        if store in ("postgres", "mongo"):  # Rasa replicas' lock store; the redis store holds it itself
            expected.add("lock-redis")
        if self.answers["mongo_express"]:
            expected.add("mongo-express")
        expected.add("web")  # nginx: the chat page (web_chat) and the edge of every bot
        if self.answers["duckling"]:
            expected.add("duckling")
        if self.answers["event_broker"] == "rabbitmq":
            expected.add("rabbitmq")
        return expected

    def expected_named_volumes(self) -> dict[str, tuple[str, str]]:
        """{volume: (service, mount point)}."""
        store = self.answers["tracker_store"]
        volumes = {}
        if store in DATABASE_VOLUMES:
            volume, service, target = DATABASE_VOLUMES[store]
            volumes[volume] = (service, target)
        if store in STATE_STORES:
            volumes["rasa-state"] = ("rasa", "/app/state")
        if self.answers["event_broker"] == "rabbitmq":
            volumes["rabbitmq-data"] = ("rabbitmq", "/var/lib/rabbitmq")
        return volumes


def named_mounts(service: dict) -> dict[str, str]:
    """{volume name: mount point} of a normalised service."""
    return {m["source"]: m["target"] for m in service.get("volumes", []) if m["type"] == "volume"}


_COMPOSED: dict[str, Composed] = {}


def over(combinations: list[dict]):
    """Run a test on the `composed` bot of each of these combinations (default: all valid ones)."""
    return pytest.mark.parametrize("composed", combinations, ids=combo_id, indirect=True)


@pytest.fixture(params=VALID, ids=combo_id)
def composed(request, bake_once) -> Composed:
    """The bot of one combination, baked and run through `docker compose config` once per session."""
    key = combo_id(request.param)
    if key not in _COMPOSED:
        _COMPOSED[key] = Composed(request.param, bake_once(**request.param))
    return _COMPOSED[key]


# --- Compose accepts the file ----------------------------------------------------------------------


def test_compose_config_succeeds(composed):
    assert composed.proc.returncode == 0, composed.proc.stderr
    assert composed.config["name"] == composed.bot.path.name


def test_raw_file_matches_the_compose_spec_schema(composed):
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(composed.raw)]
    assert errors == []


def test_no_obsolete_version_key(composed):
    assert "version" not in composed.raw


# --- services and their wiring ---------------------------------------------------------------------


def test_services_follow_the_answers(composed):
    assert set(composed.services) == composed.expected_services()


def test_rasa_publishes_port_5005_on_localhost_only(composed):
    """The README's curl and `make smoke` reach it on this machine; the public way in is nginx."""
    ports = [(p.get("host_ip"), p["target"], p["published"]) for p in composed.services["rasa"]["ports"]]
    assert ports == [("127.0.0.1", 5005, "5005")]


def test_only_the_uis_publish_another_port_and_only_on_localhost(composed):
    for name, service in composed.services.items():
        if name == "rasa":
            continue
        ports = service.get("ports", [])
        if name in UI_SERVICES:
            assert ports and all(p.get("host_ip") == "127.0.0.1" for p in ports), ports
        else:
            assert ports == [], f"{name} must not publish a port"


def test_named_volumes_follow_the_tracker_store(composed):
    expected = composed.expected_named_volumes()
    assert set(composed.config.get("volumes", {})) == set(expected)
    for volume, (service, target) in expected.items():
        assert named_mounts(composed.services[service]).get(volume) == target
    mounted = {volume for service in composed.services.values() for volume in named_mounts(service)}
    assert mounted == set(expected)


def test_rasa_waits_for_every_backend_to_be_healthy(composed):
    backends = set(composed.services) - {"rasa"} - UI_SERVICES
    depends_on = composed.services["rasa"].get("depends_on", {})
    assert set(depends_on) == backends
    assert {dep["condition"] for dep in depends_on.values()} <= {"service_healthy"}


@over(WITH_MONGO_EXPRESS)
def test_mongo_express_waits_for_a_healthy_mongo(composed):
    depends_on = composed.services["mongo-express"]["depends_on"]
    assert depends_on == {"mongo": {"condition": "service_healthy", "required": True}}


@over(WITH_DUCKLING)
def test_duckling_is_internal_and_rasa_finds_it_through_the_environment(composed):
    """config.yml keeps make dev's url; Rasa in Compose reads RASA_DUCKLING_HTTP_URL instead (Rasa's
    DucklingEntityExtractor prefers it, in 2.8 and 3.6). Whether the image answers its healthcheck
    is not proven here (no registry: no real rasa/duckling image runs in any tier)."""
    duckling = composed.services["duckling"]
    assert "ports" not in duckling and duckling["expose"] == ["8000"]
    assert composed.services["rasa"]["environment"]["RASA_DUCKLING_HTTP_URL"] == "http://duckling:8000"
    pipeline = composed.bot.yaml("config/config.yml")["pipeline"]
    (extractor,) = [c for c in pipeline if c["name"] == "DucklingEntityExtractor"]
    assert extractor["url"] == "http://localhost:8000"


@over(WITH_BROKER)
def test_rabbitmq_is_internal_and_rasa_publishes_to_it_with_the_login_of_env(composed):
    """The broker publishes no port; its node name stays when the container is recreated (RabbitMQ
    keeps its data under rabbit@<hostname>); Rasa's endpoints.yml names it and reads the login that
    RabbitMQ creates from .env. That the image starts and answers its healthcheck is not proven here
    (no registry: the real tier runs Debian's RabbitMQ)."""
    rabbitmq = composed.services["rabbitmq"]
    assert "ports" not in rabbitmq and rabbitmq["expose"] == ["5672"]
    assert rabbitmq["hostname"] == "rabbitmq"
    assert rabbitmq["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"]
    broker = composed.bot.yaml("config/endpoints.yml")["event_broker"]
    assert broker["type"] == "pika" and broker["url"] == "rabbitmq" and broker["port"] == 5672
    assert (broker["username"], broker["password"]) == ("${RABBITMQ_USER}", "${RABBITMQ_PASSWORD}")
    environment = composed.services["rasa"]["environment"]
    assert (
        environment["RABBITMQ_USER"]
        == rabbitmq["environment"]["RABBITMQ_DEFAULT_USER"]
        == composed.env["RABBITMQ_USER"]
    )
    assert environment["RABBITMQ_PASSWORD"] == rabbitmq["environment"]["RABBITMQ_DEFAULT_PASS"]
    assert "RABBITMQ_PASSWORD" in composed.secret_keys


@over(WITH_BROKER)
def test_the_events_consumer_runs_only_in_its_profile_with_the_bot_s_files(composed):
    """`make events` runs the `events` service: the Rasa image (aio-pika), the bot's consumer and
    endpoints.yml, reports/ of the bot folder; `make up` leaves it out (no profile given)."""
    assert "events" not in composed.services
    proc = compose_config(composed.bot.path, "--profile=events")
    assert proc.returncode == 0, proc.stderr
    events = json.loads(proc.stdout)["services"]["events"]
    assert events["profiles"] == ["events"] and events["image"] == f"{composed.bot.path.name}-rasa:latest"
    assert events["entrypoint"] == ["python", "/app/scripts/events_consumer.py"]
    assert events["command"] == ["--output", "reports/events.jsonl"]
    bot = str(composed.bot.path)
    mounts = {(m["source"], m["target"], m.get("read_only", False)) for m in events["volumes"]}
    assert mounts == {(f"{bot}/scripts/events_consumer.py", "/app/scripts/events_consumer.py", True),
                      (f"{bot}/scripts/bot_files.py", "/app/scripts/bot_files.py", True),
                      (f"{bot}/config", "/app/config", True), (f"{bot}/reports", "/app/reports", False)}  # fmt: skip
    assert "ports" not in events
    assert events["depends_on"] == {"rabbitmq": {"condition": "service_healthy", "required": True}}
    assert {events["environment"][key] for key in ("RABBITMQ_USER", "RABBITMQ_PASSWORD")} == {
        composed.env["RABBITMQ_USER"], composed.env["RABBITMQ_PASSWORD"]}  # fmt: skip
    makefile = composed.bot.text("Makefile")
    assert '$(COMPOSE) run --rm --user "$$(id -u):$$(id -g)" events' in makefile


def test_every_service_has_a_healthcheck_and_restarts(composed):
    for name, service in composed.services.items():
        healthcheck = service.get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") in {"always", "unless-stopped"}, f"{name} does not restart"


def test_rasa_serves_the_api_behind_the_token_from_env(composed):
    rasa = composed.services["rasa"]
    assert rasa["entrypoint"] == ["python", "/app/scripts/rasa_run.py"]  # adds --auth-token in-process
    assert rasa["command"][0] == "run" and "--enable-api" in rasa["command"]
    assert rasa["environment"]["RASA_AUTH_TOKEN"] == composed.env["RASA_AUTH_TOKEN"]


def test_no_secret_in_any_process_arguments(composed):
    """`ps` shows every process's arguments to every user of the host: secrets go in the environment."""
    secrets = [value for key, value in composed.env.items() if value and ("PASSWORD" in key or "TOKEN" in key)]
    assert secrets
    for name, service in composed.services.items():
        arguments = json.dumps([service.get("entrypoint"), service.get("command")])
        assert not [secret for secret in secrets if secret in arguments], name


# --- images -----------------------------------------------------------------------------------------


def test_third_party_images_are_the_pinned_ones(composed):
    third_party = {name: s for name, s in composed.services.items() if "build" not in s}
    assert set(third_party) == set(PINNED_IMAGES) & set(composed.services)
    for name, service in third_party.items():
        assert service["image"] == PINNED_IMAGES[name]
        assert not service["image"].endswith(":latest")


def test_own_images_are_built_from_the_bot_folder(composed):
    for name in set(BUILT_SERVICES) & set(composed.services):
        build = composed.services[name]["build"]
        assert Path(build["context"]).resolve() == composed.bot.path.resolve()
        assert build["dockerfile"] == BUILT_SERVICES[name]
        assert composed.raw["services"][name]["build"]["context"] == "."
        assert composed.bot.exists(BUILT_SERVICES[name])


# --- secrets ----------------------------------------------------------------------------------------


def test_env_holds_generated_secrets(composed):
    assert "RASA_AUTH_TOKEN" in composed.secret_keys
    for key in composed.secret_keys:
        assert len(composed.env[key]) >= 32, f"{key} is not a generated secret"


# Rasa's variables that are the same for every install, so not in .env (where `make dev` could read them).
FIXED_RASA_ENVIRONMENT = {"PYTHONPATH", "RASA_DUCKLING_HTTP_URL"}


def test_rasa_environment_is_interpolated_from_env(composed):
    environment = composed.services["rasa"].get("environment", {})
    for key, value in environment.items():
        if key not in FIXED_RASA_ENVIRONMENT:
            assert value == composed.env[key], key


def test_backend_secrets_are_interpolated_from_env(composed):
    for name, wiring in SECRET_WIRING.items():
        if name not in composed.services:
            continue
        environment = composed.services[name]["environment"]
        for variable, key in wiring.items():
            assert environment[variable] == composed.env[key], f"{name}.{variable}"


@over(WITH_REDIS)
def test_redis_requires_the_password_from_env(composed):
    redis = composed.services["redis"]
    assert redis["command"][:2] == ["sh", "-c"]
    # `config` prints $$ (Compose's escape for a literal $): the shell in the container expands it.
    # `-` as the last argument: the config on stdin (fd 0), which the unprivileged redis user can read;
    # `/dev/stdin` would be opened anew, and a pipe made by root is not redis's to open.
    assert "redis-server --appendonly yes - <<EOF" in redis["command"][2], redis["command"]
    assert "requirepass $$REDIS_PASSWORD" in redis["command"][2]
    assert redis["environment"]["REDIS_PASSWORD"] == composed.env["REDIS_PASSWORD"]


@over(WITH_MONGO_EXPRESS)
def test_mongo_express_logs_in_to_mongo_and_asks_for_a_password(composed):
    environment = composed.services["mongo-express"]["environment"]
    credentials = f"{composed.env['MONGO_USER']}:{composed.env['MONGO_PASSWORD']}@mongo:27017/"
    assert credentials in environment["ME_CONFIG_MONGODB_URL"]
    # mongo-express 1.0.x ignores the basic-auth user and password unless ME_CONFIG_BASICAUTH is "true".
    assert environment.get("ME_CONFIG_BASICAUTH") == "true"
    assert environment["ME_CONFIG_BASICAUTH_USERNAME"]


def test_every_secret_reaches_the_services(composed):
    model = json.dumps(composed.config)
    for key in composed.secret_keys:
        assert composed.env[key] in model, f"{key} from .env is used by no service"


def test_raw_compose_file_holds_no_secret(composed):
    for key in composed.secret_keys:
        assert composed.env[key] not in composed.raw_text, f"{key} is written into docker-compose.yml"
    assert "change-me" not in composed.raw_text


# --- without .env -----------------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["sqlite", "mongo"])
def test_compose_config_without_env_asks_for_make_env(bake, store):
    bot = bake(tracker_store=store, mongo_express=store == "mongo")
    (bot.path / ".env").unlink()
    proc = compose_config(bot.path)
    assert proc.returncode != 0
    assert "make .env" in proc.stderr, proc.stderr


@pytest.mark.parametrize("slug", ["null", "off"])
def test_compose_accepts_a_slug_that_reads_as_a_yaml_keyword(bake, slug):
    proc = compose_config(bake(project_slug=slug).path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["name"] == slug


# --- production: docker-compose.prod.yml (every bot: its web service is the edge) -------------------


@over(VALID)
def test_production_publishes_80_and_443_and_nothing_else_beyond_localhost(composed):
    """What the README's "HTTPS on your domain" says: 80 and 443 on every address (nginx's 8081 and
    8443), Rasa, the plain page (and mongo-express) on 127.0.0.1 only, certbot only in its profile."""
    proc = compose_config(composed.bot.path, "docker-compose.prod.yml", "--profile=certbot")
    assert proc.returncode == 0, proc.stderr
    services = json.loads(proc.stdout)["services"]
    public = {(name, p.get("host_ip", ""), p["target"], p["published"])
              for name, service in services.items() for p in service.get("ports", [])
              if p.get("host_ip") != "127.0.0.1"}  # fmt: skip
    assert public == {("web", "", 8081, "80"), ("web", "", 8443, "443")}
    local = {(name, p["published"]) for name, service in services.items() for p in service.get("ports", [])
             if p.get("host_ip") == "127.0.0.1"}  # fmt: skip
    assert local == {("rasa", "5005"), ("web", "8080")} | ({("mongo-express", "8081")} if "mongo-express" in services
                                                          else set())  # fmt: skip
    mounts = {(m["source"], m["target"], m.get("read_only", False)) for m in services["web"]["volumes"]}
    bot = str(composed.bot.path)
    assert {(f"{bot}/web/tls.conf", "/etc/nginx/tls.conf", True), (f"{bot}/certs", "/etc/letsencrypt", True),
            ("certbot-www", "/var/www/certbot", True)} <= mounts  # fmt: skip
    # nginx.conf includes exactly that file, and serves the challenge from that volume.
    conf = composed.bot.text("web/nginx.conf")
    assert "include /etc/nginx/tls*.conf;" in conf and "root /var/www/certbot;" in conf
    # certbot: only in its profile (`up` leaves it out), the pinned image, the same two folders.
    certbot = services["certbot"]
    assert certbot["profiles"] == ["certbot"] and certbot["image"] == PINS["images"]["certbot"]
    assert "ports" not in certbot
    assert {(m["source"], m["target"]) for m in certbot["volumes"]} == {
        (f"{bot}/certs", "/etc/letsencrypt"),
        ("certbot-www", "/var/www/certbot"),
    }
