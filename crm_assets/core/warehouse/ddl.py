"""Schema changes on live tables: add a column, widen a column's type.

PostgreSQL alters a column's type in place. SQLite cannot, so a widened SQLite
table is rebuilt under its own name inside the caller's transaction.

A column widened to text holds its old values as the text the writer makes of such
values (`schema.to_storage`): a boolean as `true`/`false`, a timestamp in ISO 8601
with its UTC offset. The same record then compares equal before and after the
widening, and a text column reads the same whichever of its rows came first.
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
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for column, kind in widened.items():
            sql_type = schema.SQL_TYPES[kind].compile(dialect=connection.dialect)
            value = quote(column)
            if kind == schema.TEXT:
                value = _as_text(value, current[column], dialect)
            _run(
                connection,
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                f"TYPE {sql_type} USING ({value})::{sql_type}",
            )
        return
    selected = {
        column: _as_text(quote(column), current[column], dialect)
        for column, kind in widened.items()
        if kind == schema.TEXT
    }
    _rebuild_sqlite(connection, table, {**current, **widened}, selected)


def _as_text(column: str, kind: str, dialect: str) -> str:
    """SQL for the values of `column` (of type `kind`) as `schema.to_storage` writes them
    into a text column. Integers, numbers, dates and text need no more than a cast."""
    if kind == schema.BOOLEAN:
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if kind != schema.TIMESTAMP:
        return f"CAST({column} AS TEXT)"
    # isoformat(): 2026-11-20T18:00:00+00:00, with .ffffff only when there are microseconds.
    if dialect == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        fraction = f"mod(date_part('microseconds', {utc})::bigint, 1000000)"
        micro = f"CASE WHEN {fraction} = 0 THEN '' ELSE to_char({utc}, '.US') END"
        return f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || {micro} || '+00:00'"""
    # SQLite holds the writer's UTC timestamps as text: 2026-11-20 18:00:00.000250.
    whole = f"replace(substr({column}, 1, 19), ' ', 'T')"
    fraction = f"substr({column}, 20)"
    micro = f"CASE WHEN {fraction} IN ('', '.000000') THEN '' ELSE {fraction} END"
    return f"{whole} || {micro} || '+00:00'"


def _rebuild_sqlite(
    connection: Connection, table: str, columns: dict[str, str], selected: dict[str, str]
) -> None:
    """Copy `table` into a new table of `columns`, each column as it is, or as its SQL in
    `selected`, then put the copy in its place."""
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
    values = ", ".join(selected.get(c, quote(c)) for c in columns)
    names = ", ".join(quote(c) for c in columns)
    _run(
        connection,
        f"INSERT INTO {quote(temporary)} ({names}) SELECT {values} FROM {quote(table)}",  # noqa: S608 (every name quoted)
    )
    _run(connection, f"DROP TABLE {quote(table)}")
    _run(connection, f"ALTER TABLE {quote(temporary)} RENAME TO {quote(table)}")
