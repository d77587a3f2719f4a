"""WARC record ids, derived from the archive: the WARC writes them, the JSON Lines point at them.

Each id is a uuid5 of the record's kind and the archive row it comes from, so
exporting again gives the same ids, a revisit in an ``--since`` export refers
to its response in an earlier file, and a JSON Lines version names the
response records of its captures.
"""

from __future__ import annotations

import uuid

__all__ = ["metadata_record_id", "request_record_id", "response_record_id", "revisit_record_id", "screenshot_record_id"]

# The namespace of every record id this tool derives (uuid5 of a fixed name).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://series-archiver/warc-record")


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, ' '.join(str(p) for p in parts))}>"


def response_record_id(capture_id: int, url: str, fetched_at: str, sha256: str) -> str:
    """The WARC-Record-ID of a capture's response record (the same in every export)."""
    return _record_id("response", capture_id, url, fetched_at, sha256)


def request_record_id(capture_id: int, url: str, fetched_at: str, sha256: str) -> str:
    """The WARC-Record-ID of the request record paired with that response."""
    return _record_id("request", capture_id, url, fetched_at, sha256)


def revisit_record_id(log_id: int, url: str, requested_at: str, sha256: str) -> str:
    """The WARC-Record-ID of the revisit for one fetch-log row."""
    return _record_id("revisit", log_id, url, requested_at, sha256)


def metadata_record_id(capture_id: int, url: str, fetched_at: str, sha256: str) -> str:
    """The WARC-Record-ID of the metadata record saying where a capture not fetched live came from."""
    return _record_id("metadata", capture_id, url, fetched_at, sha256)


def screenshot_record_id(screenshot_id: int, url: str, taken_at: str, sha256: str) -> str:
    """The WARC-Record-ID of the resource record holding a capture's screenshot."""
    return _record_id("screenshot", screenshot_id, url, taken_at, sha256)
