"""History: what ``diff`` and ``log`` read from the archive, as typed values.

An article's history is its versions (each distinct cleaned title and text,
read from its primary URL), the ``changes`` between them (``edit``,
``restore``), its removals and returns (``gone``, ``back``), and the captures
kept as evidence only (``suspect``: a soft 404, a near-empty or truncated
text). Nothing here writes: the pipeline decided all of it when it crawled.

    with Archive(path, readonly=True) as archive:
        history = read_history(archive, 1)   # ArticleHistory
        change = read_diff(archive, 1)       # VersionDiff: latest version against the one before

Diffs are recomputed from the stored texts with ``diff.diff_texts``, so any two
versions can be compared, not only consecutive ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from series_archiver.archive import views
from series_archiver.archive.store import Archive
from series_archiver.decide.diff import TextDiff, diff_texts
from series_archiver.errors import NotArchived
from series_archiver.models import document_text
from series_archiver.settings import Settings

__all__ = [
    "ArticleHistory",
    "HistoryEvent",
    "UrlInfo",
    "VersionDiff",
    "VersionInfo",
    "article_diff",
    "article_log",
    "read_diff",
    "read_history",
]


@dataclass(frozen=True)
class VersionInfo:
    """One version; the change counts are against the version before (None for version 1)."""

    version: int
    captured_at: str
    title: str
    chars: int
    url: str
    restores: int | None = None
    chars_added: int | None = None
    chars_removed: int | None = None
    summary: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "captured_at": self.captured_at,
            "title": self.title,
            "chars": self.chars,
            "url": self.url,
            "restores": self.restores,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class HistoryEvent:
    """One line of ``log``.

    ``kind``: ``first`` (version 1), ``edit``, ``restore`` (a text returning to
    version ``restores``), ``gone``, ``back``, ``suspect`` (a capture kept as
    evidence only; ``capture_id`` names it). ``version`` is the version current
    after the event.
    """

    at: str
    kind: str
    version: int | None = None
    from_version: int | None = None
    restores: int | None = None
    chars: int | None = None
    chars_added: int | None = None
    chars_removed: int | None = None
    summary: str | None = None
    url: str | None = None
    capture_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "version": self.version,
            "from_version": self.from_version,
            "restores": self.restores,
            "chars": self.chars,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "summary": self.summary,
            "url": self.url,
            "capture_id": self.capture_id,
        }


@dataclass(frozen=True)
class UrlInfo:
    """A URL the article was seen at, and whether it still answers."""

    url: str
    role: str | None
    is_primary: bool
    status: str
    last_status: int | None
    gone_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "role": self.role,
            "is_primary": self.is_primary,
            "status": self.status,
            "last_status": self.last_status,
            "gone_at": self.gone_at,
        }


@dataclass(frozen=True)
class CaptureInfo:
    """One stored page of the article and where it came from: ``live``, ``wayback`` or ``warc``."""

    id: int
    source: str
    fetched_at: str
    url: str
    memento_url: str | None = None
    archive_src: str | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None
    warc_offset: int | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> CaptureInfo:
        return cls(**row)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "source": self.source, "fetched_at": self.fetched_at, "url": self.url}
        if self.source == "wayback":
            out.update(memento_url=self.memento_url, archive_src=self.archive_src)
        elif self.source == "warc":
            out.update(warc_file=self.warc_file, warc_record_id=self.warc_record_id, warc_offset=self.warc_offset)
        return out


@dataclass(frozen=True)
class WitnessInfo:
    """A capture asked of Save Page Now for a version or change, and what came of it."""

    kind: str  # new_article, new_version, restored, gone, back
    version: int | None
    service: str
    url: str
    requested_at: str
    status: str  # queued, pending, success, error
    archived_url: str | None = None
    archived_at: str | None = None
    status_ext: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> WitnessInfo:
        return cls(
            row["kind"], row["version"], row["service"], row["url"], row["requested_at"], row["status"],
            row["archived_url"], row["archived_at"], row["status_ext"], row["error"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "service": self.service,
            "url": self.url,
            "requested_at": self.requested_at,
            "archived_at": self.archived_at,
            "archived_url": self.archived_url,
            "status": self.status,
            "status_ext": self.status_ext,
            "error": self.error,
        }


def read_witnesses(archive: Archive, article_id: int, *, version_id: int | None = None) -> tuple[WitnessInfo, ...]:
    """The article's witnesses (with ``version_id``: that version's and the removals'), oldest first."""
    return tuple(WitnessInfo.of(r) for r in views.witness_rows(archive.conn, article_id, version_id=version_id))


@dataclass(frozen=True)
class ArticleHistory:
    """Everything ``log`` shows about one article."""

    id: int
    title: str
    url: str
    status: str
    gone_at: str | None
    first_seen: str
    last_checked: str | None
    urls: tuple[UrlInfo, ...]
    versions: tuple[VersionInfo, ...]
    events: tuple[HistoryEvent, ...]
    captures: tuple[CaptureInfo, ...] = ()  # every stored page of the article, with its provenance
    witnesses: tuple[WitnessInfo, ...] = ()  # captures asked of Save Page Now, oldest first

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "status": self.status,
            "gone_at": self.gone_at,
            "first_seen": self.first_seen,
            "last_checked": self.last_checked,
            "urls": [u.as_json() for u in self.urls],
            "versions": [v.as_json() for v in self.versions],
            "events": [e.as_json() for e in self.events],
            "captures": [c.as_json() for c in self.captures],
            "witnesses": [w.as_json() for w in self.witnesses],
        }


@dataclass(frozen=True)
class VersionDiff:
    """Version ``from_version`` of an article against version ``to_version``.

    The diff is of the whole document: the title line, then one block per line.
    """

    article_id: int
    from_version: int
    to_version: int
    from_captured_at: str
    to_captured_at: str
    diff: TextDiff

    @property
    def summary(self) -> str:
        return self.diff.summary()

    def as_json(self) -> dict[str, Any]:
        """``diff --json``: ``from``, ``to``, ``chars_added``, ``chars_removed``, ``ops`` and context."""
        return {
            "id": self.article_id,
            "from": self.from_version,
            "to": self.to_version,
            "from_captured_at": self.from_captured_at,
            "to_captured_at": self.to_captured_at,
            "summary": self.summary,
            **self.diff.as_json(),
        }


# --- reading from an open archive -------------------------------------------------


def read_history(archive: Archive, article_id: int) -> ArticleHistory:
    """The article's versions, changes, removals, returns and suspect captures, oldest first."""
    row = archive.article(article_id)
    if row is None:
        raise NotArchived(str(archive.path), article_id)
    changes = archive.changes(article_id)
    # A version's counts come from the change that made it.
    made_by = {c["to_version"]: c for c in changes if c["kind"] in ("edit", "restore")}
    versions = []
    for v in archive.versions(article_id):
        change = made_by.get(v["version"])
        versions.append(
            VersionInfo(
                version=v["version"],
                captured_at=v["captured_at"],
                title=v["title"],
                chars=v["chars"],
                url=v["url"],
                restores=v["restores"],
                chars_added=change["chars_added"] if change else None,
                chars_removed=change["chars_removed"] if change else None,
                summary=change["summary"] if change else None,
            )
        )
    by_number = {v.version: v for v in versions}
    events: list[HistoryEvent] = []
    if versions:
        first = versions[0]
        events.append(HistoryEvent(first.captured_at, "first", version=first.version, chars=first.chars, url=first.url))
    for c in changes:
        made = by_number.get(c["to_version"])
        counted = c["kind"] in ("edit", "restore")
        events.append(
            HistoryEvent(
                at=c["changed_at"],
                kind=c["kind"],
                version=c["to_version"] or None,
                from_version=c["from_version"] if counted else None,
                restores=made.restores if made and c["kind"] == "restore" else None,
                chars=made.chars if made and counted else None,
                chars_added=c["chars_added"] if counted else None,
                chars_removed=c["chars_removed"] if counted else None,
                summary=c["summary"],
                url=made.url if made and counted else None,
            )
        )
    for s in archive.suspect_captures(article_id):
        # Which version was current when the suspect page came: the last one captured before it.
        current = max((v.version for v in versions if v.captured_at <= s["fetched_at"]), default=None)
        events.append(
            HistoryEvent(s["fetched_at"], "suspect", version=current, summary=s["suspect_reason"], url=s["url"], capture_id=s["id"])
        )
    # Within one second, by the version current after the event (numbers follow time; ids do not once an
    # older capture was placed, ingest.py): a return before the text it came back with, a version before
    # its removal. Otherwise stable: version 1 first, then changes in the order they were made.
    events.sort(key=lambda e: (e.at, e.version or 0, e.kind in ("gone", "back")))
    urls = tuple(
        UrlInfo(u["url"], u["role"], bool(u["is_primary"]), u["status"], u["last_status"], u["gone_at"])
        for u in archive.url_rows(article_id)
    )
    return ArticleHistory(
        id=row.id,
        title=row.title,
        url=row.url,
        status=row.status,
        gone_at=row.gone_at,
        first_seen=row.first_seen,
        last_checked=row.last_checked,
        urls=urls,
        versions=tuple(versions),
        events=tuple(events),
        captures=tuple(CaptureInfo.of(c) for c in archive.capture_provenance(article_id)),
        witnesses=read_witnesses(archive, article_id),
    )


def read_diff(archive: Archive, article_id: int, from_version: int | None = None, to_version: int | None = None) -> VersionDiff:
    """Version ``from_version`` against ``to_version``.

    ``to_version`` defaults to the latest version, ``from_version`` to the one
    before ``to_version``. Any two versions may be compared, in either order.
    """
    row = archive.article(article_id)
    if row is None:
        raise NotArchived(str(archive.path), article_id)
    latest = row.current_version or 0
    to_n = latest if to_version is None else to_version
    if from_version is None:
        if to_n == 1 and latest == 1:
            raise NotArchived(
                str(archive.path),
                article_id,
                detail=f"article {article_id} has one version so far, there is nothing to compare it with; "
                f"`series-archiver show {article_id}` prints it",
            )
        from_n = to_n - 1
    else:
        from_n = from_version
    old = archive.version_row(article_id, from_n) if from_n >= 1 else None
    new = archive.version_row(article_id, to_n) if to_n >= 1 else None
    for number, found in ((to_n, new), (from_n, old)):
        if found is None:
            raise NotArchived(str(archive.path), article_id, number, latest=latest)
    assert old is not None and new is not None
    diff = diff_texts(document_text(old["title"], old["text"]), document_text(new["title"], new["text"]))
    return VersionDiff(article_id, from_n, to_n, old["captured_at"], new["captured_at"], diff)


# --- entry points for the CLI -----------------------------------------------------------


def article_log(settings: Settings, article_id: int) -> ArticleHistory:
    """``log ID``: the history of one article in the archive ``settings`` name."""
    with Archive(settings.archive.db, readonly=True) as archive:
        return read_history(archive, article_id)


def article_diff(
    settings: Settings, article_id: int, from_version: int | None = None, to_version: int | None = None
) -> VersionDiff:
    """``diff ID [--from N] [--to M]``: two versions of one article compared."""
    with Archive(settings.archive.db, readonly=True) as archive:
        return read_diff(archive, article_id, from_version, to_version)
