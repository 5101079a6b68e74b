"""Odoo's search domains, orders and `read` value rendering, over in-memory records.

A domain is a list in prefix (Polish) notation: terms `[field, operator, value]`
joined by `"&"` (the implicit default between consecutive items), `"|"` and `"!"`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Record = dict[str, Any]


class DomainError(ValueError):
    """What Odoo answers as `builtins.ValueError` for a domain it cannot evaluate."""


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a is not False and a > b,
    ">=": lambda a, b: a is not False and a >= b,
    "<": lambda a, b: a is not False and a < b,
    "<=": lambda a, b: a is not False and a <= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "ilike": lambda a, b: isinstance(a, str) and str(b).lower() in a.lower(),
    "like": lambda a, b: isinstance(a, str) and str(b) in a,
}


def compile_domain(domain: Any, fields: dict[str, Any]) -> Callable[[Record], bool]:
    """A predicate for `domain`; raises DomainError for bad fields, operators or shape."""
    if not isinstance(domain, list):
        raise DomainError(f"Invalid domain: {domain!r}")
    items = list(domain)
    predicates: list[Callable[[Record], bool]] = []
    while items:
        predicates.append(_parse(items, fields))
    return lambda record: all(p(record) for p in predicates)


def _parse(items: list, fields: dict[str, Any]) -> Callable[[Record], bool]:
    item = items.pop(0)
    if item == "!":
        inner = _parse(items, fields)
        return lambda r: not inner(r)
    if item in ("&", "|"):
        if len(items) < 2:
            raise DomainError(f"Invalid domain: operator {item!r} needs two operands")
        left, right = _parse(items, fields), _parse(items, fields)
        if item == "&":
            return lambda r: left(r) and right(r)
        return lambda r: left(r) or right(r)
    if not isinstance(item, list | tuple) or len(item) != 3:
        raise DomainError(f"Invalid leaf {item!r}")
    name, operator, value = item
    if name not in fields:
        raise DomainError(f"Invalid field {name!r} in leaf {tuple(item)!r}")
    if operator not in _OPERATORS:
        raise DomainError(f"Invalid operator {operator!r} in leaf {tuple(item)!r}")
    test = _OPERATORS[operator]
    if operator in ("in", "not in"):
        value = list(value) if isinstance(value, list | tuple) else [value]
    elif fields[name].get("type") == "datetime" and operator in _COMPARED:
        value = _datetime(value, operator)
    return lambda r: test(r.get(name, False), value)


_COMPARED = {"=", "!=", ">", ">=", "<", "<="}
DATETIME = "%Y-%m-%d %H:%M:%S"


def _datetime(value: Any, operator: str) -> Any:
    """A datetime leaf's value as Odoo compares it (`fields.Datetime.to_datetime`): a
    UTC `YYYY-MM-DD HH:MM:SS`, or a day, which stands for its first second (its last
    after `>` and `<=`); anything else, an ISO `T` or a time zone or fraction included,
    is a ValueError. Stored datetimes are that same text, so comparing text is
    comparing times."""
    if value is False:
        return value
    if isinstance(value, str) and len(value) == 10:
        value += " 23:59:59" if operator in (">", "<=") else " 00:00:00"
    try:
        # Written back in full: Odoo parses `2026-1-5 8:00:00` too, then compares times.
        return datetime.strptime(value, DATETIME).strftime(DATETIME)
    except (TypeError, ValueError):
        raise DomainError(f"time data {value!r} does not match format {DATETIME!r}") from None


def sort(records: list[Record], order: str | None, fields: dict[str, Any]) -> list[Record]:
    """Records in `order` ("write_date asc, id asc"; default "id"); empty values first."""
    keys = []
    for part in (order or "id").split(","):
        words = part.split()
        if not words or words[0] not in fields or len(words) > 2:
            raise DomainError(f"Invalid order {order!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise DomainError(f"Invalid order {order!r}")
        keys.append((words[0], direction == "desc"))
    for name, descending in reversed(keys):
        records.sort(key=lambda r, n=name: (r.get(n) is not False, r.get(n) or 0),
                     reverse=descending)  # fmt: skip
    return records


def render(
    record: Record,
    names: list[str],
    fields: dict[str, Any],
    display: Callable[[str, int], str] | None,
) -> Record:
    """What `read` returns: `id` always, many2one as `[id, display_name]` (as the bare id
    when `display` is None: `load=None`), empty values as False."""
    out: Record = {"id": record["id"]}
    for name in names:
        if name not in fields:
            raise DomainError(f"Invalid field {name!r} on model")
        value = record.get(name, False)
        spec = fields[name]
        if spec["type"] == "many2one" and value and display is not None:
            value = [value, display(spec["relation"], value)]
        elif value is None or value == "":
            value = False
        out[name] = value
    return out
