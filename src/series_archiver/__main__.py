"""``python -m series_archiver`` is the same as the ``series-archiver`` command."""

from .cli import main

main()
