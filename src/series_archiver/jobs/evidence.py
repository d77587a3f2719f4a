"""Evidence jobs: screenshots of existing versions, and one evidence bundle per article.

``make_bundle`` writes one zip a third party can check without this tool
(docs/evidence.md; ``evidence/bundle_check.py`` checks it)::

    article.wacz                the article's captures and their screenshots (WACZ, signed with --sign)
    screenshots/capture-N.png   each capture's screenshot
    timestamps/event-N.json     each event's statement (the canonical JSON its token covers)
    timestamps/event-N.tsr      its RFC 3161 token (TimeStampResp, DER)
    timestamps/tsa-chain.pem    the TSA certificates the tokens were checked with
    timestamps/tsa-ca.pem       the root(s) among them
    witnesses.json              the Save Page Now captures asked for the article
    report.html, report.pdf     the article's history in plain words, with every hash (PDF by Chromium)
    SHA256SUMS                  every file above, for `sha256sum -c`
    VERIFY.md                   the commands that check it all with sha256sum and openssl
    manifest.json               every file above with its SHA-256 and size
    manifest.tsr                a token over manifest.json (when a TSA is configured)
"""

from __future__ import annotations

import hashlib
import html
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from series_archiver.archive import Archive
from series_archiver.errors import NotArchived
from series_archiver.evidence.bundle_check import CHAIN, MANIFEST, MANIFEST_TOKEN, ROOTS, SUMS, bundle_zip, manifest_bytes
from series_archiver.evidence.screenshot import Renderer
from series_archiver.evidence.tsa import load_pem_chain, load_roots, request_token
from series_archiver.evidence.worker import EvidenceReport, EvidenceWorker
from series_archiver.export.snapshot import output
from series_archiver.export.wacz import export_wacz
from series_archiver.history import read_history, read_witnesses
from series_archiver.settings import Settings
from series_archiver.sources.http import user_agent

__all__ = ["BundleResult", "make_bundle", "take_screenshots"]


def take_screenshots(settings: Settings, article_ids: Sequence[int] = (), *, budget: float | None = None) -> EvidenceReport:
    """Screenshots of the versions' captures that have none (of these articles, or all), under the writer lock."""
    from series_archiver.jobs.core import open_writer

    archive = open_writer(settings)
    try:
        with archive.writer_lock(settings.archive.lock_timeout_seconds, command="screenshot"):
            for article_id in article_ids:
                if archive.article(article_id) is None:
                    raise NotArchived(str(archive.path), article_id)
            ids = archive.captures_without_screenshot(article_ids)
            worker = EvidenceWorker(settings, archive, budget_seconds=float("inf") if budget is None else budget)
            return worker.fill_screenshots(ids)
    finally:
        archive.close()


@dataclass(frozen=True)
class BundleResult:
    path: Path
    files: int
    tokens: int
    screenshots: int
    bytes: int


def make_bundle(
    settings: Settings, article_id: int, out: Path, *, sign_key: Path | None = None, transport: httpx.BaseTransport | None = None
) -> BundleResult:
    """Write the evidence bundle of one article to ``out`` (see the module docstring)."""
    files: dict[str, bytes] = {}
    with Archive(settings.archive.db, readonly=True) as archive:
        history = read_history(archive, article_id)
        rows = archive.evidence_rows(article_id)
        shots: dict[int, str] = {}
        sums = {c.id: archive.conn.execute("SELECT sha256 FROM captures WHERE id = ?", (c.id,)).fetchone()[0] for c in history.captures}
        for capture in history.captures:
            png = archive.screenshot_png(capture.id)
            if png is not None:
                name = f"screenshots/capture-{capture.id}.png"
                files[name] = png
                shots[capture.id] = name
        chains: list[x509.Certificate] = []
        events = []
        for n, row in enumerate(rows, 1):
            if row.statement is None:
                continue
            files[f"timestamps/event-{n}.json"] = row.statement
            if row.token is not None:
                files[f"timestamps/event-{n}.tsr"] = row.token
                pem = archive.tsa_chain(row.tsa_chain_id) if row.tsa_chain_id is not None else None
                chains += load_pem_chain(pem, "tsa_chains") if pem else []
            events.append((n, row))
        witnesses = [w.as_json() for w in read_witnesses(archive, article_id)]
    chains += load_roots(settings.evidence.tsa_ca_file)
    chain = _unique(chains)
    if chain:
        files[CHAIN] = "".join(_pem(c) for c in chain).encode("ascii")
        roots = [c for c in chain if c.issuer == c.subject]
        if roots:
            files[ROOTS] = "".join(_pem(c) for c in roots).encode("ascii")
    files["witnesses.json"] = json.dumps(witnesses, ensure_ascii=False, indent=2).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix=".bundle-", dir=out.parent if out.parent.exists() else None) as tmp:
        wacz = Path(tmp) / "article.wacz"
        export_wacz(settings, wacz, article=article_id, sign_key=sign_key, transport=transport)
        files["article.wacz"] = wacz.read_bytes()
    report = _report_html(history.as_json(), sums, events, shots, files, witnesses)
    files["report.html"] = report
    with Renderer(settings.evidence.chromium) as renderer:
        files["report.pdf"] = renderer.pdf(report)
    files["VERIFY.md"] = _verify_md(article_id, sorted(n for n in files if n.endswith(".tsr")), bool(chain), bool(settings.evidence.tsa_url))
    files[SUMS] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())).encode()
    manifest = manifest_bytes(article_id, files)
    members = [*sorted(files.items()), (MANIFEST, manifest)]
    token = None
    if settings.evidence.tsa_url:
        ev = settings.evidence
        token = request_token(ev.tsa_url, manifest, timeout=ev.tsa_timeout_seconds, user_agent=user_agent(settings.fetch),
                              roots=load_roots(ev.tsa_ca_file), transport=transport).response
        members.append((MANIFEST_TOKEN, token))
    with output(out) as fh:
        fh.write(bundle_zip(members))
    tokens = sum(1 for n in files if n.endswith(".tsr")) + int(token is not None)
    return BundleResult(out, len(files) + 1 + int(token is not None), tokens, len(shots), out.stat().st_size)


def _pem(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM).decode("ascii")


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    out: list[x509.Certificate] = []
    for c in certs:
        if c not in out:
            out.append(c)
    # The signers first, then their issuers: the order `-untrusted` and a reader expect.
    return sorted(out, key=lambda c: c.issuer == c.subject)


def _verify_md(article_id: int, tokens: list[str], has_chain: bool, manifest_token: bool) -> bytes:
    lines = [
        f"# Checking this evidence bundle (article {article_id})",
        "",
        "Unzip it, then, in its folder:",
        "",
        "1. Every file against the SHA-256 listed in `SHA256SUMS` (the same as in `manifest.json`):",
        "",
        "       sha256sum -c SHA256SUMS",
        "",
    ]
    ca = f"-CAfile {ROOTS} -untrusted {CHAIN}" if has_chain else "-CAfile YOUR-TSA-ROOT.pem"
    if manifest_token:
        lines += [
            f"{2}. `manifest.json` against its RFC 3161 timestamp (so no file list or hash was changed after that time):",
            "",
            f"       openssl ts -verify -in {MANIFEST_TOKEN} -data {MANIFEST} {ca}",
            "",
        ]
    if tokens:
        lines += [
            f"{2 + manifest_token}. Each event's timestamp over its statement (`timestamps/event-N.json`: the URL, the time, the",
            "   SHA-256 of each capture, of the text and of each screenshot, as canonical JSON; docs/evidence.md):",
            "",
        ]
        for token in tokens:
            if token == MANIFEST_TOKEN:
                continue
            lines.append(f"       openssl ts -verify -in {token} -data {token.removesuffix('.tsr')}.json {ca}")
        lines += [
            "",
            "   `openssl ts -reply -in FILE.tsr -text` prints a token's time and hash.",
            "",
        ]
    lines += [
        f"The bundled `{ROOTS}` is the TSA's root as this archive knew it. Check its fingerprint",
        f"(`openssl x509 -in {ROOTS} -noout -fingerprint -sha256`) against the one the TSA publishes, or",
        "pass the root you trust instead of it. A capture's SHA-256 in a statement is the SHA-256 of a",
        "response record's payload in `article.wacz`; a screenshot's is that of its PNG in `screenshots/`.",
        "With series-archiver installed, `series-archiver verify-evidence THIS.zip` runs all of the above.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _report_html(
    history: dict[str, Any], sums: dict[int, str], events: list[tuple[int, Any]], shots: dict[int, str], files: dict[str, bytes], witnesses: list[dict[str, Any]]
) -> bytes:
    e = html.escape

    def sha(name: str) -> str:
        return hashlib.sha256(files[name]).hexdigest() if name in files else ""

    from series_archiver._version import __version__

    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        f"<h1>{e(history['title'])}</h1>",
        f"<p>Evidence bundle made {made} by series-archiver {e(__version__)}.</p>",
        f"<p>Article {history['id']} of the archive, first seen {e(history['first_seen'])} at <code>{e(history['url'])}</code>. "
        f"Its status now: <b>{e(history['status'])}</b>{' since ' + e(history['gone_at']) if history['gone_at'] else ''}.</p>",
        "<h2>What was seen, and when</h2><ol>",
    ]
    for ev in history["events"]:
        words = {"first": "first archived", "edit": "changed", "restore": "changed back", "gone": "removed", "back": "answered again",
                 "suspect": "a broken page kept as evidence"}.get(ev["kind"], ev["kind"])
        version = f" (version {ev['version']})" if ev.get("version") else ""
        rows.append(f"<li>{e(ev['at'])}: {e(words)}{version}{': ' + e(ev['summary']) if ev.get('summary') else ''}</li>")
    rows.append("</ol><h2>Captures</h2><table><tr><th>id</th><th>fetched</th><th>URL</th><th>payload SHA-256</th><th>screenshot SHA-256</th></tr>")
    for c in history["captures"]:
        capture_id = c["id"]
        shot = shots.get(capture_id)
        rows.append(
            f"<tr><td>{capture_id}</td><td>{e(c['fetched_at'])}</td><td><code>{e(c['url'])}</code></td><td><code>{e(sums.get(capture_id, ''))}</code></td>"
            f"<td>{'<code>' + sha(shot) + '</code> ' + e(shot) if shot else 'none'}</td></tr>"
        )
    rows.append("</table><h2>Timestamps</h2><table><tr><th>event</th><th>seen</th><th>statement SHA-256</th><th>token time</th><th>TSA</th></tr>")
    for n, row in events:
        rows.append(
            f"<tr><td>{n}: {e(row.kind)}</td><td>{e(row.seen_at)}</td><td><code>{e(row.digest or '')}</code></td>"
            f"<td>{e(row.stamped_at or 'no token')}</td><td>{e(row.tsa_url or '')}</td></tr>"
        )
    rows.append("</table><h2>Witnesses (Save Page Now)</h2><ul>")
    for w in witnesses:
        rows.append(f"<li>{e(str(w.get('kind')))}: {e(str(w.get('archived_url') or w.get('status')))}</li>")
    rows.append("</ul><h2>Files</h2><table><tr><th>file</th><th>SHA-256</th></tr>")
    for name in sorted(files):
        rows.append(f"<tr><td><code>{e(name)}</code></td><td><code>{sha(name)}</code></td></tr>")
    rows.append("</table><p>report.html, report.pdf, VERIFY.md and SHA256SUMS are listed in manifest.json.</p>")
    style = ("body{font-family:'Noto Sans CJK TC','Noto Sans CJK SC',sans-serif;font-size:10pt;margin:1em}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:2px 4px;vertical-align:top}"
             "code{font-size:8pt;word-break:break-all}")
    page = (f"<!DOCTYPE html><html lang=\"zh-Hant\"><head><meta charset=\"utf-8\"><title>Evidence: {e(history['title'])}</title>"
            f"<style>{style}</style></head><body>{''.join(rows)}</body></html>")
    return page.encode("utf-8")
