"""A model's columns discovered with `fields_get` on every run, and its records
flattened to them (docs/odoo-api.md). When the call is refused, the stream falls back
to an id-only schema and says so in a warning.

Only stored fields are read (computed ones cost the server a computation per
record and are not columns in Odoo either). Types, by Odoo field type:
- many2one `[id, "name"]` -> two columns. A field `xyz_id` gives `xyz_id` (integer)
  and `xyz_name` (text); a field `xyz` gives `xyz_id` and `xyz_name`. When the name
  column would take the name of a real field, it is `<field>_name` (`partner_id_name`);
  when the id column would, it is `<field>_id_value`.
- one2many / many2many id lists -> JSON arrays (text);
- `false` on any non-boolean field -> NULL;
- datetime -> UTC timestamp; date -> date;
- monetary and float -> number; integer -> integer; boolean -> boolean;
- char, text, html, selection (its key; the labels go in the column description),
  binary (base64) and reference -> text, numbers coerced to strings (a char field
  such as `vehicle_cc` may arrive as JSON `0`).
Each column's description is the field's label (`string`), with the choices of a
selection and the related model of a relation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_assets.core import schema as t
from crm_assets.core.http import ApiClient, ApiError
from crm_assets.core.spec.flatten import parse_date, parse_time
from crm_assets.sources.odoo.client import CURSOR_FIELDS, transport_for

Record = dict[str, Any]
ATTRIBUTES = ["string", "type", "relation", "store", "selection", "help", "required"]
_TYPES = {"boolean": t.BOOLEAN, "integer": t.INTEGER, "float": t.NUMBER, "monetary": t.NUMBER,
          "datetime": t.TIMESTAMP, "date": t.DATE, "one2many": t.JSON, "many2many": t.JSON,
          "json": t.JSON, "properties": t.JSON}  # fmt: skip


@dataclass(frozen=True)
class ModelSchema:
    """The fields to request, the columns they become and how a record becomes a row."""

    fields: tuple[str, ...]
    columns: dict[str, str]
    descriptions: dict[str, str]
    convert: Callable[[Record], Record]


def discover(client: ApiClient, model: str, text_fields=()) -> ModelSchema:
    """The model's schema from `fields_get`, or the id-only fallback with a warning."""
    transport = transport_for(client)
    try:
        described = transport.call(model, "fields_get", attributes=ATTRIBUTES)
    except ApiError as exc:
        if exc.status not in (403, 422, 500):
            raise
        client.log.warning(
            f"odoo: fields_get on {model} failed ({exc}); reading ids only. Give the API "
            "key's user access to the model's field definitions to get every column."
        )
        return id_only()
    return from_fields_get(described, text_fields)


def id_only() -> ModelSchema:
    """The fallback when `fields_get` is refused: the id, nothing else."""
    return ModelSchema(
        fields=tuple(CURSOR_FIELDS),
        columns={"id": t.INTEGER},
        descriptions={"id": "ID"},
        convert=lambda record: {"id": record["id"]},
    )


def from_fields_get(described: dict[str, dict[str, Any]], text_fields=()) -> ModelSchema:
    """The schema of a model whose `fields_get` answered `described`.

    `text_fields` are stored as text whatever type the server declares for them.
    """
    stored = {name: spec for name, spec in described.items() if spec.get("store", True)}
    stored.setdefault("id", {"type": "integer", "string": "ID"})
    columns: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    converters: list[Callable[[Record, Record], None]] = []
    for name, spec in stored.items():
        kind = "char" if name in text_fields else spec.get("type", "char")
        label = str(spec.get("string") or name)
        if kind == "many2one":
            id_column, name_column = _many2one_columns(name, stored)
            related = spec.get("relation", "")
            columns[id_column], columns[name_column] = t.INTEGER, t.TEXT
            descriptions[id_column] = f"{label} (id of {related})"
            descriptions[name_column] = f"{label} (display name of the {related} record)"
            converters.append(_many2one(name, id_column, name_column))
            continue
        columns[name] = _TYPES.get(kind, t.TEXT)
        descriptions[name] = label + _choices(spec) if kind == "selection" else label
        converters.append(_converter(name, kind))

    def convert(record: Record) -> Record:
        row: Record = {}
        for converter in converters:
            converter(record, row)
        return row

    return ModelSchema(tuple(stored), columns, descriptions, convert)


def _many2one_columns(name: str, fields: dict[str, Any]) -> tuple[str, str]:
    base = name.removesuffix("_id")
    id_column = name if name.endswith("_id") else f"{name}_id"
    if id_column != name and id_column in fields:
        id_column = f"{name}_id_value"
    name_column = f"{base}_name"
    if name_column in fields:
        name_column = f"{name}_name"
    return id_column, name_column


def _many2one(field: str, id_column: str, name_column: str) -> Callable[[Record, Record], None]:
    def convert(record: Record, row: Record) -> None:
        value = record.get(field)
        if isinstance(value, list | tuple) and value:
            row[id_column] = value[0]
            row[name_column] = value[1] if len(value) > 1 else None
        else:  # `false`, or a bare id when read with load=None
            row[id_column] = value if isinstance(value, int) and value is not False else None
            row[name_column] = None

    return convert


def _converter(field: str, kind: str) -> Callable[[Record, Record], None]:
    cast = _CASTS.get(kind, _text)

    def convert(record: Record, row: Record) -> None:
        value = record.get(field)
        if value is False and kind != "boolean":
            value = None
        row[field] = None if value is None else cast(value)

    return convert


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


_CASTS: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,
    "integer": lambda v: v,
    "float": float,
    "monetary": float,
    "datetime": parse_time,  # "YYYY-MM-DD HH:MM:SS", always UTC
    "date": parse_date,  # "YYYY-MM-DD"
    "one2many": list,
    "many2many": list,
    "json": lambda v: v,
    "properties": lambda v: v,
}


def _choices(spec: dict[str, Any]) -> str:
    pairs = spec.get("selection")
    if not isinstance(pairs, list) or not pairs:
        return ""
    shown = ", ".join(
        f"{p[0]}: {p[1]}" for p in pairs if isinstance(p, list | tuple) and len(p) == 2
    )
    return f" ({shown})" if shown else ""
