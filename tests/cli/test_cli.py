"""The CLI as a user runs it: real subprocesses, real exit codes, real output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.command import loopback_config, run
from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def test_demo_runs_offline_and_lists_the_installments(tmp_path: Path) -> None:
    proc = run("demo", "--db", str(tmp_path / "demo.db"), cwd=tmp_path, check=True)
    assert "127.0.0.1" in proc.stdout
    for label in ("志氣篇", "底氣篇", "骨氣篇", "硬氣篇"):
        assert label in proc.stdout
    assert f"datasette {tmp_path / 'demo.db'}" in proc.stdout
    # The hints run as the demo was run (here `python -m`; after the quick start, .venv/bin/series-archiver).
    python = os.path.abspath(sys.executable)
    assert f"{python} -m series_archiver list --db {tmp_path / 'demo.db'}" in proc.stdout
    assert f"{python} -m datasette {tmp_path / 'demo.db'}" in proc.stdout
    assert "(2 URLs, 2 versions)" in proc.stdout and "(1 URL, 1 version)" in proc.stdout
    assert not re.search(r"\b1 URLs\b|\b(?<![\d,])1 [a-z ]*versions\b|\b[02-9] version\b", proc.stdout)
    listed = json.loads(run("list", "--json", "--db", str(tmp_path / "demo.db"), cwd=tmp_path, check=True).stdout)
    assert [r["installment"] for r in listed] == [1, 2, 3, 4, 5]  # ⑤: recovered by the demo's backfill
    assert set(listed[0]) >= {"id", "series", "installment", "label", "title", "url", "urls", "versions", "status",
                               "first_seen", "last_checked", "last_changed"}


def test_crawl_show_and_exit_codes(tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = loopback_config(site, tmp_path)
        proc = run("crawl", "--json", "--config", str(config), cwd=tmp_path, check=True)
        counts = json.loads(proc.stdout)
        assert {k: counts[k] for k in ("new_articles", "new_versions", "failed")} == {"new_articles": 4, "new_versions": 4, "failed": 0}
        assert set(counts) >= {"found", "fetched", "new_articles", "new_versions", "unchanged", "failed"}
        again = json.loads(run("crawl", "--json", "--config", str(config), cwd=tmp_path, check=True).stdout)
        assert (again["new_articles"], again["new_versions"]) == (0, 0)

        listed = json.loads(run("list", "--json", "--config", str(config), cwd=tmp_path, check=True).stdout)
        first = next(r for r in listed if r["installment"] == 1)
        shown = json.loads(run("show", str(first["id"]), "--json", "--config", str(config), cwd=tmp_path, check=True).stdout)
        assert set(shown) >= {"id", "title", "published", "byline", "paragraphs", "headings", "captions", "text",
                              "version", "captured_at", "url", "urls"}
        assert shown["title"] == site.manifest["installments"][0]["title"]
        text = run("show", str(first["id"]), "--config", str(config), cwd=tmp_path, check=True).stdout
        assert shown["paragraphs"][0] in text

        # A URL that fails is recorded, the pass goes on, and the exit status is 1.
        missing = site.local_url("https://www.takungpao.com/news/232108/2025/1299/9999999.html")
        proc = run("fetch", "--config", str(config), missing, first["url"], cwd=tmp_path)
        assert proc.returncode == 1
        assert "9999999.html" in proc.stderr


def test_show_unknown_id_says_what_to_do(tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = loopback_config(site, tmp_path)
        run("crawl", "--config", str(config), cwd=tmp_path, check=True)
        proc = run("show", "999", "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 1
    assert "no article 999" in proc.stderr and "list" in proc.stderr


@pytest.mark.parametrize(
    ("text", "key"),
    [("[fetch]\ndelay = 1\n", "fetch.delay"), ("[fetch]\nretries = -1\n", "fetch.retries"), ("[nope]\n", "nope")],
)
def test_config_errors_exit_2_with_one_line_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    proc = run("list", "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0]


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    proc = run("crawl", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.toml" in proc.stderr


def test_list_on_an_empty_place_says_what_to_do(tmp_path: Path) -> None:
    proc = run("list", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "crawl" in proc.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("series-archiver")
    assert exe.exists(), "pip install -e . installs the series-archiver command"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0 and "demo" in proc.stdout
