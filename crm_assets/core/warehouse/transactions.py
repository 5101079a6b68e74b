"""The transactions of one connection, which the table writers of one sync share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy.engine import Connection


class Transactions:
    """The transactions of one connection, which the writers of one sync share.

    A writer runs each batch in a transaction of its own, unless the caller holds one
    (`held`) around the writes of several writers: then all of them commit together.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        # Counts the transactions begun, so a writer can tell whether rows it staged
        # are still in its staging table (PostgreSQL empties those at each commit).
        self.begun = 0
        self._held = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """One transaction around everything written inside, by every writer sharing it."""
        with self._begin():
            self._held = True
            try:
                yield
            finally:
                self._held = False

    def batch(self) -> Any:
        """A transaction for one batch: the held one, if any, else one of its own."""
        return nullcontext() if self._held else self._begin()

    def _begin(self) -> Any:
        # Inspecting a table autobegins a transaction on the connection; close it so
        # each transaction begun here starts afresh.
        if self.connection.in_transaction():
            self.connection.commit()
        self.begun += 1
        return self.connection.begin()
