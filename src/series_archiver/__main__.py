"""``python -m series_archiver`` is the same as the ``series-archiver`` command."""

from .entry import main

main()
