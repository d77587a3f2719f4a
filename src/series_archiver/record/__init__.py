"""Recording: the one writer. A reading and a decision in, one transaction out, whatever the source.

- ``writer``: the ``Recorder``, through which every source's readings reach the archive;
- ``older``: where a page captured before its article's last check goes in its history.
"""

from series_archiver.record.writer import Recorder

__all__ = ["Recorder"]
