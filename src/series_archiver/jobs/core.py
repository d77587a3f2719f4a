"""The library's entry points: what the CLI, the daemon and tests call.

Each opens the archive, takes the writer lock where it writes, runs the
pipeline or reads, and returns plain values. Formatting is the CLI's job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from series_archiver.archive import SCHEMA_VERSION, Archive
from series_archiver.errors import StoreError, WriteRejected
from series_archiver.jobs.crawl import Crawler, ProgressFn, RecheckFn
from series_archiver.jobs.lookup import list_articles, search_articles, show_article
from series_archiver.models import PassResult
from series_archiver.settings import Settings
from series_archiver.sources.live import Fetcher

__all__ = ["crawl", "fetch", "list_articles", "show_article", "search_articles", "open_pipeline", "PassResult"]

log = logging.getLogger("series_archiver")


def open_writer(settings: Settings) -> Archive:
    """The archive for writing, upgraded first (after a backup, ``archive.backup_before_upgrade``) if an earlier release wrote it."""
    return Archive(
        settings.archive.db,
        lock_timeout=settings.archive.lock_timeout_seconds,
        backup_before_upgrade=settings.archive.backup_before_upgrade,
    )


@dataclass(frozen=True)
class UpgradeReport:
    db: str
    from_version: int
    to_version: int
    applied: tuple[str, ...]
    backup: str | None

    def as_json(self) -> dict[str, Any]:
        return {"db": self.db, "from": self.from_version, "to": self.to_version, "applied": list(self.applied), "backup": self.backup}


def upgrade_archive(settings: Settings, *, backup: Path | None = None, make_backup: bool = True) -> UpgradeReport:
    """Bring the archive to this release's schema under the writer lock, copying it to ``backup`` first."""
    db = settings.archive.db
    if not db.exists():
        raise StoreError(str(db), "no archive here yet; run `series-archiver crawl` (or `demo`) first")
    archive = Archive(db, lock_timeout=settings.archive.lock_timeout_seconds, auto_upgrade=False)
    with archive, archive.writer_lock(settings.archive.lock_timeout_seconds, command="upgrade"):
        before = archive.schema_version
        target = (backup or archive.backup_path()) if make_backup and before < SCHEMA_VERSION else None
        applied = archive.upgrade(backup_to=target)
        return UpgradeReport(str(db), before, archive.schema_version, tuple(applied), str(target) if target else None)


@contextmanager
def open_pipeline(
    settings: Settings,
    *,
    command: str,
    progress: ProgressFn | None = None,
    transport: httpx.BaseTransport | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Crawler]:
    """Archive + writer lock + fetcher, released in reverse order whatever happens.

    ``transport`` is for the replica (demo, tests, benchmark): see loopback.py.
    ``stop``, once set, ends the pass with ``PassInterrupted`` (the daemon's SIGTERM,
    Ctrl-C): the fetcher sends nothing more, ends its politeness waits and abandons
    its requests in flight; the URL being recorded is recorded whole.
    """
    archive = open_writer(settings)
    try:
        with (
            archive.writer_lock(settings.archive.lock_timeout_seconds, command=command),
            Fetcher(settings.fetch, transport=transport, registry=settings.registry, stop=stop) as fetcher,
        ):
            yield Crawler(settings, archive, fetcher, progress=progress, stop=stop)
    finally:
        archive.close()


def crawl(
    settings: Settings,
    *,
    progress: ProgressFn | None = None,
    recheck: RecheckFn | None = None,
    kind: str = "crawl",
    transport: httpx.BaseTransport | None = None,
    stop: threading.Event | None = None,
) -> PassResult:
    """One full pass: discover, fetch what is new or due, record versions.

    ``recheck`` picks the known URLs due this pass (schedule.py's tiers);
    ``stop`` makes the pass end early, see ``open_pipeline``.
    """
    with open_pipeline(settings, command=kind, progress=progress, transport=transport, stop=stop) as pipeline:
        result = pipeline.crawl(recheck=recheck, kind=kind)
        if stop is None or not stop.is_set():
            witness_after_pass(settings, pipeline.archive, run_id=result.run_id, stop=stop)
            evidence_after_pass(settings, pipeline.archive, stop=stop)
        return result


def fetch(
    settings: Settings,
    urls: Sequence[str],
    *,
    progress: ProgressFn | None = None,
    transport: httpx.BaseTransport | None = None,
    stop: threading.Event | None = None,
) -> PassResult:
    """Archive the given URLs now; ``stop`` as for ``crawl``."""
    with open_pipeline(settings, command="fetch", progress=progress, transport=transport, stop=stop) as pipeline:
        result = pipeline.fetch_urls(urls)
        if stop is None or not stop.is_set():
            witness_after_pass(settings, pipeline.archive, run_id=result.run_id, stop=stop)
            evidence_after_pass(settings, pipeline.archive, stop=stop)
        return result


def witness_after_pass(settings: Settings, archive: Archive, *, run_id: int | None, stop: threading.Event | None = None) -> None:
    """Work the witness queue within its budget, under the pass's lock; its trouble never fails the pass."""
    if not settings.witness.save_page_now:
        return
    from series_archiver.witness import WitnessWorker

    try:
        report = WitnessWorker(settings, archive, run_id=run_id, stop=stop).run()
    except WriteRejected:  # SQLite refused a witness row (a bug): the pass itself went well and is recorded
        log.error("the witness pass failed; witnesses stay queued for the next pass", exc_info=True)
        return
    except StoreError:
        raise
    except Exception:  # a bug in the witness code: the pass itself went well and is recorded
        log.error("the witness pass failed; witnesses stay queued for the next pass", exc_info=True)
        return
    if report.submitted or report.succeeded or report.failed:
        log.info("witnesses: %s asked, %s captured, %s failed, %s queued, %s pending", report.submitted, report.succeeded, report.failed, report.queued, report.pending)


def evidence_after_pass(settings: Settings, archive: Archive, *, stop: threading.Event | None = None) -> None:
    """Screenshot and timestamp the events queued, within ``evidence.budget_seconds``; its trouble never fails the pass."""
    if not settings.evidence.enabled:
        return
    from series_archiver.evidence.worker import EvidenceWorker

    try:
        report = EvidenceWorker(settings, archive, stop=stop).run()
    except StoreError as exc:
        if not isinstance(exc, WriteRejected):
            raise
        log.error("the evidence pass failed; evidence stays queued for the next pass", exc_info=True)
        return
    except Exception:  # a bug in the evidence code: the pass itself went well and is recorded
        log.error("the evidence pass failed; evidence stays queued for the next pass", exc_info=True)
        return
    if report.screenshots or report.stamped or report.done or report.failed:
        log.info("evidence: %s screenshots, %s timestamped, %s without a TSA, %s failed, %s queued",
                 report.screenshots, report.stamped, report.done, report.failed, report.queued)


def witness(settings: Settings, *, budget: float | None = None, transport: httpx.BaseTransport | None = None) -> Any:
    """Work the witness queue once (``series-archiver witness``), under the writer lock; a ``WitnessReport``."""
    from series_archiver.errors import ConfigError
    from series_archiver.witness import WitnessWorker

    if not settings.witness.save_page_now:
        raise ConfigError("witness.save_page_now", "is false; set it to true in [witness] to ask Save Page Now for witnesses")
    archive = open_writer(settings)
    try:
        with archive.writer_lock(settings.archive.lock_timeout_seconds, command="witness"):
            return WitnessWorker(settings, archive, budget_seconds=budget, transport=transport).run()
    finally:
        archive.close()
