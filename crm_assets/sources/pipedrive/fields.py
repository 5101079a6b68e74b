"""Pipedrive custom fields as readable columns (docs/pipedrive-api.md, "Custom fields").

Pipedrive keys custom fields by 40-hex hashes (v2: inside `custom_fields`). Each
becomes a snake_case column named after the field, with its value made readable:

- enum: `<name>` holds the option id, `<name>_label` its label;
- set: `<name>` the list of option ids, `<name>_labels` their labels (v1 sends
  `"1,2"`, a string that must be split on commas, never into characters);
- monetary: `<name>` the amount, `<name>_currency` its currency (v2 sends
  `{value, currency}`, v1 the amount under the hash and the currency under
  `<hash>_currency`, a subfield its field list declares after the field);
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

ENTITIES = {
    "deals": "dealFields",
    "persons": "personFields",
    "organizations": "organizationFields",
    "products": "productFields",
    "activities": "activityFields",
}
# Standard keys of v2 records, which a custom field's column must not take.
V2_KEYS = {
    "deals": ["id", "title", "owner_id", "person_id", "org_id", "pipeline_id", "stage_id",
              "value", "currency", "status", "probability", "lost_reason", "label_ids",
              "add_time", "update_time", "won_time", "lost_time", "close_time",
              "expected_close_date", "is_deleted", "is_archived", "visible_to"],
    "persons": ["id", "name", "first_name", "last_name", "owner_id", "org_id", "emails",
                "phones", "job_title", "label_ids", "add_time", "update_time", "is_deleted"],
    "organizations": ["id", "name", "owner_id", "address", "website", "industry",
                      "label_ids", "add_time", "update_time", "is_deleted"],
    "products": ["id", "name", "code", "unit", "tax", "prices", "category", "description",
                 "owner_id", "add_time", "update_time", "is_deleted"],
    "activities": ["id", "subject", "type", "owner_id", "deal_id", "person_id", "org_id",
                   "due_date", "due_time", "duration", "done", "note", "priority",
                   "add_time", "update_time", "is_deleted"],
}  # fmt: skip
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

    @cached_property
    def fill(self) -> Callable[[dict, Any], None]:
        """Writes a value's readable columns into a row, keeping any the row already has.
        The conversion is chosen here, once per field, rather than for every value."""
        if self.field_type == "enum":
            return _enum_filler(self.column, _labeller(self.options))
        if self.field_type == "set":
            return _set_filler(self.column, _labeller(self.options))
        if self.field_type == "monetary":
            return _monetary_filler(self.column)
        if self.field_type == "double":
            return _number_filler(self.column)
        return _plain_filler(self.column)


def snake(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return text or "field"


def resolve(
    entity: str, definitions: Iterable[dict], reserved: Iterable[str] = ()
) -> dict[str, CustomField]:
    """Map each custom field's hash to its column, by the rules in the module docstring.

    `reserved` adds the standard keys of the v2 records, which differ from v1's.
    """
    definitions = list(definitions)
    # A standard field's subfields (a deal's `currency`, an `address_<part>`) are record
    # keys a column must not take; a custom field's subfields follow their field.
    standard = {d["key"] for d in definitions if not _is_custom(d)} | set(reserved)
    custom = sorted(
        (d for d in definitions if _is_custom(d) and not is_subfield(d)), key=lambda d: int(d["id"])
    )
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


class Naming:
    """Replaces `custom_fields` (v2) or top-level hash keys (v1) with named columns.

    v1 also sends subfields as `<hash>_<part>` (`_currency`, `_until`): they land in
    `<column>_<part>`, beside their field. Where each key goes is worked out once per
    set of keys, which the records of a page share, not once per value.
    """

    def __init__(self, fields: dict[str, CustomField]):
        self.fields = fields
        self._writers = lru_cache(maxsize=256)(self._writers_for)

    def __call__(self, record: dict) -> dict:
        row = dict(record)
        values = dict(row.pop("custom_fields", None) or {})
        for key in _hash_keys(tuple(record)):
            values[key] = row.pop(key)
        for write, value in zip(self._writers(tuple(values)), values.values(), strict=True):
            write(row, value)
        return row

    def _writers_for(self, keys: tuple[str, ...]) -> tuple[Callable[[dict, Any], None], ...]:
        return tuple(self._writer(key) for key in keys)

    def _writer(self, key: str) -> Callable[[dict, Any], None]:
        known = self.fields.get(key[:40])
        if known is None:
            # A field created after the definitions were read: kept under its hash.
            return _put(key)
        if len(key) > 40:
            return _put(known.column + key[40:])
        return known.fill


@lru_cache(maxsize=256)
def _hash_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The top-level custom-field keys among a record's keys: looked for once per
    record shape, which the records of a page share."""
    # Every hash key is 40 characters or more: shorter keys skip the pattern.
    return tuple(key for key in keys if len(key) >= 40 and _HASH.match(key))


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


def is_subfield(definition: dict) -> bool:
    """True for the items v1 field lists add after a monetary or address field for the
    keys its value spreads over (`<key>_currency`, `<key>_<part>`): they have no id of
    their own and are described by their `parent_id`'s field."""
    return bool(definition.get("is_subfield")) or definition.get("id") is None


def _number(value: Any) -> Any:
    """Amounts as floats from the first value on, so a column of whole amounts is not
    created as an integer column and rebuilt when the first cents arrive."""
    if type(value) in (int, float):
        return float(value)
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
    if isinstance(value, list):
        # v2 sends option ids as integers, which stay as they are.
        return [v if type(v) is int else _option_id(v) for v in value]
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [_option_id(part.strip()) for part in value.split(",") if part.strip()]
    return [_option_id(value)]


def _labeller(options: dict[str, str]) -> Callable[[Any], str | None]:
    """An option's label as `options.get(str(option))` finds it, without building a
    string for the integer ids v2 sends."""
    by_int = {number: label for key, label in options.items() if (number := _int(key)) is not None}

    def label(option: Any) -> str | None:
        if type(option) is int:
            return by_int.get(option)
        return None if option is None else options.get(str(option))

    return label


def _int(key: str) -> int | None:
    """The integer whose `str()` is `key`, if there is one."""
    try:
        number = int(key)
    except ValueError:
        return None
    return number if str(number) == key else None


def _put(column: str) -> Callable[[dict, Any], None]:
    def put(row: dict, value: Any) -> None:
        row[column] = value

    return put


def _enum_filler(column: str, label: Callable[[Any], str | None]) -> Callable[[dict, Any], None]:
    label_column = column + "_label"

    def fill(row: dict, value: Any) -> None:
        option = value if type(value) is int else _option_id(value)
        row.setdefault(column, option)
        row.setdefault(label_column, label(option))

    return fill


def _set_filler(column: str, label: Callable[[Any], str | None]) -> Callable[[dict, Any], None]:
    labels_column = column + "_labels"

    def fill(row: dict, value: Any) -> None:
        ids = _set_ids(value)
        row.setdefault(column, ids)
        row.setdefault(labels_column, None if ids is None else list(map(label, ids)))

    return fill


def _monetary_filler(column: str) -> Callable[[dict, Any], None]:
    currency_column = column + "_currency"

    def fill(row: dict, value: Any) -> None:
        if isinstance(value, dict):
            row.setdefault(column, _number(value.get("value")))
            row.setdefault(currency_column, value.get("currency"))
        else:
            row.setdefault(column, _number(value))
            row.setdefault(currency_column, None)

    return fill


def _number_filler(column: str) -> Callable[[dict, Any], None]:
    def fill(row: dict, value: Any) -> None:
        row.setdefault(column, _number(value))

    return fill


def _plain_filler(column: str) -> Callable[[dict, Any], None]:
    def fill(row: dict, value: Any) -> None:
        row.setdefault(column, value)

    return fill
