"""WACZ: ``export --wacz`` checked by py-wacz and replayed by pywb; WACZ files made by py-wacz imported.

The third-party tools (py-wacz's ``wacz``, pywb's ``wb-manager`` and ``wayback``,
``cdxj-indexer``) and the export itself run as real processes under
``tests/support/offline.py``, which refuses and logs any use of the network beyond
127.0.0.0/8: each test ends by asserting that log is empty.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.timeutils import iso_date_to_timestamp

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.demo import demo_settings, run_demo
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY
from series_archiver.export import export_wacz, export_warc
from series_archiver.export.snapshot import read_snapshot, trusted_payload
from series_archiver.export.wacz import cdxj_lines
from series_archiver.jobs.importer import run_import
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows, versions
from tests.support.tools import Offline, pywb_python, require, wayback_server
from tests.support.warcs import write_other_crawlers_warc, write_wget_warc

pytestmark = pytest.mark.slow

A1 = HISTORY["earlier_text"]["url"]


def test_the_offline_launcher_refuses_and_logs_what_leaves_loopback(tmp_path: Path) -> None:
    """The check the other tests rely on: a lookup or a connection beyond loopback is refused and logged."""
    tools = Offline(tmp_path)
    (tmp_path / "tries").mkdir()
    (tmp_path / "tries" / "__main__.py").write_text(
        "import socket\n"
        "for target in [('10.255.255.1', 9), ('127.0.0.1', 9)]:\n"
        "    try:\n"
        "        socket.create_connection(target, timeout=1)\n"
        "    except OSError as exc:\n"
        "        print(type(exc).__name__)\n"
        "try:\n"
        "    socket.getaddrinfo('publicsuffix.org', 443)\n"
        "except OSError as exc:\n"
        "    print(type(exc).__name__)\n",
        encoding="utf-8",
    )
    tools.env["PYTHONPATH"] = str(tmp_path)
    proc = tools.run("-m", "tries", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # Loopback is let through (nothing listens on port 9: refused by the kernel, not logged).
    assert proc.stdout.split() == ["ConnectionRefusedError", "ConnectionRefusedError", "ConnectionRefusedError"]
    assert tools.attempts() == ["socket.connect ('10.255.255.1', 9)", "socket.getaddrinfo 'publicsuffix.org'"]


# --- export --wacz ------------------------------------------------------------------------------


def _members(wacz: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(wacz) as z:
        return {i.filename: i for i in z.infolist()}


def _read(wacz: Path, name: str) -> bytes:
    with zipfile.ZipFile(wacz) as z:
        return z.read(name)


def test_export_wacz_is_valid_for_py_wacz_indexed_as_cdxj_indexer_does_and_replayed_by_pywb(
    crawler: Crawler, replica: ReplicaSite, tmp_path: Path, offline: Offline
) -> None:
    require("wacz")
    pywb = pywb_python()
    crawler.crawl()
    time.sleep(1.1)  # the edit's capture then has a WARC timestamp (to the second) of its own to replay by
    replica.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    db = crawler.settings.archive.db
    wacz = tmp_path / "series.wacz"
    proc = offline.run("-m", "series_archiver", "export", "--db", str(db), "--wacz", str(wacz), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "pages (one per version)" in proc.stdout
    assert not list(tmp_path.glob(".series.wacz.*")) and not (tmp_path / "series.wacz.part").exists()

    # The layout, and what is stored rather than deflated (WACZ 1.1.1: already compressed files, for range reads).
    members = _members(wacz)
    assert sorted(members) == sorted([
        "archive/series.warc.gz", "indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl",
        "datapackage.json", "datapackage-digest.json",
    ])
    assert members["archive/series.warc.gz"].compress_type == zipfile.ZIP_STORED
    assert members["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED

    # datapackage.json lists every other file with its SHA-256 and size; the digest file names its own.
    package = json.loads(_read(wacz, "datapackage.json"))
    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    assert package["software"].startswith("series-archiver/") and package["created"].endswith("Z")
    listed = {r["path"]: r for r in package["resources"]}
    assert sorted(listed) == sorted(set(members) - {"datapackage.json", "datapackage-digest.json"})
    for name, resource in listed.items():
        data = _read(wacz, name)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and resource["bytes"] == len(data)
    digest = json.loads(_read(wacz, "datapackage-digest.json"))
    assert digest == {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(_read(wacz, "datapackage.json")).hexdigest()}

    # pages.jsonl: the header, then one page per version, at its page's capture time.
    header, *pages = [json.loads(line) for line in _read(wacz, "pages/pages.jsonl").decode("utf-8").splitlines()]
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    stored = rows(db, "SELECT v.article_id, v.version, v.title, v.text, c.id, COALESCE(c.final_url, c.url), c.fetched_at "
                      "FROM versions v JOIN captures c ON c.id = v.capture_id ORDER BY v.article_id, v.version")
    assert len(pages) == len(stored) == 5
    by_version = {(p["article_id"], p["version"]): p for p in pages}
    for article_id, version, title, text, _cid, url, fetched_at in stored:
        page = by_version[(article_id, version)]
        assert (page["url"], page["title"], page["text"]) == (url, title, text)
        assert iso_date_to_timestamp(page["ts"]) == iso_date_to_timestamp(fetched_at.replace("+00:00", "Z"))

    # The index is what cdxj-indexer (py-wacz's indexer) writes of the same WARC, line for line.
    warc = tmp_path / "unpacked" / "series.warc.gz"
    warc.parent.mkdir()
    warc.write_bytes(_read(wacz, "archive/series.warc.gz"))
    theirs = offline.run("cdxj-indexer", "--sort", str(warc), cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stderr
    ours = gzip.decompress(_read(wacz, "indexes/index.cdx.gz")).decode("utf-8")
    assert ours == theirs.stdout and len(ours.splitlines()) > len(pages)
    idx = _read(wacz, "indexes/index.idx").decode("utf-8").splitlines()
    assert idx[0].startswith("!meta 0 ") and json.loads(idx[0].split(" ", 2)[2])["format"] == "cdxj-gzip-1.0"
    assert idx[1].split(" {")[0] == ours.splitlines()[0].split(" {")[0]

    # py-wacz's own validator.
    valid = offline.run("wacz", "validate", "-f", str(wacz), cwd=tmp_path)
    assert valid.returncode == 0 and "Validation succeeded" in valid.stdout, valid.stdout + valid.stderr

    # pywb replays each version of ① from the WACZ (added with its own index), byte for byte.
    root = tmp_path / "pywb"
    root.mkdir()
    assert offline.run("wb-manager", "init", "coll", cwd=root, python=pywb).returncode == 0
    added = offline.run("wb-manager", "add", "--unpack-wacz", "coll", str(wacz), cwd=root, python=pywb)
    assert added.returncode == 0, added.stderr
    a1 = [(p, cid) for (aid, version, _t, _x, cid, url, _f) in stored for p in [by_version[(aid, version)]] if url == A1]
    assert len(a1) == 2
    with read_snapshot(db) as archive:
        expected = {cid: trusted_payload(archive, cid) for _p, cid in a1}
    with wayback_server(offline, root, pywb) as origin, httpx.Client(trust_env=False, timeout=30) as client:
        for page, cid in a1:
            r = client.get(f"{origin}/coll/{iso_date_to_timestamp(page['ts'])}id_/{page['url']}")
            assert r.status_code == 200, r.text[:500]
            assert r.content == expected[cid]
        assert "1.2萬億元" in client.get(f"{origin}/coll/{iso_date_to_timestamp(a1[1][0]['ts'])}id_/{A1}").text


def test_cdxj_lines_leave_out_the_provenance_notes_and_key_by_surt(crawler: Crawler, tmp_path: Path) -> None:
    """An imported capture's response is indexed; the metadata record beside it (warc-fields) is not."""
    source = tmp_path / "other.warc.gz"
    write_other_crawlers_warc(source)
    assert run_import(crawler.settings, [source]).failed == 0
    warc = tmp_path / "export.warc.gz"
    written = export_warc(crawler.settings, warc)
    assert written.metadata > 0
    lines = [line for line, _ in cdxj_lines(warc, "export.warc.gz")]
    assert len(lines) == written.responses + written.revisits
    assert all(json.loads(line.split(" ", 2)[2])["mime"] != "application/warc-fields" for line in lines)
    assert any(line.startswith("com,takungpao)/news/") for line in lines)


def test_export_wacz_refuses_an_unwritable_file_and_an_unknown_series(replica: ReplicaSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, replica)
    Archive(tmp_path / "series.db").close()  # an empty archive: the file, not the data, is at fault
    missing = run_cli(replica, config, "export", "--wacz", str(tmp_path / "no-such-dir" / "x.wacz"))
    assert missing.returncode == 1 and "no-such-dir" in missing.stderr
    unknown = run_cli(replica, config, "export", "--wacz", str(tmp_path / "x.wacz"), "--series", "nope")
    assert unknown.returncode == 2 and "--series" in unknown.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if "wacz" in p.name) == []


# --- a WACZ export imported into an empty archive ----------------------------------------------------


def test_a_wacz_export_imported_into_an_empty_archive_gives_the_same_articles_versions_and_hashes(
    crawler: Crawler, replica: ReplicaSite, tmp_path: Path
) -> None:
    crawler.crawl()
    replica.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    wacz = export_wacz(crawler.settings, tmp_path / "export.wacz")
    assert wacz.pages == 5
    target = crawler.settings.replace(archive__db=tmp_path / "imported.db")
    result = run_import(target, [wacz.path])
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions) == (4, 5)
    assert versions(target.archive.db) == versions(crawler.settings.archive.db)
    assert rows(target.archive.db, "SELECT DISTINCT warc_file FROM captures") == [("export.wacz#archive/export.warc.gz",)]
    again = run_import(target, [wacz.path])
    assert (again.new_articles, again.new_versions, again.failed) == (0, 0, 0) and again.duplicates > 0


def test_the_demo_writes_a_wacz_that_imports_into_an_empty_archive(tmp_path: Path) -> None:
    """The demo's archive holds backfilled captures too: the import gives its articles and every version's text."""
    db = tmp_path / "demo" / "series.db"
    out = io.StringIO()
    assert run_demo(db, echo=lambda line: print(line, file=out)) == 0
    wacz = db.with_suffix(".wacz")
    assert f"Wrote {wacz}" in out.getvalue() and wacz.exists()
    empty = demo_settings(tmp_path / "empty.db")
    result = run_import(empty, [wacz])
    assert result.failed == 0, result.failures
    articles = "SELECT installment, label, url FROM articles ORDER BY installment, url"
    # The same articles, at the same URLs by the archive's identity rule (urls.key): the import reads
    # ②'s earliest record first, a capture the Wayback made at https, while the crawl read ② at http
    # (as the list links it) and filed that capture under it. Each is a twin of the other.
    imported, crawled = rows(empty.archive.db, articles), rows(db, articles)
    assert [(i, label, urls.key(u)) for i, label, u in imported] == [(i, label, urls.key(u)) for i, label, u in crawled]
    assert all(u in urls.twins(c) for (_i, _l, u), (_j, _m, c) in zip(imported, crawled, strict=True))
    hashes = "SELECT a.installment, v.content_hash, v.text FROM versions v JOIN articles a ON a.id = v.article_id"
    # The demo backfills after its crawl; ①'s older text from the replica Wayback is placed in time order
    # there (ingest.py), as the import, reading captures in WARC-Date order, places it: both hold it as a version.
    source, imported = set(rows(db, hashes)), set(rows(empty.archive.db, hashes))
    assert source == imported
    assert any(inst == 1 and HISTORY["earlier_text"]["old"] in text for inst, _h, text in source)
    again = run_import(empty, [wacz])
    assert (again.new_articles, again.new_versions) == (0, 0) and again.duplicates > 0


# --- WACZ files made by py-wacz (issue 13, item 7) -------------------------------------------------


def _texts(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT a.installment, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 2")


def test_a_wacz_made_by_py_wacz_from_a_wget_warc_imports_as_a_crawl_archives(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler, offline: Offline
) -> None:
    require("wacz")
    write_wget_warc(tmp_path, replica)
    made = offline.run("wacz", "create", "-o", str(tmp_path / "wget.wacz"), str(tmp_path / "wget.warc"), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "archive/wget.warc" in _members(tmp_path / "wget.wacz")

    work = tmp_path / "import"
    work.mkdir()
    config = write_config(work, replica)
    proc = run_cli(replica, config, "import", str(tmp_path / "wget.wacz"), "--json")
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["failed"] == 0 and counts["new_articles"] == 4
    crawler.crawl()
    assert _texts(work / "series.db") == _texts(crawler.settings.archive.db)
    warc_files = rows(work / "series.db", "SELECT DISTINCT warc_file FROM captures")
    assert warc_files == [("wget.wacz#archive/wget.warc",)]
    again = json.loads(run_cli(replica, config, "import", str(tmp_path / "wget.wacz"), "--json").stdout)
    assert (again["new_articles"], again["new_versions"], again["failed"]) == (0, 0, 0) and again["duplicates"] > 0


def test_a_wacz_made_by_py_wacz_from_a_warcio_warc_gives_what_the_warc_gives(tmp_path: Path, offline: Offline) -> None:
    require("wacz")
    warc = tmp_path / "other-crawler.warc.gz"
    write_other_crawlers_warc(warc)
    made = offline.run("wacz", "create", "-o", str(tmp_path / "other.wacz"), "--detect-pages", str(warc), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    from_warc = demo_settings(tmp_path / "from-warc.db")
    from_wacz = demo_settings(tmp_path / "from-wacz.db")
    direct = run_import(from_warc, [warc])
    packed = run_import(from_wacz, [tmp_path / "other.wacz"])
    assert packed.failed == 0, packed.failures
    assert (packed.new_articles, packed.new_versions, packed.removals) == (direct.new_articles, direct.new_versions, direct.removals)
    assert versions(from_wacz.archive.db) == versions(from_warc.archive.db)
    assert (run_import(from_wacz, [tmp_path / "other.wacz"]).new_versions) == 0


def test_py_wacz_repackages_the_export_with_its_pages_as_the_readme_says_for_signing(
    crawler: Crawler, tmp_path: Path, offline: Offline
) -> None:
    """docs/archive.md, "Signing": ``wacz create -p`` (with ``--signing-url`` there) keeps the export's pages."""
    require("wacz")
    crawler.crawl()
    wacz = export_wacz(crawler.settings, tmp_path / "series.wacz")
    with zipfile.ZipFile(wacz.path) as z:
        z.extractall(tmp_path / "unpacked", ["archive/series.warc.gz", "pages/pages.jsonl"])
    unpacked = tmp_path / "unpacked"
    made = offline.run("wacz", "create", "-o", str(tmp_path / "signed.wacz"), "archive/series.warc.gz",
                       "-p", "pages/pages.jsonl", cwd=unpacked)
    assert made.returncode == 0, made.stdout + made.stderr
    assert offline.run("wacz", "validate", "-f", str(tmp_path / "signed.wacz"), cwd=tmp_path).returncode == 0

    def pages(path: Path) -> list[tuple[str, str, str]]:
        lines = [json.loads(x) for x in _read(path, "pages/pages.jsonl").decode("utf-8").splitlines()[1:]]
        return sorted((p["url"], p["ts"], p["title"]) for p in lines)
    assert len(pages(wacz.path)) == wacz.pages == 4
    assert pages(tmp_path / "signed.wacz") == pages(wacz.path)
