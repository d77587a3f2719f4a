"""Reading the archive in Datasette: the server, the plugin, metadata and views.

This package is the Datasette plugin (entry point ``series_archiver`` in the
``datasette`` group), so installing series-archiver makes plain
``datasette archive/series.db`` show what ``series-archiver browse`` shows.
Its hooks live in ``plugin.py``; ``static/`` is served by Datasette at
``/-/static-plugins/series-archiver/``.
"""

from series_archiver.browse.plugin import (
    canned_queries,
    extra_css_urls,
    extra_template_vars,
    get_metadata,
    prepare_connection,
    register_routes,
    render_cell,
)

__all__ = [
    "canned_queries",
    "extra_css_urls",
    "extra_template_vars",
    "get_metadata",
    "prepare_connection",
    "register_routes",
    "render_cell",
]
