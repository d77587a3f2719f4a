"""The commands a hint names (``demo``'s "Next:", an empty ``list``) are the ones the user can run: ``common.invoked_as``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from series_archiver.cli.common import invoked_as


def _script(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_after_the_quick_start_the_hints_name_the_venv_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's quick start: `.venv/bin/series-archiver demo` from the clone, the venv not on PATH.
    _script(tmp_path / ".venv" / "bin" / "series-archiver")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert invoked_as(".venv/bin/series-archiver") == (".venv/bin/series-archiver", ".venv/bin/datasette")
    # The same, typed as an absolute path.
    assert invoked_as(str(tmp_path / ".venv" / "bin" / "series-archiver")) == (".venv/bin/series-archiver", ".venv/bin/datasette")
    # From elsewhere, the absolute path.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert invoked_as("../.venv/bin/series-archiver") == (
        str(tmp_path / ".venv" / "bin" / "series-archiver"),
        str(tmp_path / ".venv" / "bin" / "datasette"),
    )


def test_with_the_venv_on_path_the_hints_are_the_bare_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    script = _script(bin_dir / "series-archiver")
    _script(bin_dir / "datasette")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    assert invoked_as(str(script)) == ("series-archiver", "datasette")


def test_run_as_a_module_the_hints_run_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    program, datasette = invoked_as("/somewhere/series_archiver/__main__.py")
    python = os.path.abspath(sys.executable)  # a venv's python is a link, kept as it is
    assert (program, datasette) == (f"{python} -m series_archiver", f"{python} -m datasette")
