"""What Kommo tests compare: emulator records as the warehouse should hold them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crm_assets.core import schema

TIME_KEYS = {"created_at", "updated_at", "closed_at", "closest_task_at", "complete_till"}
SKIP = {"custom_fields_values", "_links", "_embedded"}
# Every field type of https://developers.kommo.com/docs/custom-fields.
DOCUMENTED_TYPES = {
    "text", "numeric", "checkbox", "select", "multiselect", "date", "url", "textarea",
    "radiobutton", "streetaddress", "smart_address", "birthday", "legal_entity", "date_time",
    "price", "category", "file", "multitext", "tracking_data", "linked_entity", "chained_list",
    "monetary",
}  # fmt: skip


def stored_as(key: str, value):
    if key in TIME_KEYS and isinstance(value, int):
        return datetime.fromtimestamp(value, UTC) if value else None
    return schema.comparable(value)


def assert_table_is(warehouse, table: str, records: list[dict], key=lambda r: r["id"]):
    """Every record is one row, value for value; no other row exists, live or deleted."""
    rows = {key(r): r for r in warehouse.rows(table)}
    assert sorted(rows) == sorted(key(r) for r in records), table
    for raw in records:
        row = rows[key(raw)]
        for name, value in raw.items():
            if name in SKIP:
                continue
            got = row.get(name)
            if isinstance(value, list | dict) and got is not None:
                got = json.loads(got)
            assert schema.comparable(got) == stored_as(name, value), (table, key(raw), name)


def statuses(emulator, path: str) -> list[int]:
    return [r.status for r in emulator.requests if r.path == path]
