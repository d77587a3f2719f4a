"""Check an evidence bundle offline (``series-archiver verify-evidence FILE.zip``): any changed byte fails it, naming the file.

What is checked, in this order (jobs/evidence.py writes the bundle; docs/evidence.md):

1. every member of the zip reads back (its CRC holds), and the zip is byte for
   byte what ``bundle_zip`` writes of those members (so no header byte changed
   either: every member is stored, with fixed dates and attributes);
2. ``manifest.json`` is what ``manifest_bytes`` writes of its own content
   (so no byte of it changed unnoticed), matches its timestamp ``manifest.tsr``
   (when the bundle has one), and lists the members: the same names, each with
   its SHA-256 and size. A file whose SHA-256 differs from the manifest's while
   ``SHA256SUMS`` (itself intact) agrees with the file names the manifest;
3. each event's token ``timestamps/event-N.tsr`` over its statement
   ``timestamps/event-N.json``, against the bundled TSA chain (or ``--ca``);
4. each statement against the rest: its screenshots are the PNGs in
   ``screenshots/`` with those SHA-256s, its captures are response records of
   ``article.wacz`` whose payloads have those SHA-256s;
5. ``article.wacz`` itself: every resource against ``datapackage.json``,
   that against ``datapackage-digest.json``, and its signature, if signed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from series_archiver.errors import EvidenceError
from series_archiver.evidence.signing import verify_signed_data
from series_archiver.evidence.tsa import load_pem_chain, verify_token

__all__ = ["BundleReport", "verify_bundle", "bundle_zip", "manifest_bytes", "MANIFEST", "MANIFEST_TOKEN", "CHAIN", "ROOTS", "SUMS"]

BUNDLE_FORMAT = "series-archiver-bundle/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
MANIFEST_TOKEN = "manifest.tsr"
CHAIN = "timestamps/tsa-chain.pem"
ROOTS = "timestamps/tsa-ca.pem"


# Every member's date: the zip must be the same bytes whoever writes it (times live in the report and tokens).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def manifest_bytes(article_id: int, files: dict[str, bytes]) -> bytes:
    """manifest.json: the format, the article, every file's SHA-256 and size; sorted keys, one space indent, UTF-8."""
    body = {
        "format": BUNDLE_FORMAT,
        "article": article_id,
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in sorted(files.items())},
    }
    return _manifest_text(body)


def _manifest_text(body: Any) -> bytes:
    return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def bundle_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """The bundle's zip: every member stored (no compression, whose bytes vary with zlib), in the order given, fixed dates and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


@dataclass
class BundleReport:
    """What ``verify_bundle`` checked; ``problems`` is empty when the bundle holds."""

    path: Path
    files: int = 0
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (file, time the token says)
    roots: list[str] = field(default_factory=list)  # SHA-256 fingerprints of the roots trusted
    signed_wacz: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.path), "ok": self.ok, "files": self.files, "signed_wacz": self.signed_wacz,
            "tokens": [{"file": f, "time": t} for f, t in self.tokens], "roots_sha256": self.roots, "problems": self.problems,
        }


def verify_bundle(path: Path, *, ca_file: Path | None = None) -> BundleReport:
    """Check the bundle at ``path``; the problems name the file at fault. ``ca_file``: the TSA roots to trust instead of the bundled ones."""
    report = BundleReport(path)
    try:
        raw = path.read_bytes()
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except OSError as exc:
        raise EvidenceError(str(path), f"cannot be read ({exc.strerror})") from None
    except Exception as exc:  # zipfile raises many kinds for a damaged directory
        raise EvidenceError(str(path), f"is not a readable zip file ({exc}): changed or cut short") from None
    with archive:
        members = _read_all(archive, report)
        if members is None:
            return report
        report.files = len(members)
        if bundle_zip([(info.filename, members[info.filename]) for info in archive.infolist()]) != raw:
            report.problems.append(f"{path.name}: the zip's headers were changed (its files are checked below)")
        manifest = _check_manifest(members, report, ca_file)
        if manifest is None:
            return report
        roots = _roots(members, ca_file)
        report.roots = [c.fingerprint(hashes.SHA256()).hex() for c in roots]
        chain = members.get(CHAIN, b"").decode("ascii", "replace")
        for name in sorted(members):
            if name.startswith("timestamps/event-") and name.endswith(".tsr"):
                _check_event(name, members, chain, roots, report)
        _check_wacz(members, report)
        _check_article(manifest, members, report)
    return report


def _check_article(manifest: dict[str, Any], members: dict[str, bytes], report: BundleReport) -> None:
    """The manifest's article is the one its statements and article.wacz's pages are of."""
    seen: set[Any] = set()
    for name, data in members.items():
        if name.startswith("timestamps/event-") and name.endswith(".json"):
            with contextlib.suppress(ValueError, AttributeError):
                seen.add(json.loads(data).get("article"))
    with contextlib.suppress(Exception), zipfile.ZipFile(io.BytesIO(members["article.wacz"])) as wacz:
        for line in wacz.read("pages/pages.jsonl").splitlines()[1:]:
            seen.add(json.loads(line).get("article_id"))
    if seen and seen != {manifest.get("article")}:
        report.problems.append(f"{MANIFEST}: names article {manifest.get('article')}, but the bundle's statements and pages are of {sorted(map(str, seen))}")


def _read_all(archive: zipfile.ZipFile, report: BundleReport) -> dict[str, bytes] | None:
    members: dict[str, bytes] = {}
    for info in archive.infolist():
        try:
            members[info.filename] = archive.read(info)
        except Exception as exc:  # a damaged header makes zipfile raise many kinds (bad CRC, encrypted, unknown method)
            report.problems.append(f"{info.filename}: cannot be read back from the zip ({exc}): the file was changed")
    return None if report.problems else members


def _roots(members: dict[str, bytes], ca_file: Path | None) -> list[x509.Certificate]:
    if ca_file is not None:
        return load_pem_chain(ca_file.read_bytes(), str(ca_file))
    return load_pem_chain(members[ROOTS], ROOTS) if ROOTS in members else []


def _check_manifest(members: dict[str, bytes], report: BundleReport, ca_file: Path | None) -> dict[str, Any] | None:
    raw = members.get(MANIFEST)
    if raw is None:
        report.problems.append(f"{MANIFEST}: missing")
        return None
    try:
        manifest = json.loads(raw)
        files = manifest["files"]
        assert isinstance(files, dict) and manifest.get("format") == BUNDLE_FORMAT
    except (ValueError, KeyError, AssertionError, AttributeError):
        report.problems.append(f"{MANIFEST}: not the manifest JSON this tool writes: it was changed")
        return None
    if _manifest_text(manifest) != raw:
        report.problems.append(f"{MANIFEST}: not as this tool writes it: it was changed")
    if MANIFEST_TOKEN in members:
        try:
            roots = _roots(members, ca_file)
            when = verify_token(members[MANIFEST_TOKEN], raw, members.get(CHAIN, b"").decode("ascii", "replace"), roots=roots, what=MANIFEST)
            report.tokens.append((MANIFEST_TOKEN, when.isoformat()))
        except EvidenceError as exc:
            report.problems.append(f"{MANIFEST}: does not match its timestamp {MANIFEST_TOKEN} ({exc})")
    listed = set(files)
    present = set(members) - {MANIFEST, MANIFEST_TOKEN}
    for name in sorted(present - listed):
        report.problems.append(f"{name}: not listed in {MANIFEST} (added after the bundle was made)")
    for name in sorted(listed - present):
        report.problems.append(f"{name}: listed in {MANIFEST} but missing from the bundle")
    sums = _sums(members, files)
    for name in sorted(listed & present):
        entry = files[name]
        digest = hashlib.sha256(members[name]).hexdigest()
        if not isinstance(entry, dict) or entry.get("sha256") != digest or entry.get("bytes") != len(members[name]):
            if sums.get(name) == digest:
                report.problems.append(f"{MANIFEST}: its entry for {name} was changed ({name} matches {SUMS})")
            else:
                report.problems.append(f"{name}: its SHA-256 ({digest}) or size differs from {MANIFEST}'s: the file was changed")
    return manifest if isinstance(manifest, dict) else None


def _sums(members: dict[str, bytes], files: dict[str, Any]) -> dict[str, str]:
    """SHA256SUMS as a map, if it is itself as the manifest lists it; else empty."""
    data = members.get(SUMS)
    entry = files.get(SUMS)
    if data is None or not isinstance(entry, dict) or entry.get("sha256") != hashlib.sha256(data).hexdigest():
        return {}
    out = {}
    for line in data.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        out[name] = digest
    return out


def _check_event(name: str, members: dict[str, bytes], chain: str, roots: Sequence[x509.Certificate], report: BundleReport) -> None:
    statement_name = name.removesuffix(".tsr") + ".json"
    statement = members.get(statement_name)
    if statement is None:
        report.problems.append(f"{statement_name}: missing (the statement {name} covers)")
        return
    try:
        when = verify_token(members[name], statement, chain, roots=roots, what=name)
        report.tokens.append((name, when.isoformat()))
    except EvidenceError as exc:
        report.problems.append(f"{name}: {exc} (over {statement_name})")
        return
    try:
        claims = json.loads(statement)
    except ValueError:
        report.problems.append(f"{statement_name}: not JSON")
        return
    shots = {hashlib.sha256(data).hexdigest(): n for n, data in members.items() if n.startswith("screenshots/")}
    payloads = _wacz_payload_digests(members)
    for capture in claims.get("captures", []):
        shot = capture.get("screenshot_sha256")
        if shot and shot not in shots:
            report.problems.append(f"{statement_name}: screenshot {shot} of capture {capture.get('id')} is not in screenshots/")
        if payloads is not None and capture.get("sha256") not in payloads:
            report.problems.append(f"{statement_name}: capture {capture.get('id')} ({capture.get('sha256')}) is not a response in article.wacz")


def _wacz_payload_digests(members: dict[str, bytes]) -> set[str] | None:
    """SHA-256 of every response payload in article.wacz's WARCs (None without a readable article.wacz)."""
    from warcio.archiveiterator import ArchiveIterator

    data = members.get("article.wacz")
    if data is None:
        return None
    found: set[str] = set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as wacz:
            for member in wacz.namelist():
                if member.startswith("archive/"):
                    for record in ArchiveIterator(io.BytesIO(wacz.read(member))):
                        if record.rec_type in ("response", "resource"):
                            found.add(hashlib.sha256(record.content_stream().read()).hexdigest())
    except Exception:
        return None
    return found


def _check_wacz(members: dict[str, bytes], report: BundleReport) -> None:
    data = members.get("article.wacz")
    if data is None:
        report.problems.append("article.wacz: missing")
        return
    try:
        wacz = zipfile.ZipFile(io.BytesIO(data))
        package_raw = wacz.read("datapackage.json")
        package = json.loads(package_raw)
        digest = json.loads(wacz.read("datapackage-digest.json"))
        for resource in package["resources"]:
            got = "sha256:" + hashlib.sha256(wacz.read(resource["path"])).hexdigest()
            if got != resource["hash"]:
                report.problems.append(f"article.wacz/{resource['path']}: differs from its datapackage.json hash")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        report.problems.append(f"article.wacz: not a readable WACZ ({exc})")
        return
    expected = "sha256:" + hashlib.sha256(package_raw).hexdigest()
    if digest.get("hash") != expected:
        report.problems.append("article.wacz/datapackage.json: differs from datapackage-digest.json")
    if "signedData" in digest:
        try:
            verify_signed_data(digest["signedData"], expected, what="article.wacz/datapackage-digest.json")
            report.signed_wacz = True
        except EvidenceError as exc:
            report.problems.append(str(exc))
