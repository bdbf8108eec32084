"""Kubernetes (deploy/kubernetes/base): the cluster's endpoints.yml says what config/endpoints.yml
says, with Kubernetes Services as hosts, plus the Redis lock store the Rasa replicas need."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..deploy import endpoint_hosts, without_host
from ..model import Bot
from ..readers import line_of
from ..tables import KUBERNETES_BASE


@rule("K101", "a section of the cluster's endpoints.yml differs from config/endpoints.yml beyond its host")
@rule("K102", "the cluster's endpoints.yml has no Redis lock_store")
@rule("K103", "a cluster endpoint points at a host no Kubernetes Service defines")
def cluster_endpoints(bot: Bot) -> Iterator[Problem]:
    base = bot.root / KUBERNETES_BASE
    path = base / "config" / "endpoints.yml"
    if not path.is_file():
        return
    file = bot.rel(path)
    cluster = next(iter(bot.reader.documents(path) or []), None)
    cluster = cluster if isinstance(cluster, dict) else {}
    for section in sorted((set(bot.endpoints) | set(cluster)) - {"lock_store"}):
        if without_host(bot.endpoints.get(section)) != without_host(cluster.get(section)):
            yield Problem(
                "K101",
                file,
                line_of(cluster, section),
                f"{section} differs from config/endpoints.yml (only the hosts may differ)",
                "use the same settings as config/endpoints.yml, with a Kubernetes Service name as the host",
            )
    lock = cluster.get("lock_store")
    if not isinstance(lock, dict) or str(lock.get("type", "")).lower() != "redis":
        yield Problem(
            "K102",
            file,
            line_of(cluster, "lock_store"),
            "has no Redis lock_store: each Rasa replica would lock conversations in its own memory",
            "add a lock_store of type redis (see deploy/kubernetes/README.md)",
        )
    defined = {str((doc.get("metadata") or {}).get("name")) for doc in cluster_documents(bot, "Service")}
    for section, host in endpoint_hosts(Bot(root=bot.root, endpoints=cluster)).items():
        if host not in defined:
            yield Problem(
                "K103",
                file,
                line_of(cluster.get(section), "url"),
                f"{section} points at host '{host}', which no Service in {KUBERNETES_BASE} defines "
                f"(Services: {', '.join(sorted(defined))})",
                "use one of those Service names as the host, or add that Service",
            )


def cluster_documents(bot: Bot, kind: str) -> list[dict]:
    """The manifests of this kind in deploy/kubernetes/base."""
    base = bot.root / KUBERNETES_BASE
    return [
        doc
        for manifest in sorted(base.glob("*.yaml"))
        for doc in bot.reader.documents(manifest) or []
        if isinstance(doc, dict) and doc.get("kind") == kind
    ]
