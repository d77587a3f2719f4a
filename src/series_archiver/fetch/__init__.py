"""The fetch stage: one URL in, one ``FetchedPage`` out, politely and faithfully."""

from .client import MAX_REDIRECTS, Fetcher

__all__ = ["MAX_REDIRECTS", "Fetcher"]
