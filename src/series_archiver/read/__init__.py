"""Reading: bytes, headers and a URL in, a reading out. Pure: no SQLite, no network.

- ``charset``: is it a web page, and what text does it hold;
- ``response``: one response as a page, a next hop, a removal, a takedown or a block page, for every source;
- ``pagekind``: the page-kind rules: a block page, a soft 404, a takedown;
- ``htmltree``, ``extract``, ``generic``: title, time, byline and blocks off a page;
- ``clean``: the blocks of one or more pages as the article printed;
- ``discovery``: the installments a list page links;
- ``derivation``: which code read a text, and reading stored pages again.
"""
