"""Run a console script (``wacz``, ``wayback``, ``wb-manager``, ``series-archiver``) that may use only 127.0.0.0/8.

    python tests/support/offline.py LOG SCRIPT [ARG...]
    python tests/support/offline.py LOG -m MODULE [ARG...]

Tools from elsewhere can reach for the network on their own: tldextract (used
by surt and pywb) fetches the public suffix list when it is first asked,
frictionless may fetch a profile, pywb queries its own CDX server over HTTP.
An audit hook sees every connect, sendto and name lookup the process makes,
in every thread and under gevent's sockets too (the C socket module raises
the events). One aimed beyond 127.0.0.0/8 (or ::1) is refused before any
packet leaves, and written to LOG, one line each: a test then asserts that
LOG is empty, so a tool that tried is caught even when it falls back quietly.
"""

from __future__ import annotations

import ipaddress
import runpy
import socket
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _is_numeric(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host.decode() if isinstance(host, bytes) else host).split("%", 1)[0])
    except ValueError:
        return False
    return True


def install(log_path: str) -> None:
    """Refuse and log every use of the network beyond loopback from now on, in this process."""

    def refuse(what: str) -> None:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(what + "\n")
        raise ConnectionRefusedError(f"offline.py: {what} refused (only 127.0.0.0/8 may be reached)")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in ("socket.connect", "socket.sendto"):
            sock, address = args[0], args[-1]
            if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                refuse(f"{event} {address!r}")
        elif event == "socket.getaddrinfo":
            host = args[0]
            # A number is no lookup (no traffic); a name other than localhost asks a resolver.
            if host not in (None, "", b"") and not _is_numeric(host) and not _is_loopback(host):
                refuse(f"{event} {host!r}")
        elif (
            event in ("socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")
            and not _is_numeric(args[0])
            and not _is_loopback(args[0])
        ):
            refuse(f"{event} {args[0]!r}")

    sys.addaudithook(hook)


def main() -> None:
    log_path, script, *argv = sys.argv[1:]
    # The tool runs as if started itself: tests/ (this file's folder) is no place to import from.
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    install(log_path)
    if script == "-m":
        module, *argv = argv
        sys.argv = [module, *argv]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    (entry,) = entry_points(group="console_scripts", name=script)
    sys.argv = [script, *argv]
    sys.exit(entry.load()())


if __name__ == "__main__":
    main()
