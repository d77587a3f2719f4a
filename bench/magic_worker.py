"""magic-html in a process of its own, for bench/extraction.py: it needs Python >= 3.12, the archiver 3.11.

    <python3.12> bench/magic_worker.py      # a JSON object a line on stdin: {"html": ..., "url": ...}

Answers a JSON line per page: ``{"text": ..., "cpu": seconds}``, the CPU being this process's time for
that page's extraction alone, so the figure is comparable with the in-process peers'. Started once;
the benchmark sends it each page in its turn, interleaved with the other extractors.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from importlib.metadata import version


def main() -> int:
    import lxml.html
    from magic_html import GeneralExtractor

    extractor = GeneralExtractor()
    print(json.dumps({"ready": True, "version": version("magic-html"), "python": platform.python_version()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        t0 = time.process_time()
        try:
            found = extractor.extract(request["html"], base_url=request["url"]).get("html") or ""
            text = str(lxml.html.fromstring(found).text_content()) if found.strip() else ""
        except Exception:  # magic-html raises on pages it cannot read: that is an empty result
            text = ""
        cpu = time.process_time() - t0
        print(json.dumps({"text": text, "cpu": cpu}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
