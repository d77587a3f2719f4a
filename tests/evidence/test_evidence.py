"""Evidence without a browser: RFC 3161 tokens from a replica TSA made with real openssl, the evidence queue and
pass, ``verify``'s token checks, signed WACZ, screenshots as WARC resource records.

The TSA is ``demo/tsa_replica.py``: a CA and TSA certificate made by ``openssl req``/``x509``, answering
with ``openssl ts -reply``; tokens are checked by rfc3161-client and by ``openssl ts -verify`` itself.
The crawls are real passes against the replica on 127.0.0.1 into real SQLite files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from series_archiver.archive import Archive, open_archive
from series_archiver.cli import cli
from series_archiver.demo.tsa_replica import TsaReplica
from series_archiver.errors import EvidenceError
from series_archiver.evidence.signing import generate_key, verify_signed_data
from series_archiver.evidence.statement import FORMAT, canonical
from series_archiver.evidence.tsa import load_roots, request_token, verify_token
from series_archiver.export import export_wacz, export_warc
from series_archiver.jobs import verify as verifying
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
A4 = "https://www.takungpao.com/news/232108/2025/1218/1050977.html"

pytestmark = pytest.mark.skipif(subprocess.run(["which", "openssl"], capture_output=True).returncode != 0, reason="needs openssl")


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaReplica]:
    with TsaReplica(tmp_path_factory.mktemp("tsa")) as replica:
        yield replica


@pytest.fixture
def stamped(settings: Settings, tsa: TsaReplica) -> Settings:
    """Settings that timestamp every event with the replica TSA (no screenshots: no browser here)."""
    return settings.replace(evidence__tsa_url=tsa.url, evidence__tsa_ca_file=str(tsa.ca_pem))


def openssl_verify(folder: Path, token: bytes, data: bytes, chain_pem: str, ca: Path) -> subprocess.CompletedProcess[str]:
    (folder / "t.tsr").write_bytes(token)
    (folder / "d.bin").write_bytes(data)
    (folder / "chain.pem").write_text(chain_pem)
    return subprocess.run(
        ["openssl", "ts", "-verify", "-in", str(folder / "t.tsr"), "-data", str(folder / "d.bin"),
         "-CAfile", str(ca), "-untrusted", str(folder / "chain.pem")],
        capture_output=True, text=True, check=False,
    )


# --- the replica TSA and tokens -------------------------------------------------------------


def test_the_replica_tsa_certificate_is_made_by_openssl_for_time_stamping(tsa: TsaReplica) -> None:
    text = subprocess.run(["openssl", "x509", "-in", str(tsa.tsa_pem), "-noout", "-text"], capture_output=True, text=True, check=True).stdout
    assert "X509v3 Extended Key Usage: critical" in text and "Time Stamping" in text
    check = subprocess.run(["openssl", "verify", "-CAfile", str(tsa.ca_pem), str(tsa.tsa_pem)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_a_token_covers_the_data_and_openssl_ts_verify_accepts_it(tsa: TsaReplica, tmp_path: Path) -> None:
    data = canonical({"format": FORMAT, "url": A1, "text_sha256": "0" * 64})
    token = request_token(tsa.url, data, timeout=10, user_agent="test", roots=load_roots(str(tsa.ca_pem)))
    assert verify_token(token.response, data, token.chain_pem) == token.gen_time
    done = openssl_verify(tmp_path, token.response, data, token.chain_pem, tsa.ca_pem)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    changed = data.replace(b"0", b"1", 1)
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_token(token.response, changed, token.chain_pem)
    assert openssl_verify(tmp_path, token.response, changed, token.chain_pem, tsa.ca_pem).returncode != 0


def test_a_token_is_refused_against_another_root(tsa: TsaReplica, tmp_path: Path) -> None:
    with TsaReplica(tmp_path / "other") as other:
        token = request_token(other.url, b"x", timeout=10, user_agent="test")
        with pytest.raises(EvidenceError, match="does not verify"):
            verify_token(token.response, b"x", token.chain_pem, roots=load_roots(str(tsa.ca_pem)))


def test_a_tsa_that_refuses_or_is_not_there_raises_naming_it(tsa: TsaReplica) -> None:
    tsa.refuse_next(1)
    with pytest.raises(EvidenceError, match="HTTP 503"):
        request_token(tsa.url, b"x", timeout=10, user_agent="test")
    with pytest.raises(EvidenceError, match="did not answer"):
        request_token("http://127.0.0.1:9/tsr", b"x", timeout=2, user_agent="test")


def test_the_statement_is_canonical_json() -> None:
    statement = canonical({"url": "https://例.hk/a", "b": [1, None], "a": {"z": 1, "y": "引號\""}})
    assert statement == '{"a":{"y":"引號\\"","z":1},"b":[1,null],"url":"https://例.hk/a"}'.encode()


# --- the evidence queue and pass --------------------------------------------------------------


def evidence_rows(db: Path) -> list[tuple]:
    with open_archive(db) as archive:
        return [(r.kind, r.status, r.url, len(r.capture_ids), r.fetch_log_id is not None, r.token is not None) for r in archive.evidence_rows()]


def test_each_new_version_removal_and_return_is_timestamped_after_the_pass(replica, stamped: Settings, tsa: TsaReplica, tmp_path: Path) -> None:
    crawler = Crawler(replica, stamped)
    crawler.crawl()
    rows = evidence_rows(stamped.archive.db)
    assert [r[:2] for r in rows] == [("new_article", "stamped")] * 4
    assert all(r[3] >= 1 and r[5] for r in rows)
    replica.edit(A1, "1萬億元", "1.2萬億元")
    replica.remove(A4)
    crawler.crawl()
    replica.restore(A4)
    crawler.crawl()
    kinds = [(r[0], r[1], r[2]) for r in evidence_rows(stamped.archive.db)[4:]]
    assert sorted(kinds) == sorted([("new_version", "stamped", A1), ("gone", "stamped", A4), ("back", "stamped", A4)])
    with open_archive(stamped.archive.db) as archive:
        gone = next(r for r in archive.evidence_rows() if r.kind == "gone")
        claims = json.loads(gone.statement or b"{}")
        assert claims["event"] == "gone" and claims["removal"]["status"] == 404 and claims["text_sha256"] is None
        edit = next(r for r in archive.evidence_rows() if r.kind == "new_version")
        claims = json.loads(edit.statement or b"{}")
        capture = claims["captures"][0]
        stored = archive.conn.execute("SELECT sha256 FROM captures WHERE id = ?", (capture["id"],)).fetchone()[0]
        assert capture["sha256"] == stored and capture["screenshot_sha256"] is None
        version = archive.conn.execute("SELECT title, text FROM versions WHERE id = ?", (edit.version_id,)).fetchone()
        assert claims["text_sha256"] == hashlib.sha256(f"{version[0]}\n{version[1]}".encode()).hexdigest()
        chain = archive.tsa_chain(edit.tsa_chain_id or 0) or ""
        assert edit.statement is not None and edit.token is not None
        assert openssl_verify(tmp_path, edit.token, edit.statement, chain, tsa.ca_pem).returncode == 0
    report = verifying.verify_archive(stamped)
    assert report.ok and report.tokens == 7


def test_a_tsa_that_does_not_answer_leaves_the_events_queued_for_the_next_pass(replica, stamped: Settings, tsa: TsaReplica) -> None:
    tsa.refuse_next(100)
    try:
        result = Crawler(replica, stamped).crawl()
    finally:
        tsa.stop_refusing()
    assert result.ok, "the TSA's trouble never fails the pass"
    rows = evidence_rows(stamped.archive.db)
    assert [r[1] for r in rows] == ["queued"] * 4
    with open_archive(stamped.archive.db) as archive:
        assert all(r.attempts == 1 and "HTTP 503" in (r.error or "") for r in archive.evidence_rows())
    Crawler(replica, stamped).crawl()
    assert [r[1] for r in evidence_rows(stamped.archive.db)] == ["stamped"] * 4


def test_without_evidence_settings_nothing_is_queued(crawler: Crawler) -> None:
    crawler.crawl()
    assert evidence_rows(crawler.settings.archive.db) == []


def test_verify_names_a_timestamped_capture_whose_bytes_changed(replica, stamped: Settings) -> None:
    Crawler(replica, stamped).crawl()
    conn = sqlite3.connect(stamped.archive.db)
    conn.execute("UPDATE capture_store SET sha256 = ? WHERE id = 1", (bytes.fromhex("f" * 64),))
    conn.commit()
    conn.close()
    report = verifying.verify_archive(stamped)
    assert not report.ok
    assert any("capture 1 is not the one timestamped" in p for p in report.evidence_problems)
    done = CliRunner().invoke(cli, ["verify", "--db", str(stamped.archive.db)])
    assert done.exit_code == 1 and "not the one timestamped" in done.output


# --- screenshots in WARC, signed WACZ ------------------------------------------------------------

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_screenshots_are_exported_as_warc_resource_records(crawler: Crawler, tmp_path: Path) -> None:
    crawler.crawl()
    with Archive(crawler.settings.archive.db) as archive, archive.transaction():
        from datetime import UTC, datetime

        archive.add_screenshot(1, PNG, width=1, height=1, renderer="test", now=datetime.now(UTC))
        url = archive.conn.execute("SELECT url FROM captures WHERE id = 1").fetchone()[0]
    warc = export_warc(crawler.settings, tmp_path / "out.warc.gz")
    assert warc.resources == 1
    with (tmp_path / "out.warc.gz").open("rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(fh)]
    resources = [r for r in records if r[0] == "resource"]
    assert len(resources) == 1
    _kind, headers, payload = resources[0]
    assert headers.get_header("WARC-Target-URI") == f"urn:view:{url}"
    assert headers.get_header("Content-Type") == "image/png" and payload == PNG
    response_ids = {h.get_header("WARC-Record-ID") for k, h, _p in records if k == "response"}
    assert headers.get_header("WARC-Refers-To") in response_ids
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", str(tmp_path / "out.warc.gz")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_signed_wacz_follows_the_key_based_signing_spec_with_a_timestamp(replica, stamped: Settings, tsa: TsaReplica, tmp_path: Path) -> None:
    Crawler(replica, stamped).crawl()
    key = tmp_path / "key.pem"
    done = CliRunner().invoke(cli, ["keygen", str(key)])
    assert done.exit_code == 0, done.output
    assert oct(key.stat().st_mode & 0o777) == "0o600" and Path(f"{key}.pub").exists()
    config = tmp_path / "config.toml"
    config.write_text(f'[evidence]\ntsa_url = "{tsa.url}"\ntsa_ca_file = "{tsa.ca_pem}"\n')
    done = CliRunner().invoke(
        cli, ["export", "--config", str(config), "--db", str(stamped.archive.db), "--wacz", str(tmp_path / "s.wacz"), "--sign", str(key)]
    )
    assert done.exit_code == 0 and "signed" in done.output, done.output
    with zipfile.ZipFile(tmp_path / "s.wacz") as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
        package = wacz.read("datapackage.json")
    signed = digest["signedData"]
    assert set(signed) == {"hash", "created", "software", "version", "signature", "publicKey", "timeSignature", "timestampCert"}
    assert signed["hash"] == digest["hash"] == "sha256:" + hashlib.sha256(package).hexdigest()
    assert signed["created"] == json.loads(package)["created"]
    verify_signed_data(signed, digest["hash"])
    # The timestamp covers the signature text, as authsign stamps it; openssl checks it.
    done = openssl_verify(tmp_path, base64.b64decode(signed["timeSignature"]), signed["signature"].encode(), signed["timestampCert"], tsa.ca_pem)
    assert done.returncode == 0, done.stderr
    with pytest.raises(EvidenceError, match="changed after signing"):
        verify_signed_data({**signed, "hash": "sha256:" + "0" * 64}, "sha256:" + "0" * 64)
    validate = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(tmp_path / "s.wacz")], capture_output=True, text=True)
    assert validate.returncode == 0 and "valid" in validate.stdout, validate.stdout + validate.stderr


def test_keygen_never_overwrites_and_sign_needs_an_ec_key(tmp_path: Path, settings: Settings) -> None:
    key = tmp_path / "k.pem"
    generate_key(key)
    done = CliRunner().invoke(cli, ["keygen", str(key)])
    assert done.exit_code == 1 and "never overwritten" in done.output
    rsa = tmp_path / "rsa.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(rsa)], check=True, capture_output=True)
    with pytest.raises(EvidenceError, match="not an EC key"):
        export_wacz(settings, tmp_path / "x.wacz", sign_key=rsa)


def test_an_openssl_made_key_signs_too(crawler: Crawler, tmp_path: Path) -> None:
    crawler.crawl()
    key = tmp_path / "wacz-key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", str(key)], check=True, capture_output=True)
    export_wacz(crawler.settings, tmp_path / "s.wacz", sign_key=key)
    with zipfile.ZipFile(tmp_path / "s.wacz") as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
    verify_signed_data(digest["signedData"], digest["hash"])
    assert "timeSignature" not in digest["signedData"], "no TSA configured: no timestamp"


def test_evidence_settings_are_checked(tmp_path: Path) -> None:
    from series_archiver.errors import ConfigError
    from series_archiver.settings import load_settings

    config = tmp_path / "c.toml"
    config.write_text('[evidence]\ntsa_url = "freetsa.org/tsr"\n')
    with pytest.raises(ConfigError, match=r"evidence\.tsa_url"):
        load_settings(config)
    config.write_text("[evidence]\nbudget_seconds = -1\n")
    with pytest.raises(ConfigError, match=r"evidence\.budget_seconds"):
        load_settings(config)


def test_the_pass_keeps_to_its_budget_and_leaves_the_rest_queued(replica, stamped: Settings) -> None:
    from series_archiver.evidence.worker import EvidenceWorker

    Crawler(replica, stamped.replace(evidence__budget_seconds=0.0)).crawl()
    assert [r[1] for r in evidence_rows(stamped.archive.db)] == ["queued"] * 4
    with Archive(stamped.archive.db) as archive:
        report = EvidenceWorker(stamped, archive, budget_seconds=60).run()
    assert (report.stamped, report.queued) == (4, 0)
