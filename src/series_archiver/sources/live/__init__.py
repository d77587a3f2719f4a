"""The fetch stage: one URL in, one ``FetchedPage`` out, politely and faithfully.

The modules, in the order a request meets them:

- ``client``: the ``Fetcher``, the order of the gates, redirects, the attempt loop;
- ``robots``: robots.txt, read once per origin with protego, and its Crawl-delay;
- ``sources.http`` (shared with the other services): the client, the per-host slot, delay
  and in-flight cap, which failures are retried, the backoff, and what a stop abandons;
- ``exchange``: one GET on the wire and its ``Reply``;
- ``body``: the streamed body, bounded decompression, Content-Length and truncation;
- ``charset``: content type, charset and strict decoding;
- ``attempts``: the attempts of one fetch, and its errors stated for the URL asked.
"""

from series_archiver.sources.live.client import Fetcher

__all__ = ["Fetcher"]
