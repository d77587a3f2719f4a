"""Schema upgrades: an archive written by release 0.1.0 opens, upgrades in place and keeps every row.

``tests/fixtures/archive-0.1.0.db`` was written by 0.1.0 itself on the replica
(see the README beside it): four installments, an edit, a removal, a restore.
Every test works on a copy; the fixture is never opened in place.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from series_archiver.archive import SCHEMA_VERSION, Archive
from series_archiver.archive.compact import MAX_REPEATS
from series_archiver.archive.migrations import migrate, step_name
from series_archiver.archive.schema import STEPS, Step
from series_archiver.demo import demo_settings
from series_archiver.errors import StoreError
from series_archiver.export.warc import export_warc
from series_archiver.jobs.verify import verify_archive
from series_archiver.settings import Settings
from tests.support.crawl import Crawler
from tests.support.paths import FIXTURE

# What 0.1.0 wrote, table by table: the upgrade must keep every one of these rows as it was.
V1_TABLES = ("articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs", "search_text")
# The fixture's ④ was removed (404) in its last pass: the replica serves it so here too.
A4 = "https://www.takungpao.com/news/232108/2025/1218/1050977.html"


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    db = tmp_path / "series.db"
    shutil.copy(FIXTURE, db)
    return db


# Columns of 0.1.0 that later steps store in another form: the bytes and headers
# as zstd deltas (step 6), the paragraphs, headings and blocks as a layout over
# the text (step 7). ``as_in_0_1_0`` reads them back in 0.1.0's form.
CONVERTED = {"captures": {"raw_zlib", "request_headers", "response_headers"}, "versions": {"paragraphs", "headings", "blocks"}}


def rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table with the columns 0.1.0 had and a later release kept as they were, in id order.

    Since schema step 11 ``captures`` and ``fetch_log`` are views over compact
    tables (a view has no rowid to order by): they must give back every row as it was.
    """
    v1_columns = [r[1] for r in _read(FIXTURE, f"PRAGMA table_info({table})") if r[1] not in CONVERTED.get(table, ())]
    view = _read(db, f"SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = '{table}'")
    return _read(db, f"SELECT {', '.join(v1_columns)} FROM {table} ORDER BY {'id' if view else 'rowid'}")


def as_in_0_1_0(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The converted columns as 0.1.0 stored them (the bytes uncompressed), read through the archive's accessors."""
    if user_version(db) == 1:
        captures = [(i, zlib.decompress(raw), req, resp) for i, raw, req, resp in _read(db, "SELECT id, raw_zlib, request_headers, response_headers FROM captures ORDER BY id")]
        versions = _read(db, "SELECT id, paragraphs, headings, blocks FROM versions ORDER BY id")
        return {"captures": captures, "versions": versions}
    with Archive(db, readonly=True) as archive:
        captures = []
        for (capture_id,) in archive.conn.execute("SELECT id FROM captures ORDER BY id").fetchall():
            rebuilt = archive.rebuilt_capture(capture_id)
            captures.append((capture_id, rebuilt.body, rebuilt.request_headers(), rebuilt.response_headers()))
        versions = []
        for version_id, article_id, number in archive.conn.execute("SELECT id, article_id, version FROM versions ORDER BY id").fetchall():
            v = archive.version_row(article_id, number)
            assert v is not None
            versions.append((
                version_id,
                json.dumps(v["paragraphs"], ensure_ascii=False),
                json.dumps(v["headings"], ensure_ascii=False),
                json.dumps([list(b) for b in v["blocks"]], ensure_ascii=False),
            ))
    return {"captures": captures, "versions": versions}


def _read(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def user_version(db: Path) -> int:
    return int(_read(db, "PRAGMA user_version")[0][0])


def test_the_fixture_is_what_0_1_0_wrote() -> None:
    assert user_version(FIXTURE) == 1
    counts = {t: len(rows(FIXTURE, t)) for t in V1_TABLES}
    assert counts == {
        "articles": 4, "article_urls": 9, "versions": 6, "captures": 11, "fetch_log": 84, "changes": 3, "runs": 4, "search_text": 6,
    }


def test_a_writer_upgrades_an_archive_of_0_1_0_in_place_and_keeps_every_row(old_db: Path) -> None:
    before = {t: rows(old_db, t) for t in V1_TABLES}
    with Archive(old_db) as archive:
        assert archive.schema_version == SCHEMA_VERSION
        applied = [r[0] for r in archive.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        derivations = archive.conn.execute("SELECT digest FROM derivations").fetchall()
        marked = archive.conn.execute("SELECT count(*) FROM versions WHERE derivation_id IS NULL").fetchone()[0]
    assert applied == [step_name(s) for s in STEPS]
    assert derivations == [("release:0.1.0",)] and marked == 0, "each version of 0.1.0 is marked as read by 0.1.0"
    for table in V1_TABLES:
        assert rows(old_db, table) == before[table], f"{table} changed in the upgrade"
    # What steps 6 and 7 stored in another form reads back as 0.1.0 wrote it, byte for byte.
    assert as_in_0_1_0(old_db) == as_in_0_1_0(FIXTURE)
    codecs = _read(old_db, "SELECT codec, count(*), max(chain) FROM captures GROUP BY codec ORDER BY codec")
    assert [c for c, _, _ in codecs] == ["zstd", "zstd-delta"], "every capture was converted, the re-fetches to deltas"
    # The texts and the SHA-256 of every raw page are those of 0.1.0, byte for byte.
    backup = old_db.with_name("series.db.schema-1.backup")
    assert backup.exists() and user_version(backup) == 1, "the archive as it was is kept beside it"
    assert rows(backup, "captures") == before["captures"]


def test_the_upgraded_archive_verifies_and_a_recrawl_of_the_unchanged_replica_adds_nothing(
    old_db: Path, replica: Any, tmp_path: Path
) -> None:
    settings = demo_settings(old_db)
    replica.remove(A4)  # as in the fixture's last pass
    versions_before = rows(old_db, "versions")
    changes_before = rows(old_db, "changes")
    result = Crawler(replica, settings).crawl()
    assert result.ok, result.counts.failures
    assert result.counts.new_versions == 0 and result.counts.new_articles == 0
    assert result.events == [], "no notification: nothing happened on the site"
    assert rows(old_db, "versions") == versions_before
    assert rows(old_db, "changes") == changes_before
    report = verify_archive(settings)
    assert report.ok and report.checked >= 11


def test_a_reader_never_writes_an_old_archive_and_names_the_command_that_upgrades_it(old_db: Path) -> None:
    data = old_db.read_bytes()
    with pytest.raises(StoreError) as info:
        Archive(old_db, readonly=True)
    message = str(info.value)
    assert "schema 1" in message and f"series-archiver upgrade --db {old_db}" in message and "\n" not in message
    assert old_db.read_bytes() == data
    assert not old_db.with_name("series.db.schema-1.backup").exists()


@pytest.mark.slow
def test_the_cli_upgrades_with_a_backup_and_readers_then_work(old_db: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "series_archiver", *args, "--db", str(old_db)], capture_output=True, text=True, timeout=120, check=False
        )

    refused = run("list")
    assert refused.returncode == 1 and "series-archiver upgrade" in refused.stderr
    backup = tmp_path / "before.db"
    done = run("upgrade", "--backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert f"from schema 1 to {SCHEMA_VERSION}" in done.stdout and str(backup) in done.stdout
    assert user_version(backup) == 1 and user_version(old_db) == SCHEMA_VERSION
    again = run("upgrade")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    listed = run("list", "--json")
    assert listed.returncode == 0 and '"installment": 4' in listed.stdout


def test_a_new_archive_has_the_same_schema_as_an_upgraded_one(old_db: Path, tmp_path: Path) -> None:
    with Archive(old_db):
        pass
    with Archive(tmp_path / "new.db"):
        pass

    def shape(db: Path) -> dict[str, list[tuple[Any, ...]]]:
        conn = sqlite3.connect(db)
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        shapes = {n: [r[1:3] for r in conn.execute(f"PRAGMA table_info({n})")] for n in names}
        shapes["indexes"] = conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()
        return shapes

    assert shape(tmp_path / "new.db") == shape(old_db)


def test_a_failing_step_is_rolled_back_whole_and_the_archive_stays_at_the_last_good_step(old_db: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE articles ADD COLUMN test_note TEXT")
        conn.execute("UPDATE articles SET test_note = 'x'")
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    steps = (*STEPS, Step(SCHEMA_VERSION + 1, "test_broken", broken))
    conn = sqlite3.connect(old_db, isolation_level=None)
    from series_archiver.archive.search import register_functions

    register_functions(conn)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, steps)
    assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
    assert "test_note" not in [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert step_name(steps[-1]) not in names and step_name(STEPS[-1]) in names
    conn.close()


def test_a_new_archive_gets_all_of_its_schema_or_none_of_it(tmp_path: Path) -> None:
    """A kill while a new archive is being made must not leave the tables of some old release.

    A step failing at the end stands for the kill: nothing of the earlier steps may stay.
    """

    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    db = tmp_path / "new.db"
    conn = sqlite3.connect(db, isolation_level=None)
    from series_archiver.archive.search import register_functions

    register_functions(conn)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (*STEPS, Step(SCHEMA_VERSION + 1, "test_broken", broken)))
    assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert migrate(conn) == [step_name(s) for s in STEPS]
    assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
    conn.close()


def test_a_later_step_adding_a_column_upgrades_the_fixture_and_keeps_its_rows(old_db: Path) -> None:
    """What the next schema change will do: one step appended, the fixture still upgrading."""

    def add_note(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE articles ADD COLUMN test_note TEXT")

    steps = (*STEPS, Step(SCHEMA_VERSION + 1, "test_note", add_note))
    before = rows(old_db, "articles")
    conn = sqlite3.connect(old_db, isolation_level=None)
    from series_archiver.archive.search import register_functions

    register_functions(conn)
    applied = migrate(conn, steps)
    assert applied == [step_name(s) for s in steps]
    assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION + 1
    conn.execute("UPDATE articles SET test_note = 'x' WHERE id = 1")
    conn.close()
    assert rows(old_db, "articles") == before


def test_versions_a_later_step_adds_are_searchable_when_it_ends(old_db: Path) -> None:
    """sqlite-utils commits a step itself, not through the writer's commit that indexes new rows: the step's end does.

    Without that, the version would be listed in ``search_pending``, in neither index, found by no search.
    """
    word = "遷移新增字詞"

    def add_version(conn: sqlite3.Connection) -> None:
        # A copy of the first version with the word added, whatever columns this release's versions have.
        columns = [r[1] for r in conn.execute("PRAGMA table_info(versions)") if r[1] != "id"]
        changed = {"version": "version + 100", "content_hash": "'test-step'", "text": "text || ?"}
        conn.execute(
            f"INSERT INTO versions ({', '.join(columns)}) "
            f"SELECT {', '.join(changed.get(c, c) for c in columns)} FROM versions ORDER BY id LIMIT 1",
            (word,),
        )

    steps = (*STEPS, Step(SCHEMA_VERSION + 1, "test_version", add_version))
    conn = sqlite3.connect(old_db, isolation_level=None)
    from series_archiver.archive.search import register_functions, search

    register_functions(conn)
    migrate(conn, steps)
    assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    for query in (word, word[:2]):  # the trigram index, and the pairs index
        page = search(conn, query)
        assert page.total == 1 and page.results[0]["versions_matching"] == str(
            conn.execute("SELECT max(version) FROM versions").fetchone()[0]
        ), query
    conn.close()


def test_an_archive_of_a_later_release_is_refused_by_readers_and_writers(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db):
        pass
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    for readonly in (True, False):
        with pytest.raises(StoreError, match="later release"):
            Archive(db, readonly=readonly)


@pytest.mark.slow
def test_two_writers_opening_one_old_archive_upgrade_it_once(old_db: Path) -> None:
    code = "import sys; from series_archiver.archive import Archive; Archive(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(old_db)], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Archive(old_db) as archive:
        names = [r[0] for r in archive.conn.execute("SELECT name FROM _sqlite_migrations")]
    assert names == [step_name(s) for s in STEPS]
    assert sorted(p.name for p in old_db.parent.glob("series.db.schema-*")) == ["series.db.schema-1.backup"]


def test_settings_can_turn_the_backup_off(old_db: Path) -> None:
    settings: Settings = demo_settings(old_db).replace(archive__backup_before_upgrade=False)
    from series_archiver.jobs.core import open_writer

    open_writer(settings).close()
    assert user_version(old_db) == SCHEMA_VERSION
    assert not list(old_db.parent.glob("series.db.schema-*"))


# --- schema step 11: compact evidence rows ------------------------------------------------------


WARC_RECORDS = FIXTURE.with_name("archive-0.1.0-warc-records.json")


def warc_records(path: Path) -> list[list[Any]]:
    """Every record of a WARC but the warcinfo, as tests/fixtures/README.md describes ``archive-0.1.0-warc-records.json``."""
    import hashlib

    from warcio.archiveiterator import ArchiveIterator

    names = ("WARC-Record-ID", "WARC-Date", "WARC-Target-URI", "WARC-Profile", "WARC-Refers-To", "WARC-Refers-To-Date",
             "WARC-Concurrent-To", "WARC-Payload-Digest", "WARC-Block-Digest", "Content-Length")
    out = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "warcinfo":
                continue
            body = rec.content_stream().read()
            http = rec.http_headers.to_str() if rec.http_headers else ""
            out.append([rec.rec_type, *(rec.rec_headers.get_header(n) for n in names),
                        hashlib.sha256(http.encode("latin-1") + body).hexdigest()])
    return out


def test_step_11_keeps_every_log_row_and_capture_in_fewer_smaller_rows(old_db: Path) -> None:
    with Archive(old_db, backup_before_upgrade=False) as archive:
        conn = archive.conn
        urls = {u for (u,) in conn.execute("SELECT url FROM urls")}
        stored = conn.execute("SELECT count(*), sum(repeats) FROM fetches").fetchone()
        digests = conn.execute("SELECT DISTINCT typeof(sha256), length(sha256) FROM capture_store").fetchall()
        runs = conn.execute("SELECT outcome, status, repeats, last_id, last_at FROM fetches WHERE repeats > 0").fetchall()
        last = conn.execute("SELECT max(id), max(requested_at) FROM fetch_log").fetchone()
    logged = rows(FIXTURE, "fetch_log")
    # Each URL once, for captures and the log alike.
    assert urls == {r[2] for r in logged} | {r[1] for r in rows(FIXTURE, "captures")} | {r[2] for r in rows(FIXTURE, "captures") if r[2]}
    # Re-fetches that found their page unchanged are folded into runs: fewer rows, the same log.
    assert stored[0] + stored[1] == len(logged) == 84 and stored[0] < len(logged)
    assert runs and {outcome for outcome, *_ in runs} <= {"unchanged", "not_modified"}
    assert all(0 < n <= MAX_REPEATS and last_id <= last[0] and at <= last[1] for _, _, n, last_id, at in runs)
    assert digests == [("blob", 32)], "every SHA-256 stored as its 32 bytes"


def test_step_11_answers_when_a_url_was_last_seen_unchanged_and_how_often(old_db: Path) -> None:
    question = (
        "SELECT url, count(*), max(requested_at), group_concat(DISTINCT status) FROM fetch_log "
        "WHERE outcome IN ('unchanged', 'not_modified') GROUP BY url ORDER BY url"
    )
    before = _read(FIXTURE, question)
    Archive(old_db, backup_before_upgrade=False).close()
    assert _read(old_db, question) == before and before
    # And from the compact rows themselves: each run's count, first and last time.
    compact = _read(
        old_db,
        "SELECT u.url, sum(f.repeats + 1), max(coalesce(f.last_at, f.requested_at)), group_concat(DISTINCT f.status) "
        "FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.outcome IN ('unchanged', 'not_modified') GROUP BY u.url ORDER BY u.url",
    )
    assert compact == before


def test_step_11_keeps_the_warc_export_record_for_record(old_db: Path, tmp_path: Path) -> None:
    """The export of the upgraded fixture is what the code before step 11 wrote of it (tests/fixtures/README.md)."""
    Archive(old_db, backup_before_upgrade=False).close()
    out = tmp_path / "all.warc"
    export_warc(demo_settings(old_db), out)
    expected = json.loads(WARC_RECORDS.read_text(encoding="utf-8"))
    assert sum(r[0] == "revisit" for r in expected) > 0, "the fixture's re-fetches are revisits"
    assert warc_records(out) == expected
