"""`diff`, `log` and `list` as a user runs them: real subprocesses on an archive of real crawls.

The archive is made once for the module: the replica crawled, installment ①
silently edited (「1萬億元」→「1.2萬億元」) and crawled again, then taken down
(404) and crawled a third time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from series_archiver.demo import demo_settings
from series_archiver.demo.replica import ReplicaSite
from tests.support.crawl import Crawler

pytestmark = pytest.mark.slow

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
A1_MIRROR = "https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "series.db"
    with ReplicaSite() as site:
        crawler = Crawler(site, demo_settings(path))
        assert crawler.crawl().counts.new_articles == 4
        site.edit(A1, "1萬億元", "1.2萬億元")
        assert crawler.crawl().counts.new_versions == 1
        site.remove(A1)
        assert crawler.crawl().counts.gone == 1
    return path


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env["PYTHONUTF8"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "series_archiver", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=db.parent,  # no ./config.toml there: the packaged defaults
        env=env,
        timeout=60,
    )


@pytest.fixture(scope="module")
def rows(db: Path) -> dict[int, dict]:
    """``list --json`` by installment."""
    done = run(db, "list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["installment"]: row for row in json.loads(done.stdout)}


def test_list_shows_the_removal(db: Path, rows: dict[int, dict]) -> None:
    assert {n: (r["status"], r["versions"]) for n, r in rows.items()} == {
        1: ("gone", 2),
        2: ("live", 1),
        3: ("live", 1),
        4: ("live", 1),
    }
    assert rows[1]["gone_at"] is not None and rows[2]["gone_at"] is None
    table = run(db, "list")
    assert table.returncode == 0 and "gone" in table.stdout


def test_diff_json_names_exactly_the_changed_characters(db: Path, rows: dict[int, dict]) -> None:
    article = rows[1]["id"]
    done = run(db, "diff", str(article), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["id"], data["from"], data["to"], data["chars_added"], data["chars_removed"]) == (article, 1, 2, 5, 3)
    assert data["summary"] == "「…加值首度站上1萬億→1.2萬億元台階。」"
    ops = data["ops"]
    assert [o["op"] for o in ops] == ["equal", "delete", "insert", "equal"]
    assert (ops[1]["text"], ops[2]["text"]) == ("1萬億", "1.2萬億")
    assert ops[0]["text"].startswith("貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿\n")
    assert ops[0]["text"].endswith("示例市去年工業增加值首度站上") and ops[3]["text"].startswith("元台階。\n")
    # The same diff asked for by number, and backwards.
    same = json.loads(run(db, "diff", str(article), "--from", "1", "--to", "2", "--json").stdout)
    assert same == data
    back = json.loads(run(db, "diff", str(article), "--from", "2", "--to", "1", "--json").stdout)
    assert [(o["op"], o["text"]) for o in back["ops"] if o["op"] != "equal"] == [("delete", "1.2萬億"), ("insert", "1萬億")]


def test_diff_on_a_pipe_is_plain_text_with_the_change_marked(db: Path, rows: dict[int, dict]) -> None:
    article = rows[1]["id"]
    done = run(db, "diff", str(article))
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"#{article} version 1 (") and lines[0].endswith("): +5 -3 characters")
    [changed] = [line for line in lines if "萬億" in line]
    # Marked, so the old and the new figures no longer run together (1萬億1.2萬億).
    assert changed.endswith("示例市去年工業增加值首度站上[-1萬億-]{+1.2萬億+}元台階。")
    assert "unchanged paragraphs" in done.stdout


def test_log_json_lists_versions_and_the_removal(db: Path, rows: dict[int, dict]) -> None:
    article = rows[1]["id"]
    done = run(db, "log", str(article), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["id"], data["status"], data["url"]) == (article, "gone", A1)
    assert data["gone_at"] is not None
    assert [(u["url"], u["is_primary"], u["status"]) for u in data["urls"]] == [(A1, True, "gone"), (A1_MIRROR, False, "live")]
    assert [(v["version"], v["restores"], v["chars_added"], v["chars_removed"]) for v in data["versions"]] == [
        (1, None, None, None),
        (2, None, 5, 3),
    ]
    assert data["versions"][1]["chars"] == data["versions"][0]["chars"] + 2
    events = [(e["kind"], e["version"], e["chars_added"], e["chars_removed"], e["summary"]) for e in data["events"]]
    assert events == [
        ("first", 1, None, None, None),
        ("edit", 2, 5, 3, "「…加值首度站上1萬億→1.2萬億元台階。」"),
        ("gone", 2, None, None, "HTTP 404 Not Found"),
    ]
    assert data["events"][2]["at"] == data["gone_at"]


def test_log_as_text(db: Path, rows: dict[int, dict]) -> None:
    article = rows[1]["id"]
    done = run(db, "log", str(article))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"#{article} 貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿"
    assert lines[1].startswith("gone since ") and lines[1].endswith(f" · 2 versions · {A1}")
    assert lines[2] == f"  also at {A1_MIRROR} (mirror, live)"
    # Each event at its time in archive.display_timezone (Hong Kong), offset shown.
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00  ", line) for line in lines[4:])
    kinds = [line.split()[2] for line in lines[4:]]
    assert kinds == ["first", "edit", "gone"]
    assert "+5 -3" in lines[5] and lines[6].endswith("HTTP 404 Not Found")


def test_unknown_article_or_version_exits_1_and_says_what_exists(db: Path, rows: dict[int, dict]) -> None:
    article = rows[1]["id"]
    missing = run(db, "log", "999")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().endswith("no article 999; `series-archiver list` shows the ids")
    version = run(db, "diff", str(article), "--to", "7")
    assert version.returncode == 1
    assert f"article {article} has no version 7; it has versions 1 to 2" in version.stderr
    single = run(db, "diff", str(rows[2]["id"]))
    assert single.returncode == 1 and "has one version so far" in single.stderr
    nothing = run(db.parent / "absent.db", "log", "1")
    assert nothing.returncode == 1 and "no archive here yet" in nothing.stderr


def test_help_gives_an_example() -> None:
    for command in ("diff", "log"):
        done = subprocess.run([sys.executable, "-m", "series_archiver", command, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and f"Example: series-archiver {command} 1" in done.stdout
