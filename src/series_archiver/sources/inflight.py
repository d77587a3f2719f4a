"""A request that a ``stop`` event abandons within a fraction of a second, and never sends once it is set.

Why this is not simply a timeout: a blocking httpx request cannot be cancelled from
outside, and a read timeout, once it fires, ends the request (it cannot be resumed),
so slicing the timeout would cut slow but honest answers. Instead the request's
socket is shut down from another thread, which wakes a ``recv()`` blocked on it at
once, and the request ends with an error that the stop turns into ``PassInterrupted``.

That needs the socket to be known before anything blocks on it:

* On a connection kept alive from an earlier request (most requests of a pass), it is:
  every socket a stop's requests connect is kept (``_Sockets``), and a stop cuts them
  all. So such a request runs in its caller's thread, and one watcher thread for the
  whole process (``_Watcher``) cuts it once its stop is set.
* A new connection blocks in name resolution and ``connect()``, which no shutdown
  wakes. Just before it is opened (httpcore's ``connect_tcp.started``: nothing sent
  yet) the request is given up and sent again from a helper thread that the caller
  stops waiting for when the stop comes; the abandoned thread ends at the connect's
  own timeout, its outcome dropped.

Before this, every request ran in a new thread whenever a stop was given (the CLI and
the daemon always give one): ~0.25 ms of CPU and of waiting per request, as much as a
304 costs in httpx itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from series_archiver.errors import PassInterrupted

__all__ = ["InFlight", "interruptible", "STOP_POLL_SECONDS"]

T = TypeVar("T")

# How often a request in flight has its stop looked at.
STOP_POLL_SECONDS = 0.1
# What a request the stop let go of ends with, whichever thread it ran in.
_ABANDONED = "stop requested while the request was in flight; it was abandoned"


class InFlight:
    """One request on its way: kept from being sent once ``stop`` is set, and cut when abandoned.

    Pass ``extensions`` to the httpx request: httpcore's ``trace`` hook checks the stop
    just before the request headers go out, and keeps each socket connected, which
    ``cut`` shuts down so a read blocked on it ends at once (``holds`` adds the socket
    the response came on, however it was connected).
    """

    def __init__(self, stop: threading.Event | None, *, inline: bool = False) -> None:
        self.stop = stop
        self.inline = inline  # running in the caller's thread: a new connection is opened elsewhere
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._cut = False

    @property
    def extensions(self) -> dict[str, Any]:
        return {} if self.stop is None else {"trace": self._trace}

    @property
    def was_cut(self) -> bool:
        with self._lock:
            return self._cut

    def check(self, when: str) -> None:
        """Raise ``PassInterrupted`` if the stop was asked for (between two chunks of a body, say)."""
        if self.stop is not None and self.stop.is_set():
            raise PassInterrupted(f"stop requested {when}")

    def holds(self, response: httpx.Response) -> None:
        """The response's connection (httpx's ``network_stream`` extension) is the one to cut."""
        self._keep(response.extensions.get("network_stream"))

    def cut(self) -> None:
        """Shut down this request's socket, and every other its stop's requests connected."""
        with self._lock:
            self._cut = True
            sock = self._socket
        if sock is not None:
            _shutdown(sock)
        if self.stop is not None:
            _SOCKETS.cut(self.stop)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith((".connect_tcp.started", ".connect_unix_socket.started")) and self.inline:
            raise _NewConnection
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            self._keep(info.get("return_value"))
        elif event.endswith(".send_request_headers.started"):
            self.check("before the request was sent")

    def _keep(self, stream: Any) -> None:
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._socket = sock
            cut = self._cut
        if self.stop is not None:
            _SOCKETS.add(self.stop, sock)
        if cut:
            _shutdown(sock)


class _NewConnection(Exception):
    """Raised from the trace hook of a request in its caller's thread, just before a connection is opened."""


def interruptible(stop: threading.Event | None, send: Callable[[InFlight], T], *, name: str = "request") -> T:
    """``send(request)``, or ``PassInterrupted`` within ~``STOP_POLL_SECONDS`` once ``stop`` is set.

    Without a stop, ``send`` runs here. With one, it runs here too while it reuses a
    connection (the watcher cuts it); one that needs a new connection is sent from a
    daemon thread named ``name`` instead, which this one stops waiting for at the stop.
    A request answered before its stop was seen is as good as any.
    """
    if stop is None:
        return send(InFlight(None))
    inline = InFlight(stop, inline=True)
    inline.check("before the request was sent")
    _WATCHER.watch(inline)
    try:
        result = send(inline)
    except _NewConnection:
        pass  # given up before anything was sent: sent again below
    except PassInterrupted:
        raise
    except BaseException as exc:
        if inline.was_cut or stop.is_set():
            raise PassInterrupted(_ABANDONED) from exc
        raise
    else:
        if inline.was_cut:
            # Cut while its body was read: what came is not the site's whole answer.
            raise PassInterrupted(_ABANDONED)
        return result
    finally:
        _WATCHER.forget(inline)
    return _in_helper(stop, send, name)


def _in_helper(stop: threading.Event, send: Callable[[InFlight], T], name: str) -> T:
    request = InFlight(stop)
    request.check("before the request was sent")
    result: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(send(request))
        except BaseException as exc:  # the caller's to raise, or dropped with an abandoned request
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    while not done.wait(STOP_POLL_SECONDS):
        if stop.is_set():
            request.cut()
            done.wait(STOP_POLL_SECONDS)  # a cut read ends at once: let its thread finish
            # Whatever it ends with (a body cut short reads as a broken one) is not the site's answer.
            cause = failure[0] if failure else None
            if isinstance(cause, PassInterrupted):
                raise cause
            raise PassInterrupted(_ABANDONED) from cause
    if failure:
        raise failure[0]
    return result[0]


class _Sockets:
    """Every socket the requests of a stop have connected, while it is open: what a stop cuts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_stop: weakref.WeakKeyDictionary[threading.Event, weakref.WeakSet[socket.socket]] = weakref.WeakKeyDictionary()

    def add(self, stop: threading.Event, sock: socket.socket) -> None:
        with self._lock:
            self._by_stop.setdefault(stop, weakref.WeakSet()).add(sock)

    def cut(self, stop: threading.Event) -> None:
        with self._lock:
            found = self._by_stop.get(stop)
            socks = list(found) if found is not None else []
        for sock in socks:
            _shutdown(sock)


class _Watcher:
    """One thread for the process that cuts the requests running in their callers' threads once their stop is set.

    It sleeps on a condition while none is in flight; while some are, it waits on the stop of one of
    them (a pass has one) and looks at all of them at least every ``STOP_POLL_SECONDS``.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._requests: dict[InFlight, None] = {}
        self._thread: threading.Thread | None = None

    def watch(self, request: InFlight) -> None:
        with self._changed:
            self._requests[request] = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="stop-watcher", daemon=True)
                self._thread.start()
            if len(self._requests) == 1:
                self._changed.notify()

    def forget(self, request: InFlight) -> None:
        with self._changed:
            self._requests.pop(request, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._requests:
                    self._changed.wait()
                stopped = [r for r in self._requests if r.stop is not None and r.stop.is_set()]
                for r in stopped:
                    del self._requests[r]
                # A pass has one stop: waiting on it wakes this thread the moment it is set.
                some = next((r.stop for r in self._requests if r.stop is not None), None)
            for r in stopped:
                r.cut()
            if some is not None:
                some.wait(STOP_POLL_SECONDS)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket's shutdown, even on a TLS socket: it wakes a recv() blocked in another
    # thread, where close() would not, and leaves the TLS object to the thread that owns it.
    with contextlib.suppress(OSError):  # already closed: nothing left to wake
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_SOCKETS = _Sockets()
_WATCHER = _Watcher()
