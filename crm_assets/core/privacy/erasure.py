"""Erase one data subject from every table of every source, on request (LGPD art. 18).

A subject is named by an email, a CPF/CNPJ, its keyed hash (which is matched against
raw values by hashing them, so the request need not hold the identifier in clear), or
one record (`<table>:<id>`). Erasure:

1. finds the rows whose declared personal columns hold the identifier, as stored
   raw (compared normalized: email lower-cased, CPF/CNPJ as digits) or hashed under
   the current key, in raw, child and history tables; a child row leads to its parent
   record, the record about the person;
2. reads those records' own emails and CPF/CNPJ (raw or hashed, parent and child rows)
   and finds the rows holding those too, so one pass reaches the same person in every
   source;
3. follows the links the sources declare (`streams.Link`) from those records: a row
   owned by one of them (a note on the contact) is erased with it; a row that only
   names the person (a deal whose contact they are, a payment of theirs) is kept, in
   `delete` mode too, with the link and the columns naming them emptied and their
   full names, emails, phones and CPF/CNPJ, as their records held them, replaced by
   `***` in its text; rows linked to such a row (a note on that deal), the child
   rows and kept versions of both, and free text (`document` columns) anywhere, which
   names people without a link, have those replaced too;
4. deletes each record with its child rows and kept versions (`delete`), or empties
   their personal columns and replaces their names and identifiers in the rest (`null`),
   in one transaction;
5. registers the hashes of every identifier it used in `crm_erasure_log`, which syncs
   read to report a person the vendor brings back.

It is idempotent: a second run finds nothing and touches nothing. Only hashes reach
the register, the log and the metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core.privacy import personal_data
from crm_assets.core.privacy.policy import Policy
from crm_assets.core.privacy.register import register_table, registered
from crm_assets.core.spec.streams import ANY_COLUMN, Link, SourceSpec
from crm_assets.core.spec.tables import child_table, stream_table
from crm_assets.core.warehouse.history import SUFFIX as HISTORY

IDENTIFYING = (personal_data.EMAIL, personal_data.CPF, personal_data.CNPJ)
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
    # Declared links to other streams' records, each with the table linked to.
    follows: tuple[tuple[Link, str], ...] = ()


def table_maps(sources: Iterable[tuple[SourceSpec, str]]) -> list[TableMap]:
    """The parent tables of every (source, table prefix), each with its child tables."""
    maps, shared = [], {}
    for source, prefix in sources:
        named = {stream.name: stream_table(prefix, stream) for stream in source.streams}

        def resolved(links: Iterable[Link], named=named) -> tuple[tuple[Link, str], ...]:
            return tuple((link, named[link.to]) for link in links if link.to in named)

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
                    name,
                    TableMap(name, (), personal, {}, links, scope, by_row=child.personal_rows,
                             follows=resolved(child.links)),
                )  # fmt: skip
                known.parents[tuple(child.scope.values())] = table
                children.append(known)
            maps.append(TableMap(table, stream.primary_key, _classes(stream.personal),
                                 children=tuple(children), follows=resolved(stream.links)))  # fmt: skip
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
    for kind, value in ((personal_data.EMAIL, email), (personal_data.CPF, tax_id)):
        if value:
            terms |= {personal_data.normalize(kind, value), policy.hash(kind, value)}
    return terms


def hashed_terms(connection: Connection, maps: Sequence[TableMap], policy: Policy,
                 digest: str) -> set[str]:  # fmt: skip
    """An identifier known only by its hash (HMAC-SHA256 under the key, as `hash`
    stores it): the hash, and every email or CPF/CNPJ stored raw whose hash it is.

    Raw values cannot be hashed in SQL, so each identifying column's distinct values
    are read and hashed here: one pass over those columns, not over whole rows."""
    terms = {digest}
    tables = _Tables(connection)
    for item in _every(maps):
        for _, table in tables.each(item):
            columns = {**_identifying(item, table, references=False),
                       **_identifying(item, table, references=True)}  # fmt: skip
            for column, classes in columns.items():
                selected = sa.select(_normalized(table.c[column], classes)).distinct()
                for (value,) in connection.execute(selected):
                    if not value or _HEX.fullmatch(value):
                        continue
                    kind = (
                        personal_data.EMAIL if "@" in value else personal_data.tax_id_class(value)
                    )
                    if kind and policy.hash(kind, value) == digest:
                        terms.add(value)
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
    _own(reflected, maps, subject)
    needles = _needles(reflected, tables, subject.records)
    touched: dict[str, int] = {}
    for table, keys in subject.records.items():
        _erase_record(reflected, tables[table], keys, mode, needles, touched)
    named = _unlink(reflected, maps, subject.records, needles, touched)
    _scrub_linked(reflected, maps, named, needles, touched)
    _scrub_documents(reflected, maps, needles, touched)
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
    if personal_data.EMAIL in classes:
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
        and (personal_data.REFERENCE in classes) == references
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
                value = value if _HEX.fullmatch(value) else personal_data.normalize(kind, value)
                found |= {value} if _is_identifier(value) else set()
    return found


def _is_identifier(value: str) -> bool:
    return (
        bool(_HEX.fullmatch(value)) or "@" in value or personal_data.tax_id_class(value) is not None
    )


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
                  needles: _Needles | None, touched: dict[str, int]) -> None:  # fmt: skip
    for target in (item, *item.children):
        for name, table in tables.each(target):
            where = _of_records(table, target, item.table, keys)
            if mode == "delete":
                statement = sa.delete(table).where(where)
                _count(touched, name, tables.connection.execute(statement).rowcount)
                continue
            emptied = {c: None for c in target.personal if c in table.c}

            def change(row: dict, emptied=emptied) -> dict:
                return _scrubbed({**row, **emptied}, needles)

            _count(touched, name, len(_rewrite(tables.connection, table, where, change)))


# -- following links ---------------------------------------------------------------


def _linked_rows(tables: _Tables, item: TableMap, link: Link, target: str,
                 records: Mapping[str, set[tuple]]) -> Iterator[tuple[str, sa.Table, Any, Link]]:  # fmt: skip
    """(name, table, where, link) for the rows of `item` (and its kept versions) whose
    `link` may point at one of `records`' keys; JSON links are checked row by row after.
    A link on every column (`*`) comes out once per text column, as a link on it."""
    keys = {k[0] for k in records.get(target, ()) if len(k) == 1}
    if not keys:
        return
    for name, table in tables.each(item):
        if any(c not in table.c for c in link.where):
            continue
        constants = [table.c[c] == v for c, v in link.where.items()]
        for column in _link_columns(table, link):
            if link.path:
                # A first cut in SQL, on JSON as this project writes it (`"id": 42`);
                # `_json_unlinked` decides.
                text = sa.cast(column, sa.String)
                where = sa.or_(*[text.like(f'%"{link.path[-1]}": {_JSON.encode(k)}%')
                                 for k in sorted(keys, key=str)])  # fmt: skip
            elif isinstance(column.type, sa.String):
                where = column.in_(sorted(map(str, keys)))
            else:
                where = column.in_(sorted(keys))
            yield name, table, sa.and_(where, *constants), replace(link, column=column.name)


def _link_columns(table: sa.Table, link: Link) -> list[sa.Column]:
    if link.column != ANY_COLUMN:
        return [table.c[link.column]] if link.column in table.c else []
    # Columns named at run time (custom fields): every text column but keys and ours.
    return [
        c for c in table.columns
        if isinstance(c.type, sa.String) and not c.primary_key and not c.name.startswith("_")
    ]  # fmt: skip


def _own(tables: _Tables, maps: Sequence[TableMap], subject: Subject) -> None:
    """Add the records an `owned` link ties to the subject's records (a note on the
    contact) to the subject's records, until no more are found."""
    for _ in range(3):
        found = False
        for item in maps:
            for link, target in item.follows:
                if not link.owned:
                    continue
                keys = _keys(link, target, subject.records)
                for name, table, where, one in _linked_rows(
                    tables, item, link, target, subject.records
                ):
                    if name != item.table:
                        continue
                    selected = sa.select(*[table.c[c] for c in (*item.key, one.column)])
                    for row in tables.connection.execute(selected.where(where)):
                        if one.path and not _json_unlinked(row[-1], one, keys)[1]:
                            continue
                        record = tuple(row[: len(item.key)])
                        if record not in subject.records.setdefault(item.table, set()):
                            subject.records[item.table].add(record)
                            found = True
        if not found:
            return


def _keys(link: Link, target: str, records: Mapping[str, set[tuple]]) -> set[str]:
    return {str(k[0]) for k in records.get(target, ()) if len(k) == 1}


def _unlink(tables: _Tables, maps: Sequence[TableMap], records: Mapping[str, set[tuple]],
            needles: _Needles | None, touched: dict[str, int]) -> dict[str, set[tuple]]:  # fmt: skip
    """Empty the links to the subject's records, and what names them, in the rows of
    `mention` links, which stay; returns the keys of those rows, by table."""
    named: dict[str, set[tuple]] = {}
    for item in _every(maps):
        for link, target in item.follows:
            if link.owned:
                continue
            keys = _keys(link, target, records)
            for name, table, where, one in _linked_rows(tables, item, link, target, records):
                key = {c.name for c in table.primary_key.columns}

                def change(row: dict, link=one, keys=keys, key=key) -> dict | None:
                    if link.path:
                        value, hit = _json_unlinked(row[link.column], link, keys)
                        if not hit:
                            return None
                        emptied = {link.column: value}
                    else:
                        emptied = {c: None for c in (link.column, *link.clears) if c in row}
                    emptied = {c: v for c, v in emptied.items() if c not in key}
                    return _scrubbed({**row, **emptied}, needles)

                changed = _rewrite(tables.connection, table, where, change)
                _count(touched, name, len(changed))
                if name == item.table:
                    _add_records(named, item, changed)
    return named


def _scrub_linked(tables: _Tables, maps: Sequence[TableMap], named: dict[str, set[tuple]],
                  needles: _Needles | None, touched: dict[str, int]) -> None:  # fmt: skip
    """Replace the subject's names and identifiers in the rows that named them (a lead
    whose custom field value did), their child rows and kept versions, and the rows
    linking to those (a note on a deal that named them)."""
    if needles is None:
        return
    by_table = {m.table: m for m in maps}
    done: dict[str, set[tuple]] = {}
    for _ in range(3):
        fresh = {t: keys - done.get(t, set()) for t, keys in named.items()}
        fresh = {t: keys for t, keys in fresh.items() if keys}
        if not fresh:
            return
        for table_name, keys in fresh.items():
            done.setdefault(table_name, set()).update(keys)
            item = by_table.get(table_name)
            # The record itself too, when a child row of it named the person.
            for child in (item, *item.children) if item else ():
                for name, table in tables.each(child):
                    where = _of_records(table, child, table_name, keys)
                    changed = _rewrite(tables.connection, table, where,
                                       lambda row: _scrubbed(row, needles))  # fmt: skip
                    _count(touched, name, len(changed))
        for item in _every(maps):
            for link, target in item.follows:
                keys = _keys(link, target, fresh)
                for name, table, where, one in _linked_rows(tables, item, link, target, fresh):

                    def change(row: dict, link=one, keys=keys) -> dict | None:
                        if link.path and not _json_unlinked(row[link.column], link, keys)[1]:
                            return None
                        return _scrubbed(row, needles)

                    changed = _rewrite(tables.connection, table, where, change)
                    _count(touched, name, len(changed))
                    if name == item.table:
                        _add_records(named, item, changed)


def _add_records(records: dict[str, set[tuple]], item: TableMap, rows: list[dict]) -> None:
    """Add the records `rows` of `item` are, or, for a child table, belong to."""
    for row in rows:
        if not item.links:
            records.setdefault(item.table, set()).add(tuple(row[c] for c in item.key))
            continue
        parent = item.parents.get(tuple(row[c] for c in item.scope))
        if parent:
            records.setdefault(parent, set()).add(tuple(row[c] for c in item.links))


def _rewrite(connection: Connection, table: sa.Table, where: Any,
             change: Callable[[dict], dict | None]) -> list[dict]:  # fmt: skip
    """Apply `change` (row -> the row as it should be, or None) to the rows `where`
    selects, one UPDATE per row that differs, by the table's key; returns those rows
    as they were."""
    key = [c.name for c in table.primary_key.columns]
    rows = [dict(r._mapping) for r in connection.execute(sa.select(table).where(where))]
    changed = []
    for row in rows:
        new = change(row)
        if new is None:
            continue
        values = {c: v for c, v in new.items() if c not in key and v != row.get(c)}
        if not values:
            continue
        match = sa.and_(*[table.c[c] == row[c] for c in key])
        connection.execute(sa.update(table).where(match).values(values))
        changed.append(row)
    return changed


def _json_unlinked(value: Any, link: Link, keys: set[str]) -> tuple[Any, bool]:
    """`value` (JSON text) with the link to `keys` emptied: a list item holding it
    removed, or the key and `link.clears` set to null in the object holding it."""
    if not isinstance(value, str):
        return value, False
    try:
        document = json.loads(value)
    except ValueError:
        return value, False

    def holds(node: Any, name: str) -> bool:
        return (
            isinstance(node, dict)
            and str(node.get(name)) in keys
            and all(node.get(k) == v for k, v in link.item_where.items())
        )

    def walk(node: Any, path: Sequence[str]) -> tuple[Any, bool]:
        head, rest = path[0], path[1:]
        if head == "*":
            if not isinstance(node, list):
                return node, False
            if len(rest) == 1:
                kept = [item for item in node if not holds(item, rest[0])]
                return kept, len(kept) != len(node)
            walked = [walk(item, rest) for item in node]
            return [w[0] for w in walked], any(w[1] for w in walked)
        if not isinstance(node, dict) or head not in node:
            return node, False
        if not rest:
            if not holds(node, head):
                return node, False
            return {**node, **{k: None for k in (head, *link.clears) if k in node}}, True
        inner, hit = walk(node[head], rest)
        return ({**node, head: inner} if hit else node), hit

    document, hit = walk(document, link.path)
    return (_JSON.encode(document) if hit else value), hit


# -- names and identifiers in text -------------------------------------------------------

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_SEARCHED = (
    personal_data.PERSON_NAME,
    personal_data.EMAIL,
    personal_data.PHONE,
    personal_data.CPF,
    personal_data.CNPJ,
)


def _needles(tables: _Tables, maps: dict[str, TableMap],
             records: Mapping[str, set[tuple]]) -> _Needles | None:  # fmt: skip
    """One pattern finding the subject's full names, emails, phones and CPF/CNPJ as
    their records hold them (case aside, standing alone), to replace in kept rows.

    A name of one word (a first name alone) is left out: it names too many others."""
    found: set[str] = set()
    for name, keys in records.items():
        for target in (maps[name], *maps[name].children):
            copies = {c for link, _ in target.follows for c in (link.column, *link.clears)}
            for _, table in tables.each(target):
                where = _of_records(table, target, name, keys)
                for row in tables.connection.execute(sa.select(table).where(where)):
                    values = dict(row._mapping)
                    # A column a link empties names the record linked to, not this one's.
                    classes = {c: k for c, k in target.personal.items() if c not in copies}
                    if target.by_row is not None:
                        classes.update({c: (k,) for c, k in target.by_row(values).items() if k})
                    for column, kinds in classes.items():
                        if personal_data.REFERENCE in kinds or not set(kinds) & set(_SEARCHED):
                            continue
                        found |= {t for t in _texts(values.get(column)) if _is_needle(t, kinds)}
    if not found:
        return None
    words = sorted(found, key=len, reverse=True)
    either = "|".join(re.escape(n) for n in words)
    # Standing alone: not the tail of another address (`joana@` is not `ana@`).
    pattern = re.compile(rf"(?<![\w.+@-])(?:{either})(?![\w@-])", re.IGNORECASE)
    return _Needles(pattern, tuple(words))


@dataclass(frozen=True)
class _Needles:
    """The subject's names and identifiers: as one pattern, and as the texts found."""

    pattern: re.Pattern
    words: tuple[str, ...]

    def sub(self, replacement: str, text: str) -> str:
        return self.pattern.sub(replacement, text)


def _texts(value: Any) -> Iterator[str]:
    """The strings of a value: itself, or those inside it when it is JSON text."""
    if not isinstance(value, str) or not value.strip():
        return
    if value.lstrip()[:1] in "[{":
        try:
            document = json.loads(value)
        except ValueError:
            document = None
        if document is not None:
            yield from _strings(document)
            return
    yield value.strip()


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for item in node.values():
            yield from _strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str) and node.strip():
        yield node.strip()


def _is_needle(text: str, kinds: tuple[str, ...]) -> bool:
    if _HEX.fullmatch(text):
        return False
    if personal_data.PERSON_NAME in kinds and len(text.split()) >= 2:
        return True
    if "@" in text:
        return True
    return (
        bool(set(kinds) & {personal_data.PHONE, personal_data.CPF, personal_data.CNPJ})
        and len(personal_data.digits(text)) >= 8
    )


def _scrub_documents(tables: _Tables, maps: Sequence[TableMap], needles: _Needles | None,
                     touched: dict[str, int]) -> None:  # fmt: skip
    """Replace the subject's names and identifiers in the free text of every row (the
    `document` columns: notes, descriptions, custom field values), which names people
    without a link to follow ("referred by Ana Souza")."""
    if needles is None:
        return
    for item in _every(maps):
        free = {c for c, kinds in item.personal.items() if personal_data.DOCUMENT in kinds}
        if item.by_row is not None:
            free |= {c for c, kind in item.by_row({}).items() if kind == personal_data.DOCUMENT}
        for name, table in tables.each(item):
            columns = sorted(c for c in free if c in table.c)
            if not columns:
                continue
            # A first cut in SQL (lower() folds ASCII only on SQLite); the pattern decides.
            where = sa.or_(*[
                sa.func.lower(sa.cast(table.c[c], sa.String)).like(f"%{word.lower()}%")
                for c in columns for word in needles.words
            ])  # fmt: skip

            def change(row: dict, columns=columns) -> dict:
                return {**row, **_scrubbed({c: row[c] for c in columns}, needles)}

            _count(touched, name, len(_rewrite(tables.connection, table, where, change)))


def _scrubbed(row: dict, needles: _Needles | None) -> dict:
    """The row with the subject's names and identifiers replaced in its text."""
    if needles is None:
        return row
    return {
        c: needles.sub(personal_data.MASK, v) if isinstance(v, str) else v for c, v in row.items()
    }


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
