"""Documentation: every command and every config key is documented."""

from __future__ import annotations

import re
import tomllib

import pytest

from series_archiver.cli import cli
from series_archiver.settings import default_config_text
from tests.support.paths import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CONFIG = (REPO / "config.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme_and_has_an_example(name: str) -> None:
    command = cli.commands[name]
    assert re.search(rf"`{name}[ `]", README), f"README does not document `{name}`"
    assert command.help and "Example:" in command.help, f"`{name} --help` has no example"


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
def test_every_config_key_is_commented_in_config_toml_and_named_in_the_readme(key: str) -> None:
    name = key.split(".", 1)[1]
    lines = CONFIG.splitlines()
    index = next((i for i, line in enumerate(lines) if re.match(rf"{re.escape(name)}\s*=", line)), None)
    assert index is not None, f"{key} is missing from config.toml"
    above = lines[max(0, index - 3):index]
    assert any(line.startswith("#") for line in above), f"{key} has no comment in config.toml"
    assert f"`{name}`" in README, f"README does not name {key}"


# --- the reference tables are checked against the code ----------------------------------


def _command_rows(name: str) -> str:
    """The README table rows of a command (``export`` has one per format), joined."""
    return "\n".join(line for line in README.splitlines() if re.match(rf"\| `{re.escape(name)}[ `]", line))


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


def test_the_readme_schema_table_lists_every_table_and_column_of_a_new_archive(tmp_path: pytest.TempPathFactory) -> None:
    import sqlite3
    from pathlib import Path

    from series_archiver.archive import Archive

    db = Path(str(tmp_path)) / "series.db"
    Archive(db).close()
    conn = sqlite3.connect(db)
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_fts_%' AND name NOT LIKE 'search_bigrams_%' ORDER BY name")
    ]
    section = README.split("## The archive", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): line for line in section.splitlines() if (m := re.match(r"\| `(\w+)` \|", line))}
    assert sorted(rows) == sorted(tables), "README's table of tables differs from the archive's"
    for table in tables:
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert _documented_columns(rows[table]) == columns, f"README's columns of {table} differ from the archive's"


# Options every command shares or that are for tests and demos, documented once above the tables.
_SHARED_OPTIONS = {"--config", "--db", "--help", "--replica"}


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_of_every_command_is_in_its_readme_row(name: str) -> None:
    row = _command_rows(name)
    assert row, f"README has no table row for `{name}`"
    for param in cli.commands[name].params:
        flags = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("-")]
        if not flags or set(flags) & _SHARED_OPTIONS:
            continue
        assert any(re.search(rf"{re.escape(f)}(?![\w-])", row) for f in flags), f"`{name}` {flags[0]} is not in its README row"
