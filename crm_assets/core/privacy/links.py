"""The links sources declare (`streams.Link`), followed from the subject's records.

A row an `owned` link ties to one of those records (a note on the contact) is the
person's and is erased with them. A row a `mention` link ties to one (a deal whose
contact they are, a payment of theirs) is kept, with the link and the columns naming
them emptied and their names and identifiers replaced in its text; the rows linked
to such a row (a note on that deal), its child rows and kept versions are scrubbed
too. A link may sit in a column, in every text column (`*`, for custom fields), or
inside JSON text at `Link.path`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from crm_assets.core.privacy.subject import Subject
from crm_assets.core.privacy.tables import TableMap, Tables, count, every, of_records, rewrite
from crm_assets.core.privacy.text import Needles, scrubbed
from crm_assets.core.spec.streams import ANY_COLUMN, Link

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def own(tables: Tables, maps: Sequence[TableMap], subject: Subject) -> None:
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


def unlink(tables: Tables, maps: Sequence[TableMap], records: Mapping[str, set[tuple]],
           needles: Needles | None, touched: dict[str, int]) -> dict[str, set[tuple]]:  # fmt: skip
    """Empty the links to the subject's records, and what names them, in the rows of
    `mention` links, which stay; returns the keys of those rows, by table."""
    named: dict[str, set[tuple]] = {}
    for item in every(maps):
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
                    return scrubbed({**row, **emptied}, needles)

                changed = rewrite(tables.connection, table, where, change)
                count(touched, name, len(changed))
                if name == item.table:
                    _add_records(named, item, changed)
    return named


def scrub_linked(tables: Tables, maps: Sequence[TableMap], named: dict[str, set[tuple]],
                 needles: Needles | None, touched: dict[str, int]) -> None:  # fmt: skip
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
                    where = of_records(table, child, table_name, keys)
                    changed = rewrite(tables.connection, table, where,
                                      lambda row: scrubbed(row, needles))  # fmt: skip
                    count(touched, name, len(changed))
        for item in every(maps):
            for link, target in item.follows:
                keys = _keys(link, target, fresh)
                for name, table, where, one in _linked_rows(tables, item, link, target, fresh):

                    def change(row: dict, link=one, keys=keys) -> dict | None:
                        if link.path and not _json_unlinked(row[link.column], link, keys)[1]:
                            return None
                        return scrubbed(row, needles)

                    changed = rewrite(tables.connection, table, where, change)
                    count(touched, name, len(changed))
                    if name == item.table:
                        _add_records(named, item, changed)


def _linked_rows(tables: Tables, item: TableMap, link: Link, target: str,
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


def _keys(link: Link, target: str, records: Mapping[str, set[tuple]]) -> set[str]:
    return {str(k[0]) for k in records.get(target, ()) if len(k) == 1}


def _add_records(records: dict[str, set[tuple]], item: TableMap, rows: list[dict]) -> None:
    """Add the records `rows` of `item` are, or, for a child table, belong to."""
    for row in rows:
        if not item.links:
            records.setdefault(item.table, set()).add(tuple(row[c] for c in item.key))
            continue
        parent = item.parents.get(tuple(row[c] for c in item.scope))
        if parent:
            records.setdefault(parent, set()).add(tuple(row[c] for c in item.links))


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
