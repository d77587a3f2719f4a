"""Export as JSON Lines, for analysis: one object per version, in installment order.

Each object holds the article's fields, the version's and its text, and the
captures it was read from, each with the WARC-Record-ID of its response in a
WARC export of the same archive. Written one line at a time, in one snapshot
of the archive, to ``FILE.part`` renamed when complete (``snapshot``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from series_archiver.archive import views
from series_archiver.archive.store import Archive
from series_archiver.export.record_ids import response_record_id
from series_archiver.export.snapshot import check_series, output, read_snapshot
from series_archiver.settings import Settings

__all__ = ["JsonlExport", "export_jsonl"]


@dataclass(frozen=True)
class JsonlExport:
    """What ``export_jsonl`` wrote."""

    path: Path
    versions: int
    bytes: int


def export_jsonl(settings: Settings, path: Path, *, series: str | None = None, since: datetime | None = None) -> JsonlExport:
    """Write one JSON object per version to ``path``: the article's fields, the version's, its text."""
    written = 0
    with read_snapshot(settings.archive.db) as archive:
        check_series(archive, settings, series)
        with output(path) as fh:
            for version in views.exported_versions(archive.conn, series, since.isoformat() if since else None):
                fh.write(json.dumps(_version_object(archive, version), ensure_ascii=False).encode("utf-8") + b"\n")
                written += 1
            size = fh.tell()
    return JsonlExport(path, written, size)


def _version_object(archive: Archive, v: views.ExportedVersion) -> dict[str, Any]:
    captures = [
        {
            "id": c.id,
            "url": c.url,
            "fetched_at": c.fetched_at,
            "sha256": c.sha256,
            "warc_record_id": response_record_id(c.id, c.url, c.fetched_at, c.sha256),
            "source": c.source,
            # Where a capture not fetched live came from: the memento, or the imported file and its record.
            **({"memento_url": c.memento_url} if c.source == "wayback" else {}),
            **({"warc_file": c.warc_file, "source_warc_record_id": c.warc_record_id} if c.source == "warc" else {}),
        }
        for c in views.capture_refs(archive.conn, v.capture_ids)
    ]
    return {
        "article_id": v.article_id,
        "series": v.series,
        "installment": v.installment,
        "label": v.label,
        "article_title": v.article_title,
        "article_url": v.article_url,
        "urls": archive.article_urls(v.article_id),
        "status": v.status,
        "first_seen": v.first_seen,
        "last_checked": v.last_checked,
        "last_changed": v.last_changed,
        "gone_at": v.gone_at,
        "versions": v.versions,
        "version": v.version,
        "captured_at": v.captured_at,
        "restores": v.restores,
        "content_hash": v.content_hash,
        "title": v.title,
        "published": v.published,
        "byline": v.byline,
        "url": v.url,
        "chars": v.chars,
        "headings": v.headings,
        "paragraphs": v.paragraphs,
        "captions": v.captions,
        "blocks": [{"kind": k, "text": t} for k, t in v.blocks],
        "text": v.text,
        "captures": captures,
    }
