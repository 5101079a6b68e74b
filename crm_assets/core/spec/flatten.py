"""Flattening vendor records into columns, declared as data.

A stream lists its columns as `Field`s: a plain copy, a reference object spread
into `<prefix>_id` / `<prefix>_nome` style columns, a JSON-kept value, or a
timestamp parsed to UTC. Keys of the record that no field consumed pass through
unchanged, so a field the vendor adds later still reaches the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from typing import Any

from crm_assets.core import schema

Record = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One or more output columns computed from one or more raw keys."""

    columns: dict[str, str]
    raw_keys: tuple[str, ...]
    extract: Callable[[Record], Record]


def copy(name: str, kind: str, *, source: str | None = None) -> Field:
    key = source or name
    return Field({name: kind}, (key,), lambda r: {name: r.get(key)})


def first_of(name: str, kind: str, *sources: str) -> Field:
    """The first key present: for vendors that spell one field two ways."""

    def extract(record: Record) -> Record:
        for key in sources:
            if record.get(key) is not None:
                return {name: record[key]}
        return {name: None}

    return Field({name: kind}, tuple(sources), extract)


def reference(prefix: str, parts: dict[str, str], *sources: str) -> Field:
    """A nested object spread into `<prefix>_<part>` columns; a bare string is its name."""
    columns = {f"{prefix}_{part}": kind for part, kind in parts.items()}
    sources = sources or (prefix,)

    def extract(record: Record) -> Record:
        value = next((record[k] for k in sources if record.get(k) is not None), None)
        if isinstance(value, str):
            value = {"nome": value}
        value = value if isinstance(value, dict) else {}
        return {f"{prefix}_{part}": value.get(part) for part in parts}

    return Field(columns, tuple(sources), extract)


def named(name: str, *, source: str | None = None, part: str = "nome") -> Field:
    """A value some payloads send as a string and others as `{id, nome}`: the name."""
    key = source or name

    def extract(record: Record) -> Record:
        value = record.get(key)
        return {name: value.get(part) if isinstance(value, dict) else value}

    return Field({name: schema.TEXT}, (key,), extract)


def json_kept(name: str, *, source: str | None = None) -> Field:
    key = source or name
    return Field({name: schema.JSON}, (key,), lambda r: {name: r.get(key)})


def timestamp(name: str, *, local: tzinfo = UTC, source: str | None = None) -> Field:
    """An ISO-8601 string stored in UTC; a value without offset is in `local` time."""
    key = source or name
    return Field({name: schema.TIMESTAMP}, (key,), lambda r: {name: parse_time(r.get(key), local)})


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


class Flattener:
    """Callable turning a raw record into a flat row; `columns` are its declared types."""

    def __init__(self, fields: Sequence[Field]):
        self.fields = tuple(fields)
        self.consumed = {k for f in fields for k in f.raw_keys}
        self.columns: dict[str, str] = {}
        for f in fields:
            self.columns.update(f.columns)

    def __call__(self, record: Record) -> Record:
        row: Record = {}
        for f in self.fields:
            row.update(f.extract(record))
        for key, value in record.items():
            if key not in self.consumed and key not in row:
                row[key] = value
        return row


def list_items(key: str, scalar: str = "value") -> Callable[[Record], list[Record]]:
    """A nested list's items as child rows; a scalar item becomes `{scalar: item}`."""

    def extract(record: Record) -> list[Record]:
        return [v if isinstance(v, dict) else {scalar: v} for v in record.get(key) or []]

    return extract
