"""What a client did (requests, retries, waits, 429s, bytes), counted for the whole
client and, apart, for each piece of work that asks, such as one stream of a run.

Work is told apart by its context (`contextvars`), not by its thread: a run's threads
serve every stream, and each task runs in a copy of the context of the stream that
handed it over, so the requests a stream's pages cost are counted as that stream's
whichever thread sends them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType


@dataclass
class ClientStats:
    """What a client, or one piece of work on it, did: requests sent, retries, seconds
    spent waiting, 429s met and bytes read."""

    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    # 429 answers received (each one retried or final).
    throttled: int = 0
    # Body bytes of every answer read, as sent (compressed, where the vendor compresses).
    bytes_received: int = 0


# The counts open in this context, by the tally that opened each.
_apart: ContextVar[Mapping[Tally, ClientStats]] = ContextVar(
    "crm_assets_http_counted_apart", default=MappingProxyType({})
)


class Tally:
    """One client's counts: `total`, and those of each context that asked (`apart`)."""

    def __init__(self) -> None:
        self.total = ClientStats()
        self._lock = threading.Lock()

    @contextmanager
    def apart(self) -> Iterator[ClientStats]:
        """Count what is sent within this block, and by tasks run in copies of its
        context, in the stats yielded as well as in `total`."""
        stats = ClientStats()
        token = _apart.set(MappingProxyType({**_apart.get(), self: stats}))
        try:
            yield stats
        finally:
            _apart.reset(token)

    def add(self, **amounts: float) -> None:
        """Add `amounts` (by field name) to the total and to this context's stats."""
        own = _apart.get().get(self)
        with self._lock:
            for stats in (self.total,) if own is None else (self.total, own):
                for name, amount in amounts.items():
                    setattr(stats, name, getattr(stats, name) + amount)
