"""Field metadata and custom-field values for the emulator.

docs/pipedrive-api.md, "Custom fields":
- custom fields are keyed by 40-hex hashes (here: sha1 of seed, entity and name);
- v2 records nest them: `"custom_fields": {"<hash>": value}`, enum = option id,
  set = [option ids], monetary = {value, currency}; `include_option_labels=true`
  gives `{id, label}` objects; `custom_fields=k1,k2` (at most 15) narrows them;
- v1 records flatten them: `"<hash>": value`, plus `"<hash>_currency"` for money,
  sets as a "1,2" string;
- field lists: v1 items `{id, key, name, field_type, edit_flag, options, ...}`,
  v2 items `{field_code, field_name, field_type, is_custom_field, options, subfields}`;
- subfields (a monetary field's currency, an address's parts): v2 nests them in the
  field's `subfields`; v1 lists each as an item of its own right after its field,
  `{id: null, key, name, field_type, is_subfield: true, parent_id, id_suffix}`, as the
  vendor's dealFields list `value` and then `currency`.
Each entity's custom fields include two names that collide once snake-cased and
one that collides with a standard field, the cases a connector must survive.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_assets.sources.pipedrive.emulator.data import Rand
from crm_assets.sources.pipedrive.emulator.field_specs import (
    ADDRESS_PARTS,
    CURRENCY_KEYS,
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
        items += [
            _v2_item(field["key"], field["name"], field["type"], field["options"], True)
            for field in self.custom[entity]
        ]
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
        items: list[dict[str, Any]] = []
        for n, field in enumerate(fields, start=1):
            item = _v1_item(base + n, n, stamp, *field)
            items.append(item)
            items += [
                _v1_subfield(item, suffix, key, name)
                for suffix, key, name in _v1_subfields(entity, *field[:3], custom=field[4])
            ]
        return items


def _v1_subfields(entity: str, key: str, name: str, ftype: str, *, custom: bool):
    """(id_suffix, key, name) of each subfield v1 lists after a field: the currency key
    of a monetary field that has one beside it, the `<key>_<part>` keys of an address."""
    if ftype == "monetary" and (custom or (entity, key) in CURRENCY_KEYS):
        sibling = f"{key}_currency" if custom else CURRENCY_KEYS[(entity, key)]
        yield "currency", sibling, name if custom else "Currency"
    elif ftype == "address":
        for part in ADDRESS_PARTS:
            yield part, f"{key}_{part}", f"{name} ({part.replace('_', ' ')})"


def _v1_subfield(parent: dict[str, Any], suffix: str, key: str, name: str) -> dict[str, Any]:
    return {
        "id": None, "key": key, "name": name, "field_type": "varchar",
        "edit_flag": parent["edit_flag"], "active_flag": True, "is_subfield": True,
        "mandatory_flag": False, "parent_id": parent["id"], "id_suffix": suffix,
    }  # fmt: skip


def _v1_item(item_id, n, stamp, key, name, ftype, options, custom) -> dict[str, Any]:
    """One v1 field. Pipedrive leaves `options` out of fields that have none (a client
    that reads `field.get("options", [])` must get a list or nothing, never null), and
    `parent_id` out of every item but a subfield (Singer's tap drops any item that has
    the key)."""
    item = {
        "id": item_id, "key": key, "name": name, "order_nr": n, "field_type": ftype,
        "json_column_flag": False, "add_time": stamp, "update_time": stamp,
        "last_updated_by_user_id": 1 if custom else None, "created_by_user_id": 1 if custom else None,
        "active_flag": True, "edit_flag": custom, "index_visible_flag": True,
        "details_visible_flag": True, "add_visible_flag": custom or n <= 3,
        "important_flag": False, "bulk_edit_allowed": True, "searchable_flag": custom and ftype in ("varchar", "text"),
        "filtering_allowed": True, "sortable_flag": True, "mandatory_flag": key in ("title", "name", "subject"),
    }  # fmt: skip
    if options:
        item["options"] = options
    return item


def _option(option_id, label: str) -> dict[str, Any]:
    return {"id": option_id, "label": label}


def _v2_item(code: str, name: str, ftype: str, options: list, custom: bool) -> dict[str, Any]:
    return {
        "field_code": code, "field_name": name, "field_type": ftype, "description": None,
        "is_custom_field": custom, "is_optional_response_field": False,
        "options": options or None, "subfields": _v2_subfields(name, ftype),
    }  # fmt: skip


def _v2_subfields(name: str, ftype: str) -> list[dict[str, str]] | None:
    """The keys of a monetary or address value, as the v2 lists name them (the vendor's
    dealFields example: `value` has subfields `value` and `currency`)."""
    if ftype == "monetary":
        parts = [
            ("value", f"Amount of {name}", "double"),
            ("currency", f"Currency of {name}", "varchar"),
        ]
    elif ftype == "address":
        parts = [("value", name, "varchar")]
        parts += [(part, f"{name} ({part.replace('_', ' ')})", "varchar") for part in ADDRESS_PARTS]
    else:
        return None
    return [{"field_code": c, "field_name": n, "field_type": t} for c, n, t in parts]


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
