"""The command in a subprocess, with a config of its own: for the CLI tests that run ``series-archiver`` as a user does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from series_archiver.demo.replica import ReplicaSite


def run(*args: str, cwd: Path, check: bool = False, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``series-archiver ARGS`` in a subprocess, its output piped; ``env``: variables over this process's (COLUMNS=80)."""
    proc = subprocess.run(
        [sys.executable, "-m", "series_archiver", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=None if env is None else {**os.environ, **env},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def loopback_config(site: ReplicaSite, tmp_path: Path, **fetch: object) -> Path:
    """A config that crawls the replica by its loopback URLs (for a subprocess, which has no transport).

    ``fetch``: [fetch] keys over the defaults here (no delay, no retries).
    """
    start = [site.local_url(u) for u in site.manifest["start_urls"]]
    return write_config(tmp_path, start, **fetch)


def write_config(tmp_path: Path, start_urls: list[str], **fetch: object) -> Path:
    """``tmp_path/config.toml``: an archive in ``tmp_path/a.db``, one series, only 127.0.0.1 allowed."""
    keys: dict[str, object] = {"allowed_hosts": ["127.0.0.1"], "delay_seconds": 0.0, "retries": 0, "timeout_seconds": 5.0, **fetch}
    section = "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    path = tmp_path / "config.toml"
    path.write_text(
        f'[archive]\ndb = "{tmp_path / "a.db"}"\n[fetch]\n{section}'
        f'[[series]]\nname = "貿戰下中國力量"\npattern = "貿戰下中國力量"\nstart_urls = {json.dumps(start_urls)}\n',
        encoding="utf-8",
    )
    return path
