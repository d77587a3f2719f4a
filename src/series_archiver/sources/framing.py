"""Where each record of a WARC or ARC file lies, and where the file is damaged.

``scan`` walks a file once, streaming, and yields each record's ``Head`` (its
WARC headers, or an ARC header line put in WARC terms, its offset and where its
block lies) or a ``DamagedFile`` naming the byte where a record cannot be read:

* a record without its ``WARC/1.x`` line, with headers that do not parse, or
  whose Content-Length does not end it (no blank line after the block);
* a gzip member that does not inflate;
* a file that ends inside a record (cut, or still being written).

The scan then goes on at the next record it can find: in a ``.gz``, the next
gzip member that begins a record; in a plain file, the next ``WARC/1.x`` line
(or ARC header line). A damaged record is never yielded, so it is recorded
whole or not at all. A ``.warc.gz`` whose gzip members each hold several
records (one gzip stream for the whole file) cannot be read by offset: that is
said once, with ``warcio recompress`` as the fix.

``block_chunks`` reads a record's block back by its offset.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeadersParser

from series_archiver.errors import DamagedFile

__all__ = ["Head", "block_chunks", "scan"]

_CHUNK = 1 << 16
_LINE_MAX = 1 << 16  # one header line
_INFLATE_MAX = 1 << 20  # inflated bytes held at once: a gzip bomb fills no more
_HEAD_MAX = 1 << 20  # all the headers of one record
_WARC_VERSIONS = ["WARC/1.0", "WARC/1.1", "WARC/0.17", "WARC/0.18"]
_WARC_LINE = re.compile(rb"WARC/(?:1\.[01]|0\.1[78])\r?\n")
_WARC_RESYNC = re.compile(rb"\nWARC/(?:1\.[01]|0\.1[78])\r?\n")
# ARC v1: URL IP DATE MIME LENGTH; v2 puts five more fields before LENGTH.
_ARC_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*:\S* \S+ \d{8,14} \S+(?: \S+)* \d+\r?\n")
_ARC_RESYNC = re.compile(rb"\n(?=[A-Za-z][A-Za-z0-9+.-]*:\S* \S+ \d{8,14} \S+(?: \S+)* \d+\r?\n)")
_GZIP_MAGIC = b"\x1f\x8b\x08"


@dataclass(frozen=True)
class Head:
    """One record: its headers, and where it and its block lie."""

    offset: int  # the byte of the file where the record (in a .gz, its gzip member) begins
    fmt: str  # "warc" or "arc"
    headers: tuple[tuple[str, str], ...]  # WARC headers; an ARC record's in WARC terms
    head_length: int  # bytes before the block (decompressed, in a .gz)
    block_length: int

    def get(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


class _Bad(Exception):
    """The record here cannot be read; the scan looks for the next one."""


class _Cut(Exception):
    """The file ends inside a record: nothing after it to look for."""


class _Several(Exception):
    """A gzip member holds more than one record."""


class _Plain:
    """A plain file read from ``offset`` on."""

    def __init__(self, fh: BinaryIO, offset: int) -> None:
        fh.seek(offset)
        self.fh = fh

    def readline(self) -> bytes:
        return self.fh.readline(_LINE_MAX)

    def skip(self, n: int) -> int:
        """Pass over ``n`` bytes; how many there were."""
        here = self.fh.tell()
        end = self.fh.seek(0, io.SEEK_END)
        self.fh.seek(min(here + n, end))
        return min(n, end - here)

    def read(self, n: int) -> bytes:
        return self.fh.read(n)


class _Member:
    """One gzip member read from ``offset`` on, inflated a buffer at a time."""

    def __init__(self, fh: BinaryIO, offset: int, pending: bytes = b"") -> None:
        # ``pending``: the bytes from ``offset`` on that the member before read past its end (the
        # file is then positioned after them), so a file of small members is read once, not re-read.
        if not pending:
            fh.seek(offset)
        self.fh = fh
        self.offset = offset
        self._pending = pending
        self._z = zlib.decompressobj(31)
        self._buf = b""
        self._raw = 0

    def _fill(self) -> bool:
        """More inflated bytes in the buffer; False at the member's end. ``_Cut`` when the file ends first."""
        while not self._buf:
            if self._z.eof:
                return False
            data = self._z.unconsumed_tail
            if not data:
                data, self._pending = self._pending or self.fh.read(_CHUNK), b""
                self._raw += len(data)
                if not data:
                    raise _Cut("the file ends inside this gzip member")
            self._buf = self._z.decompress(data, _INFLATE_MAX)
        return True

    def readline(self) -> bytes:
        line = b""
        while len(line) < _LINE_MAX and not line.endswith(b"\n") and self._fill():
            end = self._buf.find(b"\n")
            take = len(self._buf) if end < 0 else end + 1
            line, self._buf = line + self._buf[:take], self._buf[take:]
        return line

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n and self._fill():
            take = self._buf[: n - len(out)]
            out += take
            self._buf = self._buf[len(take) :]
        return bytes(out)

    def skip(self, n: int) -> int:
        done = 0
        while done < n and self._fill():
            take = min(n - done, len(self._buf))
            done += take
            self._buf = self._buf[take:]
        return done

    def end(self) -> int:
        """The byte of the file after this member (once it was read to its end)."""
        return self.offset + self._raw - len(self._z.unused_data)

    def left_over(self) -> bytes:
        """What was read past this member's end: the start of the next."""
        return self._z.unused_data


def _warc_head(reader: _Plain | _Member, first: bytes) -> tuple[tuple[tuple[str, str], ...], int, int]:
    """The WARC headers after ``first``, their length and the Content-Length."""
    lines = [first]
    size = len(first)
    while True:
        line = reader.readline()
        size += len(line)
        if not line:
            raise _Cut("the file ends inside this record's WARC headers")
        if line in (b"\r\n", b"\n"):
            break
        lines.append(line)
        if size > _HEAD_MAX:
            raise _Bad(f"WARC headers longer than {_HEAD_MAX:,} bytes: not a record")
    # warcio's parser reads each line as UTF-8, else ISO-8859-1: any byte is read.
    parsed = StatusAndHeadersParser(_WARC_VERSIONS, verify=False).parse(io.BytesIO(b"".join(lines) + b"\r\n"))
    headers = tuple((str(k), str(v)) for k, v in parsed.headers)
    length = next((v.strip() for k, v in headers if k.lower() == "content-length"), "")
    if not length.isdigit():
        raise _Bad(f"a record without a valid Content-Length ({length or 'none'})")
    for name in ("WARC-Type", "WARC-Date"):
        if not any(k.lower() == name.lower() for k, _ in headers):
            raise _Bad(f"a record without {name}")
    return headers, size, int(length)


def _arc_date(stamp: str) -> str:
    """An ARC 14-digit date (or a shorter one) as an ISO date."""
    padded = (stamp + "01010000000000"[len(stamp) - 4 :])[:14] if len(stamp) < 14 else stamp[:14]
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()


def _arc_head(first: bytes) -> tuple[tuple[tuple[str, str], ...], int, int]:
    """An ARC header line (v1 or v2) in WARC terms, its length and the block's length."""
    if not _ARC_LINE.fullmatch(first):
        raise _Bad("no ARC header line where a record should begin")
    line = StatusAndHeadersParser.decode_header(first).rstrip("\r\n")
    parts = line.split(" ")
    if len(parts) not in (5, 10):
        parts = line.rsplit(" ", 4)  # v1 with a space in the URL
    uri, ip, stamp, mime, length = parts[0], parts[1], parts[2], parts[3], parts[-1]
    try:
        date = _arc_date(stamp)
    except ValueError:
        raise _Bad(f"an ARC record dated {stamp!r}, which is no date") from None
    kind = "warcinfo" if uri.startswith("filedesc://") else "response"
    headers = (("WARC-Type", kind), ("WARC-Target-URI", uri), ("WARC-Date", date), ("WARC-IP-Address", ip),
               ("Content-Type", mime), ("Content-Length", length))
    return headers, len(first), int(length)


def _record(reader: _Plain | _Member, offset: int, fmt: str) -> Head:
    """The record beginning here (``_Bad`` or ``_Cut`` if it cannot be read); the reader is left after its block."""
    first = reader.readline()
    if fmt == "warc":
        if not _WARC_LINE.fullmatch(first):
            raise _Bad("no WARC/1.x line where a record should begin")
        headers, head_length, length = _warc_head(reader, first)
    else:
        headers, head_length, length = _arc_head(first)
    got = reader.skip(length)
    if got < length:
        if isinstance(reader, _Member):
            raise _Bad(f"the gzip member ends {length - got:,} bytes before the Content-Length ({length:,}) says")
        raise _Cut(f"the file ends inside this record: {got:,} of its {length:,} bytes are there")
    return Head(offset, fmt, headers, head_length, length)


def _sniff(path: Path, name: str) -> tuple[bool, str]:
    """(gzip, "warc" or "arc") of a file; ``DamagedFile`` for an empty file or one that is no archive."""
    with path.open("rb") as fh:
        start = fh.read(_CHUNK)
    if not start:
        raise DamagedFile(name, "an empty file: no records")
    gz = start.startswith(_GZIP_MAGIC)
    text = start
    if gz:
        try:
            text = zlib.decompressobj(31).decompress(start, 4096)
        except zlib.error:
            text = b""
    text = text.lstrip(b"\r\n")
    if text.startswith(b"WARC/"):
        return gz, "warc"
    if _ARC_LINE.match(text.split(b"\n", 1)[0] + b"\n"):
        return gz, "arc"
    if gz and not text:  # a damaged first member: the scan reports it and looks further
        return gz, "arc" if ".arc" in path.suffixes else "warc"
    shown = start[:24].decode("latin-1").encode("unicode_escape").decode("ascii")
    kind = "a gzip file that holds no WARC or ARC records" if gz else "not a WARC or ARC file"
    raise DamagedFile(name, f"{kind} (it begins {shown!r})")


def _find(fh: BinaryIO, start: int, pattern: re.Pattern[bytes], test: Callable[[int], bool] | None = None) -> int | None:
    """The first byte at or after ``start`` where ``pattern`` matches (and ``test`` agrees), None if nowhere."""
    overlap = 256
    pos = start
    while True:
        fh.seek(pos)
        window = fh.read(_CHUNK * 16)
        if not window:
            return None
        for m in pattern.finditer(window):
            at = pos + m.start() + (1 if m.group(0).startswith(b"\n") else 0)
            if at >= start and (test is None or test(at)):
                return at
        if len(window) <= overlap:
            return None
        pos += len(window) - overlap


def scan(path: Path, name: str) -> Iterator[Head | DamagedFile]:
    """Every record of the file, or the damage where one cannot be read; ``DamagedFile`` (raised) if it is no archive."""
    gz, fmt = _sniff(path, name)
    with path.open("rb") as fh:
        size = fh.seek(0, io.SEEK_END)
        pos = 0
        pending = b""
        while pos < size:
            if gz:
                reader: _Plain | _Member = _Member(fh, pos, pending)
                pending = b""
            else:
                pos = _skip_blank(fh, pos)
                if pos >= size:
                    break
                reader = _Plain(fh, pos)
            try:
                head = _record(reader, pos, fmt)
                if isinstance(reader, _Member):
                    _member_rest(reader)
                    nxt, pending = reader.end(), reader.left_over()
                else:
                    nxt = _after_block(fh, fmt)
            except _Cut as exc:
                yield DamagedFile(name, f"{exc}: the file is cut (copied while still being written?)", offset=pos)
                return
            except _Several:
                yield DamagedFile(
                    name, "one gzip stream holds several records, so they cannot be read by offset; "
                    "`warcio recompress` writes one gzip member per record, then import that", offset=pos,
                )
                return
            except (_Bad, zlib.error) as exc:
                problem = f"a gzip member that does not inflate ({exc})" if isinstance(exc, zlib.error) else str(exc)
                resume = _resync(fh, pos + 1, gz, fmt)
                skipped = (resume if resume is not None else size) - pos
                yield DamagedFile(name, f"{problem}; {skipped:,} bytes passed over", offset=pos)
                if resume is None:
                    return
                pos = resume
                continue
            yield head
            pos = nxt


def _skip_blank(fh: BinaryIO, pos: int) -> int:
    fh.seek(pos)
    while True:
        line = fh.readline(_LINE_MAX)
        if not line or line.strip(b"\r\n"):
            return pos
        pos += len(line)


def _after_block(fh: BinaryIO, fmt: str) -> int:
    """Where the next record may begin, after the block just passed over: ``_Bad`` if the block does not end there."""
    here = fh.tell()
    tail = fh.read(4)
    if not tail:
        return here
    if fmt == "warc":
        # Two CRLFs end a WARC record; a file written with bare newlines is read too.
        for end in (b"\r\n\r\n", b"\n\n"):
            if tail.startswith(end):
                return here + len(end)
        raise _Bad("its Content-Length does not end it: no blank line after the block")
    # ARC: a newline (some writers leave it out), then the next header line.
    if tail.startswith((b"\n", b"\r\n")):
        return here
    fh.seek(here)
    if _ARC_LINE.fullmatch(fh.readline(_LINE_MAX)):
        return here
    raise _Bad("its length does not end it: no newline after the block")


def _member_rest(member: _Member) -> None:
    """What follows the block in its gzip member: blank lines, or another record (``_Several``)."""
    rest = member.read(_LINE_MAX)
    if rest.strip(b"\r\n"):
        if rest.lstrip(b"\r\n").startswith(b"WARC/") or _ARC_LINE.match(rest.lstrip(b"\r\n").split(b"\n", 1)[0] + b"\n"):
            raise _Several()
        raise _Bad("its Content-Length does not end it: more bytes follow the block in its gzip member")
    while member.skip(_CHUNK):
        pass  # blank to its end, or the caller learns of a cut


def _resync(fh: BinaryIO, start: int, gz: bool, fmt: str) -> int | None:
    """The next byte at or after ``start`` where a record can begin."""
    if not gz:
        return _find(fh, start, _WARC_RESYNC if fmt == "warc" else _ARC_RESYNC)

    def begins_record(at: int) -> bool:
        fh.seek(at)
        try:
            text = zlib.decompressobj(31).decompress(fh.read(4096), 512).lstrip(b"\r\n")
        except zlib.error:
            return False
        return text.startswith(b"WARC/") if fmt == "warc" else bool(_ARC_LINE.match(text.split(b"\n", 1)[0] + b"\n"))

    return _find(fh, start, re.compile(re.escape(_GZIP_MAGIC)), begins_record)


def block_chunks(path: Path, name: str, offset: int, head_length: int, block_length: int, *, limit: int | None = None) -> Iterator[bytes]:
    """The block of the record at ``offset`` (its first ``limit`` bytes only, if given), a buffer at a time."""
    want = block_length if limit is None else min(limit, block_length)
    with path.open("rb") as fh:
        fh.seek(offset)
        gz = fh.read(3) == _GZIP_MAGIC
        reader: _Plain | _Member = _Member(fh, offset) if gz else _Plain(fh, offset)
        try:
            reader.skip(head_length)
            while want > 0:
                data = reader.read(min(_CHUNK, want))
                if not data:
                    raise _Cut("it ends early")
                want -= len(data)
                yield data
        except (_Cut, zlib.error) as exc:
            raise DamagedFile(name, f"the record can no longer be read ({exc})", offset=offset) from None
