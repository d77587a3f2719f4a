"""Documentation: every command, config key, table and column is documented where it lives, and every link holds.

The README says what the tool is and how to start; the reference is in docs/
(commands.md, operations.md, archive.md, sites.md, ...). Each check reads the
file where the thing is documented now.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click
import pytest

from series_archiver.cli import COMMANDS as CLI_COMMANDS
from series_archiver.cli import cli
from series_archiver.settings import default_config_text
from series_archiver.sites.config import SITE_KEYS
from tests.support.paths import REPO

DOCS = REPO / "docs"
README = (REPO / "README.md").read_text(encoding="utf-8")
CONFIG = (REPO / "config.toml").read_text(encoding="utf-8")


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


COMMANDS = _doc("commands.md")
OPERATIONS = _doc("operations.md")
ARCHIVE = _doc("archive.md")
SITES = _doc("sites.md")
ARCHITECTURE = _doc("architecture.md")

README_MAX_LINES = 400


# --- the README: short, and its two quick-start commands are the real ones --------------


def test_the_readme_is_at_most_400_lines() -> None:
    assert len(README.splitlines()) <= README_MAX_LINES, "README.md is too long: move the detail into docs/"


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    ci_lines = [line for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert ci_lines[-1] in README.splitlines(), "README's test command differs from the last line of .ci/run"


def test_the_readme_quick_start_runs_the_demo_from_the_venv() -> None:
    line = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/series-archiver demo"
    assert line in README.splitlines()


def test_the_quick_test_subset_is_documented() -> None:
    command = '.venv/bin/python -m pytest -m "not slow"'
    assert command in README
    assert command in _doc("development.md")


# --- commands: a row each in docs/commands.md, a line each in the README's short table ---


def _command(name: str) -> click.Command:
    """The command, imported as running it would import it (the group loads its module then)."""
    command = cli.get_command(click.Context(cli), name)
    assert command is not None, f"`{name}` is in COMMANDS but the group cannot load it"
    return command


@pytest.mark.parametrize("name", sorted(CLI_COMMANDS))
def test_every_command_is_in_the_docs_and_has_an_example(name: str) -> None:
    command = _command(name)
    assert re.search(rf"^\| `{name}[ `]", README, re.MULTILINE), f"README's command table has no row for `{name}`"
    assert re.search(rf"`{name}[ `]", COMMANDS), f"docs/commands.md does not document `{name}`"
    assert command.help and "Example:" in command.help, f"`{name} --help` has no example"


def _command_rows(name: str) -> str:
    """The docs/commands.md table rows of a command (``export`` has one per format), joined."""
    return "\n".join(line for line in COMMANDS.splitlines() if re.match(rf"\| `{re.escape(name)}[ `]", line))


# Options every command shares or that are for tests and demos, documented once above the tables.
_SHARED_OPTIONS = {"--config", "--db", "--help", "--replica"}


@pytest.mark.parametrize("name", sorted(CLI_COMMANDS))
def test_every_option_of_every_command_is_in_its_row(name: str) -> None:
    row = _command_rows(name)
    assert row, f"docs/commands.md has no table row for `{name}`"
    for param in _command(name).params:
        flags = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("-")]
        if not flags or set(flags) & _SHARED_OPTIONS:
            continue
        assert any(re.search(rf"{re.escape(f)}(?![\w-])", row) for f in flags), f"`{name}` {flags[0]} is not in its docs/commands.md row"


# --- configuration: commented in config.toml, named in docs/operations.md ---------------


def _keys() -> list[str]:
    data = tomllib.loads(default_config_text())
    keys = []
    for section, value in data.items():
        if section == "series":
            keys.extend(f"series.{k}" for k in value[0])
        else:
            keys.extend(f"{section}.{k}" for k in value)
    return keys


@pytest.mark.parametrize("key", _keys())
def test_every_config_key_is_commented_in_config_toml_and_named_in_operations(key: str) -> None:
    name = key.split(".", 1)[1]
    lines = CONFIG.splitlines()
    index = next((i for i, line in enumerate(lines) if re.match(rf"{re.escape(name)}\s*=", line)), None)
    assert index is not None, f"{key} is missing from config.toml"
    above = lines[max(0, index - 3):index]
    assert any(line.startswith("#") for line in above), f"{key} has no comment in config.toml"
    section = OPERATIONS.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert f"`{name}`" in section, f"docs/operations.md (Configuration) does not name {key}"


def _table_keys(section: str) -> set[str]:
    """The backticked names in the first cell of each row of a two-column key table."""
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([^`]+)`", line.split(" | ", 1)[0]))
    return keys


def test_the_sites_key_table_lists_every_key_a_sites_table_may_have() -> None:
    section = SITES.split("## Another outlet in config: [[sites]]", 1)[1].split("\n## ", 1)[0]
    table = section.split("| key | what it holds |", 1)[1].split("\n\n", 1)[0]
    assert _table_keys(table) == set(SITE_KEYS), "docs/sites.md's [[sites]] keys differ from sites/config.py's SITE_KEYS"


# --- the archive: the table of tables matches a new archive ----------------------------


def _documented_columns(row: str) -> set[str]:
    """The backticked names in a row's last cell, outside the parenthesised notes."""
    cell = row.rstrip(" |").rsplit(" | ", 1)[-1]
    depth, kept = 0, []
    for char in cell:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return set(re.findall(r"`([^`]+)`", "".join(kept)))


def test_the_schema_table_lists_every_table_and_column_of_a_new_archive(tmp_path: Path) -> None:
    import sqlite3

    from series_archiver.archive import Archive

    db = tmp_path / "series.db"
    Archive(db).close()
    conn = sqlite3.connect(db)
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'search_fts_%' AND name NOT LIKE 'search_bigrams_%' ORDER BY name")
    ]
    section = ARCHIVE.split("## The tables", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): line for line in section.splitlines() if (m := re.match(r"\| `(\w+)` \|", line))}
    assert sorted(rows) == sorted(tables), "docs/archive.md's table of tables differs from the archive's"
    for table in tables:
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert _documented_columns(rows[table]) == columns, f"docs/archive.md's columns of {table} differ from the archive's"
    conn.close()


# --- architecture: every package and top-level module is named --------------------------


def _top_level_modules() -> list[str]:
    package = REPO / "src" / "series_archiver"
    names = [p.name for p in package.glob("*.py")]
    names += [p.name + "/" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    return sorted(names)


@pytest.mark.parametrize("name", _top_level_modules())
def test_every_package_and_module_is_in_the_architecture_map(name: str) -> None:
    assert f"`{name}`" in ARCHITECTURE, f"docs/architecture.md does not say what `{name}` holds"


# --- links: every relative link points at a file, and at a heading that exists ----------

_DOCUMENTS = sorted([REPO / "README.md", REPO / "bench" / "README.md", *DOCS.glob("*.md")])
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")


def _outside_code(text: str) -> str:
    """The text without fenced code blocks and inline code spans."""
    kept, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (lower case, punctuation dropped, spaces to hyphens)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or not (m := re.match(r"#{1,6} (.+?)\s*#*$", line)):
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _relative_links(document: Path) -> list[str]:
    links = _LINK.findall(_outside_code(document.read_text(encoding="utf-8")))
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link)]


@pytest.mark.parametrize("document", _DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_that_exists(document: Path) -> None:
    for link in _relative_links(document):
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        assert path.exists(), f"{document.relative_to(REPO)}: {link} points at a file that does not exist"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{document.relative_to(REPO)}: {link}: no heading #{anchor} in {path.relative_to(REPO)}"


def test_the_docs_index_links_every_page() -> None:
    index = _doc("README.md")
    for page in DOCS.glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"docs/README.md does not link {page.name}"
