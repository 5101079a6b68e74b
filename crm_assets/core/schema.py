"""Column types for raw tables: inferred from values, widened when a field changes type.

Every value maps to one of a few logical types. A column keeps the narrowest type
that holds every value it has seen: integer widens to number, and any other
disagreement widens to text, so a later record never fails to load.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

BOOLEAN, INTEGER, NUMBER, TIMESTAMP, TEXT, JSON = (
    "boolean",
    "integer",
    "number",
    "timestamp",
    "text",
    "json",
)
# A calendar day with no time of day or zone (a due date, an expected close date).
DATE = "date"

SQL_TYPES: dict[str, sa.types.TypeEngine] = {
    BOOLEAN: sa.Boolean(),
    INTEGER: sa.BigInteger(),
    NUMBER: sa.Double(),
    TIMESTAMP: sa.DateTime(timezone=True),
    DATE: sa.Date(),
    TEXT: sa.Text(),
    JSON: sa.Text(),
}

# Declared types read back from a live table; anything unrecognised is text.
_REFLECTED = [
    (re.compile(r"BOOL"), BOOLEAN),
    (re.compile(r"INT"), INTEGER),
    (re.compile(r"DOUBLE|FLOAT|REAL|NUMERIC|DECIMAL"), NUMBER),
    (re.compile(r"TIMESTAMP|DATETIME"), TIMESTAMP),
    (re.compile(r"DATE"), DATE),
]


def logical_type(value: Any) -> str | None:
    """The logical type of a Python value; None for null (it decides nothing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, datetime):
        return TIMESTAMP
    if isinstance(value, date):
        return DATE
    if isinstance(value, list | dict | tuple):
        return JSON
    return TEXT


# `logical_type`'s tests in its order: bool before int, datetime before date.
_EXAMPLES = (
    (bool, BOOLEAN),
    (int, INTEGER),
    (float, NUMBER),
    (datetime, TIMESTAMP),
    (date, DATE),
    (list | dict | tuple, JSON),
)


@functools.cache
def type_of(python_type: type) -> str | None:
    """`logical_type` of every value of `python_type`, decided once per Python type, so
    typing a batch costs a set of types per column rather than a call per value."""
    if python_type is type(None):
        return None
    return next((kind for example, kind in _EXAMPLES if issubclass(python_type, example)), TEXT)


def column_type(python_types: Iterable[type]) -> str | None:
    """The storage type of a column holding values of `python_types` (None: only nulls)."""
    kind = None
    for python_type in python_types:
        seen = type_of(python_type)
        kind = widen(kind, seen and storage_type(seen))
    return kind


def converter(column: str, python_types: Iterable[type]) -> Callable[[Any], Any] | None:
    """`to_storage` for a column of type `column` holding values of `python_types`; None
    when every such value is stored as it is, which spares a call per value."""
    types = set(python_types) - {type(None)}
    if column == TEXT and types <= {str}:
        return None
    if column == NUMBER and types <= {float}:
        return None
    return _CONVERTERS.get(column)


def widen(current: str | None, seen: str | None) -> str | None:
    """The narrowest type that holds values of both types."""
    if current is None or current == seen:
        return seen if current is None else current
    if seen is None:
        return current
    if {current, seen} == {INTEGER, NUMBER}:
        return NUMBER
    return TEXT


def storage_type(logical: str) -> str:
    """JSON is stored as text, so two logical types share one storage type."""
    return TEXT if logical == JSON else logical


def reflected_type(sql_type: Any) -> str:
    name = str(sql_type).upper()
    for pattern, logical in _REFLECTED:
        if pattern.search(name):
            return logical
    return TEXT


def to_storage(value: Any, column_type: str) -> Any:
    """Convert a value for a column of `column_type` (after any widening)."""
    if value is None:
        return None
    if column_type == TEXT:
        if isinstance(value, list | dict | tuple):
            return _JSON.encode(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return _utc(value).isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value)
    if column_type == NUMBER:
        return float(value)
    if column_type == TIMESTAMP:
        return _utc(value)
    return value


def comparable(value: Any) -> Any:
    """A form in which a written value and the same value read back compare equal."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    # SQLite hands timestamps back without an offset; they were written in UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Built once: `json.dumps` with any option builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    TEXT: functools.partial(to_storage, column_type=TEXT),
    NUMBER: lambda value: None if value is None else float(value),
    TIMESTAMP: lambda value: None if value is None else _utc(value),
}
