"""Tools run as processes that may reach 127.0.0.0/8 only (py-wacz, wget, pywb), and pywb's own venv and server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.paths import OFFLINE, REPO


def require(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        pytest.skip(f"{module} is not installed; `pip install -e '.[test]'` installs it")


PYWB = "pywb>=2.10,<2.11"


def pywb_python() -> str:
    """The Python of pywb's own venv: ``.venv-pywb`` beside the repository's ``.venv``, or ``$SA_PYWB_VENV``.

    pywb is kept out of the project's venv: it requires brotlipy, whose ``brotli``
    package shadows the Brotli that sources/live/body.py decodes with (it has no
    ``Decompressor.process``), so installing the two together breaks the fetcher.
    """
    venv = Path(os.environ.get("SA_PYWB_VENV") or REPO / ".venv-pywb")
    if not (venv / "bin" / "wayback").exists():
        how = f"python3 -m venv {venv} && {venv}/bin/pip install '{PYWB}' (.ci/run does)"
        if os.environ.get("SA_REQUIRE_PYWB"):
            pytest.fail(f"pywb is missing from {venv} but SA_REQUIRE_PYWB is set; {how}")
        pytest.skip(f"pywb is not installed in {venv}; {how}")
    return str(venv / "bin" / "python")


class Offline:
    """Runs tools as processes that may reach 127.0.0.0/8 only, logging any other attempt."""

    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "network-attempts.log"
        # No proxy from the caller's environment: pywb's requests to its own CDX server stay on 127.0.0.1.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SERIES_ARCHIVER_") and not k.lower().endswith("_proxy")}
        self.env["no_proxy"] = "*"
        # tldextract (under surt and pywb) keeps its public suffix list in a cache of its own: here,
        # not in ~/.cache; were it asked, the fetch would be refused and its bundled copy used.
        self.env["TLDEXTRACT_CACHE"] = str(tmp_path / "tldextract-cache")
        self.env["PYTHONUNBUFFERED"] = "1"

    def argv(self, args: tuple[str, ...], python: str | None) -> list[str]:
        return [python or sys.executable, str(OFFLINE), str(self.log), *args]

    def run(self, *args: str, cwd: Path, python: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A tool of this venv (or of the venv of ``python``) run to its end."""
        return subprocess.run(self.argv(args, python), cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self, *args: str, cwd: Path, python: str | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        """A server started; its output goes to a file (a pipe nobody reads would fill and stall it)."""
        out = self.log.with_name(f"{args[0]}.out")
        with out.open("wb") as fh:
            proc = subprocess.Popen(self.argv(args, python), cwd=cwd, env=self.env, stdout=fh, stderr=subprocess.STDOUT)
        return proc, out

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def wayback_server(offline: Offline, root: Path, python: str) -> Iterator[str]:
    """pywb's ``wayback`` on a free 127.0.0.1 port, serving the collections under ``root``; yields its origin."""
    port = free_port()
    proc, out = offline.start("wayback", "-p", str(port), "-b", "127.0.0.1", cwd=root, python=python)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a bound on a start-up that hangs, not a speed check
        with httpx.Client(trust_env=False, timeout=10) as client:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise AssertionError(f"wayback stopped: {out.read_text(errors='replace')}")
                try:
                    client.get(origin + "/")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield origin
    finally:
        proc.terminate()
        proc.wait(timeout=30)
