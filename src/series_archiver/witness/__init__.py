"""Witness captures: each new version, removal and return asked of the Internet Archive's Save Page Now 2.

A capture made by a third party is evidence no one can say this archive
forged. The pipeline queues one per committed event (``policy.witness_requests``,
in the event's own transaction); ``worker.WitnessWorker`` works the queue
after each pass within a small budget; ``client.SpnClient`` speaks the protocol.

- ``policy``: what to witness, what is transient, backoff, the rate limit (pure).
- ``client``: ``POST /save``, ``GET /save/status/<job>``, ``GET /save/status/user``.
- ``worker``: one pass over the queue, every request in the fetch log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from series_archiver.decide.witness import WitnessRequest, witness_requests

if TYPE_CHECKING:
    from series_archiver.witness.worker import WitnessReport, WitnessWorker

__all__ = ["WitnessReport", "WitnessRequest", "WitnessWorker", "witness_requests"]


def __getattr__(name: str) -> object:
    # The worker (httpx, the archive) is loaded only by those who work the queue.
    if name in ("WitnessReport", "WitnessWorker"):
        from series_archiver.witness import worker

        return getattr(worker, name)
    raise AttributeError(name)
