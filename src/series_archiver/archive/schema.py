"""The archive's schema, as the numbered steps that build it.

Each step is frozen once released: an archive written by an earlier release
runs the steps it lacks (``migrations.py``), a new archive runs them all, so
both end with the same tables. A schema change is a new step at the end of
``STEPS`` and nothing else; never edit a released step.

``SCHEMA_VERSION`` (``PRAGMA user_version``) is the number of the last step,
what a reader checks before it reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from series_archiver.archive import captures as capture_codec
from series_archiver.archive.compact import step_11
from series_archiver.archive.layout import encode_layout
from series_archiver.archive.search import create_bigram_index, create_page_index, create_search_schema
from series_archiver.archive.searchwrite import create_index_at_commit
from series_archiver.archive.sqlscript import run_script

__all__ = ["SCHEMA_VERSION", "STEPS", "Step"]


# --- step 1: the schema of release 0.1.0, exactly -------------------------------

V1_TABLES = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    series TEXT NOT NULL,
    installment INTEGER,
    label TEXT,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'live',
    published TEXT,
    byline TEXT,
    versions INTEGER NOT NULL DEFAULT 0,
    current_version INTEGER,
    first_seen TEXT NOT NULL,
    last_checked TEXT,
    last_changed TEXT,
    gone_at TEXT
);
CREATE TABLE IF NOT EXISTS article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER REFERENCES articles(id),
    role TEXT,
    is_primary INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'live',
    first_seen TEXT NOT NULL,
    last_seen TEXT,
    last_status INTEGER,
    gone_at TEXT,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    last_capture_id INTEGER REFERENCES captures(id)
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT,
    article_id INTEGER REFERENCES articles(id),
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    http_version TEXT,
    content_type TEXT,
    encoding TEXT,
    request_headers TEXT,
    response_headers TEXT,
    redirects TEXT,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    suspect_reason TEXT,
    raw_zlib BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    byline TEXT,
    text TEXT NOT NULL,
    paragraphs TEXT NOT NULL,
    headings TEXT NOT NULL,
    captions TEXT NOT NULL,
    blocks TEXT NOT NULL,
    chars INTEGER NOT NULL,
    url TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures(id),
    capture_ids TEXT NOT NULL,
    restores INTEGER,
    UNIQUE (article_id, version)
);
CREATE TABLE IF NOT EXISTS fetch_log (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    url TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    elapsed_ms REAL,
    bytes INTEGER,
    article_id INTEGER REFERENCES articles(id),
    capture_id INTEGER REFERENCES captures(id)
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    from_version INTEGER,
    to_version INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    chars_added INTEGER NOT NULL DEFAULT 0,
    chars_removed INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    diff_html TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    pid INTEGER,
    host TEXT,
    found INTEGER,
    fetched INTEGER,
    new_articles INTEGER,
    new_versions INTEGER,
    unchanged INTEGER,
    failed INTEGER,
    gone INTEGER,
    suspect INTEGER,
    skipped INTEGER,
    failures TEXT
);
CREATE INDEX IF NOT EXISTS idx_article_urls_article ON article_urls(article_id);
CREATE INDEX IF NOT EXISTS idx_versions_article ON versions(article_id, version);
CREATE INDEX IF NOT EXISTS idx_captures_url ON captures(url, id);
CREATE INDEX IF NOT EXISTS idx_fetch_log_url ON fetch_log(url, id);
CREATE INDEX IF NOT EXISTS idx_fetch_log_run ON fetch_log(run_id);
CREATE INDEX IF NOT EXISTS idx_changes_article ON changes(article_id, to_version);
"""


def _step_1(conn: sqlite3.Connection) -> None:
    """The tables of release 0.1.0 (an archive of 0.1.0 has them all: nothing happens)."""
    run_script(conn, V1_TABLES)
    create_search_schema(conn)


# --- step 2: derivations ----------------------------------------------------------

# How a version's text was read from its raw pages: which extraction, cleaning
# and folding code, and the versions of the libraries they lean on. A later
# release reads the same pages differently; recording the derivation lets it
# tell its own change from the site's (versions.py).
V2_DERIVATIONS = """
CREATE TABLE derivations (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    components TEXT NOT NULL,
    first_used TEXT NOT NULL
);
ALTER TABLE versions ADD COLUMN derivation_id INTEGER REFERENCES derivations(id);
CREATE TABLE rederivations (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    derivation_id INTEGER NOT NULL REFERENCES derivations(id),
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    derived_at TEXT NOT NULL,
    PRIMARY KEY (version_id, derivation_id)
);
"""

# What release 0.1.0 recorded of its derivation: nothing but its own version.
RELEASE_0_1_0 = ("release:0.1.0", '{"series-archiver": "0.1.0"}')


def _step_2(conn: sqlite3.Connection) -> None:
    """Record the derivation of every version; versions of 0.1.0 are marked as its own."""
    run_script(conn, V2_DERIVATIONS)
    if conn.execute("SELECT 1 FROM versions LIMIT 1").fetchone():
        first = conn.execute("SELECT min(captured_at) FROM versions").fetchone()[0]
        conn.execute("INSERT INTO derivations (digest, components, first_used) VALUES (?, ?, ?)", (*RELEASE_0_1_0, first))
        conn.execute("UPDATE versions SET derivation_id = (SELECT id FROM derivations WHERE digest = ?)", (RELEASE_0_1_0[0],))


# --- step 3: capture provenance ------------------------------------------------------

# Where each capture came from: fetched live, read from a web archive's
# playback (the memento URL and the archive's X-Archive-Src), or imported
# from a WARC file (its name, the record's id and offset). Rows written
# before this step were all fetched live.
V3_CAPTURE_PROVENANCE = """
ALTER TABLE captures ADD COLUMN source TEXT NOT NULL DEFAULT 'live';
ALTER TABLE captures ADD COLUMN memento_url TEXT;
ALTER TABLE captures ADD COLUMN archive_src TEXT;
ALTER TABLE captures ADD COLUMN warc_file TEXT;
ALTER TABLE captures ADD COLUMN warc_record_id TEXT;
ALTER TABLE captures ADD COLUMN warc_offset INTEGER;
CREATE INDEX IF NOT EXISTS idx_captures_memento ON captures(memento_url) WHERE memento_url IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_captures_warc_record ON captures(warc_record_id) WHERE warc_record_id IS NOT NULL;
"""


def _step_3(conn: sqlite3.Connection) -> None:
    """Captures say where they came from (``source``: live, wayback, warc); existing rows are live."""
    run_script(conn, V3_CAPTURE_PROVENANCE)


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def _step_4(conn: sqlite3.Connection) -> None:
    """How many damaged bytes decoding replaced in each capture; 0 for every earlier one (they decoded strictly)."""
    conn.execute("ALTER TABLE captures ADD COLUMN replaced_bytes INTEGER NOT NULL DEFAULT 0")


# --- step 5: witnesses ---------------------------------------------------------------

# A capture asked of a third party (Save Page Now 2) for each new version,
# removal and return, so someone other than this archive saw it: which
# version or change it witnesses, the job, and what came of it. The queue is
# kept here so a capture asked for is never lost between passes.
V5_WITNESSES = """
CREATE TABLE witnesses (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version_id INTEGER REFERENCES versions(id),
    change_id INTEGER REFERENCES changes(id),
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT 'spn2',
    capture_all INTEGER NOT NULL DEFAULT 0,
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    submitted_at TEXT,
    job_id TEXT,
    status_ext TEXT,
    error TEXT,
    archived_url TEXT,
    archived_at TEXT,
    finished_at TEXT
);
CREATE INDEX idx_witnesses_status ON witnesses(status, next_try_at);
CREATE INDEX idx_witnesses_article ON witnesses(article_id, id);
"""


def _step_5(conn: sqlite3.Connection) -> None:
    """The queue and record of witness captures (Save Page Now 2); empty in an earlier archive."""
    run_script(conn, V5_WITNESSES)


# --- step 6: captures as zstd deltas (captures.py) -------------------------------------------

V6_CAPTURE_DELTAS = """
ALTER TABLE captures RENAME COLUMN raw_zlib TO raw;
ALTER TABLE captures ADD COLUMN codec TEXT NOT NULL DEFAULT 'zlib';
ALTER TABLE captures ADD COLUMN base_capture_id INTEGER REFERENCES captures(id);
ALTER TABLE captures ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE captures ADD COLUMN headers BLOB;
"""


def _step_6(conn: sqlite3.Connection) -> None:
    """Every capture's bytes and headers stored again as zstd, each a delta against its URL's capture before it.

    URL by URL, oldest first, as ``Archive.add_capture`` would have stored
    them (a delta against the URL's last whole capture). A page whose zlib bytes cannot be read (damaged before the upgrade)
    is left as it was (``zlib``) for ``verify`` to report, and the next capture
    of its URL starts a new chain. The space the old blobs held is free pages
    until a VACUUM (``Archive.upgrade`` runs one after this step).
    """
    run_script(conn, V6_CAPTURE_DELTAS)
    urls = [r[0] for r in conn.execute("SELECT DISTINCT url FROM captures ORDER BY url")]
    for url in urls:
        base: capture_codec.Rebuilt | None = None
        chain = base_size = 0
        rows = conn.execute(
            "SELECT id, sha256, raw, request_headers, response_headers FROM captures WHERE url = ? ORDER BY id", (url,)
        ).fetchall()
        for capture_id, sha256, raw, request, response in rows:
            headers = capture_codec.headers_json(json.loads(request or "[]"), json.loads(response or "[]"))
            try:
                body = capture_codec.decode("zlib", raw, None)
            except ValueError:
                conn.execute("UPDATE captures SET headers = ? WHERE id = ?", (capture_codec.encode_headers(headers, None), capture_id))
                base, chain, base_size = None, 0, 0
                continue
            encoded = capture_codec.encode(body, headers, base, chain, base_size)
            conn.execute(
                "UPDATE captures SET codec = ?, base_capture_id = ?, chain = ?, raw = ?, headers = ? WHERE id = ?",
                (encoded.codec, encoded.base_capture_id, encoded.chain, encoded.raw, encoded.headers, capture_id),
            )
            chain = encoded.chain
            if encoded.codec == "zstd":
                base, base_size = capture_codec.Rebuilt(capture_id, url, sha256, body, headers), len(encoded.raw)
    conn.execute("ALTER TABLE captures DROP COLUMN request_headers")
    conn.execute("ALTER TABLE captures DROP COLUMN response_headers")


# --- step 7: each version's text stored once (layout.py) ------------------------------------


def _step_7(conn: sqlite3.Connection) -> None:
    """``versions.layout`` (each block's kind and length over ``text``) replaces the paragraphs, headings and blocks JSON."""
    conn.execute("ALTER TABLE versions ADD COLUMN layout TEXT NOT NULL DEFAULT ''")
    after = -1
    while True:
        batch = conn.execute("SELECT id, text, blocks FROM versions WHERE id > ? ORDER BY id LIMIT 500", (after,)).fetchall()
        if not batch:
            break
        for version_id, text, blocks in batch:
            layout = encode_layout(text, [(str(k), str(t)) for k, t in json.loads(blocks)])
            conn.execute("UPDATE versions SET layout = ? WHERE id = ?", (layout, version_id))
        after = batch[-1][0]
    for column in ("paragraphs", "headings", "blocks"):
        conn.execute(f"ALTER TABLE versions DROP COLUMN {column}")


# --- step 8: lookup indexes ------------------------------------------------------

# An installment's articles are looked up by series and number for every new
# article (its label, installment_label / label_installment): without an index
# each lookup read the whole table, and an import of N pages took N² row reads.
V8_INDEXES = """
CREATE INDEX IF NOT EXISTS idx_articles_installment ON articles(series, installment);
"""


def _step_8(conn: sqlite3.Connection) -> None:
    """Indexes only: the lookups that grew with the archive."""
    run_script(conn, V8_INDEXES)


# --- step 9: the two-character search index -----------------------------------------


def _step_9(conn: sqlite3.Connection) -> None:
    """Index every pair of neighbouring folded characters (``search_bigrams``), so two-character words need no scan."""
    create_bigram_index(conn)


# --- step 10: evidence (screenshots, trusted timestamps) -----------------------------

# Each new version, removal and return is queued here in its own transaction
# (``evidence`` rows), then worked after the pass (evidence/worker.py): a
# screenshot of each capture it rests on, rendered from the stored bytes with
# the network shut (``screenshots``), and an RFC 3161 token over one digest of
# the event's evidence (``statement``, the canonical JSON it covers; docs/evidence.md).
# The TSA's certificate chain is kept once (``tsa_chains``), for ``verify`` and bundles.
V10_EVIDENCE = """
CREATE TABLE screenshots (
    id INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL UNIQUE REFERENCES captures(id),
    taken_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    renderer TEXT NOT NULL,
    png BLOB NOT NULL
);
CREATE TABLE tsa_chains (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    pem TEXT NOT NULL,
    first_used TEXT NOT NULL
);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version_id INTEGER REFERENCES versions(id),
    change_id INTEGER REFERENCES changes(id),
    fetch_log_id INTEGER REFERENCES fetch_log(id),
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    capture_ids TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    statement BLOB,
    digest TEXT,
    tsa_url TEXT,
    tsa_chain_id INTEGER REFERENCES tsa_chains(id),
    token BLOB,
    stamped_at TEXT,
    finished_at TEXT
);
CREATE INDEX idx_evidence_status ON evidence(status, id);
CREATE INDEX idx_evidence_article ON evidence(article_id, id);
"""


def _step_10(conn: sqlite3.Connection) -> None:
    """Screenshots, the evidence queue with its timestamp tokens, and TSA chains; empty in an earlier archive."""
    run_script(conn, V10_EVIDENCE)


# --- step 11: compact evidence rows (compact.py), search that costs what it shows (search.py) ----


def _step_11(conn: sqlite3.Connection) -> None:
    """URLs stored once (``urls``), SHA-256s as bytes, unchanged re-fetches as runs, ``captures`` and ``fetch_log``
    as views; each version's article for counting search matches (``search_versions``), articles in installment order."""
    step_11(conn)
    create_page_index(conn)


# --- step 12: the search indexes written once a transaction (searchwrite.py, ``index_pending``) ----


def _step_12(conn: sqlite3.Connection) -> None:
    """``search_pending``: the rows of ``search_text`` a transaction added, indexed by the writer just before COMMIT
    instead of row by row by triggers. Every row is indexed already when this step runs, so none is listed.

    Rows a later step adds to ``search_text`` are indexed when that step ends (``migrations._applier``)."""
    create_index_at_commit(conn)


STEPS: tuple[Step, ...] = (
    Step(1, "release_0_1_0", _step_1),
    Step(2, "derivations", _step_2),
    Step(3, "capture_provenance", _step_3),
    Step(4, "captures_replaced_bytes", _step_4),
    Step(5, "witnesses", _step_5),
    Step(6, "capture_deltas", _step_6),
    Step(7, "version_text_once", _step_7),
    Step(8, "lookup_indexes", _step_8),
    Step(9, "search_bigrams", _step_9),
    Step(10, "evidence", _step_10),
    Step(11, "compact_rows_search_pages", _step_11),
    Step(12, "search_index_at_commit", _step_12),
)
SCHEMA_VERSION = STEPS[-1].number

