"""An archive read from outside, as Datasette or a curious user would: queries, what it holds, whether it is sound."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def reader(db: Path) -> sqlite3.Connection:
    """A plain read-only connection, as Datasette or a curious user would open."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def versions(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT a.installment, a.label, a.url, v.version, v.content_hash, v.text FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 4")


def assert_archive_sound(db: Path) -> None:
    """Integrity, no half-written version, no duplicate: whatever moment a pass stopped at."""
    with reader(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # The schema is made in one transaction: all of it, or (killed first) none.
        # (``captures`` and ``fetch_log`` are views over compact tables since schema step 11.)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        core_tables = {"articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs", "capture_store", "fetches", "urls"}
        assert tables & core_tables in (set(), core_tables), tables
        if not tables & core_tables:
            return
        # Every version has its captures, good ones, the first of them as capture_id.
        for article_id, version, capture_id, capture_ids in conn.execute(
            "SELECT article_id, version, capture_id, capture_ids FROM versions"
        ).fetchall():
            ids = json.loads(capture_ids)
            assert ids and ids[0] == capture_id, (article_id, version)
            for cid in ids:
                row = conn.execute("SELECT suspect_reason FROM captures WHERE id = ?", (cid,)).fetchone()
                assert row == (None,), f"version {version} of article {article_id}: capture {cid} is {row}"
        # Every article has all its versions, 1..n, current = n, and one primary URL that is its url.
        for article_id, versions, current, url in conn.execute(
            "SELECT id, versions, current_version, url FROM articles"
        ).fetchall():
            numbers = [r[0] for r in conn.execute("SELECT version FROM versions WHERE article_id = ? ORDER BY version", (article_id,))]
            assert versions >= 1 and numbers == list(range(1, versions + 1)) and current == versions, (article_id, numbers, current)
            primary = conn.execute("SELECT url FROM article_urls WHERE article_id = ? AND is_primary = 1", (article_id,)).fetchall()
            assert primary == [(url,)], (article_id, primary)
        # No duplicate: one article per installment, one row per (article, version), one article per URL.
        assert conn.execute(
            "SELECT series, installment FROM articles WHERE installment IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall() == []
        assert conn.execute("SELECT article_id, version FROM versions GROUP BY 1, 2 HAVING count(*) > 1").fetchall() == []
        assert conn.execute("SELECT article_id, content_hash FROM versions WHERE restores IS NULL GROUP BY 1, 2 HAVING count(*) > 1").fetchall() == []
        # Every version is searchable: its search row is in both indexes, and none is left listed
        # for the next COMMIT (schema step 12 indexes a transaction's rows just before it commits).
        if "search_pending" in tables:
            assert conn.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
            rows = conn.execute("SELECT count(*) FROM search_text").fetchone()[0]
            assert rows == conn.execute("SELECT count(*) FROM versions").fetchone()[0]
            assert conn.execute("SELECT count(*) FROM search_bigrams_docsize").fetchone()[0] == rows
            if "search_fts" in tables:
                assert conn.execute("SELECT count(*) FROM search_fts_docsize").fetchone()[0] == rows
        # A URL's state points at a capture that exists; its log rows at an article that exists.
        assert conn.execute(
            "SELECT url FROM article_urls WHERE last_capture_id IS NOT NULL AND last_capture_id NOT IN (SELECT id FROM captures)"
        ).fetchall() == []


def snapshot(db: Path) -> list[tuple[Any, ...]]:
    """What the archive holds, ids aside: per installment its title, text, versions and URLs."""
    with reader(db) as conn:
        rows = conn.execute(
            "SELECT a.id, a.installment, a.title, a.versions, a.status, v.text FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version ORDER BY a.installment"
        ).fetchall()
        out = []
        for article_id, installment, title, versions, status, text in rows:
            urls = sorted(r[0] for r in conn.execute("SELECT url FROM article_urls WHERE article_id = ?", (article_id,)))
            out.append((installment, title, versions, status, text, urls))
        return out
