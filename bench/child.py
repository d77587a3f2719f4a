"""One measured job of the benchmark, in a fresh process: ``python bench/child.py < spec.json``.

The replica runs in the parent (bench/run.py); each crawl or baseline runs
here, alone in its process, so its peak memory is its own and no server thread
competes with it for the interpreter lock. The spec (JSON on stdin) names the
job; the result is one JSON object on the last line of stdout.

Jobs:

* ``crawl``: ``core.crawl`` of the benchmark series into ``db``, through
  ``LoopbackTransport(origins)``; the settings are the packaged defaults with
  the politeness delay set to 0 and ``workers`` threads.
* ``baseline``: what a user would otherwise write: a plain loop of httpx GET and
  ``trafilatura.extract`` over ``urls``, storing nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from series_archiver.demo.loopback import LoopbackTransport


def peak_rss_kb() -> dict[str, int]:
    """Peak resident memory of this process: VmHWM from /proc and ru_maxrss (both KiB on Linux)."""
    hwm = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return {"vm_hwm_kb": hwm, "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


class WireCounter(httpx.BaseTransport):
    """A transport in front of another that counts every response byte the client receives.

    Status line, headers and body as they came over the socket (before gzip is
    undone): what "bytes downloaded" means, where the replica's own count has
    the bodies only.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.bytes = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.bytes += n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        version = response.extensions.get("http_version", b"HTTP/1.1").decode("ascii")
        status_line = f"{version} {response.status_code} {response.reason_phrase}\r\n"
        self.add(len(status_line.encode("latin-1")) + sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2)
        response.stream = _Counted(response.stream, self.add)  # type: ignore[arg-type]
        return response

    def close(self) -> None:
        self.inner.close()


class _Counted(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, add: Callable[[int], None]) -> None:
        self.inner = inner
        self.add = add

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.add(len(chunk))
            yield chunk

    def close(self) -> None:
        self.inner.close()


def transport(origins: dict[str, str]) -> tuple[LoopbackTransport, WireCounter]:
    """LoopbackTransport to the replica, with the wire counted."""
    wire = WireCounter(httpx.HTTPTransport())
    return LoopbackTransport(origins, inner=wire), wire


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def crawl(spec: dict[str, Any]) -> dict[str, Any]:
    from series_archiver.jobs import core
    from series_archiver.settings import load_settings

    workers = int(spec["workers"])
    settings = load_settings(db=Path(spec["db"]))
    base = settings.series[0]
    # The synthetic site has no mirror: without this every installment would
    # also be tried (and 404) on the mirror hosts.
    no_mirrors = {f.name: () for f in dataclasses.fields(base) if f.name in ("mirror_hosts", "mirrors")}
    series = dataclasses.replace(
        base,
        name=spec["series"],
        pattern=spec["pattern"],
        start_urls=(spec["start_url"],),
        max_pages=int(spec["max_pages"]),
        urls=(),
        **no_mirrors,
    )
    settings = settings.replace(
        series=(series,),
        fetch__delay_seconds=0.0,
        fetch__workers=workers,
        fetch__max_in_flight_per_host=workers,
        fetch__retries=1,
        fetch__backoff_base_seconds=0.1,
        fetch__timeout_seconds=30.0,
    )
    loopback, wire = transport(spec["origins"])
    before = peak_rss_kb()
    profilers = _profile_threads() if spec.get("profile") else None
    started, cpu = time.perf_counter(), cpu_seconds()
    # A stop event, never set, as the CLI and the daemon always pass one: a request's way of being
    # abandoned on a stop is part of what a user's crawl costs.
    result = core.crawl(settings, transport=loopback, stop=threading.Event())
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if profilers is not None:
        import pstats

        main, workers = profilers
        main.disable()
        stats = pstats.Stats(main)
        for worker in workers.values():
            stats.add(worker)
        stats.dump_stats(spec["profile"])
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "wire_bytes": wire.bytes,
        "counts": result.counts.as_dict(),
        "failures": result.counts.failures[:5],
        "rss_before_crawl": before,
        "rss": peak_rss_kb(),
    }


def _profile_threads() -> tuple[Any, dict[int, Any]]:
    """cProfile of the calling thread and of each fetch worker (one cProfile sees one thread only)."""
    import cProfile
    import threading

    from series_archiver.jobs.crawl import Crawler

    workers: dict[int, cProfile.Profile] = {}
    original = Crawler._read
    # BENCH_PROFILE_CPU=1: each thread's CPU time instead of its wall time (waits then cost nothing).
    timer = time.thread_time if os.environ.get("BENCH_PROFILE_CPU") else time.perf_counter

    def profiled_work(self: Crawler, *args: Any, **kwargs: Any) -> Any:
        profiler = workers.setdefault(threading.get_ident(), cProfile.Profile(timer))
        profiler.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profiler.disable()

    Crawler._read = profiled_work  # type: ignore[method-assign]
    main = cProfile.Profile(timer)
    main.enable()
    return main, workers


def baseline(spec: dict[str, Any]) -> dict[str, Any]:
    import trafilatura

    urls: list[str] = spec["urls"]
    chars = empty = 0
    loopback, wire = transport(spec["origins"])
    with httpx.Client(transport=loopback, timeout=30.0) as client:
        trafilatura.extract("<html><body><p>warm up the imports and caches</p></body></html>")
        started, cpu = time.perf_counter(), cpu_seconds()
        for url in urls:
            response = client.get(url)
            response.raise_for_status()
            text = trafilatura.extract(response.text, url=url)
            if text:
                chars += len(text)
            else:
                empty += 1
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "wire_bytes": wire.bytes, "pages": len(urls), "chars": chars, "empty": empty, "rss": peak_rss_kb()}


JOBS = {"crawl": crawl, "baseline": baseline}


def main() -> None:
    spec = json.loads(sys.stdin.read())
    result = JOBS[spec["job"]](spec)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
