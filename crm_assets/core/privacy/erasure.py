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

Steps 1 and 2 are in `subject`, 3 in `links`, the replacing in text in `text`;
`tables` says where personal data sits in each table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core.privacy.links import own, scrub_linked, unlink
from crm_assets.core.privacy.personal_data import HASHED
from crm_assets.core.privacy.policy import Policy
from crm_assets.core.privacy.register import register_table, registered
from crm_assets.core.privacy.subject import Subject, find, identifiers_of, identifying, normalized
from crm_assets.core.privacy.tables import TableMap, Tables, count, every, of_records, rewrite
from crm_assets.core.privacy.text import Needles, needles_of, scrub_documents, scrubbed


def erase(connection: Connection, maps: Sequence[TableMap], policy: Policy, subject: Subject,
          mode: str) -> dict[str, int]:  # fmt: skip
    """Find, erase and register the subject; returns rows touched per table.

    `mode` is `delete` or `null` (anything else raises ValueError). Begins no
    transaction of its own: the caller's, on `connection`, holds every change."""
    if mode not in ("delete", "null"):
        raise ValueError(f"mode must be delete or null, not {mode!r}")
    tables = {m.table: m for m in maps}
    reflected = Tables(connection)
    for _ in range(3):
        find(reflected, maps, subject)
        more = identifiers_of(reflected, tables, subject.records)
        if more <= subject.terms:
            break
        subject.terms |= more
    own(reflected, maps, subject)
    needles = needles_of(reflected, tables, subject.records)
    touched: dict[str, int] = {}
    for table, keys in subject.records.items():
        _erase_record(reflected, tables[table], keys, mode, needles, touched)
    named = unlink(reflected, maps, subject.records, needles, touched)
    scrub_linked(reflected, maps, named, needles, touched)
    scrub_documents(reflected, maps, needles, touched)
    _erase_references(reflected, maps, subject.terms, touched)
    subject.hashes = _register(connection, policy, subject.terms, mode, sum(touched.values()))
    return {t: n for t, n in touched.items() if n}


def _erase_record(tables: Tables, item: TableMap, keys: set[tuple], mode: str,
                  needles: Needles | None, touched: dict[str, int]) -> None:  # fmt: skip
    """Delete the records `keys` of `item` with their child rows and kept versions, or
    (`null`) empty their personal columns and replace the subject's names in the rest."""
    for target in (item, *item.children):
        for name, table in tables.each(target):
            where = of_records(table, target, item.table, keys)
            if mode == "delete":
                statement = sa.delete(table).where(where)
                count(touched, name, tables.connection.execute(statement).rowcount)
                continue
            emptied = {c: None for c in target.personal if c in table.c}

            def change(row: dict, emptied=emptied) -> dict:
                return scrubbed({**row, **emptied}, needles)

            count(touched, name, len(rewrite(tables.connection, table, where, change)))


def _erase_references(tables: Tables, maps: Sequence[TableMap], terms: set[str],
                      touched: dict[str, int]) -> None:  # fmt: skip
    """Empty the columns naming the subject on records about someone else."""
    for item in every(maps):
        for name, table in tables.each(item):
            for column, classes in identifying(item, table, references=True).items():
                where = normalized(table.c[column], classes).in_(sorted(terms))
                statement = sa.update(table).where(where).values({column: None})
                count(touched, name, tables.connection.execute(statement).rowcount)


def _register(connection: Connection, policy: Policy, terms: set[str], mode: str,
              rows: int) -> set[str]:  # fmt: skip
    """Register the hash of every term in `crm_erasure_log` (a term already a hash as it
    is); returns those hashes."""
    table = register_table()
    table.create(connection, checkfirst=True)
    hashes = {t if HASHED.fullmatch(t) else policy.hash(None, t) for t in terms}
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
