"""The models' SQL files, rendered for one warehouse dialect.

Models are plain SQL run inside the warehouse; Jinja fills in the few things that
vary: which connections' parts a model unions, their table names (quoted before they
reach a template), and the expressions SQLite and PostgreSQL spell differently.
Identifiers and literals rendered here come from the code or are quoted, never
data: values from settings go in as bind parameters. A connection's name, from the
code location's configuration, is checked to be an identifier wherever it names a
bind parameter, and quoted as a string literal wherever it is a value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.engine import Connection

SQL_FOLDER = Path(__file__).parent / "sql"
CONNECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(SQL_FOLDER),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701 (SQL, not HTML; every value rendered comes from the code)
    keep_trailing_newline=True,
)


def days_between(dialect: str, start: str, end: str) -> str:
    """SQL for the days (fractional) from `start` to `end`: timestamps, dates or ISO text."""
    if dialect == "sqlite":
        return f"(julianday({end}) - julianday({start}))"
    return (
        f"(EXTRACT(EPOCH FROM (CAST({end} AS TIMESTAMPTZ) - CAST({start} AS TIMESTAMPTZ)))"
        " / 86400.0)"
    )


def month(expression: str) -> str:
    """`YYYY-MM` of a date, a timestamp (UTC, see `prepare`) or ISO text, on both dialects."""
    return f"substr(CAST({expression} AS TEXT), 1, 7)"


def day(expression: str) -> str:
    """`YYYY-MM-DD` of a date, a timestamp or ISO text, comparable as text."""
    return f"substr(CAST({expression} AS TEXT), 1, 10)"


def stage_order(alias: str, *, descending: bool = False) -> str:
    """ORDER BY terms for a pipeline's stages: by position, then id, stages without a
    position last (SQLite and PostgreSQL put NULL at opposite ends unless told)."""
    if descending:
        return (
            f"CASE WHEN {alias}.stage_position IS NULL THEN 1 ELSE 0 END DESC, "
            f"{alias}.stage_position DESC, {alias}.stage_id DESC"
        )
    return (
        f"CASE WHEN {alias}.stage_position IS NULL THEN 1 ELSE 0 END, "
        f"{alias}.stage_position, {alias}.stage_id"
    )


def same(left: str, right: str) -> str:
    """Equality that holds between two empty values too, on both dialects."""
    return f"COALESCE({left}, '') = COALESCE({right}, '')"


def same_currency(policy: str, quotation: str) -> str:
    """A policy's premium counts in its quotation's currency unless either states
    another."""
    return (
        f"({policy}.currency_id IS NULL OR {quotation}.currency_id IS NULL "
        f"OR {policy}.currency_id = {quotation}.currency_id)"
    )


def connection_name(name: str) -> str:
    """`name`, if it may name a connection: an identifier (letters, digits and
    underscores, not starting with a digit), so it is safe in a bind parameter's name."""
    if not CONNECTION_NAME.fullmatch(name):
        raise ValueError(
            f"Connection name {name!r} is not an identifier (letters, digits and "
            "underscores, not starting with a digit)"
        )
    return name


def literal(text: str) -> str:
    """`text` as a SQL string literal, its quotes doubled, on both dialects."""
    return "'" + text.replace("'", "''") + "'"


def currency_setting(part: dict[str, Any]) -> str:
    """The models' currency setting for a connection, bound as `:currency_<connection>`
    (`ModelSettings.currency_parameters`)."""
    return f"CAST(:currency_{connection_name(part['connection'])} AS TEXT)"


def account_currency(part: dict[str, Any]) -> str:
    """The currency of every deal of a connection with one currency per account (Kommo):
    its synced account's, else the models' setting for the connection. The funnel and
    its check both state it, so both take it from here."""
    setting = currency_setting(part)
    if not part["has"].get("account"):
        return setting
    account = part["tables"]["account"]  # quoted for the dialect by build.Plan
    return (
        f"COALESCE((SELECT MIN(a.currency) FROM {account} AS a WHERE a._deleted = FALSE), "  # noqa: S608
        f"{setting})"
    )


# Words the models' SQL shares: what a deal that cannot be placed is filed under, and
# the states Odoo spells a cancellation or a closed quotation with.
UNKNOWN_STAGE = "(stage unknown)"
CANCELLED = "'cancel', 'cancelled', 'canceled'"
CLOSED_QUOTATION = f"'accepted', 'refused', 'expired', {CANCELLED}"


def render(name: str, dialect: str, **variables: Any) -> str:
    """The SQL file `name` for `dialect` ("sqlite" or "postgresql")."""
    helpers = {
        "days_between": lambda start, end: days_between(dialect, start, end),
        "month": month,
        "day": day,
        "stage_order": stage_order,
        "same": same,
        "same_currency": same_currency,
        "account_currency": account_currency,
        "currency_setting": currency_setting,
        "literal": literal,
        "UNKNOWN_STAGE": UNKNOWN_STAGE,
        "CANCELLED": CANCELLED,
        "CLOSED_QUOTATION": CLOSED_QUOTATION,
    }
    return _environment.get_template(name).render(**helpers, **variables)


def prepare(connection: Connection) -> None:
    """Set up a transaction so timestamps read as UTC text and days count in UTC."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
