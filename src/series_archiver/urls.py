"""URL identity: when two URLs name the same page. One rule for every source, for dedupe and for witnesses.

A page is reached at ``http://`` and ``https://``, with and without ``www.``,
with an explicit default port, with a fragment, with an upper-case host; the
Wayback Machine answers a query for one twin with captures made at the other
(a CDX key has no scheme), and WARC files of other crawlers hold whichever
form their seeds had. None of that makes another page:

* ``normalize`` is the form a URL is recorded in: scheme and host in lower
  case, no default port, no fragment, ``/`` for an empty path. The scheme and
  ``www.`` are kept as seen: a site may serve only one of them, and a live
  fetch must ask for what works.
* ``key`` is what "the same page" means: ``normalize`` without the scheme and
  without a leading ``www.``.
* ``twins`` are the forms under which the archive may already hold a page:
  the URL itself first, then its other scheme, then both with ``www.`` added
  or dropped. A source's capture is recorded under the first twin the archive
  knows (``record``), so a capture of either twin is a capture of the
  archived URL.

>>> normalize("HTTP://WWW.Example.com:80/a/1.html#top")
'http://www.example.com/a/1.html'
>>> key("https://www.example.com/a/1.html") == key("http://example.com:80/a/1.html#x")
True
>>> twins("https://www.example.com/a")
('https://www.example.com/a', 'http://www.example.com/a', 'https://example.com/a', 'http://example.com/a')
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

__all__ = ["key", "normalize", "same", "twins"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


# A pass asks for the same URL's form several times (matching the list pages' links to the
# archive's URLs, then recording it), and ``urlsplit`` with its host and port is ~15 µs of
# the writer's thread each time. Larger than the URLs of a long series, and a few MB at most.
@lru_cache(maxsize=16384)
def normalize(url: str) -> str:
    """The form a URL is recorded in; a string that is no http(s) URL comes back as it was, less its fragment."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is no number: not ours to mend
        return url.split("#", 1)[0]
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url.split("#", 1)[0]
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def key(url: str) -> str:
    """What "the same page" means: the normalized URL without its scheme and a leading ``www.``."""
    normal = normalize(url)
    _scheme, sep, rest = normal.partition("://")
    if not sep:
        return normal
    return rest.removeprefix("www.")


def same(a: str, b: str) -> bool:
    """Whether two URLs name the same page."""
    return key(a) == key(b)


def twins(url: str) -> tuple[str, ...]:
    """``url`` normalized, then the other forms of the same page, each once."""
    normal = normalize(url)
    scheme, sep, rest = normal.partition("://")
    if not sep or scheme not in _DEFAULT_PORTS:
        return (normal,)
    other = "http" if scheme == "https" else "https"
    # A port other than the default belongs to one scheme: its twin on the other scheme is another server.
    schemes = (scheme, other) if _default_port(rest) else (scheme,)
    host_forms = (rest, rest.removeprefix("www.") if rest.startswith("www.") else "www." + rest)
    out: list[str] = []
    for form in host_forms:
        for s in schemes:
            candidate = f"{s}://{form}"
            if candidate not in out:
                out.append(candidate)
    return tuple(out)


def _default_port(rest: str) -> bool:
    host = rest.split("/", 1)[0]
    return not (":" in host and not host.endswith("]"))
