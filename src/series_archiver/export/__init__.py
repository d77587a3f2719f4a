"""Exports for other tools: WARC 1.1 (``warc``) and JSON Lines (``jsonl``).

Both read the archive the same way (``snapshot``: one read transaction, the
``--series`` and ``--since`` filters, a ``.part`` file renamed when complete,
and the payload check that ``verify`` runs too).
"""

from .jsonl import JsonlExport, export_jsonl
from .snapshot import parse_since
from .warc import WarcExport, export_warc

__all__ = ["JsonlExport", "WarcExport", "export_jsonl", "export_warc", "parse_since"]
