"""``verify``'s evidence part: each stored token against its statement and the TSA's chain, each statement against the archive.

A token is checked as a third party would check it (tsa.py: its signature,
the signer's chain up to ``evidence.tsa_ca_file``'s roots, or the stored
chain's own root when none is configured, and the digest it covers); the
statement it covers is then checked against the archive as it is now: the
SHA-256 of each capture and of each screenshot it names. A statement that no
longer matches means the archive changed after the token was made.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from series_archiver.archive import Archive
from series_archiver.errors import EvidenceError
from series_archiver.evidence.tsa import load_roots, verify_token

__all__ = ["EvidenceCheck", "check_evidence"]


@dataclass(frozen=True)
class EvidenceCheck:
    tokens: int
    problems: tuple[str, ...]


def check_evidence(archive: Archive, tsa_ca_file: str) -> EvidenceCheck:
    """Check every timestamped evidence row of the archive; the problems name the row and the event."""
    if "evidence" not in {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
        return EvidenceCheck(0, ())
    roots = load_roots(tsa_ca_file)
    problems: list[str] = []
    tokens = 0
    for row in archive.evidence_rows():
        if row.statement is None:
            continue
        what = f"evidence {row.id} ({row.kind} {row.url})"
        if row.digest != hashlib.sha256(row.statement).hexdigest():
            problems.append(f"{what}: its statement does not match its digest")
            continue
        if row.token is not None:
            tokens += 1
            chain = archive.tsa_chain(row.tsa_chain_id) if row.tsa_chain_id is not None else ""
            try:
                verify_token(row.token, row.statement, chain or "", roots=roots, what=what)
            except EvidenceError as exc:
                problems.append(str(exc))
                continue
        claims = json.loads(row.statement)
        for capture in claims.get("captures", []):
            found = archive.conn.execute("SELECT sha256 FROM captures WHERE id = ?", (capture["id"],)).fetchone()
            if found is None or found[0] != capture["sha256"]:
                problems.append(f"{what}: capture {capture['id']} is not the one timestamped (SHA-256 {capture['sha256']})")
            shot = capture.get("screenshot_sha256")
            png = archive.screenshot_png(capture["id"]) if shot else None
            if shot and (png is None or hashlib.sha256(png).hexdigest() != shot):
                problems.append(f"{what}: the screenshot of capture {capture['id']} is not the one timestamped (SHA-256 {shot})")
    return EvidenceCheck(tokens, tuple(problems))
