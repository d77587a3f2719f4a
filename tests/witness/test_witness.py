"""Witness captures: real crawls of the replica site, a replica Save Page Now 2 on 127.0.0.1, real archives.

Times that matter (the rate limit, backoff, expired jobs) run on an injected
clock shared by the worker and the replica, whose ``sleep`` moves it on:
nothing here waits for a minute to pass, and nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from series_archiver.archive import Archive
from series_archiver.browse.server import database_name
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.spn_replica import SpnReplica
from series_archiver.errors import ConfigError
from series_archiver.jobs import core
from series_archiver.settings import Settings, load_settings
from series_archiver.witness import WitnessWorker
from series_archiver.witness.worker import WitnessReport
from tests.support.crawl import Crawler

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
ACCESS, SECRET = "witness-access-7f3a", "witness-secret-c91e"


class FakeClock:
    """UTC time that moves only when something sleeps (or a test says so)."""

    def __init__(self) -> None:
        # Ahead of the real clock, so what a real crawl just queued is due.
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=60)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def witnessing(settings: Settings, spn: SpnReplica, **witness: object) -> Settings:
    """``settings`` with Save Page Now on, at the replica, with its keys."""
    keys = {"save_page_now": True, "endpoint": spn.url, "access_key": ACCESS, "secret_key": SECRET, **witness}
    return settings.replace(**{f"witness__{k}": v for k, v in keys.items()})


@pytest.fixture
def spn(replica: ReplicaSite) -> Iterator[SpnReplica]:
    """Save Page Now that fetches the pages it is asked for from the replica site."""
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, captures_per_minute=1000, site_transport=LoopbackTransport(replica.origins)) as server:
        yield server


def rows(settings: Settings, sql: str = "SELECT kind, url, status, status_ext, attempts, job_id, archived_url FROM witnesses ORDER BY id") -> list[tuple]:
    conn = sqlite3.connect(settings.archive.db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def work(settings: Settings, clock: FakeClock | None = None, budget: float = 300.0) -> WitnessReport:
    with Archive(settings.archive.db) as archive:
        if clock is None:
            return WitnessWorker(settings, archive, budget_seconds=budget).run()
        return WitnessWorker(settings, archive, budget_seconds=budget, clock=clock, sleep=clock.sleep).run()


def cli(db: Path, *args: str, env: dict[str, str] | None = None, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SERIES_ARCHIVER_SPN")}
    environ.update(env or {}, PYTHONUTF8="1")
    extra = ["--config", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "series_archiver", *args, "--db", str(db), *extra],
        capture_output=True, text=True, encoding="utf-8", cwd=db.parent, env=environ, timeout=120,
    )


# --- the witnesses of real passes ----------------------------------------------------------


def test_nothing_is_queued_while_save_page_now_is_off(crawler: Crawler) -> None:
    assert crawler.crawl().counts.new_articles == 4
    assert rows(crawler.settings) == []


@pytest.mark.slow
def test_a_new_version_is_witnessed_and_its_archived_url_shown(replica: ReplicaSite, spn: SpnReplica, settings: Settings) -> None:
    crawler = Crawler(replica, witnessing(settings, spn))
    assert crawler.crawl().counts.new_articles == 4
    first = rows(crawler.settings)
    assert [r[0] for r in first] == ["new_article"] * 4
    assert all(r[2] == "success" for r in first), first  # worked by the pass itself, within its budget
    replica.edit(A1, "1萬億元", "1.2萬億元")
    assert crawler.crawl().counts.new_versions == 1
    edit = rows(crawler.settings)[-1]
    assert edit[:3] == ("new_version", A1, "success")
    stamp = next(ts for url, ts, _status in reversed(spn.captured()) if url == A1)
    assert edit[6] == f"{spn.url}/web/{stamp}/{A1}"
    # The capture of the edit was asked after the edit was seen, with an existing capture accepted
    # only if made since then (not the first version's capture, minutes or seconds older).
    form = [r.form for r in spn.submissions() if r.form["url"] == A1][-1]
    assert int(form["if_not_archived_within"]) <= 60 and "capture_all" not in form

    article_id = rows(crawler.settings, f"SELECT id FROM articles WHERE url = '{A1}'")[0][0]
    done = cli(crawler.settings.archive.db, "show", str(article_id), "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["version"] == 2
    assert [(w["kind"], w["version"], w["status"], w["archived_url"], w["service"]) for w in shown["witnesses"]] == [
        ("new_version", 2, "success", edit[6], "spn2")
    ]
    witness = shown["witnesses"][0]
    assert set(witness) >= {"service", "url", "requested_at", "archived_at", "status", "error"}
    assert datetime.fromisoformat(witness["archived_at"]) >= datetime.fromisoformat(witness["requested_at"])
    logged = cli(crawler.settings.archive.db, "log", str(article_id), "--json")
    assert [w["kind"] for w in json.loads(logged.stdout)["witnesses"]] == ["new_article", "new_version"]
    text = cli(crawler.settings.archive.db, "log", str(article_id))
    assert edit[6] in text.stdout

    # Every request to the service is in the fetch log, and the keys are nowhere in the archive.
    logged_urls = [r[0] for r in rows(crawler.settings, "SELECT url FROM fetch_log WHERE url LIKE 'http://127.0.0.1:%'")]
    assert f"{spn.url}/save/{A1}" in logged_urls and any("/save/status/spn2-" in u for u in logged_urls)
    assert f"{spn.url}/save/status/user" in logged_urls
    raw = crawler.settings.archive.db.read_bytes()
    assert ACCESS.encode() not in raw and SECRET.encode() not in raw


@pytest.mark.slow
def test_a_removal_is_witnessed_with_capture_all_so_the_404_is_captured(replica: ReplicaSite, spn: SpnReplica, settings: Settings) -> None:
    crawler = Crawler(replica, witnessing(settings, spn))
    crawler.crawl()
    replica.remove(A1)
    assert crawler.crawl().counts.gone == 1
    gone = rows(crawler.settings)[-1]
    assert gone[:3] == ("gone", A1, "success")
    asked = [r.form for r in spn.submissions() if r.form["url"] == A1][-1]
    assert asked.get("capture_all") == "1"
    assert spn.captured()[-1][0] == A1 and spn.captured()[-1][2] == 404
    change = rows(crawler.settings, "SELECT w.change_id, c.kind FROM witnesses w JOIN changes c ON c.id = w.change_id WHERE w.kind = 'gone'")
    assert change and change[0][1] == "gone"
    article_id = rows(crawler.settings, f"SELECT id FROM articles WHERE url = '{A1}'")[0][0]
    shown = core.show_article(crawler.settings, article_id)
    assert [(w["kind"], w["status"]) for w in shown["witnesses"]] == [("new_article", "success"), ("gone", "success")]
    # It came back: the return is witnessed too, as a live page.
    replica.restore(A1)
    crawler.crawl()
    back = rows(crawler.settings)[-1]
    assert back[:3] == ("back", A1, "success")
    assert "capture_all" not in [r.form for r in spn.submissions() if r.form["url"] == A1][-1]

    # Datasette shows them, newest first, with where each capture is.
    from tests.support.browse import Client

    client = Client(crawler.settings.archive.db)
    try:
        shown = client.rows(f"/{database_name(crawler.settings.archive.db)}/witnesses")
    finally:
        client.close()
    assert [(w["kind"], w["status"], w["archived_url"]) for w in shown[:2]] == [("back", "success", back[6]), ("gone", "success", gone[6])]
    assert len(shown) == 6


@pytest.mark.slow
def test_a_page_gone_without_capture_all_is_a_permanent_not_found(replica: ReplicaSite, spn: SpnReplica, settings: Settings) -> None:
    on = witnessing(settings, spn, budget_seconds=0.0)
    Crawler(replica, on).crawl()
    replica.remove(A1)  # gone before the witness of its first version was asked for
    clock = FakeClock()
    report = work(on, clock)
    assert report.failed == 1 and report.succeeded == 3
    failed = [r for r in rows(on) if r[2] == "error"]
    assert [(r[1], r[3]) for r in failed] == [(A1, "error:not-found")]
    clock.advance(86400)
    assert work(on, clock).submitted == 0, "a permanent refusal is never asked again"


# --- limits and the budget -----------------------------------------------------------------


def queue(replica: ReplicaSite, settings: Settings, spn: SpnReplica, n_edits: int = 0, **witness: object) -> Settings:
    """An archive whose witness queue holds the replica's four first versions, not yet asked for."""
    on = witnessing(settings, spn, budget_seconds=0.0, **witness)
    Crawler(replica, on).crawl()
    assert [r[2] for r in rows(on)] == ["queued"] * 4
    return on


@pytest.mark.slow
def test_the_rate_limit_holds_across_minutes_and_passes(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, captures_per_minute=7, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn)
        with Archive(on.archive.db) as archive, archive.transaction():
            # Sixteen more captures to ask for, as sixteen edits would queue them.
            for row in rows(on, "SELECT article_id, url FROM witnesses"):
                for _ in range(4):
                    archive.conn.execute(
                        "INSERT INTO witnesses (article_id, kind, url, requested_at, next_try_at) VALUES (?, 'new_version', ?, ?, ?)",
                        (row[0], row[1], clock().isoformat(), clock().isoformat()),
                    )
        first = work(on, clock, budget=90)
        second = work(on, clock, budget=600)
    assert first.submitted + second.submitted == 20 and first.stopped == "rate_limit"
    times = sorted(r.at for r in spn.submissions())
    assert len(times) == 20
    busiest = max(sum(1 for t in times if start <= t < start + timedelta(seconds=60)) for start in times)
    assert busiest == 6, "6 a minute with keys (the service allows 7), never more"
    assert rows(on, "SELECT count(*) FROM fetch_log WHERE status = 429") == [(0,)], "the service never had to say slow down"
    assert all(status == "success" for _k, _u, status, *_ in rows(on))


@pytest.mark.slow
def test_without_keys_three_a_minute(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(anonymous=True, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn, access_key="", secret_key="")
        work(on, clock, budget=200)
    times = sorted(r.at for r in spn.submissions())
    assert len(times) == 4 and all(r.authorization is None for r in spn.requests)
    assert max(sum(1 for t in times if s <= t < s + timedelta(seconds=60)) for s in times) == 3


@pytest.mark.slow
def test_no_pass_waits_beyond_its_budget_on_a_slow_service(replica: ReplicaSite, settings: Settings) -> None:
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, captures_per_minute=1000, delay_seconds=0.6) as spn:
        on = queue(replica, settings, spn)
        report = work(on, budget=1.0)  # the real clock: each answer takes 0.6 s
    assert report.stopped == "budget"
    assert report.queued + report.pending >= 3 and report.succeeded == 0
    assert len(spn.requests) <= 3, "a request is only sent while budget is left"


@pytest.mark.slow
def test_a_pass_after_crawl_leaves_what_does_not_fit_queued(replica: ReplicaSite, settings: Settings) -> None:
    # The pass itself runs the witness queue with the configured budget; a slow service leaves work for later.
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, captures_per_minute=1000, delay_seconds=0.4) as spn:
        on = witnessing(settings, spn, budget_seconds=0.5)
        result = Crawler(replica, on).crawl()
    assert result.counts.new_articles == 4
    statuses = [r[2] for r in rows(on)]
    assert statuses.count("queued") + statuses.count("pending") >= 3


class RecordingTransport(httpx.HTTPTransport):
    """The real transport, noting the User-Agent of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.agents: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.agents.append(request.headers.get("user-agent"))
        return super().handle_request(request)


def test_save_page_now_is_asked_with_the_crawls_user_agent_and_its_contact(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn)
        transport = RecordingTransport()
        with Archive(on.archive.db) as archive:
            report = WitnessWorker(on, archive, budget_seconds=30, clock=clock, sleep=clock.sleep, transport=transport).run()
    assert report.succeeded == 4 and len(transport.agents) >= 8
    assert on.fetch.contact and set(transport.agents) == {f"{on.fetch.user_agent}; {on.fetch.contact}"}


def test_429_holds_off_for_its_retry_after(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn)
        spn.throttle(1, retry_after=120)
        held = work(on, clock, budget=30)
        assert held.stopped == "held_off" and held.submitted == 0
        assert len(spn.submissions()) == 1, "no further capture is asked after a 429"
        clock.advance(60)
        assert work(on, clock, budget=30).submitted == 3  # the one held off is not due yet
        clock.advance(61)
        assert work(on, clock, budget=30).submitted == 1
    assert [r[2] for r in rows(on)] == ["success"] * 4
    assert rows(on, "SELECT attempts FROM witnesses ORDER BY id")[0][0] == 1, "a 429 is not the page's attempt"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_transient_errors_are_asked_again_with_backoff(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn, backoff_base_seconds=300.0, backoff_max_seconds=3600.0)
        spn.fail_next("error:user-session-limit", at="submit")
        spn.fail_next("error:gateway-timeout", at="job")
        first = work(on, clock, budget=30)
        assert (first.retried, first.submitted, first.stopped) == (1, 0, "session_limit"), "no more asked while sessions are busy"
        second = work(on, clock, budget=30)
        assert (second.submitted, second.retried, second.succeeded) == (3, 1, 2)
        retrying = [r for r in rows(on) if r[2] == "queued"]
        assert sorted(r[3] for r in retrying) == ["error:gateway-timeout", "error:user-session-limit"]
        # The one backoff (sources.http): base doubling per attempt, at least half of it waited (equal jitter).
        clock.advance(140)
        assert work(on, clock, budget=30).submitted == 0, "not before its backoff"
        spn.fail_next("error:gateway-timeout", at="job", count=2)
        clock.advance(161)
        second = work(on, clock, budget=30)
        assert second.submitted == 2 and second.retried == 2
        waits = rows(on, "SELECT attempts, next_try_at FROM witnesses WHERE status = 'queued'")
        assert all(
            a == 2 and clock() + timedelta(seconds=300) <= datetime.fromisoformat(t) <= clock() + timedelta(seconds=600) for a, t in waits
        ), waits
        clock.advance(601)
        assert work(on, clock, budget=30).succeeded == 2
    assert [r[2] for r in rows(on)] == ["success"] * 4


@pytest.mark.slow
def test_a_transient_error_is_given_up_after_max_attempts(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn, max_attempts=2, backoff_base_seconds=10.0, backoff_max_seconds=10.0)
        spn.fail_next("error:proxy-error", at="job", count=8)
        work(on, clock, budget=30)
        clock.advance(11)
        work(on, clock, budget=120)  # 8 captures asked within two minutes: 6 a minute
    assert [r[2] for r in rows(on)] == ["error"] * 4
    assert all("gave up after 2 attempts" in r[0] for r in rows(on, "SELECT error FROM witnesses"))


@pytest.mark.slow
def test_permanent_errors_are_recorded_with_their_status_ext(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0, clock=clock) as spn:
        on = queue(replica, settings, spn)
        spn.fail_next("error:blocked-url", "This URL is on a block list.", at="job")
        spn.fail_next("error:no-access", at="submit")
        report = work(on, clock, budget=30)
    assert report.failed == 2 and report.succeeded == 2
    failed = rows(on, "SELECT status_ext, error, finished_at FROM witnesses WHERE status = 'error' ORDER BY id")
    assert sorted(f[0] for f in failed) == ["error:blocked-url", "error:no-access"]
    assert any("block list" in f[1] for f in failed) and all(f[2] for f in failed)


@pytest.mark.slow
def test_an_expired_job_is_requested_again_after_the_hour(replica: ReplicaSite, settings: Settings) -> None:
    clock = FakeClock()
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=100, clock=clock) as spn:
        on = queue(replica, settings, spn)
        assert work(on, clock, budget=3).submitted == 4
        assert [r[2] for r in rows(on)] == ["pending"] * 4
        spn.expire_jobs()
        spn.polls_pending = 0
        clock.advance(1800)
        half = work(on, clock, budget=3)
        assert half.requested_again == 0 and [r[2] for r in rows(on)] == ["pending"] * 4, "not found within the hour: asked after again"
        clock.advance(1801)
        again = work(on, clock, budget=30)
    assert again.requested_again == 4 and again.submitted == 4 and again.succeeded == 4
    assert len(spn.submissions()) == 8
    assert [r[2] for r in rows(on)] == ["success"] * 4
    # The captures the lost jobs made (after the changes were seen) are the witnesses: no new ones.
    assert len(spn.captured()) == 4
    asked_again = [r.form for r in spn.submissions()[4:]]
    assert all(int(f["if_not_archived_within"]) > 3600 for f in asked_again)
    assert sorted(r[6] for r in rows(on)) == sorted(f"{spn.url}/web/{ts}/{url}" for url, ts, _ in spn.captured())


@pytest.mark.slow
def test_wrong_keys_stop_the_pass_naming_the_config_keys(replica: ReplicaSite, settings: Settings) -> None:
    with SpnReplica(access_key=ACCESS, secret_key="another") as spn:
        on = queue(replica, settings, spn)
        report = work(on, budget=5)
    assert report.stopped == "auth" and report.submitted == 0
    assert "witness.access_key" in report.errors[0] and SECRET not in report.errors[0]
    assert [r[2] for r in rows(on)] == ["queued"] * 4


# --- configuration and the command ----------------------------------------------------------


def test_keys_come_from_the_environment(tmp_path: Path) -> None:
    s = load_settings(env={"SERIES_ARCHIVER_SPN_ACCESS": ACCESS, "SERIES_ARCHIVER_SPN_SECRET": SECRET})
    assert (s.witness.access_key, s.witness.secret_key, s.witness.per_minute) == (ACCESS, SECRET, 6.0)
    assert SECRET not in repr(s.witness) and ACCESS not in repr(s.witness)
    assert load_settings(env={}).witness.per_minute == 3.0
    with pytest.raises(ConfigError) as half:
        load_settings(env={"SERIES_ARCHIVER_SPN_ACCESS": ACCESS})
    assert half.value.key == "witness.secret_key"


@pytest.mark.parametrize(
    ("key", "value"),
    [("endpoint", "web.archive.org"), ("if_not_archived_within", "soon"), ("captures_per_minute", -1), ("budget_seconds", -1.0)],
)
def test_a_bad_witness_setting_names_its_key(tmp_path: Path, key: str, value: object) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[witness]\n{key} = {json.dumps(value)}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_settings(config, env={})
    assert bad.value.key == f"witness.{key}"


@pytest.mark.slow
def test_the_witness_command_uses_keys_from_the_environment_and_never_prints_them(replica: ReplicaSite, settings: Settings) -> None:
    with SpnReplica(access_key=ACCESS, secret_key=SECRET, polls_pending=0) as spn:
        on = queue(replica, settings, spn)
        config = on.archive.db.parent / "witness.toml"
        config.write_text(f'[witness]\nsave_page_now = true\nendpoint = "{spn.url}"\n', encoding="utf-8")
        done = cli(on.archive.db, "witness", "--json", "--budget", "20", "-v", config=config,
                   env={"SERIES_ARCHIVER_SPN_ACCESS": ACCESS, "SERIES_ARCHIVER_SPN_SECRET": SECRET})
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["submitted"] == 4 and report["succeeded"] == 4 and report["queued"] == 0
        assert all(r.authorization == f"LOW {ACCESS}:{SECRET}" for r in spn.requests)
        assert ACCESS not in done.stdout + done.stderr and SECRET not in done.stdout + done.stderr
        off = cli(on.archive.db, "witness")
        assert off.returncode == 2 and "witness.save_page_now" in off.stderr
