"""Raw values in their declared types, and nested lists as child rows: what more than
one source's flattening shares.

Values are conformed only when they plainly are of the declared type (an ISO string
for a timestamp, 0/1 for a boolean); anything else is kept as it came, so an
unexpected value widens its column instead of being lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from typing import Any

from crm_assets.core import schema

Record = dict[str, Any]


def parse_time(value: Any, local: tzinfo = UTC) -> Any:
    """UTC datetime for an ISO-8601 string; anything unparseable is kept as it came."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> Any:
    """A date for a `YYYY-MM-DD` string; anything unparseable is kept as it came."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    if len(value) != 10:
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def conform(value: Any, kind: str, local: tzinfo = UTC) -> Any:
    """A raw value in its declared logical type when it plainly is one: an ISO string
    for a timestamp or date, 0/1 for a boolean. Anything else comes back unchanged, so
    an unexpected value widens its column instead of being lost."""
    convert = converter(kind, local)
    return value if convert is None else convert(value)


def converter(kind: str, local: tzinfo = UTC) -> Callable[[Any], Any] | None:
    """What `conform` does to a value of `kind`, or None when it keeps every value as it
    is: chosen once per column, so rows are not conformed one `kind` test at a time.
    Each converter keeps None as None."""
    if kind == schema.TIMESTAMP:
        return parse_time if local is UTC else partial(parse_time, local=local)
    if kind == schema.DATE:
        return parse_date
    if kind == schema.BOOLEAN:
        return _boolean
    return None


def _boolean(value: Any) -> Any:
    return bool(value) if type(value) is int and value in (0, 1) else value


def list_items(key: str, scalar: str = "value") -> Callable[[Record], list[Record]]:
    """A nested list's items as child rows; a scalar item becomes `{scalar: item}`."""

    def extract(record: Record) -> list[Record]:
        return [v if isinstance(v, dict) else {scalar: v} for v in record.get(key) or []]

    return extract
