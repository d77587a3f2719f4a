"""Sources: where captures come from. A source yields responses and nothing else.

- ``live``: the sites themselves, politely (the ``Fetcher``);
- ``wayback``: a web archive's CDX API and playback (the Wayback Machine, any pywb);
- ``warc``: WARC, ARC and WACZ files written by any crawler;
- ``http``: the one way onto the wire for every service (client, User-Agent, backoff,
  per-host gates, stops), used by ``live``, ``wayback`` and the witness client.

Every source hands its responses to ``read.response``, so a redirect, a 404 or
a takedown means the same whichever door a page came in by.
"""
