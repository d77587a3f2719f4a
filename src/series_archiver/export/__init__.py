"""Exports for other tools: WARC 1.1 and JSON Lines."""

from .warc import JsonlExport, WarcExport, export_jsonl, export_warc

__all__ = ["JsonlExport", "WarcExport", "export_jsonl", "export_warc"]
