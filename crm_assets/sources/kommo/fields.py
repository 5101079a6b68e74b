"""Kommo custom fields, typed (docs/kommo-api.md, "Custom fields").

A record's `custom_fields_values` is null or a list of
`{field_id, field_name, field_code, field_type, values: [{value, enum_id, enum_code}]}`.
It becomes:

- rows of the long table `kommo_custom_field_values`, one per value, with typed
  columns: numbers the API sends as strings become numbers, unix-second dates become
  timestamps, checkboxes booleans, nested values (legal entity, linked entity, file,
  chained list) JSON;
- wide columns on the entity's own table for fields that hold one value, named from
  the field's name: a name equal to a standard column gets `_custom`; among custom
  fields with one name the oldest (lowest id) keeps it and the others get `_<id>`.
  Multi-value types (multiselect, multitext, smart address, chained list) live only
  in the long table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

NUMERIC = {"numeric", "price", "monetary"}
DATES = {"date", "date_time", "birthday"}
NESTED = {"legal_entity", "linked_entity", "file", "chained_list"}
MULTI = {"multiselect", "multitext", "smart_address", "chained_list"}
RESERVED = {"_synced_at", "_deleted"}
# Standard keys of each entity, which a custom field's wide column must not take.
STANDARD = {
    "leads": ["id", "name", "price", "responsible_user_id", "group_id", "status_id",
              "pipeline_id", "loss_reason_id", "source_id", "created_by", "updated_by",
              "created_at", "updated_at", "closed_at", "closest_task_at", "is_deleted",
              "score", "account_id", "labor_cost", "is_price_modified_by_robot", "embedded"],
    "contacts": ["id", "name", "first_name", "last_name", "responsible_user_id", "group_id",
                 "created_by", "updated_by", "created_at", "updated_at", "closest_task_at",
                 "is_deleted", "is_unsorted", "account_id", "embedded"],
    "companies": ["id", "name", "responsible_user_id", "group_id", "created_by", "updated_by",
                  "created_at", "updated_at", "closest_task_at", "is_deleted", "account_id",
                  "embedded"],
    "catalog_elements": ["id", "catalog_id", "name", "created_by", "updated_by", "created_at",
                         "updated_at", "is_deleted", "account_id", "embedded"],
}  # fmt: skip

VALUE_COLUMNS = {
    "entity_type": "text",
    "entity_id": "integer",
    "field_id": "integer",
    "field_code": "text",
    "field_name": "text",
    "field_type": "text",
    "value_index": "integer",
    "value_text": "text",
    "value_number": "number",
    "value_timestamp": "timestamp",
    "value_boolean": "boolean",
    "enum_id": "integer",
    "enum_code": "text",
    "value_json": "json",
}


def snake(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "field"


def columns_for(definitions: Iterable[dict], standard: Iterable[str]) -> dict[int, str]:
    """Field id -> wide column, for the single-value fields, by the module's naming rules."""
    standard = set(standard)
    taken = standard | RESERVED
    columns: dict[int, str] = {}
    for definition in sorted(definitions, key=lambda d: int(d["id"])):
        if definition.get("type") in MULTI:
            continue
        base = snake(str(definition.get("name") or definition["id"]))
        if base in standard:
            base += "_custom"
        column = base if base not in taken else f"{base}_{definition['id']}"
        columns[int(definition["id"])] = column
        taken.add(column)
    return columns


def value_rows(entity_type: str, record: dict) -> list[dict]:
    """One typed row per value of every custom field of `record` (none for null)."""
    rows = []
    for field in record.get("custom_fields_values") or ():
        kind = field.get("field_type")
        for index, item in enumerate(field.get("values") or ()):
            rows.append(
                {
                    "entity_type": entity_type,
                    "entity_id": record["id"],
                    "field_id": field.get("field_id"),
                    "field_code": field.get("field_code"),
                    "field_name": field.get("field_name"),
                    "field_type": kind,
                    "value_index": index,
                    **typed(kind, item),
                }
            )
    return rows


def typed(kind: str | None, item: dict) -> dict[str, Any]:
    """A value object's typed columns; unset ones are None so every row has them all."""
    text, number_, timestamp, flag, nested = _typed(kind, item)
    return {
        "value_text": text,
        "value_number": number_,
        "value_timestamp": timestamp,
        "value_boolean": flag,
        "enum_id": item.get("enum_id"),
        "enum_code": item.get("enum_code"),
        "value_json": nested,
    }


def _typed(kind: str | None, item: dict) -> tuple[Any, Any, Any, Any, Any]:
    """(value_text, value_number, value_timestamp, value_boolean, value_json) of a value."""
    value = item.get("value")
    if kind == "chained_list" or isinstance(value, (dict, list)):
        # Nested values keep every key; a chained list's value is the item itself.
        if value is None:
            value = {k: v for k, v in item.items() if k not in ("enum_id", "enum_code")}
        return None, None, None, None, value
    text = value if value is None or type(value) is str else str(value)
    if kind in NUMERIC:
        return text, number(value), None, None, None
    if kind in DATES:
        timestamp = moment(value)
        # An unreadable date is kept as sent rather than lost.
        return (text if timestamp is None else None), None, timestamp, None, None
    if kind == "checkbox":
        return None, None, None, boolean(value), None
    return text, None, None, None, None


def wide(record: dict, columns: dict[int, str]) -> dict[str, Any]:
    """The single-value fields' wide columns of one record: the first value, typed."""
    out: dict[str, Any] = {}
    for field in record.get("custom_fields_values") or ():
        column = columns.get(int(field.get("field_id") or 0))
        values = field.get("values")
        if column is None or not values:
            continue
        first = values[0]
        text, number_, timestamp, flag, nested = _typed(field.get("field_type"), first)
        for value in (number_, timestamp, flag, nested):
            if value is not None:
                out[column] = value
                break
        else:
            out[column] = text
        enum_id = first.get("enum_id")
        if enum_id is not None:
            out[f"{column}_enum_id"] = enum_id
    return out


def number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def moment(value: Any) -> datetime | None:
    """Unix seconds (int or digit string) or an RFC 3339 string, as a UTC datetime."""
    if type(value) is int:  # what Kommo sends; the checks below are for the rest
        return datetime.fromtimestamp(value, UTC)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def boolean(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "y"}


# Kommo's predefined contact and company fields of phones and emails, by field code.
PERSONAL_CODES = {"PHONE": "phone", "EMAIL": "email"}


def personal_classes(row: dict) -> dict[str, str]:
    """The class of personal data of a long-table row's values, for privacy policies:
    a phone or email field's text by its code; any other text may hold a CPF or CNPJ."""
    return {
        "value_text": PERSONAL_CODES.get(row.get("field_code") or "", "document"),
        "value_json": "document",
    }
