"""Files nothing reads: a config.yml, endpoints.yml or credentials.yml in the bot's root beside the
one in config/. That is what copying an example bot (Rasa's formbot, `rasa init`) into this one
leaves: `make dev`, `make train`, Compose and this check read config/, so the copy is ignored
without a word."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..model import Bot

READ_BY = {  # what reads config/'s file instead (`make dev` writes its own endpoints: an action server here)
    "config": "`make dev`, `make train`, Compose and this check read",
    "endpoints": "Compose and this check read",
    "credentials": "`make dev`, Compose and this check read",
}


@rule("F012", "a config.yml, endpoints.yml or credentials.yml in the bot's root is ignored: config/ has its own")
def shadowed_files(bot: Bot) -> Iterator[Problem]:
    for kind, readers in READ_BY.items():
        copy, used = bot.root / f"{kind}.yml", bot.root / "config" / f"{kind}.yml"
        if not (copy.is_file() and used.is_file()):
            continue
        what = f"is ignored: {readers} config/{kind}.yml"
        yield Problem("F012", f"{kind}.yml", None, what, advice(bot, kind))


def advice(bot: Bot, kind: str) -> str:
    """config.yml replaces config/config.yml (a pipeline is not merged); the sections of endpoints.yml
    and credentials.yml go into config/'s file, which keeps its own (the tracker store, the channels)."""
    if kind == "config":
        return (
            "run `mv config.yml config/config.yml` to train with it (it replaces the one there), "
            "or delete config.yml to keep config/config.yml"
        )
    sections = bot.reader.mapping(bot.root / f"{kind}.yml") or {}
    missing = [str(key) for key in sections if key not in (getattr(bot, kind) or {})]
    if not missing:
        having = ", ".join(map(str, sections)) or "nothing"
        return f"run `rm {kind}.yml`: config/{kind}.yml already has its sections ({having})"
    return (
        f"merge its section(s) {', '.join(missing)} into config/{kind}.yml (hosts: the Compose service names, "
        "secrets as ${VARIABLE} from .env), then delete " + f"{kind}.yml"
    )
