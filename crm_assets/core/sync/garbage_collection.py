"""Fewer passes of Python's cyclic garbage collector while streams sync.

A page decodes into thousands of dicts and lists, every one tracked by the cyclic
collector, and freed by reference counting once the page is written: none of them is
ever cyclic garbage. At the default threshold (a pass every 700 net new containers)
the collector still runs several times per page, each pass walking every young
object, and now and then a full pass over everything Dagster has loaded: about a
fifth of the local pipeline's CPU (BENCHMARKS.md: about 1,200 passes and 2 s of CPU
in a sync of 106,728 records; for a source whose records each bring about 14 custom
field rows, 2,758 passes, 89 at a threshold of 10,000 and 4 at the one below).

While any stream syncs, the first threshold is raised to `SYNC_THRESHOLD`: a pass
comes once that many more containers were made than freed, tens of pages' worth,
so the real cycles that SQLAlchemy, requests and Dagster make are still collected,
a few megabytes later at most (peak memory did not move). The setting is the process's, so syncs in several threads share it: the
first to start raises it and the last to end puts back what it found. A process
that turned automatic collection off (threshold 0) is left as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_THRESHOLD = 50_000


class _Pacing:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._syncing = 0
        self._saved: tuple[int, ...] = ()

    @contextmanager
    def while_syncing(self) -> Iterator[None]:
        with self._lock:
            if self._syncing == 0:
                self._saved = gc.get_threshold()
                first, *rest = self._saved
                if first:
                    gc.set_threshold(max(first, SYNC_THRESHOLD), *rest)
            self._syncing += 1
        try:
            yield
        finally:
            with self._lock:
                self._syncing -= 1
                if self._syncing == 0:
                    gc.set_threshold(*self._saved)


fewer_collections = _Pacing().while_syncing
