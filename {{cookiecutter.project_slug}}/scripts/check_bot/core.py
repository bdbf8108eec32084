"""Problems, rules and their registry.

A rule is a function that takes the loaded bot and yields Problems. `@rule("D101", "...")`
registers it under a stable ID with a one-line description; stack several `@rule` lines when one
function reports several kinds of problem. Every module of check_bot/rules/ is imported by
`discover()`, so a new rule is one new file there.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

LEVELS = ("error", "warning")  # error: the check fails; warning: advice, printed
RULE_ID = re.compile(r"[A-Z]{1,3}[0-9]{3}")


@dataclass(frozen=True)
class Problem:
    rule: str  # its stable ID, e.g. D101
    file: str  # relative to the bot's folder
    line: int | None  # 1-based, where YAML or the text gives it
    what: str
    fix: str
    level: str = ""  # "" until the run fills in the rule's level

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = " warning:" if self.level == "warning" else ""
        return f"{where}: {self.rule}{label} {self.what}\n    fix: {self.fix}"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    level: str
    module: str


RULES: dict[str, Rule] = {}  # every rule ID, checks' and the file readers'
CHECKS: list[Callable] = []  # the functions that yield problems, in registration order


def define(rule_id: str, description: str, level: str = "error", module: str = "check_bot") -> None:
    """Register a rule ID. Registering the same ID twice for two rules is a bug in a rule module."""
    if not RULE_ID.fullmatch(rule_id) or level not in LEVELS:
        raise ValueError(f"rule {rule_id!r}: the ID must look like D101 and the level be one of {LEVELS}")
    known = RULES.get(rule_id)
    if known is not None and (known.description, known.module) != (description, module):
        raise ValueError(f"rule ID {rule_id} is used twice: {known.module} and {module}")
    RULES[rule_id] = Rule(rule_id, description, level, module)


def rule(rule_id: str, description: str, level: str = "error") -> Callable[[Callable], Callable]:
    """Decorator: the function yields Problems with this rule ID (among others it declares)."""

    def register(check: Callable) -> Callable:
        define(rule_id, description, level, check.__module__)
        if check not in CHECKS:
            CHECKS.append(check)
        check.rule_ids = (rule_id, *getattr(check, "rule_ids", ()))
        return check

    return register


def discover() -> None:
    """Import every module of check_bot/rules/ (each registers its rules when imported)."""
    folder = Path(__file__).resolve().parent / "rules"
    for module in sorted(info.name for info in pkgutil.iter_modules([str(folder)])):
        importlib.import_module(f"{__package__}.rules.{module}")


def with_level(problem: Problem) -> Problem:
    known = RULES.get(problem.rule)
    return replace(problem, level=known.level if known else "error") if not problem.level else problem


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that must fail a check (the post-gen hook, `make check`, CI)."""
    return [problem for problem in problems if with_level(problem).level == "error"]


def unknown_ids(ids: Iterable[str]) -> list[str]:
    return sorted(set(ids) - set(RULES))
