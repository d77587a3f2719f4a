"""Evidence in a real browser: the demo's screenshots and timestamps, its signed WACZ, an evidence bundle and its checks.

Debian's headless Chromium, driven by Playwright, renders the stored captures (never a downloaded
browser); the TSA is the replica made with openssl. ``series-archiver demo`` runs once for the module;
``evidence 1`` makes the bundle, which ``verify-evidence``, ``sha256sum -c`` and ``openssl ts -verify``
check, and which fails, naming the file, when any byte of it changes. Without /usr/bin/chromium or
Playwright the tests skip, unless SA_REQUIRE_BROWSER=1 (CI), when they fail.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import random
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from series_archiver.archive import open_archive
from series_archiver.cli import cli
from series_archiver.demo import run_demo
from series_archiver.demo.replica import ReplicaSite
from series_archiver.evidence.bundle_check import bundle_zip, verify_bundle
from series_archiver.evidence.screenshot import Renderer, Stored
from series_archiver.evidence.signing import verify_signed_data
from series_archiver.evidence.worker import archive_resources
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")


def _need_browser() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"no headless Chromium at {CHROMIUM} (Debian package `chromium`)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the `playwright` package is not installed (the evidence and test extras)"
    if reason is None:
        return
    if os.environ.get("SA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, but SA_REQUIRE_BROWSER=1 (apt-get install chromium fonts-noto-cjk; pip install -e '.[test]')")
    pytest.skip(reason)


@dataclass(frozen=True)
class Demo:
    db: Path
    output: str
    bundle: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    _need_browser()
    root = tmp_path_factory.mktemp("demo")
    db = root / "demo" / "series.db"
    out = io.StringIO()
    assert run_demo(db, echo=lambda line: print(line, file=out)) == 0, out.getvalue()
    bundle = root / "article-1.zip"
    done = CliRunner().invoke(cli, ["evidence", "1", "--db", str(db), "--out", str(bundle)])
    assert done.exit_code == 0, done.output
    return Demo(db, out.getvalue(), bundle)


def members(bundle: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(bundle) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_takes_screenshots_timestamps_every_event_and_signs_its_wacz(demo: Demo) -> None:
    with open_archive(demo.db) as archive:
        rows = archive.evidence_rows()
        shots = archive.conn.execute("SELECT count(*), min(width), min(height) FROM screenshots").fetchone()
        captures = {c for r in rows for c in r.capture_ids}
    assert rows and all(r.status == "stamped" and r.token for r in rows)
    assert shots[0] == len(captures) and shots[1] == 1280 and shots[2] > 900, "a full-page PNG of every capture an event rests on"
    assert "screenshots rendered by headless Chromium" in demo.output and "timestamped by the replica TSA" in demo.output
    with zipfile.ZipFile(demo.db.with_suffix(".wacz")) as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
        warc = next(n for n in wacz.namelist() if n.startswith("archive/"))
        screenshots = gzip.decompress(wacz.read(warc)).count(b"WARC-Target-URI: urn:view:")
    verify_signed_data(digest["signedData"], digest["hash"])
    assert digest["signedData"]["timeSignature"] and screenshots == shots[0]


# --- the bundle -------------------------------------------------------------------------------------


def test_verify_evidence_accepts_the_bundle_of_article_1(demo: Demo) -> None:
    names = [n for n, _ in members(demo.bundle)]
    for expected in ("article.wacz", "witnesses.json", "report.html", "report.pdf", "manifest.json", "VERIFY.md", "SHA256SUMS",
                     "timestamps/tsa-chain.pem", "timestamps/tsa-ca.pem", "timestamps/event-1.json", "timestamps/event-1.tsr"):
        assert expected in names
    assert any(n.startswith("screenshots/") and n.endswith(".png") for n in names)
    pdf = dict(members(demo.bundle))["report.pdf"]
    assert pdf.startswith(b"%PDF-")
    done = CliRunner().invoke(cli, ["verify-evidence", str(demo.bundle)])
    assert done.exit_code == 0 and ": OK:" in done.output, done.output
    report = verify_bundle(demo.bundle)
    assert report.ok and report.tokens and report.roots


def test_sha256sum_and_openssl_accept_every_file_and_token_with_the_bundled_chain(demo: Demo, tmp_path: Path) -> None:
    with zipfile.ZipFile(demo.bundle) as z:
        z.extractall(tmp_path)
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    tokens = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "timestamps").glob("event-*.tsr"))
    assert tokens
    verify_md = (tmp_path / "VERIFY.md").read_text()
    for token in tokens:
        command = ["openssl", "ts", "-verify", "-in", token, "-data", token.removesuffix(".tsr") + ".json",
                   "-CAfile", "timestamps/tsa-ca.pem", "-untrusted", "timestamps/tsa-chain.pem"]
        assert " ".join(command) in verify_md, "VERIFY.md gives the very command"
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr


def rewritten(bundle: Path, out: Path, name: str, change: Callable[[bytes], bytes]) -> Path:
    """The bundle with one member's bytes changed, the zip otherwise written as the tool writes it."""
    out.write_bytes(bundle_zip([(n, change(d) if n == name else d) for n, d in members(bundle)]))
    return out


def flip_one_byte(data: bytes, at: int | None = None) -> bytes:
    b = bytearray(data)
    b[len(b) // 2 if at is None else at] ^= 0x01
    return bytes(b)


def changed_capture(wacz_bytes: bytes) -> bytes:
    """article.wacz with one byte of a capture's payload changed in its WARC (the WACZ rewritten around it)."""
    source = zipfile.ZipFile(io.BytesIO(wacz_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("archive/"):
                warc = gzip.decompress(data)
                at = warc.index("貿戰下中國力量".encode())
                data = gzip.compress(flip_one_byte(warc, at + 1))
            target.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("what", "member", "change"),
    [
        ("a capture", "article.wacz", changed_capture),
        ("a screenshot", "screenshots/", flip_one_byte),
        ("a token", "timestamps/event-1.tsr", flip_one_byte),
        ("the manifest", "manifest.json", lambda d: d.replace(b'"article": 1', b'"article": 2')),
        ("the manifest's whitespace", "manifest.json", lambda d: d.replace(b"\n ", b"\n  ", 1)),
        ("the manifest's list", "manifest.json", lambda d: re.sub(rb'"sha256": "(.)', lambda m: b'"sha256": "' + (b"0" if m.group(1) != b"0" else b"1"), d, count=1)),
        ("a statement", "timestamps/event-1.json", lambda d: d.replace(b'"status":200', b'"status":201')),
    ],
)
def test_a_changed_byte_fails_verify_evidence_naming_the_file(demo: Demo, tmp_path: Path, what: str, member: str, change: Callable[[bytes], bytes]) -> None:
    name = next(n for n, _ in members(demo.bundle) if n.startswith(member))
    bad = rewritten(demo.bundle, tmp_path / "bad.zip", name, change)
    assert bad.read_bytes() != demo.bundle.read_bytes(), what
    done = CliRunner().invoke(cli, ["verify-evidence", str(bad)])
    assert done.exit_code == 1, f"{what}: {done.output}"
    failed = [line for line in done.output.splitlines() if line.startswith("FAILED")]
    named = "manifest.json" if member == "manifest.json" else name
    assert failed and any(named in line for line in failed), f"{what}: {done.output}"


def test_any_flipped_byte_of_the_zip_fails_it(demo: Demo, tmp_path: Path) -> None:
    data = demo.bundle.read_bytes()
    rng = random.Random(23)
    for at in sorted(rng.sample(range(len(data)), 40)) + list(range(len(data) - 120, len(data), 7)):
        bad = tmp_path / "flipped.zip"
        bad.write_bytes(flip_one_byte(data, at))
        done = CliRunner().invoke(cli, ["verify-evidence", str(bad)])
        assert done.exit_code == 1, f"byte {at} changed and the bundle still verified"


# --- screenshots ------------------------------------------------------------------------------------

# The pixels of two PNGs, read back by the browser's own canvas: how much of the top of each is ink
# (dark), and how many pixels differ between them.
_COMPARE = """
async ([a, b]) => {
  const load = (src) => new Promise((ok) => { const i = new Image(); i.onload = () => ok(i); i.src = src; });
  const [x, y] = await Promise.all([load(a), load(b)]);
  const w = Math.min(x.width, y.width), h = Math.min(x.height, y.height, 1600);
  const pixels = (img) => { const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, w, h).data; };
  const p = pixels(x), q = pixels(y);
  let inkA = 0, inkB = 0, differ = 0;
  for (let i = 0; i < p.length; i += 4) {
    const la = p[i] + p[i + 1] + p[i + 2], lb = q[i] + q[i + 1] + q[i + 2];
    if (la < 384) inkA++; if (lb < 384) inkB++;
    if (Math.abs(la - lb) > 96) differ++;
  }
  return {pixels: w * h, inkA, inkB, differ};
}
"""
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def test_screenshots_of_chinese_pages_show_the_glyphs_not_blank_or_tofu(demo: Demo) -> None:
    """The stored page against its tofu twin: the same page with every Chinese character replaced by a
    private-use character no font has. Without CJK fonts both would show the same boxes."""
    with open_archive(demo.db) as archive:
        real = archive.screenshot_png(1)
        resources = archive_resources(archive, 1)
        url = archive.conn.execute("SELECT url FROM captures WHERE id = 1").fetchone()[0]
        stored = resources(url)
    assert real is not None and stored is not None
    charset = re.search(r"charset=([\w-]+)", stored.content_type)
    text = stored.body.decode(charset.group(1) if charset else "utf-8")
    assert len(_CJK.findall(text)) > 500, "a Chinese page"
    twin_bytes = _CJK.sub("\ue000", text).encode("utf-8")
    with Renderer(CHROMIUM) as renderer:
        tofu = renderer.screenshot(url, lambda u: Stored(stored.status, "text/html; charset=utf-8", twin_bytes) if u == url else None).png
        page = renderer._browser.new_page()
        try:
            stats = page.evaluate(_COMPARE, [_data_url(real), _data_url(tofu)])
        finally:
            page.close()
    assert stats["inkA"] > 0.01 * stats["pixels"], f"the screenshot is blank: {stats}"
    assert stats["differ"] > 0.02 * stats["pixels"], f"the Chinese text renders as the tofu twin does (no CJK font?): {stats}"


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_screenshot_fills_in_versions_archived_before_and_asks_nothing_of_the_site(replica: ReplicaSite, settings: Settings) -> None:
    _need_browser()
    Crawler(replica, settings).crawl()
    with open_archive(settings.archive.db) as archive:
        assert archive.conn.execute("SELECT count(*) FROM screenshots").fetchone()[0] == 0
        missing = len(archive.captures_without_screenshot())
    asked = len(replica.requests)
    done = CliRunner().invoke(cli, ["screenshot", "--db", str(settings.archive.db)])
    assert done.exit_code == 0, done.output
    assert f"{missing} screenshots taken, 0 still missing" in done.output
    assert len(replica.requests) == asked, "rendered from the stored bytes: the site was asked nothing"
    again = CliRunner().invoke(cli, ["screenshot", "--db", str(settings.archive.db), "1"])
    assert again.exit_code == 0 and "0 screenshots taken" in again.output


@pytest.fixture
def replica() -> Iterator[ReplicaSite]:
    with ReplicaSite() as site:
        yield site


def test_a_removal_keeps_the_page_the_site_answered_with_and_its_screenshot(replica: ReplicaSite, settings: Settings) -> None:
    """Item 1 of issue 23: a removal page gets a screenshot too. The 404's body is stored as a capture (never a version),
    the fetch-log row of the removal names it, the removal's evidence rests on it, and it is rendered like a version's page."""
    _need_browser()
    settings = settings.replace(evidence__screenshots=True)
    crawler = Crawler(replica, settings)
    crawler.crawl()
    removed = "https://www.takungpao.com/news/232108/2025/1218/1050977.html"
    replica.remove(removed)
    result = crawler.crawl()
    assert result.counts.gone == 1
    with open_archive(settings.archive.db) as archive:
        conn = archive.conn
        capture_id, reason, status = conn.execute(
            "SELECT id, suspect_reason, status FROM captures WHERE url = ? AND suspect_reason LIKE 'the removal page%'", (removed,)
        ).fetchone()
        assert status == 404 and "HTTP 404" in reason
        assert conn.execute("SELECT capture_id FROM fetch_log WHERE url = ? AND outcome = 'gone'", (removed,)).fetchone() == (capture_id,)
        (captures,) = conn.execute("SELECT capture_ids FROM evidence WHERE kind = 'gone' AND url = ?", (removed,)).fetchone()
        assert json.loads(captures) == [capture_id]
        assert conn.execute("SELECT count(*) FROM screenshots WHERE capture_id = ?", (capture_id,)).fetchone() == (1,)
        versions = conn.execute("SELECT count(*) FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ?", (removed,)).fetchone()
    assert versions == (1,), "the removal page is never a version"
