"""The bot as the rules see it: its files loaded once, domain merged, stories reduced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .readers import Reader, line_of


@dataclass
class Story:
    """A story, rule or test story, reduced to what the checks need."""

    name: str
    file: str
    line: int | None = None
    intents: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)  # slot_was_set
    loops: list[str] = field(default_factory=list)  # active_loop (not null)
    entities: list[str] = field(default_factory=list)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, name) -> first line

    def add(self, kind: str, name: str, line: int | None) -> None:
        getattr(self, kind).append(name)
        if line is not None:
            self.lines.setdefault((kind, name), line)

    def line_of(self, kind: str, name: str) -> int | None:
        return self.lines.get((kind, name), self.line)


@dataclass
class Bot:
    """Everything the checks read, loaded once. Unreadable files become problems, not exceptions."""

    root: Path
    reader: Reader | None = None
    domain: dict = field(default_factory=dict)  # the domain's files merged, as Rasa merges them
    domain_file: str = "domain.yml"  # or "domain/" for a folder
    domain_where: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # config, endpoints, credentials, compose -> file
    responses: dict[str, str] = field(default_factory=dict)  # name -> file (domain and data files)
    examples: dict[str, list[str]] = field(default_factory=dict)  # intent -> NLU examples
    example_files: dict[str, str] = field(default_factory=dict)  # intent -> file it is in
    example_lines: dict[str, int] = field(default_factory=dict)  # intent -> line of its block
    patterns: set[str] = field(default_factory=set)  # names of lookup tables and regexes in data/
    stories: list[Story] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    endpoints: dict = field(default_factory=dict)
    credentials: dict = field(default_factory=dict)
    compose: dict = field(default_factory=dict)
    markdown_files: dict[str, str] = field(default_factory=dict)  # Rasa 2.x Markdown file -> nlu|core
    format_versions: dict[str, str] = field(default_factory=dict)  # YAML file -> its `version:`
    version_lines: dict[str, int | None] = field(default_factory=dict)  # YAML file -> line of `version:`
    data_files: dict[str, dict] = field(default_factory=dict)  # YAML file of data/ and tests/ -> content

    def __post_init__(self) -> None:
        if self.reader is None:
            self.reader = Reader(self.root)

    @property
    def problems(self) -> list:
        return self.reader.problems

    def rel(self, path: Path) -> str:
        return self.reader.rel(path)

    def text(self, path: Path | None) -> str:
        """A file's text ("" when it is missing or unreadable), read once per run."""
        return self.reader.text_if_file(path)

    def file(self, kind: str) -> str:
        """Where the bot keeps its config, endpoints, credentials or compose file."""
        default = {"compose": "docker-compose.yml"}.get(kind, f"config/{kind}.yml")
        return self.files.get(kind, default)

    def line(self, kind: str, *keys: object) -> int | None:
        """The line of a key path in the config, endpoints, credentials or compose file."""
        value: object = getattr(self, kind)
        line = None
        for key in keys:
            line = line_of(value, key) or line
            value = value.get(key) if isinstance(value, dict) else value[key] if isinstance(value, list) else None
        return line

    def first_existing(self, *candidates: str) -> Path | None:
        return next((self.root / c for c in candidates if (self.root / c).is_file()), None)

    def where(self, key: str, name: object = None) -> tuple[str, int | None]:
        """(file, line) of a domain entry (intents, slots, ...) or, without name, of the key."""
        found = self.domain_where.get((key, str(name) if name is not None else ""))
        return found or self.domain_where.get((key, ""), (self.domain_file, None))

    def domain_names(self, key: str) -> set[str]:
        """Names listed under a domain key, whether as `- name` or `- name: {settings}`."""
        value = self.domain.get(key) or []
        items = value if isinstance(value, list) else list(value)
        return {str(next(iter(i))) if isinstance(i, dict) else str(i) for i in items if i is not None and i != {}}

    @property
    def intents(self) -> set[str]:
        return self.domain_names("intents")

    @property
    def entities(self) -> set[str]:
        return self.domain_names("entities")

    @property
    def actions(self) -> set[str]:
        return self.domain_names("actions")

    @property
    def slots(self) -> dict[str, dict]:
        return {str(k): v if isinstance(v, dict) else {} for k, v in (self.domain.get("slots") or {}).items()}

    @property
    def forms(self) -> dict[str, dict]:
        return {str(k): v if isinstance(v, dict) else {} for k, v in (self.domain.get("forms") or {}).items()}

    def has_response(self, action: str) -> bool:
        """utter_x has a response, or is a retrieval action (utter_chitchat with utter_chitchat/... responses)."""
        return action in self.responses or any(name.startswith(action + "/") for name in self.responses)
