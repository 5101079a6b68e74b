"""Earlier versions of changed rows, kept for a set number of days (opt-in).

When a sync changes a stored row (new values, or a `_deleted` flag), the version it
replaces is copied, in the same transaction, into `<table>__history` with
`_valid_from` (that version's `_synced_at`) and `_valid_to` (the `_synced_at` of the
sync that replaced it). So a table and its history together hold, for every key, a
chain of versions whose windows meet end to end, the live row being the last one.

The history table has every column of its table, added and widened along with it,
keyed by the table's key plus `_valid_from`. Versions whose `_valid_to` is older
than the retention are deleted by the sync (`prune`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import quoted_name

from crm_assets.core import schema
from crm_assets.core.warehouse.ddl import add_column, widen_columns
from crm_assets.core.warehouse.staging import conflict_insert

SUFFIX = "__history"
SYNCED_AT = "_synced_at"
VALID_FROM, VALID_TO = "_valid_from", "_valid_to"
_WINDOW = {VALID_FROM: schema.TIMESTAMP, VALID_TO: schema.TIMESTAMP}


class History:
    """The history table of one table, on the table writer's connection.

    The caller owns transactions: `follow` and `keep_where` run inside the
    transaction that changes the table, so a version is never lost or kept twice.
    """

    def __init__(
        self,
        connection: Connection,
        name: str,
        primary_key: Sequence[str],
        *,
        retention_days: int,
        replaced_at: datetime,
    ):
        self.connection = connection
        self.name = name
        self.primary_key = list(primary_key)
        self.retention = timedelta(days=retention_days)
        self.replaced_at = replaced_at
        self._columns: dict[str, str] | None = None
        self._table_object: sa.Table | None = None

    def follow(self, columns: dict[str, str]) -> None:
        """Create the history table, or add and widen columns to hold every one of `columns`."""
        current = self._current_columns()
        if not current:
            self._columns = {**columns, **_WINDOW}
            self._table_object = None
            self._table().create(self.connection)
            return
        widened = {}
        for name, kind in columns.items():
            if name not in current:
                add_column(self.connection, self.name, name, kind)
                current[name] = kind
                self._table_object = None
            elif schema.widen(current[name], kind) != current[name]:
                widened[name] = schema.widen(current[name], kind)
        if widened:
            widen_columns(self.connection, self.name, current, widened)
            current.update(widened)
            self._table_object = None

    def keep_where(self, source: sa.Table, where: Any, parameters: Any = None) -> None:
        """Store the rows of `source` matching `where`, before the caller changes them."""
        table = self._table()
        names = [c.name for c in source.columns]
        synced_at = source.columns[_key(source, SYNCED_AT)]
        replaced_at = sa.literal(self.replaced_at, schema.SQL_TYPES[schema.TIMESTAMP])
        selected = sa.select(*source.columns, synced_at, replaced_at).where(
            where,
            # A zero-length window: a row this same sync already wrote.
            synced_at != replaced_at,
        )
        target = [table.c[self._key(n)] for n in [*names, VALID_FROM, VALID_TO]]
        statement = self._insert_ignoring_kept(table).from_select(target, selected)
        self.connection.execute(statement, parameters)

    def prune(self) -> int:
        """Delete versions whose `_valid_to` is older than the retention; returns the count."""
        if not sa.inspect(self.connection).has_table(self.name):
            return 0
        table = self._table()
        cutoff = self.replaced_at - self.retention
        statement = sa.delete(table).where(table.c[self._key(VALID_TO)] < cutoff)
        return self.connection.execute(statement).rowcount

    def _insert_ignoring_kept(self, table: sa.Table) -> Any:
        # A re-run that replaces the same version again must not fail or duplicate it.
        return conflict_insert(table, self.connection.dialect.name).on_conflict_do_nothing()

    def _current_columns(self) -> dict[str, str]:
        if self._columns is None:
            self._columns = {}
            inspector = sa.inspect(self.connection)
            if inspector.has_table(self.name):
                for column in inspector.get_columns(self.name):
                    self._columns[column["name"]] = schema.reflected_type(column["type"])
        return self._columns

    def _key(self, name: str) -> str:
        return f"h{list(self._current_columns()).index(name)}"

    def _table(self) -> sa.Table:
        if self._table_object is None:
            key = [*self.primary_key, VALID_FROM]
            columns = [
                sa.Column(
                    quoted_name(name, True),
                    schema.SQL_TYPES[kind],
                    key=f"h{index}",
                    primary_key=name in key,
                )
                for index, (name, kind) in enumerate(self._current_columns().items())
            ]
            self._table_object = sa.Table(quoted_name(self.name, True), sa.MetaData(), *columns)
        return self._table_object


def _key(table: sa.Table, name: str) -> str:
    return next(c.key for c in table.columns if c.name == name)
