"""Custom actions: actions/ is read, never imported. Each custom action of the domain has a class
whose name() returns it, each class is listed, and Rasa knows where the action server is."""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Tuple

import bot_files

from ..core import Problem, rule
from ..deploy import pinned, services
from ..model import Bot
from ..tables import SDK_ACTION_NAMES

Classes = Dict[str, Tuple[List[str], Optional[str], bool, str, int]]  # class -> (bases, name, has name(), file, line)


def returned_name(function: ast.FunctionDef, constants: dict[str, str]) -> str | None:
    """What `def name(self)` returns: a string, or a module constant holding one; None otherwise."""
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
            if isinstance(node.value, ast.Name) and node.value.id in constants:
                return constants[node.value.id]
    return None


def string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def base_names(node: ast.ClassDef) -> list[str]:
    return [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]


def action_classes(bot: Bot) -> Classes:
    """Every class of actions/ (and actions.py), with what its name() returns."""
    paths = bot_files.project_files(bot.root / "actions", (".py",))
    paths += [p for p in [bot.root / "actions.py"] if p.is_file()]
    classes: Classes = {}
    for path in paths:
        text = bot.reader.text(path)
        try:
            tree = ast.parse(text or "", filename=str(path))
        except (SyntaxError, ValueError) as error:
            line = getattr(error, "lineno", None)
            bot.problems.append(
                Problem("A105", bot.rel(path), line, f"is not valid Python: {error}", "fix the syntax error")
            )
            continue
        constants = string_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                method = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "name"), None)
                name = returned_name(method, constants) if method else None
                classes[node.name] = (base_names(node), name, method is not None, bot.rel(path), node.lineno)
    return classes


def resolve(classes: Classes, class_name: str, depth: int = 0) -> tuple[str | None, bool]:
    """(its action name, whether a name() exists that could not be read)."""
    if class_name in SDK_ACTION_NAMES and class_name not in classes:
        return SDK_ACTION_NAMES[class_name], False
    if class_name not in classes or depth > 20:
        return None, False
    bases, name, has_method = classes[class_name][:3]
    if has_method:
        return name, name is None
    for base in bases:
        inherited = resolve(classes, base, depth + 1)
        if inherited != (None, False):
            return inherited
    return None, False


def implemented_actions(bot: Bot) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """({action name: (file, line)} of the classes in actions/, [classes whose name() cannot be read])."""
    classes = action_classes(bot)
    found: dict[str, tuple[str, int]] = {}
    unreadable = []
    for class_name, (_, _, _, file, line) in classes.items():
        name, unknown = resolve(classes, class_name)
        if name:
            found.setdefault(name, (file, line))
        elif unknown:
            unreadable.append(f"{file}:{class_name}")
    return found, unreadable


def custom_actions(bot: Bot) -> set[str]:
    """Actions the action server runs: the domain's, minus responses and forms."""
    return {a for a in bot.actions if not a.startswith("utter_")} - set(bot.forms)


def action_server_fix(bot: Bot) -> str:
    """The complete fix for custom actions without an action endpoint: the endpoint and the service."""
    endpoint = f"add 'action_endpoint:' with 'url: http://action_server:5055/webhook' to {bot.file('endpoints')}"
    if "action_server" in services(bot):
        return endpoint
    sdk = pinned(bot, "rasa-sdk") or "<your rasa-sdk version>"
    return (
        f"{endpoint}, and an 'action_server' service to docker-compose.yml with 'image: rasa/rasa-sdk:{sdk}' "
        "and 'volumes: [./actions:/app/actions]'"
    )


@rule("A101", "a custom action of the domain has no class in actions/")
@rule("A102", "a custom action may have no class: a name() the checker cannot read", "warning")
@rule("A103", "a class in actions/ implements an action the domain does not list")
@rule("A104", "the domain has custom actions but endpoints.yml has no action_endpoint")
@rule("A105", "a Python file of actions/ has a syntax error")
def custom_action_code(bot: Bot) -> Iterator[Problem]:
    custom = custom_actions(bot)
    implemented, unreadable = implemented_actions(bot)
    has_code = (bot.root / "actions").is_dir() or (bot.root / "actions.py").is_file()
    for action in sorted(custom - set(implemented) if has_code else ()):  # else they live in another repository
        what = f"custom action '{action}' has no implementation in actions/"
        fix = f"add a class whose name() returns '{action}' in actions/actions.py, or remove it from the domain"
        if unreadable:  # a name() this checker cannot evaluate may well return it
            yield Problem(
                "A102",
                *bot.where("actions", action),
                f"{what} (that it can see: {', '.join(unreadable)} compute their name)",
                fix,
            )
        else:
            yield Problem("A101", *bot.where("actions", action), what, fix)
    for action in sorted(set(implemented) - custom - {"action_validate_slot_mappings"}):
        what = f"implements action '{action}', which {bot.domain_file} does not list (Rasa never calls it)"
        fix = f"add '- {action}' under 'actions:' in {bot.domain_file}, or delete the class"
        yield Problem("A103", *implemented[action], what, fix)
    if custom and not bot.endpoints.get("action_endpoint"):
        what = "the domain has custom actions but there is no action_endpoint"
        yield Problem("A104", bot.file("endpoints"), None, what, action_server_fix(bot))
