"""What the tests share, so that no test module imports another.

- ``paths``: the repository, the seed beside it, the 0.1.0 fixture archive, the offline launcher.
- ``crawl``: ``Crawler``, real passes against one replica into one archive (the ``crawler`` fixture's).
- ``cli``: ``series-archiver`` as a real process against a replica, and a replica that answers slowly.
- ``db``: an archive read from outside (read-only connections), and what a sound archive is.
- ``warcs``: WARC files written as other tools write them (warcio, Debian's wget).
- ``daemon``: a daemon's config file and its lock.
- ``browse``: the archive the browse tests read, and Datasette's own client.
- ``scripted``: a scripted HTTP site on 127.0.0.1 and a fake clock, for the Fetcher's tests.
- ``offline``: a launcher that refuses any network beyond 127.0.0.0/8 (run as a script).

Fixtures stay in the ``conftest.py`` files, where pytest finds them without an import.
"""
