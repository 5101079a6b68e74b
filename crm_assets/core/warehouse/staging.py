"""A batch of rows in a temporary table, loaded through the driver's bulk path.

The table writer compares a batch with the stored rows and upserts it inside the
database, set against set, instead of reading stored rows back into Python. The
batch gets there by the fastest path each driver has: a binary `COPY ... FROM STDIN`
on PostgreSQL (psycopg 3, `copy_rows`), and on SQLite INSERTs of `ROWS_PER_INSERT` rows each. An
`executemany` costs as much alone, but hands the GIL over at every row: with streams
writing and reading in other threads, each row then waits for it to come back
(BENCHMARKS.md, "What changed in the write path").

A staging table has its table's column types, so values compare exactly as they
are stored, and columns named by their keys (c0, c1, ...), so no field name ever
reaches its SQL. It lives on the writer's connection only and holds one batch.
"""

from __future__ import annotations

import collections
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

# Rows per SQLite INSERT: the GIL changes hands once per statement rather than once per
# row, and each distinct statement (its row count) stays small in the driver's cache of
# prepared statements. At SQLite's parameter limit instead (about a thousand rows of
# a source's records), the cached statements took 60 MB more peak memory in the
# local-pipeline benchmark, for no clear gain.
ROWS_PER_INSERT = 50


class Staging:
    """The temporary twin of `like` (same column keys and types, no constraints)."""

    def __init__(self, connection: Connection, like: sa.Table, name: str):
        self.connection = connection
        self.dialect = connection.dialect
        self.table = sa.Table(
            name,
            sa.MetaData(),
            *[sa.Column(c.key, c.type, key=c.key) for c in like.columns],
            prefixes=["TEMPORARY"],
            # PostgreSQL empties it at each commit by truncation, which leaves no dead
            # rows behind (no autovacuum ever visits a temporary table).
            postgresql_on_commit="DELETE ROWS",
        )
        self.table.drop(connection, checkfirst=True)
        self.table.create(connection)

    def load(self, keys: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
        """Replace the staging table's rows by the batch: `columns` holds the values of
        each of `keys`, in order, one value per row."""
        if self.dialect.name == "postgresql":
            copy_rows(self.connection, self.table, keys, columns)
            return
        target = self.dialect.identifier_preparer.quote(self.table.name)
        self.connection.exec_driver_sql(f"DELETE FROM {target}")  # noqa: S608 (a name we made)
        collections.deque(insert_rows(self.connection, self.table, keys, columns), maxlen=0)


def insert_rows(
    connection: Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[Sequence[Any]]
) -> Iterator[int]:
    """Insert rows into `table` on SQLite by INSERTs of up to `ROWS_PER_INSERT` rows,
    yielding how many each inserted; `columns` as for `copy_rows`.

    Timestamps and dates are stored as SQLAlchemy's text form of them, so these rows
    compare equal to rows SQLAlchemy wrote. A statement that fails (a key already
    stored) raises there, leaving the transaction and the statements before it in place.
    """
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[k].name) for k in keys)
    target = quote(table.name)
    processors = [_sqlite_text(table.c[k].type) for k in keys]
    values = [
        column if process is None else _each_once(process, column)
        for process, column in zip(processors, columns, strict=True)
    ]
    rows = list(zip(*values, strict=True))
    driver = connection.connection.dbapi_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # 32,766 since 3.32
    per = max(1, min(ROWS_PER_INSERT, limit // len(keys)))
    row = "(" + ", ".join("?" for _ in keys) + ")"
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            statement = f"INSERT INTO {target} ({names}) VALUES {', '.join([row] * len(chunk))}"  # noqa: S608
            cursor.execute(statement, list(itertools.chain.from_iterable(chunk)))
            yield len(chunk)
    finally:
        cursor.close()


def copy_rows(
    connection: Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[Sequence[Any]]
) -> None:
    """Append rows to `table` on PostgreSQL by one binary `COPY ... FROM STDIN`:
    `columns` holds the values of each of the columns keyed `keys`, one value per row,
    each already of its column's type (`batch.stored_values`).

    Binary, with each column's type named up front: psycopg then picks one dumper per
    column rather than one per value, and PostgreSQL parses no text.
    """
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[k].name) for k in keys)
    target = quote(table.name)
    types = [table.c[k].type.compile(dialect=dialect).lower() for k in keys]
    statement = f"COPY {target} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _each_once(process: Callable[[Any], Any], values: Sequence[Any]) -> Iterable[Any]:
    """`process` mapped over `values`, called once per distinct value where values repeat:
    a batch's `_synced_at` is one timestamp, and many timestamp columns are mostly NULL."""
    distinct = dict.fromkeys(values)
    if len(distinct) * 2 > len(values):
        return map(process, values)
    done = {value: process(value) for value in distinct}
    return map(done.__getitem__, values)


def _sqlite_timestamp(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite form of a timestamp ("2026-11-29 16:33:05.000000"), made by
    one C call instead of its per-value formatting. The table writer hands timestamps
    over in UTC (`schema.to_storage`): the offset isoformat appends is cut off, as
    SQLAlchemy leaves it out."""
    return None if value is None else value.isoformat(" ", "microseconds")[:26]


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_text(column_type: Any) -> Callable[[Any], str | None] | None:
    if isinstance(column_type, sa.DateTime):
        return _sqlite_timestamp
    if isinstance(column_type, sa.Date):
        return _sqlite_date
    return None


@dataclass(frozen=True)
class Merge:
    """The statements that merge a loaded staging table into its table.

    `count` answers (rows, rows already stored, stored rows that change, rows newly
    flagged deleted); `changes` is true of a stored row the batch replaces (for
    keeping its version); `upsert` inserts new rows and updates changed ones, leaving
    unchanged rows, and so their `_synced_at`, alone. Columns are named by key.
    """

    count: Any
    changes: Any
    upsert: Any

    @classmethod
    def build(
        cls,
        table: sa.Table,
        staging: sa.Table,
        *,
        key: Sequence[str],
        columns: Sequence[str],
        deleted: str,
        synced_at: str,
        dialect: str,
    ) -> Merge:
        new, old = staging.c, table.c
        matches = sa.and_(*[new[k] == old[k] for k in key])
        compared = [c for c in columns if c not in key and c != synced_at]
        changed = _differs([old[c] for c in compared], [new[c] for c in compared])
        # Each staging row probes its table's key index once per question. A join
        # would let PostgreSQL's planner hash the whole table for every batch.
        count = sa.select(
            sa.func.count(),
            _count_where(sa.exists().where(matches)),
            _count_where(sa.exists().where(matches, changed)),
            _count_where(
                sa.and_(
                    new[deleted].is_(True),
                    ~sa.exists().where(matches, old[deleted].is_(True)),
                )
            ),
        ).select_from(staging)
        insert = conflict_insert(table, dialect)
        # SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT.
        rows = sa.select(*[new[c] for c in columns]).where(sa.true())
        insert = insert.from_select([old[c] for c in columns], rows)
        upsert = insert.on_conflict_do_update(
            index_elements=[old[k] for k in key],
            set_={old[c]: insert.excluded[c] for c in columns if c not in key},
            where=_differs([old[c] for c in compared], [insert.excluded[c] for c in compared]),
        )
        return cls(count=count, changes=sa.exists().where(matches, changed), upsert=upsert)


def _differs(stored: Sequence[Any], staged: Sequence[Any]) -> Any:
    """True where any of `stored` differs from its counterpart in `staged`, NULLs
    included. One row-value comparison, not a chain of ORs: SQLite parses a chain into
    a tree as deep as it is long and refuses one past 1,000 levels (a table of some 500
    columns)."""
    if not stored:
        return sa.false()
    return sa.tuple_(*stored).is_distinct_from(sa.tuple_(*staged))


def conflict_insert(table: sa.Table, dialect: str) -> Any:
    """An INSERT into `table` that takes ON CONFLICT clauses, in `dialect`'s form."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _count_where(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
