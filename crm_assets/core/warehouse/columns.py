"""The columns of one raw table: safe names, types as the database has them, and
schema evolution.

Each batch's fields decide its columns' types (from the set of Python types each field
holds, widened with the source's declared type). A new field adds a column; a field
with values its column's type cannot hold widens that column (`ddl`); a column is never
dropped. The SQLAlchemy Table the writer's statements are built on is made once per
column set.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import quoted_name

from crm_assets.core import schema
from crm_assets.core.warehouse.ddl import add_column, widen_columns

SYNCED_AT, DELETED = "_synced_at", "_deleted"
# The columns every raw table has besides its fields.
META = {SYNCED_AT: schema.TIMESTAMP, DELETED: schema.BOOLEAN}
# PostgreSQL truncates identifiers past 63 bytes, which could merge two columns.
_MAX_IDENTIFIER_BYTES = 63


class TableColumns:
    """The columns of one table and their types, read from the database when first
    asked for, then kept as this writer changes them.

    The caller owns transactions: `evolve` runs inside the batch's.
    """

    def __init__(
        self,
        connection: Connection,
        table: str,
        primary_key: list[str],
        declared: dict[str, str],
    ):
        self.connection = connection
        self.name = table
        self.primary_key = primary_key
        self.declared = declared
        # Each column's bind key (c0, c1, ...) in the Table object, by column name.
        self.keys: dict[str, str] = {}
        # The column set the Table object was built for.
        self.shape: tuple | None = None
        # Whether `evolve` created the table.
        self.created = False
        self._columns: dict[str, str] | None = None
        self._table: sa.Table | None = None

    def exists(self) -> bool:
        return sa.inspect(self.connection).has_table(self.name)

    def current(self) -> dict[str, str]:
        """Each column's type (a `schema` type name), in the table's order; empty when
        the table does not exist."""
        if self._columns is None:
            self._columns = {}
            if self.exists():
                for column in sa.inspect(self.connection).get_columns(self.name):
                    self._columns[column["name"]] = schema.reflected_type(column["type"])
        return self._columns

    def evolve(self, types: dict[str, set[type]]) -> bool:
        """Create, grow or widen the table to hold fields of `types` (the Python types
        each field's values have); returns whether it created the table.

        Raises ValueError when creating a table whose key has no value in any record.
        """
        current = self.current()
        wanted = {name: schema.column_type(kinds) for name, kinds in types.items()}
        for name, declared in self.declared.items():
            wanted[name] = schema.widen(schema.storage_type(declared), wanted.get(name))
        if not current:
            self._create(wanted)
            return True
        widened = {}
        for name, kind in wanted.items():
            if kind is None:
                continue
            if name not in current:
                add_column(self.connection, self.name, name, kind)
                current[name] = kind
            elif schema.widen(current[name], kind) != current[name]:
                widened[name] = schema.widen(current[name], kind)
        if widened:
            widen_columns(self.connection, self.name, current, widened)
            current.update(widened)
        return False

    def _create(self, wanted: dict[str, str | None]) -> None:
        missing = [k for k in self.primary_key if wanted.get(k) is None]
        if missing:
            raise ValueError(f"{self.name}: primary key {missing} has no value in any record")
        ordered = self.primary_key + [c for c in wanted if c not in self.primary_key]
        columns = {c: wanted[c] for c in ordered if wanted[c] is not None}
        columns.update(META)
        self._columns = columns
        self.table().create(self.connection)
        self.created = True

    def table(self) -> sa.Table:
        """The table as a SQLAlchemy Table of its current columns."""
        # One Table object per column set, so SQLAlchemy's statement cache is hit on
        # every batch instead of compiling each statement again.
        shape = tuple(self.current().items())
        if self.shape != shape:
            self.shape, self._table = shape, self._build_table()
        return self._table

    def _build_table(self) -> sa.Table:
        # Bind parameters are named c0, c1, ... so no field name ever reaches the
        # driver's parameter syntax; the column names themselves are always quoted.
        self.keys = {name: f"c{index}" for index, name in enumerate(self._columns)}
        columns = []
        for index, (name, kind) in enumerate(self._columns.items()):
            columns.append(
                sa.Column(
                    quoted_name(name, True),
                    schema.SQL_TYPES[kind],
                    key=f"c{index}",
                    primary_key=name in self.primary_key,
                    # Keys come from the source: no sequence (SERIAL) behind an integer key.
                    autoincrement=False,
                    nullable=name not in self.primary_key and name != DELETED,
                    server_default=sa.false() if name == DELETED else None,
                )
            )
        return sa.Table(quoted_name(self.name, True), sa.MetaData(), *columns)


@functools.lru_cache(maxsize=4096)
def identifier(name: str) -> str:
    """A name safe to quote on every dialect: no NUL, at most 63 bytes, still unique."""
    name = name.replace("\x00", "")
    if len(name.encode()) <= _MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    head = name.encode()[: _MAX_IDENTIFIER_BYTES - 11].decode(errors="ignore")
    return f"{head}_{digest}"


def with_identifiers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with every field name made a safe identifier (copied only when one changes)."""
    names = set().union(*rows)
    renamed = {name: identifier(name) for name in names if identifier(name) != name}
    if not renamed:
        return rows
    return [{renamed.get(k, k): v for k, v in row.items()} for row in rows]


def temporary_name(prefix: str, table: str) -> str:
    """The name of one of `table`'s temporary tables (`prefix` says which)."""
    # The writers of a sync share one connection, so these must not collide between
    # its tables.
    return f"{prefix}{hashlib.sha1(table.encode()).hexdigest()[:16]}"
