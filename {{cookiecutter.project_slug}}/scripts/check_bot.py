#!/usr/bin/env python3
"""Check that a Rasa bot's files agree with each other, without Rasa installed.

Catches what `rasa train` would fail on late (or, worse, accept silently): intents and actions
used in stories but not declared, `utter_` actions without a response, custom actions with no
implementation, endpoints pointing at services docker-compose.yml does not run, a pipeline the
Rasa image cannot run, versions that disagree. Each problem names the file, what is wrong and
how to fix it.

    python3 scripts/check_bot.py [BOT_DIR]      # exit 0: consistent, 1: problems, 2: bad usage

Needs only the standard library and PyYAML. The cookiecutter template runs this same module
after rendering a bot, and `make check` runs it on your edits.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlparse

try:
    import yaml
except ImportError:  # pragma: no cover - exercised by hand only
    sys.exit("check_bot.py needs PyYAML: pip install pyyaml (it comes with cookiecutter and Rasa).")

# Intents and actions every Rasa bot has without declaring them.
BUILTIN_INTENTS = {"restart", "back", "out_of_scope", "session_start", "nlu_fallback"}
BUILTIN_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_send_text",
    "action_extract_slots",
}
# The walkthrough's smallest intent (goodbye) has four examples; fewer rarely generalises.
MIN_EXAMPLES_PER_INTENT = 4
SKIPPED_DIRS = {".git", ".venv", "venv", "models", "results", ".rasa", "state", "node_modules", "__pycache__"}
# Database images whose service must be used by an endpoint, by image name.
DATABASE_IMAGES = {"postgres", "redis", "mongo"}
# Training-data format version each Rasa major reads without a warning (the template's
# `_pins.rasa_lines.*.schema_version`; a test keeps the two equal).
FORMAT_VERSIONS = {"2": "2.0", "3": "3.1"}
# Pipeline components that need an image flavour beyond the default one.
SPACY_PREFIX, MITIE_PREFIX = "Spacy", "Mitie"


@dataclass(frozen=True)
class Problem:
    file: str
    what: str
    fix: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.file}: {self.what}\n    fix: {self.fix}"


@dataclass
class Story:
    """A story, rule or test story, reduced to what the checks need."""

    name: str
    file: str
    intents: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass
class Bot:
    """Everything the checks read, loaded once. Parse errors become problems, not exceptions."""

    root: Path
    domain: dict = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # intent -> NLU examples
    example_files: dict[str, str] = field(default_factory=dict)  # intent -> file it is in
    stories: list[Story] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    endpoints: dict = field(default_factory=dict)
    compose: dict = field(default_factory=dict)
    markdown_files: dict[str, str] = field(default_factory=dict)  # Rasa 2.x Markdown file -> nlu|core
    format_versions: dict[str, str] = field(default_factory=dict)  # YAML file -> its `version:`
    problems: list[Problem] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def first_existing(self, *candidates: str) -> Path | None:
        return next((self.root / c for c in candidates if (self.root / c).is_file()), None)

    # -- domain -------------------------------------------------------------------------------
    @property
    def domain_intents(self) -> set[str]:
        return {next(iter(i)) if isinstance(i, dict) else str(i) for i in self.domain.get("intents") or []}

    @property
    def responses(self) -> set[str]:
        # `templates:` is the pre-2.0 key; Rasa 2.x and 3.x ignore it (and the bot goes silent).
        # check_actions reports it once; its names still count here, so each utter_ is not reported too.
        return set(self.domain.get("responses") or self.domain.get("templates") or {})

    @property
    def domain_actions(self) -> set[str]:
        return {next(iter(a)) if isinstance(a, dict) else str(a) for a in self.domain.get("actions") or []}

    @property
    def forms(self) -> set[str]:
        return set(self.domain.get("forms") or {})


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------
def project_files(root: Path, suffixes: set[str]) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts[:-1])
        if path.suffix in suffixes and path.is_file() and not parts & SKIPPED_DIRS:
            yield path


def read_yaml(bot: Bot, path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        bot.problems.append(
            Problem(
                bot.rel(path),
                f"is not valid YAML: {error}".replace("\n", " "),
                "fix the syntax at the line and column shown (indentation, quotes, colons)",
            )
        )
        return None


def story_from_steps(name: str, file: str, steps: list) -> Story:
    story = Story(name=name, file=file)
    for step in steps or []:
        if not isinstance(step, dict):
            continue
        alternatives = step.get("or") if isinstance(step.get("or"), list) else [step]
        for alternative in alternatives:
            if isinstance(alternative, dict) and alternative.get("intent"):
                story.intents.append(str(alternative["intent"]))
        if step.get("action"):
            story.actions.append(str(step["action"]))
    return story


def split_examples(text: object) -> list[str]:
    return [line.strip()[2:].strip() for line in str(text or "").splitlines() if line.strip().startswith("- ")]


def add_training_data(bot: Bot, path: Path, content: dict) -> None:
    file = bot.rel(path)
    for item in content.get("nlu") or []:
        if isinstance(item, dict) and item.get("intent"):
            intent = str(item["intent"])
            bot.examples.setdefault(intent, []).extend(split_examples(item.get("examples")))
            bot.example_files.setdefault(intent, file)
    for key in ("stories", "rules"):
        for item in content.get(key) or []:
            if isinstance(item, dict):
                name = item.get("story") or item.get("rule") or "?"
                bot.stories.append(story_from_steps(str(name), file, item.get("steps")))


NLU_SECTION_KINDS = {"intent", "synonym", "regex", "lookup"}
MARKDOWN_EVENT = re.compile(r"^(slot|form|active_loop|reset_slots)\b")


def add_markdown_data(bot: Bot, path: Path, text: str) -> None:
    """Rasa 1.x/2.x Markdown, into the same model as YAML.

    NLU: `## intent:name` followed by `- example` lines (synonym/regex/lookup sections are read
    past). Stories (also end-to-end test stories): `## story name`, `* intent` (or
    `* intent{"entity": ...}`, `* intent: user text`, `* a OR b`), then `  - action` lines.
    """
    file = bot.rel(path)
    bot.markdown_files[file] = "core"
    story: Story | None = None
    intent: str | None = None
    for line in re.sub(r"<!--.*?-->", "", text, flags=re.S).splitlines():  # comments, as Rasa does
        stripped = line.strip()
        if stripped.startswith("##"):
            kind, colon, name = stripped.lstrip("#").strip().partition(":")
            story = intent = None
            if colon and kind.strip() in NLU_SECTION_KINDS:
                bot.markdown_files[file] = "nlu"
                if kind.strip() == "intent":
                    intent = name.strip()
                    bot.examples.setdefault(intent, [])
                    bot.example_files.setdefault(intent, file)
            else:
                story = Story(name=stripped.lstrip("#").strip(), file=file)
                bot.stories.append(story)
        elif intent and stripped.startswith("- "):
            bot.examples[intent].append(stripped[2:].strip())
        elif story is not None and stripped.startswith("* "):
            for alternative in re.split(r"\s+OR\s+", stripped[2:]):
                story.intents.append(re.split(r"[{:\s]", alternative.strip(), maxsplit=1)[0])
        elif story is not None and stripped.startswith("- ") and not MARKDOWN_EVENT.match(stripped[2:].strip()):
            story.actions.append(re.split(r"[{\s]", stripped[2:].strip(), maxsplit=1)[0])


def load_bot(root: Path) -> Bot:
    bot = Bot(root=root)
    if not (root / "domain.yml").is_file():
        bot.problems.append(
            Problem(
                "domain.yml",
                "is missing",
                "run the checker in the bot's root folder, "
                "or create domain.yml with its intents, responses and actions",
            )
        )
    parsed = {path: read_yaml(bot, path) for path in project_files(root, {".yml", ".yaml"})}
    for path, content in parsed.items():
        if not isinstance(content, dict):
            continue
        top = path.relative_to(root).parts[0]
        if path.name == "domain.yml" and path.parent == root:
            bot.domain = content
        elif top in {"data", "tests"}:
            add_training_data(bot, path, content)
        else:
            continue
        if "version" in content:
            bot.format_versions[bot.rel(path)] = str(content["version"])
    for path in project_files(root, {".md"}):
        if path.relative_to(root).parts[0] in {"data", "tests"}:
            add_markdown_data(bot, path, path.read_text(encoding="utf-8"))
    for attribute, candidates in {
        "config": ("config/config.yml", "config.yml"),
        "endpoints": ("config/endpoints.yml", "endpoints.yml"),
        "compose": ("docker-compose.yml", "compose.yml", "compose.yaml", "docker-compose.yaml"),
    }.items():
        path = bot.first_existing(*candidates)
        if path is not None and isinstance(parsed.get(path), dict):
            setattr(bot, attribute, parsed[path])
    return bot


# ----------------------------------------------------------------------------------------------
# Checks: each yields Problems; add a new one to CHECKS.
# ----------------------------------------------------------------------------------------------
def check_intents(bot: Bot) -> Iterator[Problem]:
    declared = bot.domain_intents | BUILTIN_INTENTS
    for story in bot.stories:
        for intent in dict.fromkeys(story.intents):
            if intent not in declared:
                yield Problem(
                    story.file,
                    f"'{story.name}' uses intent '{intent}', which domain.yml does not declare",
                    f"add '- {intent}' under 'intents:' in domain.yml, or fix the name",
                )
    for intent in sorted(bot.domain_intents - BUILTIN_INTENTS):
        count = len(bot.examples.get(intent, []))
        if count < MIN_EXAMPLES_PER_INTENT:
            yield Problem(
                bot.example_files.get(intent, "data/nlu.yml"),
                f"intent '{intent}' has {count} NLU example(s); at least {MIN_EXAMPLES_PER_INTENT} are needed",
                f"add more ways users say '{intent}' under '- intent: {intent}'",
            )
    for intent in sorted(set(bot.examples) - bot.domain_intents - BUILTIN_INTENTS):
        yield Problem(
            bot.example_files[intent],
            f"NLU examples for intent '{intent}', which domain.yml does not declare",
            f"add '- {intent}' under 'intents:' in domain.yml, or remove the examples",
        )


def check_actions(bot: Bot) -> Iterator[Problem]:
    known = bot.domain_actions | bot.responses | bot.forms | BUILTIN_ACTIONS
    for story in bot.stories:
        for action in dict.fromkeys(story.actions):
            if action.startswith("utter_") and action not in bot.responses:
                yield Problem(
                    story.file,
                    f"'{story.name}' uses '{action}', which has no response in domain.yml",
                    f"add a text for '{action}' under 'responses:' in domain.yml",
                )
            elif action not in known:
                yield Problem(
                    story.file,
                    f"'{story.name}' uses action '{action}', which domain.yml does not declare",
                    f"add '- {action}' under 'actions:' in domain.yml and implement it in actions/",
                )
    for action in sorted(a for a in bot.domain_actions if a.startswith("utter_") and a not in bot.responses):
        yield Problem(
            "domain.yml",
            f"action '{action}' is listed but has no response",
            f"add a text for '{action}' under 'responses:'",
        )
    if "templates" in bot.domain and not bot.domain.get("responses"):
        yield Problem(
            "domain.yml",
            "uses the key 'templates:', which Rasa 2 and 3 ignore (the bot says nothing)",
            "rename 'templates:' to 'responses:'",
        )


def implemented_actions(bot: Bot) -> dict[str, str]:
    """Action names returned by `def name(self)` in actions/*.py, mapped to their file."""
    found: dict[str, str] = {}
    for path in sorted((bot.root / "actions").rglob("*.py")) if (bot.root / "actions").is_dir() else []:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            bot.problems.append(Problem(bot.rel(path), f"is not valid Python: {error}", "fix the syntax error"))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "name":
                for ret in (n for n in ast.walk(node) if isinstance(n, ast.Return)):
                    if isinstance(ret.value, ast.Constant) and isinstance(ret.value.value, str):
                        found[ret.value.value] = bot.rel(path)
    return found


def check_custom_actions(bot: Bot) -> Iterator[Problem]:
    custom = {a for a in bot.domain_actions if not a.startswith("utter_")} - BUILTIN_ACTIONS - bot.forms
    implemented = implemented_actions(bot)
    for action in sorted(custom - set(implemented)):
        yield Problem(
            "domain.yml",
            f"custom action '{action}' has no implementation in actions/",
            f"add a class whose name() returns '{action}' in actions/actions.py, or remove it from the domain",
        )
    for action in sorted(set(implemented) - custom):
        yield Problem(
            implemented[action],
            f"implements action '{action}', which domain.yml does not list",
            f"add '- {action}' under 'actions:' in domain.yml, or delete the class",
        )
    if custom and not bot.endpoints.get("action_endpoint"):
        yield Problem(
            "config/endpoints.yml",
            "the domain has custom actions but there is no action_endpoint",
            "add an action_endpoint whose url is http://action_server:5055/webhook",
        )


def endpoint_hosts(bot: Bot) -> dict[str, str]:
    """Host each network endpoint of endpoints.yml points at, by section name."""
    hosts = {}
    for section, settings in bot.endpoints.items():
        if not isinstance(settings, dict) or not settings.get("url"):
            continue
        url = str(settings["url"])
        hosts[section] = urlparse(url).hostname if "://" in url else url.split(":")[0]
    return hosts


def dockerfile(bot: Bot, service: dict) -> Path | None:
    """The Dockerfile a compose service builds, or None when it runs an image."""
    build = service.get("build")
    if not build:
        return None
    context = build if isinstance(build, str) else build.get("context", ".")
    return bot.root / context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))


def base_image(bot: Bot, service: dict) -> str:
    """The image a compose service runs, or the FROM of the Dockerfile it builds."""
    path = dockerfile(bot, service)
    if path is not None:
        froms = (
            re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", path.read_text(encoding="utf-8"), re.M) if path.is_file() else []
        )
        return froms[-1] if froms else ""
    return str(service.get("image") or "")


def services(bot: Bot) -> dict[str, dict]:
    return {name: s for name, s in (bot.compose.get("services") or {}).items() if isinstance(s, dict)}


def check_endpoints_match_compose(bot: Bot) -> Iterator[Problem]:
    if not bot.compose:
        return
    running = services(bot)
    hosts = endpoint_hosts(bot)
    dangling = {section: host for section, host in hosts.items() if host not in running}
    for section, host in dangling.items():
        yield Problem(
            "config/endpoints.yml",
            f"{section} points at host '{host}', which docker-compose.yml does not run "
            f"(services: {', '.join(sorted(running))})",
            f"use one of those service names as the host, or add a '{host}' service to docker-compose.yml",
        )
    if dangling:  # the unused service is then most likely the one the wrong host meant: not "remove it"
        return
    for name, service in running.items():
        repository = base_image(bot, service).split(":")[0]
        if repository == "rasa/rasa-sdk" and name not in hosts.values():
            yield Problem(
                "docker-compose.yml",
                f"service '{name}' runs an action server but no endpoint uses it",
                f"point action_endpoint at http://{name}:5055/webhook in config/endpoints.yml, or remove the service",
            )
        if repository.split("/")[-1] in DATABASE_IMAGES and name not in hosts.values():
            yield Problem(
                "docker-compose.yml",
                f"service '{name}' runs a database but no endpoint uses it",
                f"point tracker_store at '{name}' in config/endpoints.yml, or remove the service",
            )


def check_custom_tracker_store(bot: Bot) -> Iterator[Problem]:
    store = bot.endpoints.get("tracker_store")
    kind = str(store.get("type", "")) if isinstance(store, dict) else ""
    if "." not in kind:
        return
    module, _, class_name = kind.rpartition(".")
    path = bot.root / (module.replace(".", "/") + ".py")
    if not path.is_file():
        yield Problem(
            "config/endpoints.yml",
            f"tracker_store type '{kind}' needs {bot.rel(path)}, which is missing",
            "create that module, or fix the dotted path (module.path.ClassName)",
        )
    elif not re.search(rf"^\s*class\s+{re.escape(class_name)}\b", path.read_text(encoding="utf-8"), re.M):
        yield Problem(
            bot.rel(path),
            f"does not define class '{class_name}' named by tracker_store in config/endpoints.yml",
            "define the class there, or fix the class name in endpoints.yml",
        )


def rasa_image(bot: Bot) -> tuple[str, str, str]:
    """(service name, image, file that sets the image) of the Rasa server, or ('', '', '')."""
    for name, service in services(bot).items():
        image = base_image(bot, service)
        if image.split(":")[0] == "rasa/rasa":
            path = dockerfile(bot, service)
            return name, image, bot.rel(path) if path is not None else "docker-compose.yml"
    return "", "", ""


def check_image_flavour(bot: Bot) -> Iterator[Problem]:
    service, image, where = rasa_image(bot)
    if not image:
        return
    tag = image.partition(":")[2]
    components = [c for c in bot.config.get("pipeline") or [] if isinstance(c, dict)]
    names = [str(c.get("name", "")) for c in components]
    context = f" (service '{service}', image {image})"
    if any(n.startswith(SPACY_PREFIX) for n in names) and "spacy" not in tag and "full" not in tag:
        yield Problem(
            where,
            "the pipeline uses spaCy components but the image has no spaCy" + context,
            f"use the image rasa/rasa:{tag.split('-')[0]}-spacy-en (or -full)",
        )
    if any(n.startswith(MITIE_PREFIX) for n in names) and "full" not in tag:
        yield Problem(
            where,
            "the pipeline uses MITIE components but only the -full image has MITIE" + context,
            f"use the image rasa/rasa:{tag.split('-')[0]}-full",
        )
    language = re.search(r"-spacy-([a-z]{2})$", tag)
    for component in components:
        model = str(component.get("model") or "")
        if component.get("name") == "SpacyNLP" and language and model and not model.startswith(language.group(1)):
            yield Problem(
                "config/config.yml",
                f"SpacyNLP model '{model}' does not match the image's language ({image})",
                f"use a {language.group(1)}_core_web_* model, or the matching -spacy-<lang> image",
            )


def pinned(bot: Bot, package: str) -> str:
    path = bot.root / "requirements.txt"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    found = re.search(rf"^{re.escape(package)}==(\S+)", text, re.M)
    return found.group(1) if found else ""


def check_versions(bot: Bot) -> Iterator[Problem]:
    images = {base_image(bot, s).split(":")[0]: base_image(bot, s) for s in services(bot).values()}
    for repository, package in (("rasa/rasa", "rasa"), ("rasa/rasa-sdk", "rasa-sdk")):
        version, image = pinned(bot, package), images.get(repository, "")
        image_version = image.partition(":")[2].split("-")[0]
        if version and image_version and version != image_version:
            yield Problem(
                "requirements.txt",
                f"pins {package}=={version} but the Docker image is {image}",
                "use the same version in both (the local venv and the containers must agree)",
            )


def check_data_format(bot: Bot) -> Iterator[Problem]:
    """Markdown training data needs Rasa 2.x; each line reads its own YAML format version."""
    rasa_major = pinned(bot, "rasa").split(".")[0]
    if not rasa_major.isdigit():
        return
    if int(rasa_major) >= 3:
        for file, kind in bot.markdown_files.items():
            yield Problem(
                file,
                f"is Markdown training data, which Rasa {pinned(bot, 'rasa')} ignores (Markdown was removed in 3.0)",
                f"convert it with Rasa 2.8: rasa data convert {kind} -f yaml --data {file} --out {Path(file).parent}, "
                "then delete the .md file",
            )
    wanted = FORMAT_VERSIONS.get(rasa_major, f"{rasa_major}.x")
    for file, version in bot.format_versions.items():
        if version.split(".")[0] != rasa_major:
            yield Problem(
                file,
                f'declares version: "{version}", but requirements.txt pins rasa=={pinned(bot, "rasa")}',
                f'use the format version of Rasa {rasa_major}.x: version: "{wanted}"',
            )


def check_env_file(bot: Bot) -> Iterator[Problem]:
    env = bot.root / ".env"
    if env.is_file() and re.search(r"^[A-Za-z0-9_]+=change-me\s*$", env.read_text(encoding="utf-8"), re.M):
        yield Problem(
            ".env",
            "still has 'change-me' placeholder secrets",
            "delete .env and run `make .env` to generate random secrets",
        )


KUBERNETES_BASE = "deploy/kubernetes/base"  # kubernetes=yes: the Kustomize base of the cluster


def yaml_documents(path: Path) -> list:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    except (yaml.YAMLError, UnicodeDecodeError):  # a .yml is reported by load_bot already
        return []


def without_host(settings: object) -> object:
    """An endpoints.yml section with the host of its url left out (hosts may differ per platform)."""
    if not isinstance(settings, dict) or "url" not in settings:
        return settings
    url = str(settings["url"])
    if "://" in url:
        parsed = urlparse(url)
        url = parsed._replace(netloc=parsed.netloc.replace(parsed.hostname or "", "", 1)).geturl()
    else:
        url = url.partition(":")[2]
    return {**settings, "url": url}


def check_kubernetes_endpoints(bot: Bot) -> Iterator[Problem]:
    """The cluster's endpoints.yml says what config/endpoints.yml says, with Kubernetes Services as
    hosts, plus the Redis lock store the Rasa replicas need."""
    base = bot.root / KUBERNETES_BASE
    path = base / "config" / "endpoints.yml"
    if not path.is_file():
        return
    file = bot.rel(path)
    cluster = next(iter(yaml_documents(path)), None)
    cluster = cluster if isinstance(cluster, dict) else {}
    for section in sorted((set(bot.endpoints) | set(cluster)) - {"lock_store"}):
        if without_host(bot.endpoints.get(section)) != without_host(cluster.get(section)):
            yield Problem(
                file,
                f"{section} differs from config/endpoints.yml (only the hosts may differ)",
                "use the same settings as config/endpoints.yml, with a Kubernetes Service name as the host",
            )
    lock = cluster.get("lock_store")
    if not isinstance(lock, dict) or str(lock.get("type", "")).lower() != "redis":
        yield Problem(
            file,
            "has no Redis lock_store: each Rasa replica would lock conversations in its own memory",
            "add a lock_store of type redis (see deploy/kubernetes/README.md)",
        )
    services = {
        str((doc.get("metadata") or {}).get("name"))
        for manifest in sorted(base.glob("*.yaml"))
        for doc in yaml_documents(manifest)
        if isinstance(doc, dict) and doc.get("kind") == "Service"
    }
    for section, host in endpoint_hosts(Bot(root=bot.root, endpoints=cluster)).items():
        if host not in services:
            yield Problem(
                file,
                f"{section} points at host '{host}', which no Service in {KUBERNETES_BASE} defines "
                f"(Services: {', '.join(sorted(services))})",
                "use one of those Service names as the host, or add that Service",
            )


CHECKS: list[Callable[[Bot], Iterable[Problem]]] = [
    check_intents,
    check_actions,
    check_custom_actions,
    check_endpoints_match_compose,
    check_custom_tracker_store,
    check_image_flavour,
    check_versions,
    check_data_format,
    check_env_file,
    check_kubernetes_endpoints,
]


def check_bot(root: Path) -> list[Problem]:
    """All problems of the bot in root, in a stable order."""
    bot = load_bot(Path(root).resolve())
    if bot.problems:  # a file that does not parse makes every cross-file check report noise
        return bot.problems
    found = [problem for check in CHECKS for problem in check(bot)]
    return list(dict.fromkeys(bot.problems + found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that a Rasa bot's files agree with each other.")
    parser.add_argument("bot_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    root = parser.parse_args(argv).bot_dir
    if not root.is_dir():
        print(f"error: {root} is not a folder", file=sys.stderr)
        return 2
    problems = check_bot(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"\n{len(problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    print(f"bot check passed: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
