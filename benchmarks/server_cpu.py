"""CPU seconds a local PostgreSQL server spends on one benchmark's connections.

The server runs on the same two cores as the connector, so its work per record sets
the wall-clock pace as much as the connector's own. Each of the benchmark's
connections carries an application name of its own; a thread reads the CPU time of
the server processes serving that name from /proc while the pass runs (a connection
the pool closes mid-pass keeps the last figure read, up to `EVERY` seconds short).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa

EVERY = 0.2


class ServerCpu:
    """The summed CPU seconds of the server processes whose application name is `name`."""

    def __init__(self, engine: sa.Engine, name: str):
        self.engine, self.name = engine, name
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.available = Path("/proc/self/stat").exists()

    def __enter__(self) -> ServerCpu:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.available:
            self._stop.set()
            self._thread.join()
            self._read()

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())

    def _poll(self) -> None:
        while not self._stop.wait(EVERY):
            self._read()

    def _read(self) -> None:
        query = sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
        with self.engine.connect() as connection:
            pids = connection.execute(query, {"name": self.name}).scalars().all()
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # the connection closed meanwhile
            # utime and stime, the 14th and 15th fields (counted from 1, after the name).
            self._seen[pid] = (int(fields[11]) + int(fields[12])) / ticks
