"""Storage: captures as zstd deltas (archive/captures.py, schema step 6), each text once (archive/layout.py, step 7)."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from series_archiver.archive import Archive
from series_archiver.archive.captures import DELTA_CHAIN, WHOLE_LEVEL, Rebuilt, decode, encode, encode_whole, headers_json
from series_archiver.archive.layout import decode_layout, encode_layout
from series_archiver.demo import demo_settings
from series_archiver.errors import StoreError
from series_archiver.jobs.verify import verify_archive
from series_archiver.models import FetchedPage
from tests.support.crawl import Crawler
from tests.support.paths import FIXTURE

URL = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
A1 = URL
T0 = datetime(2025, 12, 15, 8, 0, tzinfo=UTC)


def page_bytes(views: int, ranking: int, text: int = 7) -> bytes:
    """A page of about 20 KB whose furniture (a view count, a ranking box) and text (a seed) are given."""
    rng = random.Random(text)
    body = "".join(f"<p>{''.join(chr(0x4E00 + rng.randrange(2000)) for _ in range(60))}</p>\n" for _ in range(100))
    links = "".join(f'<li><a href="/news/{ranking + i}.html">示例新聞{i}</a></li>' for i in range(10))
    return f"<html><body><div class='tkp_content'>{body}</div><span>閱讀量：{views:,}</span><ul>{links}</ul></body></html>".encode()


def fetched(content: bytes, n: int, url: str = URL) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        fetched_at=T0 + timedelta(hours=n),
        content=content,
        text=content.decode(),
        encoding="utf-8",
        request_headers=(("Host", "www.takungpao.com"), ("User-Agent", "series-archiver/test"), ("If-None-Match", f'"{n - 1:032x}"')),
        response_headers=(("Date", f"Mon, 15 Dec 2025 {n % 24:02d}:00:00 GMT"), ("ETag", f'"{n:032x}"'), ("Content-Length", str(len(content)))),
    )


def capture_rows(db: Path) -> list[tuple[int, str, int | None, int, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, codec, base_capture_id, chain, length(raw) + length(headers) FROM captures ORDER BY id").fetchall()


# --- the codec --------------------------------------------------------------------------------


@hsettings(max_examples=60, deadline=None)
@given(
    base=st.binary(min_size=0, max_size=3000),
    edits=st.lists(st.tuples(st.integers(min_value=0, max_value=3000), st.binary(max_size=20)), max_size=6),
    chain=st.integers(min_value=0, max_value=DELTA_CHAIN + 2),
)
def test_a_delta_rebuilds_the_bytes_and_headers_exactly(base: bytes, edits: list[tuple[int, bytes]], chain: int) -> None:
    body = bytearray(base)
    for at, new in edits:
        body[at : at + len(new)] = new
    headers = headers_json([("Host", "a.test")], [("ETag", f'"{len(body)}"')])
    previous = Rebuilt(1, URL, "x", base, headers_json([("Host", "a.test")], [("ETag", '"0"')]))
    encoded = encode(bytes(body), headers, previous, chain)
    if chain + 1 >= DELTA_CHAIN:
        assert (encoded.codec, encoded.base_capture_id, encoded.chain) == ("zstd", None, 0), "a whole capture ends each chain"
        assert decode("zstd", encoded.raw, None) == bytes(body)
    else:
        assert (encoded.codec, encoded.base_capture_id, encoded.chain) == ("zstd-delta", 1, chain + 1)
        assert decode("zstd-delta", encoded.raw, previous.body) == bytes(body)
        assert decode("zstd-delta", encoded.headers, previous.headers) == headers
    whole = encode(bytes(body), headers, None, 0)
    assert whole.codec == "zstd" and decode("zstd", whole.raw, None) == bytes(body)


def test_whole_frames_are_a_fresh_compressors_in_every_thread() -> None:
    # The compressor is kept per thread: frames are the same bytes as one made for each page.
    pages = [(f"<html><p>{'第' * n}{n}</p></html>".encode(), headers_json([("A", str(n))], [])) for n in range(1, 40)]

    def fresh(data: bytes) -> bytes:
        return zstandard.ZstdCompressor(level=WHOLE_LEVEL, write_checksum=True, write_content_size=True).compress(data)

    expected = [(fresh(body), fresh(headers)) for body, headers in pages]
    got: dict[int, list[tuple[bytes, bytes]]] = {}

    def encode_all(k: int) -> None:
        got[k] = [(e.raw, e.headers) for e in (encode_whole(body, headers) for body, headers in pages)]

    threads = [threading.Thread(target=encode_all, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    encode_all(3)
    assert all(got[k] == expected for k in range(4))


def test_a_damaged_frame_is_an_error_never_other_bytes() -> None:
    base, body = page_bytes(10, 100), page_bytes(11, 200)
    encoded = encode(body, b"{}", Rebuilt(1, URL, "x", base, b"{}"), 0)
    for i in range(len(encoded.raw)):
        flipped = bytearray(encoded.raw)
        flipped[i] ^= 0x10
        with contextlib.suppress(ValueError):  # a ValueError is what verify reports
            assert decode("zstd-delta", bytes(flipped), base) == body
    with pytest.raises(ValueError, match="without its base"):
        decode("zstd-delta", encoded.raw, None)


# --- captures in an archive -------------------------------------------------------------------


@pytest.mark.slow
def test_re_fetches_whose_furniture_alone_changed_are_small_deltas_on_a_whole_capture(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    count = DELTA_CHAIN + 6
    pages = [page_bytes(1000 + 37 * n, 1_900_000 + n * 11) for n in range(count)]
    with Archive(db) as archive:
        for n, content in enumerate(pages):
            with archive.transaction():
                archive.add_capture(fetched(content, n), article_id=None)
    rows = capture_rows(db)
    assert len(rows) == count
    whole = [r[0] for r in rows if r[1] == "zstd"]
    assert whole == [1, 1 + DELTA_CHAIN], "a whole capture after DELTA_CHAIN - 1 deltas"
    for capture_id, codec, base, chain, stored in rows:
        if codec == "zstd-delta":
            # Against the last whole capture, never another delta: two frames rebuild any capture.
            head = max(w for w in whole if w < capture_id)
            assert base == head and chain == capture_id - head
            # The page is ~20 KB; its delta, headers included, a few hundred bytes.
            assert stored < 600, (capture_id, stored)
    # Rebuilt by an archive that remembers nothing, in any order.
    with Archive(db, readonly=True) as archive:
        for capture_id in random.Random(3).sample(range(1, count + 1), count):
            rebuilt = archive.rebuilt_capture(capture_id)
            assert rebuilt.body == pages[capture_id - 1]
            assert json.loads(rebuilt.response_headers())[1] == ["ETag", f'"{capture_id - 1:032x}"']
    report = verify_archive(demo_settings(db))
    assert report.ok and report.checked == count


def test_a_page_that_drifted_from_its_whole_capture_is_stored_whole_again(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    other = page_bytes(5, 5, text=8)  # another text altogether
    with Archive(db) as archive, archive.transaction():
        for n, content in enumerate((page_bytes(1, 1), page_bytes(2, 2), other, page_bytes(6, 6, text=8))):
            archive.add_capture(fetched(content, n), article_id=None)
    assert [(r[1], r[2]) for r in capture_rows(db)] == [("zstd", None), ("zstd-delta", 1), ("zstd", None), ("zstd-delta", 3)]


def flip_a_byte(db: Path, capture_id: int) -> None:
    with sqlite3.connect(db) as conn:
        raw = bytearray(conn.execute("SELECT raw FROM captures WHERE id = ?", (capture_id,)).fetchone()[0])
        raw[len(raw) // 2] ^= 0x01
        conn.execute("UPDATE capture_store SET raw = ? WHERE id = ?", (bytes(raw), capture_id))


def test_verify_names_a_damaged_delta_and_every_capture_built_on_a_damaged_whole_one(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive, archive.transaction():
        for n in range(6):
            archive.add_capture(fetched(page_bytes(n, n), n), article_id=None)
    flip_a_byte(db, 3)
    report = verify_archive(demo_settings(db))
    assert [(p.capture_id, p.kind) for p in report.problems] == [(3, "undecompressable")]
    assert report.problems[0].detail.startswith("zstd:")
    flip_a_byte(db, 1)
    report = verify_archive(demo_settings(db))
    assert [p.capture_id for p in report.problems] == [1, 2, 3, 4, 5, 6]
    assert all("base capture 1" in p.detail for p in report.problems if p.capture_id != 1)
    with Archive(db, readonly=True) as archive, pytest.raises(StoreError, match=r"capture 6: its base capture 1 .*verify"):
        archive.capture_bytes(6)


def test_a_capture_of_a_rolled_back_transaction_is_never_a_base(tmp_path: Path) -> None:
    """Its row id is given again to the next capture: a delta against the forgotten bytes would rebuild as garbage."""
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        with archive.transaction():
            archive.add_capture(fetched(page_bytes(1, 1), 1), article_id=None)
        with pytest.raises(RuntimeError), archive.transaction():
            gone, _ = archive.add_capture(fetched(page_bytes(2, 2), 2), article_id=None)
            raise RuntimeError("killed mid-transaction")
        with archive.transaction():
            again, _ = archive.add_capture(fetched(page_bytes(3, 3), 3), article_id=None)
            third, _ = archive.add_capture(fetched(page_bytes(4, 4), 4), article_id=None)
    assert again == gone
    with Archive(db, readonly=True) as archive:
        assert [archive.capture_bytes(i) for i in (1, again, third)] == [page_bytes(1, 1), page_bytes(3, 3), page_bytes(4, 4)]


def test_a_furniture_only_re_fetch_of_the_replica_stores_a_delta_of_a_few_hundred_bytes(crawler: Crawler) -> None:
    assert crawler.crawl().ok
    crawler.site.edit(A1, "閱讀量：<span>18,342</span>", "閱讀量：<span>18,517</span>")
    result = crawler.crawl()
    assert result.ok and result.counts.new_versions == 0
    with sqlite3.connect(crawler.settings.archive.db) as conn:
        codec, stored, size = conn.execute(
            "SELECT codec, length(raw) + length(headers), size FROM captures WHERE url = ? ORDER BY id DESC LIMIT 1", (A1,)
        ).fetchone()
    assert codec == "zstd-delta" and size > 10_000
    assert stored < 400, f"a changed view count stored {stored} bytes"
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        latest = archive.conn.execute("SELECT max(id) FROM captures WHERE url = ?", (A1,)).fetchone()[0]
        assert archive.capture_bytes(latest) == crawler.site.text(A1).encode()


# --- the upgrade from 0.1.0 -------------------------------------------------------------------


def test_the_0_1_0_fixture_upgrades_to_deltas_and_layouts_verifies_and_shrinks(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    shutil.copy(FIXTURE, db)
    with sqlite3.connect(db) as conn:
        pages_before = conn.execute("PRAGMA page_count").fetchone()[0]
        names_before = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        texts_before = conn.execute("SELECT id, text, paragraphs, headings, blocks, captions FROM versions ORDER BY id").fetchall()
    with Archive(db):
        pass
    with sqlite3.connect(db) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(captures)")} | {r[1] for r in conn.execute("PRAGMA table_info(versions)")}
        assert not columns & {"raw_zlib", "request_headers", "response_headers", "paragraphs", "headings", "blocks"}
        codecs = dict(conn.execute("SELECT codec, count(*) FROM captures GROUP BY codec").fetchall())
        assert set(codecs) == {"zstd", "zstd-delta"} and sum(codecs.values()) == 11
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0, "the upgrade VACUUMs the freed pages away"
        # Later steps add structures the fixture never had (step 9's search_bigrams index, step 10's evidence
        # tables, step 11's URLs, runs' last ids, each version's article and the articles in installment order),
        # at least a page each even when empty: their pages are new data, not the storage of what the fixture
        # held, which the upgrade shrinks. Step 11 renames two tables; they hold the fixture's own rows.
        renamed = {"capture_store", "fetches"}
        pages = dict(conn.execute("SELECT name, count(*) FROM dbstat GROUP BY name").fetchall())
        new_pages = sum(n for name, n in pages.items() if name not in names_before and name not in renamed)
        assert new_pages >= pages.get("search_bigrams_data", 1)
        assert conn.execute("PRAGMA page_count").fetchone()[0] - new_pages < pages_before
        layouts = conn.execute("SELECT id, text, layout, captions FROM versions ORDER BY id").fetchall()
    for (vid, text, paragraphs, headings, blocks, captions), (vid2, text2, layout, captions2) in zip(texts_before, layouts, strict=True):
        assert (vid, text, captions) == (vid2, text2, captions2)
        assert decode_layout(text2, layout) == [tuple(b) for b in json.loads(blocks)]
        assert [t for k, t in decode_layout(text2, layout) if k == "paragraph"] == json.loads(paragraphs)
        assert [t for k, t in decode_layout(text2, layout) if k == "heading"] == json.loads(headings)
    assert verify_archive(demo_settings(db)).ok


def test_a_capture_damaged_before_the_upgrade_is_kept_as_it_was_and_reported(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    shutil.copy(FIXTURE, db)
    with sqlite3.connect(db) as conn:
        target, url = conn.execute("SELECT id, url FROM captures ORDER BY id LIMIT 1").fetchone()
        conn.execute("UPDATE captures SET raw_zlib = ? WHERE id = ?", (b"not zlib at all", target))
    with Archive(db) as archive:
        assert archive.conn.execute("SELECT codec, raw FROM captures WHERE id = ?", (target,)).fetchone() == ("zlib", b"not zlib at all")
        later = archive.conn.execute("SELECT codec FROM captures WHERE url = ? AND id > ? ORDER BY id LIMIT 1", (url, target)).fetchone()
        assert later in (None, ("zstd",)), "the next capture of its URL starts a new chain"
    report = verify_archive(demo_settings(db))
    assert [(p.capture_id, p.kind) for p in report.problems] == [(target, "undecompressable")]


# --- each text once ---------------------------------------------------------------------------

_block_text = st.text(alphabet=st.sampled_from("中國力量星河芯①，。\n a1"), max_size=12)


@pytest.mark.slow
@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["paragraph", "heading"]), _block_text), max_size=8))
def test_a_layout_gives_back_the_blocks_of_its_text(blocks: list[tuple[str, str]]) -> None:
    text = "\n".join(t for _, t in blocks)
    layout = encode_layout(text, blocks)
    assert not layout.startswith("["), "blocks joined by line breaks are always a layout of lengths"
    assert decode_layout(text, layout) == blocks
    assert len(layout) <= 6 * len(blocks), "kinds and lengths only: no text is stored twice"


def test_a_text_that_is_not_its_blocks_keeps_its_blocks_whole() -> None:
    blocks = [("paragraph", "甲"), ("paragraph", "乙")]
    layout = encode_layout("甲乙", blocks)
    assert layout.startswith("[") and decode_layout("甲乙", layout) == blocks
    with pytest.raises(ValueError, match="does not cover"):
        decode_layout("甲\n乙丙", "p1 p1")
