"""The register of erased data subjects, and how a sync notices one coming back.

`crm_erasure_log` holds, for every identifier an erasure used (email, CPF, CNPJ), its
HMAC-SHA256 under CRM_PII_KEY, never the value. A vendor that still has the person
sends them again on the next sync; the sync cannot refuse the record (the warehouse
mirrors the source), so it counts and reports the rows instead of hiding them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

REGISTER = "crm_erasure_log"


def register_table() -> sa.Table:
    return sa.Table(
        REGISTER,
        sa.MetaData(),
        sa.Column("identifier_hash", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("rows_touched", sa.Integer, nullable=False),
    )


def registered(connection: Connection) -> set[str]:
    """Hashes of the identifiers erased so far (none when nothing was ever erased)."""
    if not sa.inspect(connection).has_table(REGISTER):
        return set()
    table = register_table()
    return {r[0] for r in connection.execute(sa.select(table.c.identifier_hash))}


class Returning:
    """Counts the rows a sync writes that hold an identifier erased before."""

    def __init__(self, hashes: set[str]):
        self.hashes = hashes

    @classmethod
    def load(cls, engine: sa.Engine) -> Returning:
        with engine.connect() as connection:
            return cls(registered(connection))

    def count(self, guard: Any, rows: Iterable[dict]) -> int:
        """Rows among `rows` (as written through `guard`) naming an erased subject."""
        if not self.hashes:
            return 0
        return sum(1 for row in rows if not self.hashes.isdisjoint(guard.identifiers(row)))
