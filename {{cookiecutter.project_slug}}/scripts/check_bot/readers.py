"""Reading the bot's files safely, each file once per run.

Text must be UTF-8 without NUL bytes. YAML goes through PyYAML's safe loader (libyaml when
present), refuses alias bombs and too deep nesting, records duplicated keys, and keeps the line
of every mapping key and list item (LineDict, LineList). A file that cannot be read becomes a
Problem, never an exception.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .core import Problem, define

# YAML after alias expansion larger than this is refused (an "alias bomb" would hang or exhaust memory).
MAX_YAML_NODES = 5_000_000

define("F001", "a file is not UTF-8 text")
define("F002", "a YAML file has a syntax error")
define("F003", "a YAML file expands to too many nodes through anchors and aliases")
define("F004", "a YAML file is nested too deeply to read")
define("F005", "a YAML mapping has the same key twice (YAML keeps the last)")
define("F006", "a required YAML file is empty")
define("F007", "a YAML file is not a mapping of keys")


class LineDict(dict):
    """A YAML mapping that knows its line and the line of each key."""

    line: int | None = None
    key_lines: dict[str, int] = {}


class LineList(list):
    """A YAML list that knows its line and the line of each item."""

    line: int | None = None
    item_lines: list[int] = []


def line_of(container: object, key: object = None) -> int | None:
    """The line of a mapping key or list index in a loaded YAML value; of the value itself without key."""
    if key is None:
        return getattr(container, "line", None)
    if isinstance(container, LineDict):
        return container.key_lines.get(str(key))
    if isinstance(container, LineList) and isinstance(key, int) and 0 <= key < len(container.item_lines):
        return container.item_lines[key]
    return None


class BoundedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader that records duplicated keys and lines."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen and key.value != "<<":
                    self.duplicates.append((key.value, key.start_mark.line + 1))
                seen.add(key.value)
        return super().construct_mapping(node, deep)

    def construct_line_map(self, node):
        data = LineDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        yield data
        data.update(self.construct_mapping(node))

    def construct_line_seq(self, node):
        data = LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(self.construct_sequence(node))


BoundedLoader.add_constructor("tag:yaml.org,2002:map", BoundedLoader.construct_line_map)
BoundedLoader.add_constructor("tag:yaml.org,2002:seq", BoundedLoader.construct_line_seq)


def expanded_size(root: yaml.Node) -> int:
    """Node count of a YAML tree with every alias expanded, computed without expanding it
    (a depth-first walk that counts each shared node once; a recursive alias counts as infinite)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # nodes whose children are being counted
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done and id(node) in open_nodes:
            return MAX_YAML_NODES + 1  # the node contains itself
        children = children_of(node)
        if children_done or not children:
            sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), MAX_YAML_NODES + 1)
            open_nodes.discard(id(node))
        else:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def children_of(node: yaml.Node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def read_bytes(path: Path) -> bytes:
    """The one place a bot file is opened (tests count the calls)."""
    return path.read_bytes()


def type_name(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}
    kind = names.get(type(value)) or next((name for base, name in names.items() if isinstance(value, base)), None)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{kind or type(value).__name__} ({shown})" if value is not None else "null (nothing)"


class Reader:
    """The bot's files, each read and parsed at most once; problems collect in `problems`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self._texts: dict[Path, str | None] = {}
        self._documents: dict[Path, list | None] = {}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def report(self, rule_id: str, path: Path, line: int | None, what: str, fix: str) -> None:
        self.problems.append(Problem(rule_id, self.rel(path), line, what, fix))

    def text(self, path: Path) -> str | None:
        """The file as text, or None (and a problem) when it is not UTF-8 text."""
        if path not in self._texts:
            self._texts[path] = self._read_text(path)
        return self._texts[path]

    def text_if_file(self, path: Path | None) -> str:
        return (self.text(path) or "") if path is not None and path.is_file() else ""

    def _read_text(self, path: Path) -> str | None:
        try:
            data = read_bytes(path)
            if b"\0" in data:
                raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "contains NUL bytes")
            return data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.reason if isinstance(error, UnicodeDecodeError) else error
            self.report(
                "F001",
                path,
                None,
                f"is not a UTF-8 text file ({reason})",
                "save it as UTF-8 text, or move it out of the bot if it is not one of its files",
            )
            return None

    def documents(self, path: Path) -> list | None:
        """Every YAML document of the file (empty ones left out), or None when it cannot be read."""
        if path not in self._documents:
            text = self.text(path)
            self._documents[path] = None if text is None else self._parse(path, text)
        return self._documents[path]

    def _parse(self, path: Path, text: str) -> list | None:
        loader = BoundedLoader(text)
        documents: list = []
        size = 0
        try:
            while loader.check_node():
                node = loader.get_node()
                size += expanded_size(node) if node is not None else 0
                if size > MAX_YAML_NODES:
                    self.report(
                        "F003",
                        path,
                        None,
                        f"expands to more than {MAX_YAML_NODES:,} YAML nodes through anchors and aliases (&, *)",
                        "write the values out instead of nesting aliases",
                    )
                    return None
                documents.append(loader.construct_document(node))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            what = f"is not valid YAML: {error}".replace("\n", " ")
            fix = "fix the syntax at the line and column shown (indentation, quotes, colons)"
            self.report("F002", path, mark.line + 1 if mark else None, what, fix)
            return None
        except RecursionError:
            self.report("F004", path, None, "is nested too deeply to read", "flatten the nesting")
            return None
        finally:
            loader.dispose()
        for key, line in loader.duplicates:
            self.report("F005", path, line, f"has the key '{key}' twice; YAML keeps only the last one", "merge the two")
        return [document for document in documents if document is not None]

    def mapping(self, path: Path, *, empty_is_error: bool = False) -> dict | None:
        """A YAML file that must hold one mapping; None (and a problem) when it does not."""
        documents = self.documents(path)
        if documents is None:
            return None
        if len(documents) > 1:
            what = f"is not valid YAML: it holds {len(documents)} documents (---), Rasa and Compose read one"
            self.report("F002", path, None, what, "merge the documents into one")
            return None
        if not documents:
            if empty_is_error:
                self.report("F006", path, None, "is empty", f"write the bot's {path.stem} into it, or restore it")
            return None
        data = documents[0]
        if not isinstance(data, dict):
            what = f"must be a mapping of keys (like 'version:'), not {type_name(data)}"
            self.report("F007", path, line_of(data), what, "start each top-level key at column 0, then a colon")
            return None
        return data
