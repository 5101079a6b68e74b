"""Field metadata and custom-field values for the emulator.

docs/pipedrive-api.md, "Custom fields":
- custom fields are keyed by 40-hex hashes (here: sha1 of seed, entity and name);
- v2 records nest them: `"custom_fields": {"<hash>": value}`, enum = option id,
  set = [option ids], monetary = {value, currency}; `include_option_labels=true`
  gives `{id, label}` objects; `custom_fields=k1,k2` (at most 15) narrows them;
- v1 records flatten them: `"<hash>": value`, plus `"<hash>_currency"` for money,
  sets as a "1,2" string;
- field lists: v1 items `{id, key, name, field_type, edit_flag, options, ...}`,
  v2 items `{field_code, field_name, field_type, is_custom_field, options, subfields}`.
Each entity's custom fields include two names that collide once snake-cased and
one that collides with a standard field, the cases a connector must survive.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_assets.sources.pipedrive.emulator.data import Rand
from crm_assets.sources.pipedrive.emulator.field_specs import (
    CUSTOM_FIELDS,
    CUSTOM_FIELDS_OF,
    ENTITIES,
    STANDARD_FIELDS,
    V1_FIELDS,
    V1_ONLY,
)
from crm_assets.sources.pipedrive.emulator.http import ApiError, v1_time

CURRENCIES = ("USD", "EUR", "GBP", "BRL")
MAX_CUSTOM_FIELD_KEYS = 15


class FieldSet:
    """One seed's field definitions, with value generation and both wire shapes."""

    def __init__(self, seed: int, created: int):
        self.created = created  # when the fields "were created": before any record
        self.custom: dict[str, list[dict[str, Any]]] = {}
        for entity, specs in CUSTOM_FIELDS.items():
            option_id = 100
            fields = []
            for name, field_type, labels in specs:
                options = []
                for label in labels:
                    option_id += 1
                    options.append({"id": option_id, "label": label})
                key = hashlib.sha1(f"{seed}:{entity}:{name}".encode()).hexdigest()
                fields.append({"key": key, "name": name, "type": field_type, "options": options})
            self.custom[entity] = fields

    # -- values ------------------------------------------------------------------------

    def values(self, entity: str, rand: Rand, created: int) -> dict[str, Any]:
        """v2 `custom_fields` of one record: every key present, about a quarter null."""
        out: dict[str, Any] = {}
        for k, field in enumerate(self.custom[entity]):
            r = rand(200 + k)
            out[field["key"]] = None if r % 4 == 0 else _value(field, r >> 8, created)
        return out

    def render_v2(self, entity: str, values: dict[str, Any], labels: bool, keys: list[str] | None):
        if keys is not None:
            values = {k: v for k, v in values.items() if k in keys}
        if not labels:
            return values
        out = dict(values)
        for field in self.custom[entity]:
            value = out.get(field["key"])
            names = {o["id"]: o["label"] for o in field["options"]}
            if value is not None and field["type"] == "enum":
                out[field["key"]] = {"id": value, "label": names[value]}
            elif value is not None and field["type"] == "set":
                out[field["key"]] = [{"id": v, "label": names[v]} for v in value]
        return out

    def flatten_v1(self, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in self.custom[entity]:
            key, value = field["key"], values.get(field["key"])
            if field["type"] == "monetary":
                out[key] = None if value is None else value["value"]
                out[f"{key}_currency"] = None if value is None else value["currency"]
            elif field["type"] == "set":
                out[key] = None if value is None else ",".join(map(str, value))
            elif field["type"] == "enum":
                out[key] = None if value is None else str(value)
            else:
                out[key] = value
        return out

    def check_keys(self, raw: list[str]) -> list[str] | None:
        if not raw:
            return None
        if len(raw) > MAX_CUSTOM_FIELD_KEYS:
            raise ApiError(
                400, f"Invalid value for 'custom_fields': at most {MAX_CUSTOM_FIELD_KEYS} keys"
            )
        return raw

    # -- metadata ------------------------------------------------------------------------

    def v2_items(self, entity: str) -> list[dict[str, Any]]:
        items = [
            _v2_item(code, name, ftype, [_option(i, label) for i, label in options], False)
            for _key, code, name, ftype, options in STANDARD_FIELDS[entity]
        ]
        for field in self.custom[entity]:
            item = _v2_item(field["key"], field["name"], field["type"], field["options"], True)
            if field["type"] == "monetary":
                item["subfields"] = [
                    {"field_code": "currency", "field_name": "Currency", "field_type": "varchar"}
                ]
            items.append(item)
        return items

    def v1_items(self, entity: str) -> list[dict[str, Any]]:
        """The v1 list of deals', persons', ..., notes' or leads' fields, standard first."""
        if entity in V1_ONLY:
            standard = V1_FIELDS[entity]
        else:
            standard = [
                (key, name, ftype, opts) for key, _, name, ftype, opts in STANDARD_FIELDS[entity]
            ]
        fields = [
            (key, name, ftype, [_option(i, label) for i, label in options], False)
            for key, name, ftype, options in standard
        ]
        custom = self.custom.get(CUSTOM_FIELDS_OF.get(entity, entity), [])
        fields += [(f["key"], f["name"], f["type"], f["options"], True) for f in custom]
        base = 12_000 + 1_000 * (ENTITIES + V1_ONLY).index(entity)
        stamp = v1_time(self.created)
        return [_v1_item(base + n, n, stamp, *field) for n, field in enumerate(fields, start=1)]


def _v1_item(item_id, n, stamp, key, name, ftype, options, custom) -> dict[str, Any]:
    """One v1 field. Pipedrive leaves `options` out of fields that have none (a client
    that reads `field.get("options", [])` must get a list or nothing, never null)."""
    item = {
        "id": item_id, "key": key, "name": name, "order_nr": n, "field_type": ftype,
        "json_column_flag": False, "add_time": stamp, "update_time": stamp,
        "last_updated_by_user_id": 1 if custom else None, "created_by_user_id": 1 if custom else None,
        "active_flag": True, "edit_flag": custom, "index_visible_flag": True,
        "details_visible_flag": True, "add_visible_flag": custom or n <= 3,
        "important_flag": False, "bulk_edit_allowed": True, "searchable_flag": custom and ftype in ("varchar", "text"),
        "filtering_allowed": True, "sortable_flag": True, "mandatory_flag": key in ("title", "name", "subject"),
        "parent_id": None,
    }  # fmt: skip
    if options:
        item["options"] = options
    if ftype == "monetary" and custom:
        item["subfields"] = [
            {"key": f"{key}_currency", "name": f"Currency of {name}", "field_type": "varchar"}
        ]
    return item


def _option(option_id, label: str) -> dict[str, Any]:
    return {"id": option_id, "label": label}


def _v2_item(code: str, name: str, ftype: str, options: list, custom: bool) -> dict[str, Any]:
    return {
        "field_code": code, "field_name": name, "field_type": ftype, "description": None,
        "is_custom_field": custom, "is_optional_response_field": False,
        "options": options or None, "subfields": None,
    }  # fmt: skip


_PHRASES = (
    "Prefers email", "Call before noon", "Budget approved", "Needs legal review",
    "Champion left", "Asked for a discount", "Evaluating competitors", "Reference customer",
)  # fmt: skip


def _value(field: dict[str, Any], r: int, created: int) -> Any:
    ftype = field["type"]
    if ftype in ("text", "varchar"):
        return _PHRASES[r % len(_PHRASES)]
    if ftype == "double":
        return r % 500 if r % 3 else round((r % 50_000) / 100, 2)
    if ftype == "monetary":
        return {"value": (r % 2_000) * 50, "currency": CURRENCIES[(r >> 16) % len(CURRENCIES)]}
    if ftype == "enum":
        return field["options"][r % len(field["options"])]["id"]
    if ftype == "set":
        chosen = [o["id"] for n, o in enumerate(field["options"]) if (r >> (n + 3)) & 1]
        return chosen or [field["options"][r % len(field["options"])]["id"]]
    if ftype == "date":
        start = datetime.fromtimestamp(created, UTC).date()
        return (start + timedelta(days=r % 540)).isoformat()
    raise ValueError(f"no generator for field type {ftype}")
