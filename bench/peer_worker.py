"""A peer of bench/extraction.py in a process of its own, under the Python and packages it needs.

    <python> bench/peer_worker.py magic-html         # Python >= 3.12 with magic-html
    <python> bench/peer_worker.py readability-lxml   # readability-lxml >= 0.9 (it needs chardet < 6,
                                                     # the archiver's test extra chardet >= 6)

A JSON object a line on stdin, ``{"html": ..., "url": ...}``; a JSON line per page back,
``{"text": ..., "cpu": seconds}``, the CPU being this process's time for that page's extraction
alone, so the figure is comparable with the in-process peers'. The first line it prints names the
peer's release and the Python it runs on. Started once; the benchmark sends it each page in its
turn, interleaved with the other extractors. It imports nothing of the archiver.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from importlib.metadata import version


def _magic_html() -> Callable[[str, str], str]:
    import lxml.html
    from magic_html import GeneralExtractor

    extractor = GeneralExtractor()

    def run(html: str, url: str) -> str:
        found = extractor.extract(html, base_url=url).get("html") or ""
        return str(lxml.html.fromstring(found).text_content()) if found.strip() else ""

    return run


def _readability() -> Callable[[str, str], str]:
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> str:
        summary = Document(html, url=url).summary(html_partial=True)
        return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""

    return run


PEERS = {"magic-html": _magic_html, "readability-lxml": _readability}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in PEERS:
        print(f"usage: peer_worker.py {{{','.join(PEERS)}}}", file=sys.stderr)
        return 2
    name = argv[0]
    run = PEERS[name]()
    print(json.dumps({"ready": True, "version": version(name), "python": platform.python_version()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        t0 = time.process_time()
        try:
            text = run(request["html"], request["url"])
        except Exception:  # a peer that raises on a page it cannot read gives an empty result
            text = ""
        cpu = time.process_time() - t0
        print(json.dumps({"text": text, "cpu": cpu}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
