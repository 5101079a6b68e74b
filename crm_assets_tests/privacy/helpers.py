"""What a vendor sent that is personal data, and where it is in a warehouse.

The ground truth is independent of the sources' declarations: a WSGI middleware keeps
every JSON body the emulator served, and the personal values are read out of those
bodies by key name (email, phone, telefone, cpf, cnpj, vat, login) and by shape (an
email anywhere; a CPF or CNPJ with valid check digits anywhere; the values of Kommo's
PHONE and EMAIL fields).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from crm_assets.core.privacy import digits, tax_id_class

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TAX_ID = re.compile(r"\d{2,3}\.?\d{3}\.?\d{3}[/.-]?\d{0,4}-?\d{2}")
PERSONAL_KEYS = re.compile(
    r"^login$|(^|_)(e?mails?|phones?|telefones?|cpf|cnpj|vat)$", re.IGNORECASE
)


class Recorder:
    """A WSGI app that serves `app` and keeps every JSON body it served."""

    def __init__(self, app: Any):
        self.app, self.bodies = app, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def __call__(self, environ, start_response):
        body = b"".join(self.app(environ, start_response))
        with contextlib.suppress(ValueError):
            self.bodies.append(json.loads(body))
        return [body]


def personal_values(bodies: Iterable[Any]) -> set[str]:
    """Every personal value in the bodies, as sent (strings only)."""
    found: set[str] = set()

    def walk(value: Any, personal: bool) -> None:
        if isinstance(value, dict):
            code = str(value.get("field_code") or value.get("code") or "")
            for key, item in value.items():
                walk(item, personal or code in ("PHONE", "EMAIL") or bool(
                    PERSONAL_KEYS.search(str(key))))  # fmt: skip
        elif isinstance(value, list):
            for item in value:
                walk(item, personal)
        elif isinstance(value, str):
            if personal and len(digits(value)) >= 8 or EMAIL.fullmatch(value.strip()):
                found.add(value)
            found.update(EMAIL.findall(value))
            found.update(m for m in TAX_ID.findall(value) if tax_id_class(m))

    for body in bodies:
        walk(body, False)
    return found


def finder(values: set[str]) -> re.Pattern:
    """One pattern finding any of `values` as sent (case aside) or, for numbers, as digits."""
    needles = {v.strip().lower() for v in values}
    needles |= {digits(v) for v in values if "@" not in v and len(digits(v)) >= 8}
    return re.compile("|".join(map(re.escape, sorted(needles, key=len, reverse=True))))


def leaks(engine: sa.Engine, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, text found) for every personal value in any cell of any table."""
    pattern = finder(values)
    found = []
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(table)]
            quoted = ", ".join(f'"{c}"' for c in columns)
            query = sa.text(f'SELECT {quoted} FROM "{table}"')  # noqa: S608 (reflected names)
            for row in connection.execute(query):
                for column, cell in zip(columns, row, strict=True):
                    if cell is None or isinstance(cell, bool | int | float):
                        continue
                    match = pattern.search(str(cell).lower())
                    if match:
                        found.append((table, column, match.group()))
    return found


def text_leaks(text: str, values: set[str]) -> list[str]:
    return sorted(set(finder(values).findall(text.lower())))
