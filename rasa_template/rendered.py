"""Which files the template renders, so the post-gen hook removes only those.

Rendering again over a bot (`cookiecutter -f`) with other answers must not lose the user's work:
a folder the answers no longer ask for loses the template's files, and keeps any other file.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment

from rasa_template.answers import TEMPLATE_DIR

BOT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"


def rendered_paths(answers: dict) -> set[str]:
    """The relative paths of every file the template writes for these answers."""
    names = Environment()
    return {
        names.from_string(path.relative_to(BOT_TEMPLATE).as_posix()).render(cookiecutter=answers)
        for path in BOT_TEMPLATE.rglob("*")
        if path.is_file()
    }


def _is_cache(path: Path) -> bool:
    return path.parent.name == "__pycache__" and path.suffix == ".pyc"


def remove(bot: Path, unselected: list[str], answers: dict) -> tuple[list[str], list[str]]:
    """Delete the template's files among `unselected` (files or folders) and the folders left
    empty. Return (removed, kept): the paths deleted and the user's files left in place."""
    ours = rendered_paths(answers)
    removed, kept = [], []
    for relative in unselected:
        target = bot / relative
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for path in files:
            name = path.relative_to(bot).as_posix()
            if not path.exists():
                continue
            if name in ours or _is_cache(path):
                path.unlink()
                removed.append(name)
            else:
                kept.append(name)
        if target.is_dir():
            for folder in sorted([*target.rglob("*"), target], reverse=True):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
    return removed, kept
