"""Schema changes on live tables: add a column, widen a column's type.

PostgreSQL alters a column's type in place. SQLite cannot, so a widened SQLite
table is rebuilt under its own name inside the caller's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import quoted_name

from crm_assets.core import schema


def _run(connection: Connection, statement: str) -> None:
    # Straight to the driver with no parameters: a quoted identifier may hold `:`,
    # `%` or `?`, which text() or a paramstyle would take for placeholders.
    connection.exec_driver_sql(statement)


def add_column(connection: Connection, table: str, column: str, kind: str) -> None:
    quote = connection.dialect.identifier_preparer.quote_identifier
    sql_type = schema.SQL_TYPES[kind].compile(dialect=connection.dialect)
    _run(connection, f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} {sql_type}")


def widen_columns(
    connection: Connection, table: str, current: dict[str, str], widened: dict[str, str]
) -> None:
    """Change the types of `widened` columns; `current` is the table's full column map."""
    quote = connection.dialect.identifier_preparer.quote_identifier
    if connection.dialect.name == "postgresql":
        for column, kind in widened.items():
            sql_type = schema.SQL_TYPES[kind].compile(dialect=connection.dialect)
            _run(
                connection,
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                f"TYPE {sql_type} USING {quote(column)}::{sql_type}",
            )
        return
    _rebuild_sqlite(connection, table, {**current, **widened}, widened)


def _rebuild_sqlite(
    connection: Connection, table: str, columns: dict[str, str], widened: dict[str, str]
) -> None:
    quote = connection.dialect.identifier_preparer.quote_identifier
    inspector = sa.inspect(connection)
    primary_key = inspector.get_pk_constraint(table)["constrained_columns"]
    temporary = f"{table}__widening"
    replacement = sa.Table(
        quoted_name(temporary, True),
        sa.MetaData(),
        *[
            sa.Column(
                quoted_name(name, True),
                schema.SQL_TYPES[kind],
                key=f"c{index}",
                primary_key=name in primary_key,
            )
            for index, (name, kind) in enumerate(columns.items())
        ],
    )
    replacement.create(connection)
    selected = ", ".join(
        f"CAST({quote(c)} AS TEXT)" if c in widened and widened[c] == schema.TEXT else quote(c)
        for c in columns
    )
    names = ", ".join(quote(c) for c in columns)
    _run(
        connection,
        f"INSERT INTO {quote(temporary)} ({names}) SELECT {selected} FROM {quote(table)}",  # noqa: S608 (every name quoted)
    )
    _run(connection, f"DROP TABLE {quote(table)}")
    _run(connection, f"ALTER TABLE {quote(temporary)} RENAME TO {quote(table)}")
