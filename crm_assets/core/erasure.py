"""Erase one data subject from every table of every source, on request (LGPD art. 18).

A subject is named by an email, a CPF/CNPJ, or one record (`<table>:<id>`). Erasure:

1. finds the rows whose declared personal columns hold the identifier, as stored
   raw (compared normalized: email lower-cased, CPF/CNPJ as digits) or hashed under
   the current key, in raw, child and history tables; a child row leads to its parent
   record, the record about the person;
2. reads those records' own emails and CPF/CNPJ (raw or hashed, parent and child rows)
   and finds the rows holding those too, so one pass reaches the same person in every
   source;
3. deletes each record with its child rows and kept versions (`delete`), or empties
   their personal columns (`null`), in one transaction;
4. registers the hashes of every identifier it used in `crm_erasure_log`, which syncs
   read to report a person the vendor brings back.

It is idempotent: a second run finds nothing and touches nothing. Only hashes reach
the register, the log and the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core import personal_data as pd
from crm_assets.core.erased import register_table, registered
from crm_assets.core.history import SUFFIX as HISTORY
from crm_assets.core.privacy import Policy
from crm_assets.core.streams import SourceSpec
from crm_assets.core.tables import child_table, stream_table

IDENTIFYING = (pd.EMAIL, pd.CPF, pd.CNPJ)
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TableMap:
    """Where personal data sits in one table, and how its rows lead to their record."""

    table: str
    key: tuple[str, ...]
    personal: dict[str, tuple[str, ...]]
    # A child table: its parent table (per scope value for a shared one) and link columns.
    parents: dict[tuple, str] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    children: tuple[TableMap, ...] = ()
    # For a table whose columns' classes depend on the row (see StreamSpec.personal_rows).
    by_row: Callable[[dict], Mapping[str, str]] | None = None


def table_maps(sources: Iterable[tuple[SourceSpec, str]]) -> list[TableMap]:
    """The parent tables of every (source, table prefix), each with its child tables."""
    maps, shared = [], {}
    for source, prefix in sources:
        for stream in source.streams:
            table = stream_table(prefix, stream)
            links = tuple(f"_parent_{k}" for k in stream.primary_key)
            children = []
            for child in stream.children:
                name = child_table(prefix, stream, child)
                personal = _classes(child.personal)
                if child.personal_rows is not None:
                    # A row-classified column may hold any class: search it for all.
                    personal.update({c: IDENTIFYING for c in child.personal_rows({})})
                scope = tuple(child.scope)
                known = shared.setdefault(
                    name, TableMap(name, (), personal, {}, links, scope, by_row=child.personal_rows)
                )
                known.parents[tuple(child.scope.values())] = table
                children.append(known)
            maps.append(TableMap(table, stream.primary_key, _classes(stream.personal),
                                 children=tuple(children)))  # fmt: skip
    return maps


def _classes(declared) -> dict[str, tuple[str, ...]]:
    return {c: (k,) if isinstance(k, str) else tuple(k) for c, k in declared.items()}


@dataclass
class Subject:
    """What names the person: candidates compared with normalized stored values."""

    terms: set[str] = field(default_factory=set)
    records: dict[str, set[tuple]] = field(default_factory=dict)
    # After erasure: the registered hashes of every identifier used.
    hashes: set[str] = field(default_factory=set)


def record_subject(connection: Connection, table: str, record_id: str) -> Subject:
    """The subject of one record, `record_id` in `table`'s (single-column) key."""
    reflected = _Tables(connection).get(table)
    if reflected is None:
        raise ValueError(f"there is no table {table!r} in the warehouse")
    key = [c for c in reflected.columns if c.primary_key]
    if len(key) != 1:
        raise ValueError(f"{table} has a key of {len(key)} columns; name an email or CPF/CNPJ")
    value = key[0].type.python_type(record_id)
    return Subject(records={table: {(value,)}})


def identifier_terms(policy: Policy, email: str = "", tax_id: str = "") -> set[str]:
    """An email's or CPF/CNPJ's stored forms: normalized raw, and hashed under the key."""
    terms = set()
    for kind, value in ((pd.EMAIL, email), (pd.CPF, tax_id)):
        if value:
            terms |= {pd.normalize(kind, value), policy.hash(kind, value)}
    return terms


def erase(connection: Connection, maps: Sequence[TableMap], policy: Policy, subject: Subject,
          mode: str) -> dict[str, int]:  # fmt: skip
    """Find, erase and register the subject; returns rows touched per table."""
    if mode not in ("delete", "null"):
        raise ValueError(f"mode must be delete or null, not {mode!r}")
    tables = {m.table: m for m in maps}
    reflected = _Tables(connection)
    for _ in range(3):
        _find(reflected, maps, subject)
        more = _identifiers_of(reflected, tables, subject.records)
        if more <= subject.terms:
            break
        subject.terms |= more
    touched: dict[str, int] = {}
    for table, keys in subject.records.items():
        _erase_record(reflected, tables[table], keys, mode, touched)
    _erase_references(reflected, maps, subject.terms, touched)
    subject.hashes = _register(connection, policy, subject.terms, mode, sum(touched.values()))
    return {t: n for t, n in touched.items() if n}


# -- finding -----------------------------------------------------------------------


class _Tables:
    def __init__(self, connection: Connection):
        self.connection = connection
        self.names = set(sa.inspect(connection).get_table_names())
        self._cache: dict[str, sa.Table] = {}

    def get(self, name: str) -> sa.Table | None:
        if name not in self.names:
            return None
        if name not in self._cache:
            self._cache[name] = sa.Table(name, sa.MetaData(), autoload_with=self.connection)
        return self._cache[name]

    def each(self, item: TableMap) -> Iterable[tuple[str, sa.Table]]:
        """The table and its history table, those that exist."""
        for name in (item.table, item.table + HISTORY):
            table = self.get(name)
            if table is not None:
                yield name, table


def _normalized(column: Any, classes: tuple[str, ...]) -> Any:
    text = sa.cast(column, sa.String)
    if pd.EMAIL in classes:
        return sa.func.lower(sa.func.trim(text))
    for mark in (".", "-", "/", " "):
        text = sa.func.replace(text, mark, "")
    return text


def _identifying(item: TableMap, table: sa.Table, *, references: bool) -> dict:
    """Columns of `table` that identify a person: the record's subject, or others."""
    return {
        column: classes
        for column, classes in item.personal.items()
        if column in table.c
        and set(classes) & set(IDENTIFYING)
        and (pd.REFERENCE in classes) == references
    }


def _matches(table: sa.Table, columns: dict, terms: set[str]) -> Any:
    found = [_normalized(table.c[c], k).in_(sorted(terms)) for c, k in columns.items()]
    return sa.or_(*found)


def _every(maps: Sequence[TableMap]) -> list[TableMap]:
    children = {c.table: c for m in maps for c in m.children}
    return [*maps, *children.values()]


def _find(tables: _Tables, maps: Sequence[TableMap], subject: Subject) -> None:
    if not subject.terms:
        return
    for item in _every(maps):
        for _, table in tables.each(item):
            columns = _identifying(item, table, references=False)
            if not columns:
                continue
            wanted = [table.c[c] for c in (*item.links, *item.scope, *item.key)]
            where = _matches(table, columns, subject.terms)
            for row in tables.connection.execute(sa.select(*wanted).where(where)):
                if not item.links:
                    subject.records.setdefault(item.table, set()).add(tuple(row))
                    continue
                links, scope = tuple(row[: len(item.links)]), tuple(row[len(item.links) :])
                parent = item.parents.get(scope[: len(item.scope)])
                if parent:
                    subject.records.setdefault(parent, set()).add(links)


def _identifiers_of(tables: _Tables, maps: dict[str, TableMap], records) -> set[str]:
    """The emails and CPF/CNPJ the subject's records hold, in normalized stored form."""
    found = set()
    for name, keys in records.items():
        for target in (maps[name], *maps[name].children):
            for _, table in tables.each(target):
                where = _of_records(table, target, name, keys)
                if target.by_row is not None:
                    found |= _identifiers_by_row(tables.connection, table, target, where)
                    continue
                columns = _identifying(target, table, references=False)
                if not columns:
                    continue
                selected = [_normalized(table.c[c], k) for c, k in columns.items()]
                for row in tables.connection.execute(sa.select(*selected).where(where)):
                    found |= {v for v in row if v and _is_identifier(v)}
    return found


def _identifiers_by_row(connection: Connection, table: sa.Table, item: TableMap, where) -> set:
    """Only the values each row classifies as email or CPF/CNPJ (not its phones)."""
    found = set()
    for row in connection.execute(sa.select(table).where(where)):
        values = dict(row._mapping)
        for column, kind in item.by_row(values).items():
            value = values.get(column)
            if kind in IDENTIFYING and isinstance(value, str) and value:
                value = value if _HEX.fullmatch(value) else pd.normalize(kind, value)
                found |= {value} if _is_identifier(value) else set()
    return found


def _is_identifier(value: str) -> bool:
    return bool(_HEX.fullmatch(value)) or "@" in value or pd.tax_id_class(value) is not None


def _of_records(table: sa.Table, item: TableMap, parent: str, keys: Iterable[tuple]) -> Any:
    """Rows of `item` (a table or its child) that are, or belong to, the records `keys`."""
    columns = [table.c[c] for c in (item.links or item.key)]
    keys = sorted(keys)
    if len(columns) == 1:
        where = columns[0].in_([k[0] for k in keys])
    else:
        where = sa.tuple_(*columns).in_(keys)
    if item.scope:
        # A shared child table: only the rows of this parent table's scope.
        values = [s for s, p in item.parents.items() if p == parent]
        where = sa.and_(where, sa.tuple_(*[table.c[c] for c in item.scope]).in_(values))
    return where


# -- erasing -----------------------------------------------------------------------


def _erase_record(tables: _Tables, item: TableMap, keys: set[tuple], mode: str,
                  touched: dict[str, int]) -> None:  # fmt: skip
    for target in (item, *item.children):
        for name, table in tables.each(target):
            where = _of_records(table, target, item.table, keys)
            if mode == "delete":
                statement = sa.delete(table).where(where)
            else:
                emptied = {c: None for c in target.personal if c in table.c}
                if not emptied:
                    continue
                statement = sa.update(table).where(where).values(emptied)
            _count(touched, name, tables.connection.execute(statement).rowcount)


def _erase_references(tables: _Tables, maps: Sequence[TableMap], terms: set[str],
                      touched: dict[str, int]) -> None:  # fmt: skip
    """Empty the columns naming the subject on records about someone else."""
    for item in _every(maps):
        for name, table in tables.each(item):
            for column, classes in _identifying(item, table, references=True).items():
                where = _normalized(table.c[column], classes).in_(sorted(terms))
                statement = sa.update(table).where(where).values({column: None})
                _count(touched, name, tables.connection.execute(statement).rowcount)


def _count(touched: dict[str, int], name: str, rows: int) -> None:
    touched[name] = touched.get(name, 0) + rows


def _register(connection: Connection, policy: Policy, terms: set[str], mode: str,
              rows: int) -> set[str]:  # fmt: skip
    table = register_table()
    table.create(connection, checkfirst=True)
    hashes = {t if _HEX.fullmatch(t) else policy.hash(None, t) for t in terms}
    known = registered(connection)
    now = datetime.now(UTC)
    for digest in sorted(hashes):
        values = {"erased_at": now, "mode": mode, "rows_touched": rows}
        if digest in known:
            statement = sa.update(table).where(table.c.identifier_hash == digest)
            connection.execute(statement.values(values))
        else:
            connection.execute(sa.insert(table).values(identifier_hash=digest, **values))
    return hashes
