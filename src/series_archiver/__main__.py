"""``python -m series_archiver`` is the same as the ``series-archiver`` command."""

from series_archiver.entry import main

main()
