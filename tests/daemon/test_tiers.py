"""Re-check tiers (daemon.tiers): the decision from times alone, and a real pass that follows it.

The tiering pass test crafts the archive's timestamps and runs a real pass
against the replica.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from series_archiver.archive.runs import CheckTimes
from series_archiver.archive.store import iso
from series_archiver.daemon.service import Daemon
from series_archiver.daemon.status import PASS_KIND
from series_archiver.daemon.tiers import KnownUrl, RecheckPlan, Tiers, known_url, last_change, plan_rechecks
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.settings import ScheduleSettings, Settings
from tests.support.crawl import Crawler

# --- tiers -------------------------------------------------------------------------------------


def test_tiers_recheck_recent_articles_every_pass_and_old_ones_rarely() -> None:
    tiers = Tiers.from_settings(ScheduleSettings())  # [[2, 0], [14, 12], [60, 24], [36500, 168]]
    now = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)

    def due(unchanged_days: float, checked_hours_ago: float) -> bool:
        return tiers.due(
            last_change=now - timedelta(days=unchanged_days), last_checked=now - timedelta(hours=checked_hours_ago), now=now
        )

    assert due(1, 0.01)  # new or edited in the last 2 days: every pass
    assert not due(5, 10.7) and due(5, 10.9)  # up to 14 days: every 12 hours, less a tenth
    assert not due(40, 21.5) and due(40, 21.7)  # up to 60 days: daily
    assert not due(400, 151) and due(400, 152)  # beyond the last bound: the last tier, weekly
    assert tiers.due(last_change=now - timedelta(days=400), last_checked=None, now=now)


def _urls(archive: sqlite3.Connection, article_id: int) -> set[str]:
    return {r[0] for r in archive.execute("SELECT url FROM article_urls WHERE article_id = ?", (article_id,))}


def test_a_pass_rechecks_archived_articles_by_tier_and_still_reads_every_list_page(
    replica: ReplicaSite, settings: Settings, crawler: Crawler, manifest: dict[str, Any]
) -> None:
    assert crawler.crawl().counts.new_articles == 4
    db = settings.archive.db
    now = datetime.now(UTC)
    ago = {"d": lambda n: iso(now - timedelta(days=n)), "h": lambda n: iso(now - timedelta(hours=n))}
    with sqlite3.connect(db) as conn:
        ids = dict(conn.execute("SELECT installment, id FROM articles").fetchall())
        crafted = {
            1: (ago["d"](40), ago["h"](2)),  # unchanged 40 days, checked 2 h ago: daily tier, not due
            2: (ago["d"](40), ago["h"](23)),  # unchanged 40 days, checked 23 h ago: due
            3: (ago["d"](10), ago["h"](11)),  # unchanged 10 days, checked 11 h ago: 12-hour tier, due
            4: (ago["h"](30), ago["h"](0.1)),  # new yesterday: every pass
        }
        for installment, (changed, checked) in crafted.items():
            conn.execute(
                "UPDATE articles SET first_seen = ?, last_changed = ?, last_checked = ? WHERE id = ?",
                (changed, changed, checked, ids[installment]),
            )
        urls = {n: _urls(conn, ids[n]) for n in crafted}

    daemon = Daemon(settings, transport=lambda: LoopbackTransport(replica.origins), clock=lambda: now)
    result = daemon.run_pass()
    assert result is not None and result.ok, result and result.counts.failures

    with sqlite3.connect(db) as conn:
        fetched = {r[0] for r in conn.execute("SELECT url FROM fetch_log WHERE run_id = ?", (result.run_id,))}
        kind, run_status = conn.execute("SELECT kind, status FROM runs WHERE id = ?", (result.run_id,)).fetchone()
        checked_1 = conn.execute("SELECT last_checked FROM articles WHERE id = ?", (ids[1],)).fetchone()[0]
    assert (kind, run_status) == (PASS_KIND, "ok")
    # Discovery runs every pass (a folder's index.html is asked for as the folder).
    assert all(page in fetched or page.removesuffix("index.html") in fetched for page in manifest["list_pages"])
    assert not urls[1] & fetched, "an article in the daily tier checked 2 h ago is not due"
    assert urls[2] | urls[3] | urls[4] <= fetched
    assert checked_1 == crafted[1][1]
    assert daemon.last_plan is not None
    assert sorted(daemon.last_plan.later) == sorted(urls[1])

    # A removal (a changes row) an hour ago is a change: the article is watched every pass again.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO changes (article_id, from_version, to_version, changed_at, kind) VALUES (?, 1, 1, ?, 'gone')",
            (ids[1], ago["h"](1)),
        )
    plan = plan_rechecks(db, daemon.tiers, now)
    assert all(plan(url, None) for url in urls[1])


# --- the decision, from times alone (no SQLite) ------------------------------------------------


def _times(**moments: datetime | None) -> CheckTimes:
    fields = {"first_seen": None, "last_changed": None, "gone_at": None, "latest_change": None, "last_checked": None}
    return CheckTimes(url="https://www.takungpao.com/a.html", article_id=1, **{**fields, **moments})


def test_the_last_change_is_the_latest_of_first_seen_new_version_removal_and_changes_row() -> None:
    t0 = datetime(2025, 12, 1, tzinfo=UTC)
    assert last_change(_times(first_seen=t0)) == t0
    assert last_change(_times(first_seen=t0, last_changed=t0 + timedelta(days=3))) == t0 + timedelta(days=3)
    assert last_change(_times(first_seen=t0, gone_at=t0 + timedelta(days=5), latest_change=t0 + timedelta(days=4))) == t0 + timedelta(days=5)
    assert last_change(_times(first_seen=t0, latest_change=t0 + timedelta(days=9))) == t0 + timedelta(days=9)
    assert last_change(_times()) is None


def test_an_article_with_no_recorded_change_counts_as_changed_now() -> None:
    now = datetime(2025, 12, 20, tzinfo=UTC)
    known = known_url(_times(last_checked=now - timedelta(minutes=1)), now)
    assert known.last_change == now
    assert Tiers.from_settings(ScheduleSettings()).due(last_change=known.last_change, last_checked=known.last_checked, now=now)


def test_a_plan_sorts_the_urls_it_is_asked_about_into_due_and_later() -> None:
    tiers = Tiers.from_settings(ScheduleSettings())
    now = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)
    old = now - timedelta(days=40)
    plan = RecheckPlan(
        tiers,
        now,
        {
            "https://x/checked-2h-ago": KnownUrl("https://x/checked-2h-ago", 1, old, now - timedelta(hours=2)),
            "https://x/checked-23h-ago": KnownUrl("https://x/checked-23h-ago", 2, old, now - timedelta(hours=23)),
        },
    )
    assert not plan("https://x/checked-2h-ago", None)
    assert plan("https://x/checked-23h-ago", None)
    assert plan("https://x/archived-since-the-plan", None)  # unknown to the plan: checked
    assert plan.due == ["https://x/checked-23h-ago", "https://x/archived-since-the-plan"]
    assert plan.later == ["https://x/checked-2h-ago"]


def test_a_tier_of_zero_hours_rechecks_every_pass(tmp_path: Path) -> None:
    tiers = Tiers.from_settings(ScheduleSettings(tiers=((36500, 0),)))
    now = datetime(2025, 12, 20, tzinfo=UTC)
    assert tiers.due(last_change=now - timedelta(days=1000), last_checked=now, now=now)
    assert plan_rechecks(tmp_path / "none-yet.db", tiers, now).known == {}  # no archive yet: an empty plan
