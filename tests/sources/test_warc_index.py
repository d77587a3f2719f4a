"""A WARC file's index (sources.warc.WarcFile): its records by URL, and the lookups a revisit needs, made only when asked."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver import urls
from series_archiver.sources.warc import Originals, WarcFile, digest_of
from tests.support.warcs import A1, write_other_crawlers_warc


def _two_pages(path: Path) -> None:
    """Page a twice (http and https, a day apart) and page b once: no revisit."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, date in (("http://www.example.org/a.html", "2025-12-01T00:00:00Z"), ("https://example.org/a.html", "2025-12-02T00:00:00Z"),
                          ("https://example.org/b.html", "2025-12-03T00:00:00Z")):
            body = f"<html><body><p>{url}</p></body></html>".encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=http, warc_headers_dict={"WARC-Date": date}))


def test_records_by_url_are_every_twin_in_file_order(tmp_path: Path) -> None:
    _two_pages(tmp_path / "a.warc.gz")
    warc = WarcFile(tmp_path / "a.warc.gz", "a.warc.gz")
    warc.index()
    a = warc.with_key(urls.key("https://example.org/a.html"))
    assert [e.uri for e in a] == ["http://www.example.org/a.html", "https://example.org/a.html"]
    assert [e.uri for e in warc.with_key(urls.key("https://example.org/b.html"))] == ["https://example.org/b.html"]
    assert warc.with_key(urls.key("https://example.org/c.html")) == ()
    assert warc.nearest("https://example.org/a.html", a[1].date) is a[1]
    # Every record of a kind shares its kind's one string.
    assert warc.entries[0].kind is warc.entries[2].kind


def test_the_lookups_by_id_and_digest_are_made_only_when_asked(tmp_path: Path) -> None:
    _two_pages(tmp_path / "a.warc.gz")
    warc = WarcFile(tmp_path / "a.warc.gz", "a.warc.gz")
    warc.index()
    assert warc.revisits == 0 and warc._by_id is None and warc._by_digest is None
    first = warc.entries[0]
    assert warc.by_id[first.record_id] is first
    assert warc.by_digest[digest_of(first.digest)] is first  # type: ignore[index]
    assert warc.lookups()[0] is warc.by_id  # made once


def test_a_revisit_finds_its_original_by_id_and_by_digest(tmp_path: Path) -> None:
    write_other_crawlers_warc(tmp_path / "other.warc.gz")
    warc = WarcFile(tmp_path / "other.warc.gz", "other.warc.gz")
    warc.index()
    Originals().add(warc)
    assert warc.revisits == 1
    revisit = next(e for e in warc.entries if e.kind == "revisit")
    assert warc.originals is not None
    found = warc.originals.find(warc, revisit)
    assert found is not None and found[1].kind == "response" and found[1].uri == A1
    assert found[1].record_id == revisit.refers_to
