"""Issue 23's soak: the replica serves block pages, in turn with the real pages; nothing is taken for news.

For each status (200, 403, 429, 503), every kind of block page (tests/block_pages.py:
challenges, blocks, captchas, maintenance pages, Chinese and English) is served on
every list page, every archived URL (one article among them already removed) and a
new article URL, short bodies on some and long ones (200 characters and more) on
the others, alternately. After each such pass: no version, no new article, no
removal, no ``back``, no witness, not one row of the archive changed but the fetch
log; every URL asked is logged ``blocked`` once (never retried), and the pass is not
ok and names the site. Then the real pages come back and a pass finds nothing new.
Bounded: 8 block passes and 8 real ones per status, each a fraction of a second.

The CLI, the daemon's notification and ``status`` are driven for real, as
subprocesses, in the last test.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from series_archiver.cli.render import summary_line
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.spn_replica import SpnReplica
from series_archiver.jobs import core
from series_archiver.models import PassResult
from series_archiver.read.discovery import mirror_urls
from series_archiver.read.pagekind import BLOCK_KINDS
from series_archiver.settings import Settings
from tests.support.block_pages import CAPTCHA_ZH, CF_CHALLENGE, KINDS
from tests.support.cli import run_cli, write_config

NEW_URL = "https://www.takungpao.com/news/232108/2025/1219/1051999.html"  # linked by nothing, asked by config
PASS_SECONDS = 30.0  # a bound on one pass: block pages are never retried, never waited for

pytestmark = pytest.mark.slow


def _rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def archive_state(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a pass may write, but the fetch log and the runs: a block pass must change none."""
    return {
        "articles": _rows(db, "SELECT id, status, current_version, gone_at, last_checked, last_changed, title FROM articles ORDER BY id"),
        "versions": _rows(db, "SELECT id, article_id, version, content_hash FROM versions ORDER BY id"),
        "changes": _rows(db, "SELECT id, article_id, kind, to_version FROM changes ORDER BY id"),
        "captures": _rows(db, "SELECT id FROM captures ORDER BY id"),
        "urls": _rows(db, "SELECT url, article_id, status, last_status, last_seen, content_hash, last_capture_id FROM article_urls ORDER BY url"),
        "witnesses": _rows(db, "SELECT id, kind, status FROM witnesses ORDER BY id"),
    }


class Soak:
    """One replica, one Save Page Now replica, one archive: real passes through jobs.core on loopback."""

    def __init__(self, site: ReplicaSite, spn: SpnReplica, db: Path) -> None:
        self.site = site
        self.real = demo_settings(db).replace(
            witness__save_page_now=True, witness__endpoint=spn.url, witness__access_key=spn.access_key, witness__secret_key=spn.secret_key,
            fetch__retries=2,
        )
        # The block passes also ask for a URL no list links, as a new installment's would be.
        series = dataclasses.replace(self.real.series[0], urls=(NEW_URL,))
        self.blocked = self.real.replace(series=(series,))
        self.db = db
        self.removed = ""
        self.list_pages: list[str] = []  # every list page a real pass reads (the start URLs and their next pages)
        # A block pass reads the start URLs only (a blocked first page has no next page), and asks
        # the new URL and its mirror twin (discovery.mirror_urls), as for any installment.
        self.start_urls = list(series.start_urls)
        self.new_urls = [NEW_URL, *mirror_urls(NEW_URL, series.mirrors)]

    def crawl(self, settings: Settings) -> PassResult:
        started = time.monotonic()
        result = core.crawl(settings, transport=LoopbackTransport(self.site.origins))
        assert time.monotonic() - started < PASS_SECONDS
        return result

    def archived_urls(self) -> list[str]:
        return [u for (u,) in _rows(self.db, "SELECT url FROM article_urls ORDER BY url")]

    def serve_real(self) -> None:
        for url in [*self.list_pages, *self.archived_urls(), *self.new_urls]:
            self.site.restore(url)
        self.site.remove(self.removed)


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Soak]:
    """One archive for the four statuses: each test leaves the real pages served, and the archive as it found it."""
    with ReplicaSite() as site, SpnReplica(site_transport=LoopbackTransport(site.origins), polls_pending=0) as spn:
        soak = Soak(site, spn, tmp_path_factory.mktemp("soak") / "series.db")
        first = soak.crawl(soak.real)
        assert first.ok and first.counts.new_articles == len(site.manifest["installments"])
        soak.list_pages = [u for (u,) in _rows(soak.db, "SELECT DISTINCT url FROM fetch_log WHERE outcome = 'list_page'")]
        assert len(soak.list_pages) >= 3
        # One article already removed: a block page on its URL must not bring it back.
        soak.removed = site.manifest["installments"][2]["url"]
        site.remove(soak.removed)
        gone = soak.crawl(soak.real)
        assert [e.kind for e in gone.events] == ["gone"]
        yield soak


@pytest.mark.parametrize("status", [200, 403, 429, 503])
def test_block_pages_in_turn_with_the_real_pages_are_never_news(soak: Soak, status: int) -> None:
    site, db = soak.site, soak.db
    for i, kind in enumerate(KINDS):
        before = archive_state(db)
        articles_long = i % 2 == 0  # list pages get the other length
        for url in soak.list_pages:
            site.set_page(url, kind.body(not articles_long), status=status)
        asked = [*soak.archived_urls(), *soak.new_urls]
        for url in asked:
            site.set_page(url, kind.body(articles_long), status=status)

        result = soak.crawl(soak.blocked)
        where = f"{kind.name} with HTTP {status}"
        c = result.counts
        assert (c.new_articles, c.new_versions, c.gone, c.suspect) == (0, 0, 0, 0), where
        assert result.events == [], where
        assert not result.ok and c.failed == len(asked) + len(soak.start_urls), where
        assert archive_state(db) == before, f"{where}: a block pass changed the archive"
        log = _rows(db, "SELECT url, outcome, status, error FROM fetch_log WHERE run_id = ?", result.run_id)
        assert sorted(u for u, *_ in log) == sorted([*soak.start_urls, *asked]), f"{where}: every URL asked once, none retried"
        assert {(outcome, code) for _u, outcome, code, _e in log} == {("blocked", status)}, where
        assert all(error and " is a block page, not the page: " + BLOCK_KINDS[kind.kind] in error for *_, error in log), where
        sites = {b.site: b for b in result.blocked}
        assert "www.takungpao.com" in sites and all(b.passes == 1 for b in result.blocked), where
        assert sites["www.takungpao.com"].reason.startswith(BLOCK_KINDS[kind.kind]), where
        assert "BLOCKED by www.takungpao.com (" in summary_line(result), where

        soak.serve_real()
        again = soak.crawl(soak.real)
        assert again.ok and again.events == [] and again.blocked == [], f"after {where}: {again.counts.failures}"
        assert (again.counts.new_articles, again.counts.new_versions, again.counts.gone) == (0, 0, 0)
        after = archive_state(db)
        assert [(a[0], a[1], a[2]) for a in after["articles"]] == [(a[0], a[1], a[2]) for a in before["articles"]]
        assert (after["versions"], after["changes"], after["witnesses"]) == (before["versions"], before["changes"], before["witnesses"])
    statuses = _rows(db, "SELECT url, status FROM article_urls WHERE url = ?", soak.removed)
    assert statuses == [(soak.removed, "gone")]


def test_the_cli_exits_1_naming_the_site_and_status_and_the_daemon_report_it_keeps_blocking(tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = write_config(tmp_path, site)
        with config.open("a", encoding="utf-8") as fh:
            fh.write('\n[schedule]\ncron = "0 0 1 1 *"\n[notify]\ncommand = "cat >> notified.jsonl; echo >> notified.jsonl"\n')
        first = run_cli(site, config, "crawl")
        assert first.returncode == 0, first.stderr

        def block_everything(long: bool, status: int, kind: Any) -> None:
            db = tmp_path / "series.db"
            pages = _rows(db, "SELECT DISTINCT url FROM fetch_log WHERE outcome = 'list_page'") + _rows(db, "SELECT url FROM article_urls")
            for (url,) in pages:
                site.set_page(url, kind.body(long), status=status)

        block_everything(True, 503, CF_CHALLENGE)
        blocked = run_cli(site, config, "crawl")
        assert blocked.returncode == 1, blocked.stdout + blocked.stderr
        assert "BLOCKED by www.takungpao.com (" in blocked.stdout
        assert "is a block page, not the page: a CDN or firewall challenge" in blocked.stderr
        assert "www.takungpao.com is blocking the crawler" in blocked.stderr
        assert "Traceback" not in blocked.stderr

        block_everything(False, 200, CAPTCHA_ZH)  # a captcha answered with 200, on the second pass in a row
        daemon = run_cli(site, config, "daemon", "--once")
        assert daemon.returncode == 1, daemon.stderr  # --once: 1 when the pass had failures, as crawl
        assert " WARNING blocked https://" in daemon.stderr and "www.takungpao.com blocked " in daemon.stderr
        assert "(2 passes in a row, since " in daemon.stderr
        sent = [json.loads(line) for line in (tmp_path / "notified.jsonl").read_text(encoding="utf-8").splitlines() if line]
        assert len(sent) == 1 and sent[0]["events"] == []
        assert "keeps blocking: www.takungpao.com blocked " in sent[0]["text"]
        assert {b["site"] for b in sent[0]["blocked"]} >= {"www.takungpao.com"}
        assert all(b["passes"] == 2 and b["reason"].startswith("a captcha or security verification") for b in sent[0]["blocked"])

        status = run_cli(site, config, "status")
        assert status.returncode == 0, status.stderr
        line = next(line for line in status.stdout.splitlines() if line.startswith("blocked    www.takungpao.com"))
        assert "(2 passes in a row, since " in line and "it keeps blocking" in line
        info = json.loads(run_cli(site, config, "status", "--json").stdout)
        assert {b["site"]: b["passes"] for b in info["blocked"]}["www.takungpao.com"] == 2
        with sqlite3.connect(tmp_path / "series.db") as conn:
            assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == len(site.manifest["installments"])
            assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
            assert conn.execute("SELECT DISTINCT status FROM articles").fetchall() == [("live",)]
