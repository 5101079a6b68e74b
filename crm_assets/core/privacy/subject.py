"""The data subject of an erasure: what names them, and the records that are theirs.

A subject is named by an email, a CPF/CNPJ, its keyed hash, or one record. Its terms
are the identifiers' stored forms (normalized raw, and hashed under the current key);
its records are found where a declared personal column, raw, child or history table,
holds one of the terms, a child row leading to its parent record. The identifiers those
records hold become terms too, which is how one erasure reaches the same person in
every source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core.privacy import personal_data
from crm_assets.core.privacy.personal_data import HASHED, IDENTIFYING
from crm_assets.core.privacy.policy import Policy
from crm_assets.core.privacy.tables import TableMap, Tables, every, of_records


@dataclass
class Subject:
    """What names the person: candidates compared with normalized stored values."""

    terms: set[str] = field(default_factory=set)
    records: dict[str, set[tuple]] = field(default_factory=dict)
    # After erasure: the registered hashes of every identifier used.
    hashes: set[str] = field(default_factory=set)


def record_subject(connection: Connection, table: str, record_id: str) -> Subject:
    """The subject of one record, `record_id` in `table`'s (single-column) key."""
    reflected = Tables(connection).get(table)
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
    tables = Tables(connection)
    for item in every(maps):
        for _, table in tables.each(item):
            columns = {**identifying(item, table, references=False),
                       **identifying(item, table, references=True)}  # fmt: skip
            for column, classes in columns.items():
                selected = sa.select(normalized(table.c[column], classes)).distinct()
                for (value,) in connection.execute(selected):
                    if not value or HASHED.fullmatch(value):
                        continue
                    kind = (
                        personal_data.EMAIL if "@" in value else personal_data.tax_id_class(value)
                    )
                    if kind and policy.hash(kind, value) == digest:
                        terms.add(value)
    return terms


def find(tables: Tables, maps: Sequence[TableMap], subject: Subject) -> None:
    """Add to `subject.records` the records whose rows (or child rows) hold a term."""
    if not subject.terms:
        return
    for item in every(maps):
        for _, table in tables.each(item):
            columns = identifying(item, table, references=False)
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


def identifiers_of(tables: Tables, maps: dict[str, TableMap], records) -> set[str]:
    """The emails and CPF/CNPJ the subject's records hold, in normalized stored form."""
    found = set()
    for name, keys in records.items():
        for target in (maps[name], *maps[name].children):
            for _, table in tables.each(target):
                where = of_records(table, target, name, keys)
                if target.by_row is not None:
                    found |= _identifiers_by_row(tables.connection, table, target, where)
                    continue
                columns = identifying(target, table, references=False)
                if not columns:
                    continue
                selected = [normalized(table.c[c], k) for c, k in columns.items()]
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
                value = value if HASHED.fullmatch(value) else personal_data.normalize(kind, value)
                found |= {value} if _is_identifier(value) else set()
    return found


def _is_identifier(value: str) -> bool:
    return (
        bool(HASHED.fullmatch(value))
        or "@" in value
        or personal_data.tax_id_class(value) is not None
    )


def identifying(item: TableMap, table: sa.Table, *, references: bool) -> dict:
    """Columns of `table` that identify a person: the record's subject, or others."""
    return {
        column: classes
        for column, classes in item.personal.items()
        if column in table.c
        and set(classes) & set(IDENTIFYING)
        and (personal_data.REFERENCE in classes) == references
    }


def normalized(column: Any, classes: tuple[str, ...]) -> Any:
    """`column` in SQL as an identifier of `classes` is compared: an email trimmed and
    lower-cased, a CPF/CNPJ without its punctuation."""
    text = sa.cast(column, sa.String)
    if personal_data.EMAIL in classes:
        return sa.func.lower(sa.func.trim(text))
    for mark in (".", "-", "/", " "):
        text = sa.func.replace(text, mark, "")
    return text


def _matches(table: sa.Table, columns: dict, terms: set[str]) -> Any:
    found = [normalized(table.c[c], k).in_(sorted(terms)) for c, k in columns.items()]
    return sa.or_(*found)


def identifier_hash(key: str, email: str = "", tax_id: str = "") -> str:
    """The hash the erasure job's `identifier_hash` takes: what the warehouse and the register store for
    the email (trimmed, lower-cased) or CPF/CNPJ (digits) under `key`."""
    if bool(email) == bool(tax_id):
        raise ValueError("give one of an email or a CPF/CNPJ")
    if email and "@" not in email:
        raise ValueError("the email has no @")
    if tax_id and personal_data.tax_id_class(tax_id) is None:
        raise ValueError("that is not a CPF or CNPJ (check digits differ)")
    kind = personal_data.EMAIL if email else personal_data.CPF
    return Policy({}, key).hash(kind, email or tax_id)
