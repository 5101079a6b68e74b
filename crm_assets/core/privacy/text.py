"""The subject's names and identifiers in text, replaced by `***`.

A row an erasure keeps (a deal whose contact the person was) may still name them in
its text, and free text anywhere (`document` columns: notes, descriptions, custom
field values) names people without a link to follow ("referred by Ana Souza"). The
needles are the full names, emails, phones and CPF/CNPJ the subject's own records
hold, found standing alone, case aside, in plain text and in the strings of JSON text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm_assets.core.privacy import personal_data
from crm_assets.core.privacy.personal_data import HASHED
from crm_assets.core.privacy.tables import TableMap, Tables, count, every, of_records, rewrite

_SEARCHED = (
    personal_data.PERSON_NAME,
    personal_data.EMAIL,
    personal_data.PHONE,
    personal_data.CPF,
    personal_data.CNPJ,
)


@dataclass(frozen=True)
class Needles:
    """The subject's names and identifiers: as one pattern, and as the texts found."""

    pattern: re.Pattern
    words: tuple[str, ...]

    def sub(self, replacement: str, text: str) -> str:
        return self.pattern.sub(replacement, text)


def needles_of(tables: Tables, maps: dict[str, TableMap],
               records: Mapping[str, set[tuple]]) -> Needles | None:  # fmt: skip
    """One pattern finding the subject's full names, emails, phones and CPF/CNPJ as
    their records hold them (case aside, standing alone), to replace in kept rows;
    None when the records hold none.

    A name of one word (a first name alone) is left out: it names too many others."""
    found: set[str] = set()
    for name, keys in records.items():
        for target in (maps[name], *maps[name].children):
            copies = {c for link, _ in target.follows for c in (link.column, *link.clears)}
            for _, table in tables.each(target):
                where = of_records(table, target, name, keys)
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
    return Needles(pattern, tuple(words))


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
    if HASHED.fullmatch(text):
        return False
    if personal_data.PERSON_NAME in kinds and len(text.split()) >= 2:
        return True
    if "@" in text:
        return True
    return (
        bool(set(kinds) & {personal_data.PHONE, personal_data.CPF, personal_data.CNPJ})
        and len(personal_data.digits(text)) >= 8
    )


def scrub_documents(tables: Tables, maps: Sequence[TableMap], needles: Needles | None,
                    touched: dict[str, int]) -> None:  # fmt: skip
    """Replace the subject's names and identifiers in the free text of every row (the
    `document` columns: notes, descriptions, custom field values), which names people
    without a link to follow ("referred by Ana Souza")."""
    if needles is None:
        return
    for item in every(maps):
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
                return {**row, **scrubbed({c: row[c] for c in columns}, needles)}

            count(touched, name, len(rewrite(tables.connection, table, where, change)))


def scrubbed(row: dict, needles: Needles | None) -> dict:
    """The row with the subject's names and identifiers replaced in its text."""
    if needles is None:
        return row
    return {
        c: needles.sub(personal_data.MASK, v) if isinstance(v, str) else v for c, v in row.items()
    }
