"""`read_group` and `formatted_read_group`: records counted and totalled by field values.

`read_group` has Odoo 17's shape (kept, deprecated, by 18 and 19): one dict per
group with each grouped field's value (a many2one as `[id, display_name]`, a date as
its period's label), the summed numeric fields, the count (`<field>_count` when
`lazy`, else `__count`), the group's `__domain`, and with `lazy` the remaining
groupbys in `__context`. `formatted_read_group` (19) keys each aggregate by its spec
(`amount:sum`, `__count` when asked for), gives a date group as `[first day, label]`
and the group's own conditions as `__extra_domain`. Dates group by month unless the
groupby names a granularity (`date:day`, `:week`, `:month`, `:quarter`, `:year`);
labels are in English. Groups come in the order of their values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from crm_assets.sources.odoo.emulator.domain import DomainError

Record = dict[str, Any]
NUMERIC = {"integer", "float", "monetary"}
GRANULARITIES = ("day", "week", "month", "quarter", "year")


def read_group(records: list[Record], fields: dict[str, Any], domain: list, aggregates: Any,
               groupby: Any, offset: int, limit: int | None, orderby: Any, lazy: bool,
               display: Callable[[str, int], str]) -> list[Record]:  # fmt: skip
    groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
    if not groupby:
        raise DomainError("read_group needs at least one groupby")
    grouped = groupby[:1] if lazy else groupby
    keys = [_groupby(spec, fields) for spec in grouped]
    sums = _sums(aggregates or [], fields, set(grouped))
    descending = str(orderby or "").lower().endswith("desc")
    rows = []
    for values, members in _groups(records, keys, offset, limit, descending):
        row: Record = {}
        where: list = []
        for (spec, _, shown), value in zip(keys, values, strict=True):
            row[spec] = shown(value, display)
            where += _domain(spec, fields, value)
        row["__count" if not lazy else f"{grouped[0].split(':')[0]}_count"] = len(members)
        for name, field in sums.items():
            row[name] = sum(r.get(field) or 0 for r in members)
        row["__domain"] = where + list(domain or [])
        if lazy and len(groupby) > 1:
            row["__context"] = {"group_by": groupby[1:]}
        rows.append(row)
    return rows


def formatted_read_group(records: list[Record], fields: dict[str, Any], groupby: Any,
                         aggregates: Any, offset: int, limit: int | None, order: Any,
                         display: Callable[[str, int], str]) -> list[Record]:  # fmt: skip
    keys = [_groupby(spec, fields) for spec in list(groupby or [])]
    functions = [(spec, _aggregate(spec, fields)) for spec in list(aggregates or [])]
    descending = str(order or "").lower().endswith("desc")
    rows = []
    for values, members in _groups(records, keys, offset, limit, descending):
        row: Record = {}
        where: list = []
        for (spec, _, shown), value in zip(keys, values, strict=True):
            label = shown(value, display)
            row[spec] = [str(value), label] if isinstance(value, date) else label
            where += _domain(spec, fields, value)
        for spec, function in functions:
            row[spec] = function(members)
        row["__extra_domain"] = where
        rows.append(row)
    return rows


def _groups(records: list[Record], keys: list, offset: int, limit: int | None,
            descending: bool) -> list[tuple[tuple, list[Record]]]:  # fmt: skip
    groups: dict[tuple, list[Record]] = {}
    for record in records:
        groups.setdefault(tuple(key(record) for _, key, _ in keys), []).append(record)
    ordered = sorted(groups, key=lambda k: tuple((v is not False, v) for v in k),
                     reverse=descending)  # fmt: skip
    return [(k, groups[k]) for k in ordered[int(offset or 0) :][: limit or None]]


def _groupby(spec: str, fields: dict[str, Any]):
    """(spec, the group key of a record, how the key is shown) for `field[:granularity]`."""
    name, _, granularity = spec.partition(":")
    field = fields.get(name)
    if field is None:
        raise DomainError(f"Invalid field {name!r} on model")
    kind = field["type"]
    if kind in ("date", "datetime"):
        granularity = granularity or "month"
        if granularity not in GRANULARITIES:
            raise DomainError(f"Invalid granularity {granularity!r}")
        return spec, lambda r: _period(r.get(name), granularity), _label(granularity)
    if kind == "many2one":
        relation = field["relation"]
        return spec, lambda r: r.get(name) or False, lambda v, d: [v, d(relation, v)] if v else v
    return spec, lambda r: r.get(name, False), lambda v, d: v


def _period(value: Any, granularity: str) -> date | bool:
    if not value:
        return False
    day = datetime.strptime(value[:10], "%Y-%m-%d").date()
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _label(granularity: str) -> Callable[[Any, Any], Any]:
    formats = {"day": "%d %b %Y", "week": "W%V %G", "month": "%B %Y", "year": "%Y"}

    def shown(value: Any, _display: Any) -> Any:
        if value is False:
            return False
        if granularity == "quarter":
            return f"Q{(value.month - 1) // 3 + 1} {value.year}"
        return value.strftime(formats[granularity])

    return shown


def _domain(spec: str, fields: dict[str, Any], value: Any) -> list:
    name, _, granularity = spec.partition(":")
    if fields[name]["type"] not in ("date", "datetime") or value is False:
        return [[name, "=", value]]
    end = _next(value, granularity or "month")
    if fields[name]["type"] == "datetime":
        return ["&", [name, ">=", f"{value} 00:00:00"], [name, "<", f"{end} 00:00:00"]]
    return ["&", [name, ">=", str(value)], [name, "<", str(end)]]


def _next(start: date, granularity: str) -> date:
    if granularity in ("day", "week"):
        return start + timedelta(days=1 if granularity == "day" else 7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def _sums(specs: list, fields: dict[str, Any], grouped: set[str]) -> dict[str, str]:
    """`read_group`'s {result name: summed field} for `amount`, `amount:sum` or
    `total:sum(amount)`; numeric fields are summed, others (and grouped ones) left out."""
    out = {}
    for spec in specs:
        name, _, function = spec.partition(":")
        field = function[4:-1] if function.startswith("sum(") else name
        if function and not function.startswith("sum"):
            raise DomainError(f"Invalid aggregate {spec!r}")
        if field not in fields:
            raise DomainError(f"Invalid field {field!r} on model")
        if fields[field]["type"] in NUMERIC and field not in grouped and field != "id":
            out[name] = field
    return out


def _aggregate(spec: str, fields: dict[str, Any]) -> Callable[[list[Record]], Any]:
    """`formatted_read_group`'s aggregate for `__count` or `field:function`."""
    if spec == "__count":
        return len
    name, _, function = spec.partition(":")
    if name not in fields:
        raise DomainError(f"Invalid field {name!r} on model")
    if function == "count":
        return lambda rows: sum(1 for r in rows if r.get(name) not in (False, None))
    if function == "count_distinct":
        return lambda rows: len({r.get(name) for r in rows if r.get(name) not in (False, None)})
    if function in ("sum", "min", "max", "avg") and fields[name]["type"] in NUMERIC:
        return lambda rows: _numeric(function, [r.get(name) or 0 for r in rows])
    raise DomainError(f"Invalid aggregate {spec!r}")


def _numeric(function: str, values: list) -> Any:
    if function == "sum":
        return sum(values)
    if not values:
        return False
    if function == "avg":
        return sum(values) / len(values)
    return min(values) if function == "min" else max(values)
