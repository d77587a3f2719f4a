"""A transport that sends requests for the real sites to a replica on loopback.

The demo, the tests and the benchmark crawl the replica with the archive
keeping the *real* URLs (https://www.takungpao.com/…), so host-based rules
(allowed hosts, mirror vs. main site) behave exactly as on the live site.
This transport is also the guarantee that nothing leaves the machine: a
request for any host the replica does not serve is refused before a socket
is opened.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import httpx

__all__ = ["LoopbackTransport"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackTransport(httpx.BaseTransport):
    """Rewrite ``https://www.takungpao.com/x`` to ``http://127.0.0.1:PORT/x``.

    ``origins`` maps a real origin (scheme://host) to a loopback origin.
    """

    def __init__(self, origins: Mapping[str, str], inner: httpx.BaseTransport | None = None) -> None:
        self.origins = {k.rstrip("/"): v.rstrip("/") for k, v in origins.items()}
        for local in self.origins.values():
            host = httpx.URL(local).host
            if not _is_loopback(host):
                raise ValueError(f"replica origin {local} is not on loopback")
        self._inner = inner or httpx.HTTPTransport()
        # Parsed once: httpx parses a URL in Python, a cost every request would pay again.
        self._bases = {origin: httpx.URL(local) for origin, local in self.origins.items()}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
        base = self._bases.get(origin)
        if base is None:
            if not _is_loopback(url.host):
                raise httpx.ConnectError(f"{origin} is not served by the replica; refusing to leave the machine", request=request)
            return self._inner.handle_request(request)
        target = _moved(url, base)
        forwarded = httpx.Request(
            request.method, target, headers=request.headers, stream=request.stream, extensions=request.extensions
        )
        return self._inner.handle_request(forwarded)

    def close(self) -> None:
        self._inner.close()


def _moved(url: httpx.URL, base: httpx.URL) -> httpx.URL:
    """``url`` on ``base``'s scheme, host and port, its path and query as they are.

    ``copy_with`` would parse the whole URL again (a tenth of a re-check's CPU in the
    benchmark); httpx keeps a parsed URL as a named tuple of its parts, so only those three
    are replaced. With another httpx inside, the public way is taken.
    """
    parts = getattr(url, "_uri_reference", None)
    if parts is None or not hasattr(parts, "_replace") or not hasattr(parts, "host"):
        return url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
    moved = httpx.URL.__new__(httpx.URL)
    moved._uri_reference = parts._replace(scheme=base.scheme, host=base.raw_host.decode("ascii"), port=base.port)
    return moved
