"""``series-archiver rederive``: read every stored version again with the running code.

Before (``--dry-run``) or after an upgrade, a maintainer wants to know what
this release's extraction, cleaning and folding make of pages archived by an
earlier one. Each version's raw pages are read again (derivation.derive) and
compared with its stored text as this release folds it. Nothing here is an
edit of the site: a difference is the tool's own, and is reported as such.
Without ``--dry-run`` each reading is recorded (``rederivations``), so later
passes compare new captures with it without reading the pages again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from series_archiver.archive import Archive, utcnow
from series_archiver.decide.diff import diff_texts, render_html
from series_archiver.decide.versions import Reading, in_rendering
from series_archiver.errors import ExtractError, StoreError
from series_archiver.jobs.core import open_writer
from series_archiver.models import StoredVersion
from series_archiver.read import derivation
from series_archiver.settings import Settings

__all__ = ["RederivedVersion", "RederiveReport", "rederive_archive", "RealignReport", "realign_archive"]


@dataclass(frozen=True)
class RederivedVersion:
    article_id: int
    version: int
    status: str  # same, changed, unreadable
    chars_added: int = 0
    chars_removed: int = 0
    summary: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "version": self.version,
            "status": self.status,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class RederiveReport:
    db: str
    derivation: str
    components: dict[str, str]
    dry_run: bool
    versions: tuple[RederivedVersion, ...]
    search_refolded: int = 0  # search_text rows folded again by this release

    def count(self, status: str) -> int:
        return sum(1 for v in self.versions if v.status == status)

    def as_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "derivation": self.derivation,
            "components": self.components,
            "dry_run": self.dry_run,
            "checked": len(self.versions),
            "same": self.count("same"),
            "changed": self.count("changed"),
            "unreadable": self.count("unreadable"),
            "search_refolded": self.search_refolded,
            "versions": [v.as_json() for v in self.versions if v.status != "same"],
        }


def rederive_archive(
    settings: Settings, *, dry_run: bool = False, progress: Callable[[int, int], None] | None = None
) -> RederiveReport:
    """Read every version again from its stored pages; record the readings unless ``dry_run``."""
    running = derivation.current(settings.sites)
    results: list[RederivedVersion] = []
    # A dry run writes nothing, so it takes no lock and reads even an archive
    # an earlier release wrote, before it is upgraded: what would change?
    archive = Archive(settings.archive.db, readonly=True, accept_older=True) if dry_run else open_writer(settings)
    try:
        with nullcontext() if dry_run else archive.writer_lock(settings.archive.lock_timeout_seconds, command="rederive"):
            versions = list(archive.all_versions())
            derivation_id = None
            if not dry_run and versions:
                # The running derivation is one row, looked up (or added) once for the whole pass.
                with archive.transaction():
                    derivation_id = archive.derivation_id(running.digest, running.as_json(), utcnow())
            for done, version in enumerate(versions, 1):
                try:
                    article = derivation.derive(archive.stored_pages(version.capture_ids), sites=settings.site_profiles)
                except (ExtractError, StoreError) as exc:
                    results.append(RederivedVersion(version.article_id, version.version, "unreadable", summary=str(exc)))
                    continue
                stored = Reading.of(version.title, version.text)
                reading = Reading.of(article.title, article.text)
                if reading.key == stored.key:
                    results.append(RederivedVersion(version.article_id, version.version, "same"))
                else:
                    diff = diff_texts(stored.document, reading.document)
                    results.append(
                        RederivedVersion(
                            version.article_id, version.version, "changed", diff.chars_added, diff.chars_removed, diff.summary()
                        )
                    )
                if derivation_id is not None:
                    _record(archive, version.id, reading, derivation_id)
                if progress:
                    progress(done, len(versions))
            refolded = 0
            if not dry_run:
                # The search index holds text folded by the release that stored it.
                with archive.transaction():
                    refolded = archive.refold_search_index()
    finally:
        archive.close()
    return RederiveReport(
        str(settings.archive.db), running.digest, dict(running.components), dry_run, tuple(results), search_refolded=refolded
    )


@dataclass(frozen=True)
class RealignReport:
    db: str
    dry_run: bool
    versions_checked: int
    versions_realigned: int
    changes_recomputed: int

    def as_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "dry_run": self.dry_run,
            "versions_checked": self.versions_checked,
            "versions_realigned": self.versions_realigned,
            "changes_recomputed": self.changes_recomputed,
        }


def realign_archive(settings: Settings, *, dry_run: bool = False) -> RealignReport:
    """Re-align the stored texts of archives made before 0.2 (which kept each capture's rendering).

    For each article, every version after the first takes its predecessor's
    rendering wherever its content is unchanged (versions.in_rendering), and
    the diff of the change that made it is computed again, so ``log``,
    ``diff`` and Datasette show the edits alone. Content hashes, captures and
    version numbers stay; no version is added or removed. One transaction per
    article.
    """
    checked = realigned = recomputed = 0
    archive = open_writer(settings)
    try:
        with archive.writer_lock(settings.archive.lock_timeout_seconds, command="rederive --realign"):
            by_article: dict[int, list[StoredVersion]] = {}
            for version in archive.all_versions():
                by_article.setdefault(version.article_id, []).append(version)
            for versions in by_article.values():
                with nullcontext() if dry_run else archive.transaction():
                    previous = Reading.of(versions[0].title, versions[0].text)
                    for version in versions[1:]:
                        checked += 1
                        stored = Reading.of(version.title, version.text)
                        aligned = in_rendering(previous, stored)
                        blocks = archive.version_blocks(version.id)
                        lines = aligned.text.split("\n")
                        if aligned.document != stored.document and len(lines) == len(blocks):
                            realigned += 1
                            if not dry_run:
                                archive.replace_version_text(
                                    version, aligned.title, [(kind, line) for (kind, _), line in zip(blocks, lines, strict=True)]
                                )
                        else:
                            aligned = stored
                        diff = diff_texts(previous.document, aligned.document)
                        summary = (f"restores version {version.restores}: " if version.restores else "") + diff.summary()
                        if dry_run or archive.replace_change_diff(
                            version.article_id,
                            version.version,
                            chars_added=diff.chars_added,
                            chars_removed=diff.chars_removed,
                            summary=summary,
                            diff_html=render_html(diff),
                        ):
                            recomputed += 0 if dry_run else 1
                        previous = aligned
    finally:
        archive.close()
    return RealignReport(str(settings.archive.db), dry_run, checked, realigned, recomputed)


def _record(archive: Archive, version_id: int, reading: Reading, derivation_id: int) -> None:
    with archive.transaction():
        archive.add_rederivation(
            version_id, derivation_id, title=reading.title, text=reading.text, content_hash=reading.key, now=utcnow()
        )
