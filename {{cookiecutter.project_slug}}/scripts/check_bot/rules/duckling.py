"""Duckling: where DucklingEntityExtractor finds its server, in each place Rasa runs.

Rasa (2.8 and 3.6) reads the environment variable RASA_DUCKLING_HTTP_URL when it parses a message
and prefers it to the `url` of config.yml. So one config.yml serves every place: its url for
`make dev` (a Duckling on this machine, http://localhost:8000), the variable in the Rasa service of
docker-compose.yml and in the Rasa Deployment for their `duckling` service.
"""

from __future__ import annotations

import os
from typing import Iterator

from ..core import Problem, rule
from ..deploy import components, is_external, rasa_image, services, url_host
from ..model import Bot
from ..tables import DUCKLING_IMAGE, KUBERNETES_BASE
from .kubernetes import cluster_documents

ENV = "RASA_DUCKLING_HTTP_URL"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
SERVICE_URL = "http://duckling:8000"


def extractor(bot: Bot) -> tuple[int, str] | None:
    """(index in the pipeline, url) of the DucklingEntityExtractor, or None without one."""
    for index, component in enumerate(components(bot)):
        if component.get("name") == "DucklingEntityExtractor":
            return index, str(component.get("url") or "")
    return None


def environment_value(environment: object, key: str) -> str | None:
    """A variable of a Compose service's or a container's environment (mapping, list of KEY=VALUE,
    or Kubernetes' list of {name, value}), None when it is not set."""
    if isinstance(environment, dict):
        return None if environment.get(key) is None else str(environment[key])
    for item in environment if isinstance(environment, list) else []:
        if isinstance(item, dict) and item.get("name") == key and item.get("value") is not None:
            return str(item["value"])
        if isinstance(item, str) and item.startswith(f"{key}="):
            return item.partition("=")[2]
    return None


def unreachable(host: str | None, names: set[str]) -> bool:
    """From inside a container: localhost is the container itself, and a bare name must be a service."""
    return bool(host) and (host in LOOPBACK or not is_external(host) and host not in names)


@rule("C106", "DucklingEntityExtractor points at a host the Compose file does not run")
def duckling_in_compose(bot: Bot) -> Iterator[Problem]:
    found, service = extractor(bot), rasa_image(bot)[0]
    if found is None or not service:
        return
    running = services(bot)
    override = environment_value(running[service].get("environment"), ENV)
    host = url_host(override if override is not None else found[1])
    if not unreachable(host, set(running)):
        return
    fix = (
        f"add a 'duckling' service with 'image: {DUCKLING_IMAGE}' to docker-compose.yml and set "
        f"{ENV}: {SERVICE_URL} in the environment of service '{service}' (Rasa prefers it to config.yml's "
        "url, which stays http://localhost:8000 for `make dev`)"
    )
    if override is not None:
        what = f"{ENV} of service '{service}' points at host '{host}', which docker-compose.yml does not run"
        yield Problem("C106", bot.file("compose"), bot.line("compose", "services", service, "environment"), what, fix)
        return
    what = f"DucklingEntityExtractor url points at host '{host}', which docker-compose.yml does not run"
    if host in LOOPBACK:
        what += f" (in the '{service}' container, {host} is that container itself)"
    yield Problem("C106", bot.file("config"), bot.line("config", "pipeline", found[0], "url"), what, fix)


@rule("C108", "DucklingEntityExtractor's url names a Compose service, which `make dev` cannot reach", "warning")
def duckling_in_make_dev(bot: Bot) -> Iterator[Problem]:
    found = extractor(bot)
    if found is None or not (bot.root / "scripts" / "dev.py").is_file() or os.environ.get(ENV):
        return  # no `make dev` here, or its Rasa gets the variable from this environment
    host, service = url_host(found[1]), rasa_image(bot)[0] or "rasa"
    if host and host not in LOOPBACK and host in services(bot):
        yield Problem(
            "C108",
            bot.file("config"),
            bot.line("config", "pipeline", found[0], "url"),
            f"DucklingEntityExtractor url names the Compose service '{host}', which `make dev` cannot reach",
            f"use url: http://localhost:8000 (run `docker run -p 127.0.0.1:8000:8000 {DUCKLING_IMAGE}` beside "
            f"`make dev`) and set {ENV}: {found[1]} in the environment of service '{service}' in docker-compose.yml",
        )


@rule("K104", "DucklingEntityExtractor in the cluster points at a host no Kubernetes Service defines")
def duckling_in_cluster(bot: Bot) -> Iterator[Problem]:
    found = extractor(bot)
    if found is None or not (bot.root / KUBERNETES_BASE).is_dir():
        return
    workloads = cluster_documents(bot, "Deployment") + cluster_documents(bot, "StatefulSet")
    values = [environment_value(container.get("env"), ENV) for w in workloads for container in pod_containers(w)]
    override = next((value for value in values if value is not None), None)
    host = url_host(override if override is not None else found[1])
    defined = {str((doc.get("metadata") or {}).get("name")) for doc in cluster_documents(bot, "Service")}
    if unreachable(host, defined):
        where = ENV if override is not None else "the DucklingEntityExtractor url"
        yield Problem(
            "K104",
            bot.file("config") if override is None else f"{KUBERNETES_BASE}/rasa-deployment.yaml",
            None if override is not None else bot.line("config", "pipeline", found[0], "url"),
            f"in the cluster, {where} points at host '{host}', which no Service in {KUBERNETES_BASE} defines",
            f"add a Deployment and a Service 'duckling' running {DUCKLING_IMAGE} (port 8000), and set "
            f"{ENV}: {SERVICE_URL} in the env of the rasa container",
        )


def pod_containers(workload: dict) -> list[dict]:
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in pod.get("containers") or [] if isinstance(c, dict)]
