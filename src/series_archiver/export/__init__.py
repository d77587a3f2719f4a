"""Exports for other tools: WARC 1.1 (``warc``), WACZ 1.1.1 (``wacz``: the WARC packaged) and JSON Lines (``jsonl``).

All read the archive the same way (``snapshot``: one read transaction, the
``--series`` and ``--since`` filters, a ``.part`` file renamed when complete,
and the payload check that ``verify`` runs too).
"""

from series_archiver.export.jsonl import JsonlExport, export_jsonl
from series_archiver.export.snapshot import parse_since
from series_archiver.export.wacz import WaczExport, export_wacz
from series_archiver.export.warc import WarcExport, export_warc

__all__ = ["JsonlExport", "WaczExport", "WarcExport", "export_jsonl", "export_wacz", "export_warc", "parse_since"]
