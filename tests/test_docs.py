"""Documentation: every command and every config key is documented."""

from __future__ import annotations

import re
import tomllib

import pytest

from series_archiver.cli import cli
from series_archiver.settings import default_config_text

from .conftest import REPO

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
