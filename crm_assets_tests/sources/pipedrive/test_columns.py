"""Pipedrive columns: declared from the documentation, never from the first record."""

from __future__ import annotations

import pytest

from crm_assets.core import schema
from crm_assets.sources.pipedrive.streams import STREAMS
from crm_assets_tests.sources.pipedrive.test_sync import FAST, FULL, UNLIMITED, by_stream

SPECS = {s.name: s for s in STREAMS}
FIELD_DEFINITION = [
    "id", "parent_id", "active_flag", "field_type", "update_time", "sortable_flag", "name",
    "searchable_flag", "important_flag", "edit_flag", "last_updated_by_user_id",
    "bulk_edit_allowed", "mandatory_flag", "index_visible_flag", "filtering_allowed", "key",
    "add_visible_flag", "order_nr", "details_visible_flag", "add_time",
]  # fmt: skip
# The fields the hosted product documents for each stream (custom-field examples left
# out: custom fields are typed from their own definitions).
DOCUMENTED = {
    "activities": [
        "id", "subject", "type", "done", "marked_as_done_time", "org_id", "person_id",
        "deal_id", "due_date", "due_time", "duration", "note", "add_time", "owner_id",
        "creator_user_id", "update_time", "last_notification_time", "busy_flag",
        "public_description", "is_deleted",
    ],
    "activity_fields": FIELD_DEFINITION,
    "activity_types": [
        "id", "active_flag", "order_nr", "name", "key_string", "icon_key", "color",
        "is_custom_flag", "update_time", "add_time",
    ],
    "deal_fields": FIELD_DEFINITION,
    "deal_products": [
        "id", "deal_id", "item_price", "active_flag", "product_variation_id", "discount",
        "discount_type", "duration_unit", "sum_no_discount", "tax", "comments", "name",
        "enabled_flag", "currency", "last_edit", "sum", "duration", "add_time", "order_nr",
        "quantity", "product_id",
    ],
    "deals": ["id", "org_id", "creator_user_id", "update_time", "stage_id", "pipeline_id"],
    "deals_flow": ["deal_id", "object", "timestamp", "data"],
    "notes": [
        "id", "active_flag", "add_time", "content", "deal__title", "deal_id",
        "last_update_user_id", "lead_id", "org_id", "organization__name", "person__name",
        "person_id", "pinned_to_deal_flag", "pinned_to_lead_flag",
        "pinned_to_organization_flag", "pinned_to_person_flag", "update_time", "user__email",
        "user__name", "user_id",
    ],
    "organization_fields": FIELD_DEFINITION,
    "organizations": ["id", "update_time", "name", "owner_id"],
    "persons": ["id", "org_id", "owner_id", "update_time"],
    "products": ["id", "update_time", "name", "price", "tax", "owner_id"],
    "stages": [
        "id", "name", "deal_probability", "pipeline_id", "add_time", "update_time",
        "is_deal_rot_enabled", "days_to_rotten", "is_deleted", "order_nr",
    ],
    "teams": [
        "id", "active_flag", "deleted_flag", "name", "description", "created_by_user_id",
        "manager_id", "add_time",
    ],
    "users": [
        "id", "lang", "active_flag", "name", "created", "locale", "signup_flow_variation",
        "timezone_offset", "activated", "modified", "email", "phone", "has_created_company",
        "last_login", "timezone_name", "is_admin", "role_id", "default_currency",
    ],
    "pipelines": [
        "id", "name", "url_title", "order_nr", "active", "deal_probability", "add_time",
        "update_time",
    ],
}  # fmt: skip
# Where API v2 (which the streams read) names or shapes a documented field otherwise.
V2_NAMES = {
    ("activities", "busy_flag"): "busy",
    ("deal_products", "enabled_flag"): "is_enabled",
    ("notes", "deal__title"): "deal",
    ("notes", "organization__name"): "organization",
    ("notes", "person__name"): "person",
    ("notes", "user__email"): "user",
    ("notes", "user__name"): "user",
    ("products", "price"): "prices",
    ("pipelines", "deal_probability"): "is_deal_probability_enabled",
}
# Documented v1 fields that API v2 no longer sends at all.
NOT_IN_V2 = {
    ("deal_products", f)
    for f in ("active_flag", "duration_unit", "sum_no_discount", "last_edit", "duration")
} | {("pipelines", "url_title"), ("pipelines", "active"), ("users", "signup_flow_variation")}
MONEY = {("deals", "value"), ("deal_products", "sum"), ("deal_products", "item_price")}


def test_every_documented_field_has_a_declared_type_and_a_description():
    assert set(DOCUMENTED) <= set(SPECS)
    for stream, documented in DOCUMENTED.items():
        spec = SPECS[stream]
        for field in documented:
            if (stream, field) in NOT_IN_V2:
                continue
            column = V2_NAMES.get((stream, field), field)
            assert column in spec.columns, (stream, field)
            assert spec.column_descriptions.get(column), (stream, column)
        assert set(spec.columns) == set(spec.column_descriptions), stream
        assert set(spec.columns.values()) <= set(schema.SQL_TYPES), stream
        key = "deal_id" if stream == "deals_flow" else "id"
        assert spec.columns[key] == schema.INTEGER, stream
    for stream, column in MONEY:
        assert SPECS[stream].columns[column] == schema.NUMBER


@pytest.fixture
def fast(make_pipedrive):
    return make_pipedrive(burst_limit=UNLIMITED)


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_whole_values_still_make_numeric_and_dates_date_columns(fast, warehouse):
    deals = fast.emulator.records("deals")
    assert all(type(d["value"]) is int for d in deals)  # every value whole, on every page
    result = fast.run(warehouse, streams=["deals", "activities", "users"], tags=FULL, **FAST)
    types = dict(warehouse.columns("pipedrive_deals"))
    assert types["value"] == schema.NUMBER and types["probability"] == schema.NUMBER
    assert types["expected_close_date"] == schema.DATE and types["id"] == schema.INTEGER
    assert dict(warehouse.columns("pipedrive_activities"))["due_date"] == schema.DATE
    assert dict(warehouse.columns("pipedrive_users"))["last_login"] == schema.TIMESTAMP
    # A documented field no record has sent yet still has its column, typed.
    assert dict(warehouse.columns("pipedrive_activities"))["last_notification_time"] == (
        schema.TIMESTAMP
    )
    # What the UI's column table shows: every documented column explained.
    columns = {c.name: c for c in by_stream(result)["deals"]["dagster/column_schema"].value.columns}
    assert columns["value"].type == schema.NUMBER
    assert "value" in columns["value"].description and "currency" in columns["value"].description
    assert columns["_deleted"].description and columns["_synced_at"].description
    rerun = fast.run(warehouse, streams=["deals", "activities", "users"], tags=FULL, **FAST)
    for stream, metadata in by_stream(rerun).items():
        assert metadata["rows_updated"].value == 0, stream


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_every_declared_column_keeps_its_type_through_a_full_sync(fast, warehouse):
    # A declaration that disagreed with what the API sends would widen to text here.
    fast.run(warehouse, tags=FULL, **FAST)
    for spec in STREAMS:
        stored = dict(warehouse.columns(f"pipedrive_{spec.name}"))
        for column, kind in spec.columns.items():
            assert stored[column] == schema.storage_type(kind), (spec.name, column)
        for child in spec.children:
            stored = dict(warehouse.columns(f"pipedrive_{spec.name}__{child.name}"))
            for column, kind in child.columns.items():
                assert stored[column] == schema.storage_type(kind), (spec.name, child.name)
