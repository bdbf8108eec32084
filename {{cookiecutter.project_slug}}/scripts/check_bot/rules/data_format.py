"""Training-data format: Markdown needs Rasa 2.x; each Rasa line reads its own YAML format version."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..core import Problem, rule
from ..deploy import pinned
from ..model import Bot
from ..tables import FORMAT_VERSIONS


@rule("D120", "Markdown training data with Rasa 3, which ignores it")
@rule("D121", "a file's format 'version:' is not the pinned Rasa line's")
def data_format(bot: Bot) -> Iterator[Problem]:
    rasa = pinned(bot, "rasa")
    rasa_major = rasa.split(".")[0]
    if not rasa_major.isdigit():
        return
    if int(rasa_major) >= 3:
        for file, kind in bot.markdown_files.items():
            yield Problem(
                "D120",
                file,
                None,
                f"is Markdown training data, which Rasa {rasa} ignores (Markdown was removed in 3.0)",
                f"convert it with Rasa 2.8: rasa data convert {kind} -f yaml --data {file} --out {Path(file).parent}, "
                "then delete the .md file",
            )
    wanted = FORMAT_VERSIONS.get(rasa_major, f"{rasa_major}.x")
    for file, version in bot.format_versions.items():
        if version.split(".")[0] != rasa_major:
            yield Problem(
                "D121",
                file,
                bot.version_lines.get(file),
                f'declares version: "{version}", but requirements.txt pins rasa=={rasa}',
                f'use the format version of Rasa {rasa_major}.x: version: "{wanted}"',
            )
