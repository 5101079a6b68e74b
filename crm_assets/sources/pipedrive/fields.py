"""Pipedrive custom fields as readable columns (docs/pipedrive-api.md, "Custom fields").

Pipedrive keys custom fields by 40-hex hashes (v2: inside `custom_fields`). Each
becomes a snake_case column named after the field, with its value made readable:

- enum: `<name>` holds the option id, `<name>_label` its label;
- set: `<name>` the list of option ids, `<name>_labels` their labels (v1 sends
  `"1,2"`, a string that must be split on commas, never into characters);
- monetary: `<name>` the amount, `<name>_currency` its currency;
- anything else: the value as sent.

Names are resolved deterministically and stay stable as fields are added: a
custom field named like a standard one gets `_custom`; among custom fields with
the same name the oldest (lowest field id) keeps it and the others get the first
six characters of their hash. Every choice is written to `pipedrive_custom_fields`
so each column traces back to its hash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crm_assets.sources.pipedrive.fetch import v1_pages

ENTITIES = {
    "deals": "dealFields",
    "persons": "personFields",
    "organizations": "organizationFields",
    "products": "productFields",
    "activities": "activityFields",
}
_HASH = re.compile(r"^[0-9a-f]{40}(_[a-z_]+)?$")


@dataclass(frozen=True)
class CustomField:
    entity: str
    key: str
    field_id: int
    name: str
    field_type: str
    column: str
    options: dict[str, str] = field(default_factory=dict)

    def columns(self) -> list[str]:
        extra = {"enum": "_label", "set": "_labels", "monetary": "_currency"}.get(self.field_type)
        return [self.column] + ([self.column + extra] if extra else [])

    def values(self, value: Any) -> dict[str, Any]:
        if self.field_type == "enum":
            option = _option_id(value)
            return {self.column: option, self.column + "_label": self._label(option)}
        if self.field_type == "set":
            ids = _set_ids(value)
            labels = [self._label(i) for i in ids] if ids is not None else None
            return {self.column: ids, self.column + "_labels": labels}
        if self.field_type == "monetary":
            if isinstance(value, dict):
                return {
                    self.column: _number(value.get("value")),
                    self.column + "_currency": value.get("currency"),
                }
            return {self.column: _number(value), self.column + "_currency": None}
        if self.field_type == "double":
            return {self.column: _number(value)}
        return {self.column: value}

    def _label(self, option: Any) -> str | None:
        return None if option is None else self.options.get(str(option))


def snake(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return text or "field"


def read_definitions(client: Any, entity: str) -> list[dict]:
    """Every field definition of `entity` from the v1 `*Fields` endpoint (offset paged)."""
    return [item for page in v1_pages(client, f"v1/{ENTITIES[entity]}") for item in page]


def resolve(
    entity: str, definitions: Iterable[dict], reserved: Iterable[str] = ()
) -> dict[str, CustomField]:
    """Map each custom field's hash to its column, by the rules in the module docstring.

    `reserved` adds the standard keys of the v2 records, which differ from v1's.
    """
    definitions = list(definitions)
    standard = {d["key"] for d in definitions if not _is_custom(d)} | set(reserved)
    custom = sorted((d for d in definitions if _is_custom(d)), key=lambda d: int(d["id"]))
    taken = set(standard) | {"_synced_at", "_deleted"}
    resolved: dict[str, CustomField] = {}
    for definition in custom:
        base = snake(definition["name"])
        if base in standard:
            base += "_custom"
        column = base if base not in taken else f"{base}_{definition['key'][:6]}"
        options = {str(o["id"]): o.get("label") for o in definition.get("options") or []}
        resolved[definition["key"]] = CustomField(
            entity=entity,
            key=definition["key"],
            field_id=int(definition["id"]),
            name=definition["name"],
            field_type=definition.get("field_type", ""),
            column=column,
            options=options,
        )
        taken.update(resolved[definition["key"]].columns())
    return resolved


def apply(record: dict, fields: dict[str, CustomField]) -> dict:
    """Replace `custom_fields` (v2) or top-level hash keys (v1) with named columns.

    v1 also sends subfields as `<hash>_<part>` (`_currency`, `_until`): they land in
    `<column>_<part>`, beside their field.
    """
    row: dict[str, Any] = {}
    values = dict(record.get("custom_fields") or {})
    for key, value in record.items():
        # Every hash key is 40 characters or more: shorter keys skip the pattern.
        if len(key) >= 40 and _HASH.match(key):
            values[key] = value
        elif key != "custom_fields":
            row[key] = value
    for key, value in values.items():
        known = fields.get(key[:40])
        if known is None:
            # A field created after the definitions were read: kept under its hash.
            row[key] = value
        elif len(key) > 40:
            row[f"{known.column}{key[40:]}"] = value
        elif len(key) == 40:
            for column, readable in known.values(value).items():
                row.setdefault(column, readable)
    return row


def mapping_rows(fields: dict[str, CustomField]) -> list[dict]:
    return [
        {
            "entity": f.entity,
            "key": f.key,
            "field_id": f.field_id,
            "name": f.name,
            "field_type": f.field_type,
            "column": f.column,
            "value_columns": f.columns(),
            "options": f.options,
        }
        for f in fields.values()
    ]


def _is_custom(definition: dict) -> bool:
    return bool(_HASH.match(str(definition.get("key", ""))))


def _number(value: Any) -> Any:
    """Amounts as floats from the first value on, so a column of whole amounts is not
    created as an integer column and rebuilt when the first cents arrive."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _option_id(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("id")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _set_ids(value: Any) -> list | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [_option_id(part.strip()) for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [_option_id(v) for v in value]
    return [_option_id(value)]
