"""The one error tree of series-archiver.

Every error names what is at fault (a URL, a config key, a file) and says what
to do about it, so a message printed by the CLI is enough to act on::

    ArchiverError
    ├── ConfigError            a config key or flag is missing, unknown or bad  (.key)
    ├── FetchError             one URL could not be fetched                     (.url, .attempts)
    │   ├── HostNotAllowed     the URL or a redirect leaves allowed_hosts
    │   ├── RobotsDisallowed   robots.txt forbids the URL
    │   ├── Blocked            a block page: a challenge, captcha or maintenance page (.site, .reason, .status)
    │   ├── HTTPStatusError    a final non-2xx status                           (.status)
    │   │   └── GoneError      404 / 410, or a redirect to a home or list page
    │   ├── TooLarge           the body exceeds fetch.max_bytes (outcome too_large)
    │   ├── TruncatedBody      fewer bytes than announced, a broken stream (outcome truncated)
    │   ├── NotHTML            a content type that is not a web page
    │   ├── UndecodableText    no encoding gives clean text, or a content coding none can undo
    │   ├── DamagedRecord      a record of a file to import holds no readable HTTP response (.path, .offset)
    │   └── NetworkError       timeout, refused or reset connection, after retries
    ├── ExtractError           a page was fetched but yields no article         (.url)
    │   └── SuspectCapture     a soft 404, an empty or truncated text           (.reason)
    ├── StoreError             the archive cannot be read or written            (.path)
    │   ├── LockTimeout        another process holds the writer lock            (.holder)
    │   ├── NotArchived        no such article, or no such version of it        (.article_id, .version)
    │   ├── ArchiveUnwritable  SQLite cannot write: full, I/O error, busy, damaged (.cause, .doing): stop
    │   │   └── ArchiveReadOnly   the archive file or its folder is read-only
    │   └── WriteRejected      SQLite refused one unit's rows: a bug, rolled back (.doing): go on
    ├── ExportError            an export file cannot be written                 (.path)
    ├── EvidenceError          a screenshot, timestamp, signature or bundle cannot be made or checked (.what)
    ├── DamagedFile            a file to import is damaged, cut, empty or no archive (.path, .offset)
    └── PassInterrupted        SIGTERM/SIGINT stopped a pass between two URLs

Fetch failures raise; they never return ``None``. The pipeline catches
``FetchError`` and ``ExtractError`` per URL, records them in the fetch log
(``FetchError.outcome`` is the word it uses) and carries on with the pass.
``extract()`` and ``clean()`` raise nothing but ``ExtractError``, whatever the
page holds; a bug anywhere else in one URL's handling is recorded as that
URL's error too, so one URL never stops a pass. ``LockTimeout`` stops a
command before it writes anything.

SQLite's errors stop at the archive (``Archive.transaction()``, ``batch()``):
``WriteRejected`` means one unit of work (one URL) broke a constraint; it was
rolled back whole and the archive is intact, so log it as a bug and go on
with the next URL. ``ArchiveUnwritable`` means nothing more can be written
(disk full, I/O error, read-only, busy past the timeout, damaged): stop the
pass; what was committed stays, and the message says what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from series_archiver.models import Attempt, FetchedPage

__all__ = [
    "ArchiverError",
    "ConfigError",
    "FetchError",
    "HostNotAllowed",
    "RobotsDisallowed",
    "Blocked",
    "HTTPStatusError",
    "GoneError",
    "TooLarge",
    "TruncatedBody",
    "NotHTML",
    "UndecodableText",
    "DamagedRecord",
    "NetworkError",
    "ExtractError",
    "SuspectCapture",
    "StoreError",
    "LockTimeout",
    "NotArchived",
    "ArchiveUnwritable",
    "ArchiveReadOnly",
    "WriteRejected",
    "ExportError",
    "EvidenceError",
    "DamagedFile",
    "PassInterrupted",
]


class ArchiverError(Exception):
    """Root of every error series-archiver raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its message and attributes, not by calling __init__ again with
        # ``args`` (which takes other arguments): an import's reader processes send
        # the errors they meet back to the writer.
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[ArchiverError], args: tuple[Any, ...], state: dict[str, Any]) -> ArchiverError:
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class ConfigError(ArchiverError):
    def __init__(self, key: str, problem: str, *, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"config key {key!r}{where}: {problem}")


class FetchError(ArchiverError):
    """One URL could not be fetched. ``attempts`` lists every HTTP attempt made."""

    hint = "it is recorded in the fetch log and retried on the next pass"

    def __init__(self, url: str, message: str, *, attempts: Sequence[Attempt] = (), **extra: Any) -> None:
        self.url = url
        self.message = message
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        for name, value in extra.items():
            setattr(self, name, value)
        super().__init__(f"{url}: {message}")

    def with_attempts(self, attempts: Sequence[Attempt]) -> FetchError:
        self.attempts = tuple(attempts)
        return self

    @property
    def outcome(self) -> str:
        """The word the fetch log uses for this failure."""
        return "error"


class HostNotAllowed(FetchError):
    hint = "add the host to fetch.allowed_hosts if it really belongs to the series"

    @property
    def outcome(self) -> str:
        return "refused"


class RobotsDisallowed(FetchError):
    hint = "the site asks crawlers to stay away from this URL; it is never fetched"

    @property
    def outcome(self) -> str:
        return "skipped"


class Blocked(FetchError):
    """A block page answered instead of the page: a CDN or firewall challenge or block, a captcha, a maintenance page.

    It is neither the page nor its removal, whatever its status (200, 403, 429,
    503 …): nothing of it is recorded, the article keeps its status and its
    versions, no witness is asked for. ``site`` is the host that answered,
    ``reason`` what gave the page away (``read.pagekind``), ``status`` its HTTP status.
    """

    hint = "open the URL in a browser from this machine; slow down (fetch.delay_seconds) or ask the site to let the crawler in"

    def __init__(self, url: str, message: str, *, site: str, reason: str, status: int, **kw: Any) -> None:
        super().__init__(url, message, site=site, reason=reason, status=status, **kw)
        self.site = site
        self.reason = reason
        self.status = status

    @property
    def outcome(self) -> str:
        return "blocked"


class HTTPStatusError(FetchError):
    status: int

    def __init__(self, url: str, status: int, message: str | None = None, **kw: Any) -> None:
        super().__init__(url, message or f"HTTP status {status}", status=status, **kw)


class GoneError(HTTPStatusError):
    """The page is no longer there: the article is marked gone, its versions kept.

    ``reason`` is the server's reason phrase (``Not Found``) for a 404 or 410;
    ``target`` is where a takedown redirect led (a home or list page), else None.
    """

    def __init__(
        self, url: str, status: int, message: str | None = None, *, reason: str = "", target: str | None = None, **kw: Any
    ) -> None:
        super().__init__(url, status, message, **kw)
        self.reason = reason
        self.target = target
        # The removal page as the site served it (a 404's or 410's body), kept as evidence of the
        # takedown and rendered as its screenshot; None when the answer had no readable page.
        self.page: FetchedPage | None = kw.get("page")

    @property
    def summary(self) -> str:
        """One line for the ``changes`` row: ``HTTP 404 Not Found`` or ``HTTP 302 to https://…/ (a home or list page)``."""
        if self.target:
            return f"HTTP {self.status} to {self.target} (a home or list page)"
        return f"HTTP {self.status} {self.reason}".rstrip()

    @property
    def outcome(self) -> str:
        return "gone"


class TooLarge(FetchError):
    hint = "raise fetch.max_bytes if the page is genuine"

    @property
    def outcome(self) -> str:
        return "too_large"


class TruncatedBody(FetchError):
    @property
    def outcome(self) -> str:
        return "truncated"


class NotHTML(FetchError):
    @property
    def outcome(self) -> str:
        return "refused"


class UndecodableText(FetchError):
    pass


class DamagedRecord(FetchError):
    """A record of a WARC or ARC file holds no readable HTTP response (a garbled status line, a broken chunked body).

    ``path`` names the file, ``offset`` the byte where the record begins; the
    import records it as that URL's failure and names the file as damaged.
    """

    def __init__(self, url: str, path: str, offset: int, problem: str) -> None:
        self.path = path
        self.offset = offset
        self.problem = problem
        super().__init__(url, f"the record at byte {offset} of {path}: {problem}")


class NetworkError(FetchError):
    pass


class ExtractError(ArchiverError):
    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class SuspectCapture(ExtractError):
    """The page looks like a failed rendering; it must not replace a good version."""

    def __init__(self, url: str, reason: str) -> None:
        self.reason = reason
        super().__init__(url, f"suspect capture, kept as evidence only: {reason}")


class StoreError(ArchiverError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class LockTimeout(StoreError):
    def __init__(self, path: str, holder: str, waited: float) -> None:
        self.holder = holder
        self.waited = waited
        super().__init__(
            path,
            f"another writer holds the archive lock ({holder}); waited {waited:g}s. "
            "Wait for it to finish, or raise archive.lock_timeout_seconds.",
        )


class NotArchived(StoreError):
    """The article or version asked for is not in the archive; the message says which exist."""

    def __init__(
        self, path: str, article_id: int, version: int | None = None, *, latest: int | None = None, detail: str | None = None
    ) -> None:
        self.article_id = article_id
        self.version = version
        if detail is None:
            if version is None:
                detail = f"no article {article_id}; `series-archiver list` shows the ids"
            elif latest:
                detail = (
                    f"article {article_id} has no version {version}; it has versions 1 to {latest} "
                    f"(`series-archiver log {article_id}` lists them)"
                )
            else:
                detail = f"article {article_id} has no versions yet"
        super().__init__(path, detail)


class ArchiveUnwritable(StoreError):
    """SQLite cannot write the archive; stop the pass (what was committed stays) and fix what the message names.

    ``cause`` is one word for the trouble: ``full``, ``io``, ``read-only``,
    ``busy``, ``damaged``, ``cannot-open``, ``memory`` or ``error``; ``doing``
    what was being done (``record https://…``, ``open the archive``), when known.
    """

    def __init__(self, path: str, message: str, *, cause: str, doing: str = "") -> None:
        self.cause = cause
        self.doing = doing
        super().__init__(path, message)


class ArchiveReadOnly(ArchiveUnwritable):
    """The archive file, or the folder it lives in, cannot be written (permissions, a read-only mount, ``chattr +i``).

    A writer needs both: SQLite and the writer lock make files beside the archive.
    """

    def __init__(self, path: str, message: str, *, doing: str = "") -> None:
        super().__init__(path, message, cause="read-only", doing=doing)


class WriteRejected(StoreError):
    """SQLite refused what one unit of work wrote (a constraint broken, a value it cannot store): a bug.

    The unit was rolled back whole and the archive is intact: log it, count the
    URL as failed, go on with the next one.
    """

    def __init__(self, path: str, message: str, *, doing: str = "") -> None:
        self.doing = doing
        super().__init__(path, message)


class ExportError(ArchiverError):
    """``export`` cannot write its file (a missing folder, no permission, a full disk)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class EvidenceError(ArchiverError):
    """Evidence cannot be made or does not check: no browser, a TSA that refuses, a bad key, a bundle that fails.

    ``what`` names the thing at fault (a file in a bundle, the TSA's URL, the key file).
    """

    def __init__(self, what: str, message: str) -> None:
        self.what = what
        super().__init__(f"{what}: {message}")


class DamagedFile(ArchiverError):
    """A WARC, ARC or WACZ file to import, or a record in it, cannot be read: what is wrong, and where.

    ``offset`` is the byte of the file where the damage begins (the record or gzip
    member that cannot be read), None for the file as a whole (empty, not an
    archive). The import passes over it and goes on with the next record it can
    find, and with the next file; the command then exits 1 naming the file.
    """

    def __init__(self, path: str, problem: str, *, offset: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.offset = offset
        where = "" if offset is None else f" at byte {offset}"
        super().__init__(f"{path}{where}: {problem}")


class PassInterrupted(ArchiverError):
    """A stop was asked for (the daemon got SIGTERM or SIGINT) in the middle of a pass.

    Raised between two URLs, never inside a write: every URL recorded so far
    stays recorded, the rest is done on the next pass.
    """

    def __init__(self, reason: str = "stop requested", *, attempts: Sequence[Attempt] = ()) -> None:
        self.reason = reason
        # A fetch stopped mid-way: its attempts so far, the abandoned one last (outcome "interrupted").
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        super().__init__(f"pass interrupted ({reason}); what was recorded stays, the rest is done on the next pass")
