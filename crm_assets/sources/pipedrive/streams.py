"""Pipedrive streams: every stream of docs/pipedrive-api.md, plus the custom-field map.

API v2 (cursor pages of up to 500) wherever v2 has the endpoint; v1 for notes,
users, teams, activity types, field definitions and the deal flow. Custom fields
arrive as named columns (see `fields.py`). Rows the vendor reports deleted
(`is_deleted`, deal status `deleted`) are stored with `_deleted` set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from crm_assets.core.spec.flatten import converter, list_items, parse_time
from crm_assets.core.spec.streams import (
    ChildSpec,
    Fetch,
    Record,
    SourceSpec,
    StreamSpec,
    SyncMode,
    Window,
)
from crm_assets.sources.pipedrive import columns, deals, fields
from crm_assets.sources.pipedrive.fetch import v1_list, v1_pages, v2_pages, window_params
from crm_assets.sources.pipedrive.resource import PipedriveResource

INCREMENTAL, FULL = SyncMode.INCREMENTAL, SyncMode.FULL_TABLE
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


class TypedRow:
    """Values in their declared types (timestamps to UTC: v2 sends RFC3339, v1
    `YYYY-MM-DD HH:MM:SS` in UTC; dates to dates); deletes flagged. Undeclared keys
    ending in `_time` are timestamps too.

    Which keys need converting is worked out once per record shape (the keys and
    their order), which a stream's records share page after page: a row is then a
    copy of its record with those few values converted.
    """

    def __init__(self, declared: Mapping[str, str]):
        self.declared = set(declared)
        self.converters = {
            key: convert for key, kind in declared.items() if (convert := converter(kind))
        }
        self._plan = lru_cache(maxsize=256)(self._plan_for)

    def __call__(self, record: Record) -> Record:
        flat = dict(record)
        for key, convert in self._plan(tuple(record)):
            value = flat[key]
            # Every converter keeps None as it is: no call for an empty value.
            if value is not None:
                flat[key] = convert(value)
        flat["_deleted"] = bool(record.get("is_deleted")) or record.get("status") == "deleted"
        return flat

    def _plan_for(self, keys: tuple[str, ...]) -> tuple[tuple[str, Callable], ...]:
        plan = []
        for key in keys:
            if key in self.converters:
                plan.append((key, self.converters[key]))
            elif key not in self.declared and (key.endswith("_time") or key == "timestamp"):
                plan.append((key, parse_time))
        return tuple(plan)


def with_custom_fields(entity: str, pages: Callable[[Any, Window], Iterator[list]]) -> Fetch:
    """Read the entity's field definitions first, then name its custom fields on every page."""

    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        definitions = fields.read_definitions(client, entity)
        naming = fields.Naming(fields.resolve(entity, definitions, V2_KEYS[entity]))
        for page in pages(client, window):
            yield [naming(record) for record in page]

    return fetch


def v2_list(path: str, *, until: bool = True) -> Callable:
    def pages(client: Any, window: Window) -> Iterator[list[Record]]:
        ordered = {"sort_by": "update_time", "sort_direction": "asc"}
        params = {**ordered, **window_params(window, until=until)}
        return v2_pages(client, path, params)

    return pages


def v2_all(path: str) -> Fetch:
    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        return v2_pages(client, path, {})

    return fetch


def notes(client: Any, window: Window) -> Iterator[list[Record]]:
    # Notes filter on creation dates; one may be edited for `notes_update_window_days`
    # after it is created, so the window reaches that far back (docs/pipedrive-api.md).
    params: dict[str, Any] = {"sort": "update_time ASC"}
    if not window.is_full:
        days = client.config.options.get("notes_update_window_days", 30)
        params["start_date"] = (window.start - timedelta(days=days)).date().isoformat()
        params["end_date"] = (window.end - timedelta(microseconds=1)).date().isoformat()
    return v1_pages(client, "v1/notes", params)


def unpaged(path: str) -> Fetch:
    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        items = v1_list(client, path)
        if items:
            yield items

    return fetch


def field_definitions(entity: str) -> Fetch:
    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        yield from v1_pages(client, f"v1/{fields.ENTITIES[entity]}")

    return fetch


def custom_field_map(client: Any, window: Window) -> Iterator[list[Record]]:
    for entity in fields.ENTITIES:
        named = fields.resolve(entity, fields.read_definitions(client, entity), V2_KEYS[entity])
        if named:
            yield fields.mapping_rows(named)


def child(name: str, extract: Callable, *, of: str, key: tuple[str, ...] = ()) -> ChildSpec:
    return ChildSpec(
        name,
        extract,
        key=key,
        columns=columns.CHILD_COLUMNS[f"{of}.{name}"],
        personal=columns.CHILD_PERSONAL.get(f"{of}.{name}", {}),
    )


OPTIONS = ChildSpec(
    "options", list_items("options"), key=("id",), columns=columns.CHILD_COLUMNS["options"]
)


def stream(
    name, fetch, description, mode, *, children=(), key=("id",), lookback=None, per_record=False
):
    declared = columns.types(name)
    return StreamSpec(
        name=name,
        fetch=fetch,
        description=description,
        flatten=TypedRow(declared),
        primary_key=key,
        sync_mode=mode,
        children=tuple(children),
        columns=declared,
        column_descriptions=columns.descriptions(name),
        lookback=lookback or timedelta(0),
        per_record_requests=per_record,
        personal=columns.PERSONAL.get(name, {}),
        links=columns.LINKS.get(name, ()),
    )


STREAMS: tuple[StreamSpec, ...] = (
    stream(
        "activities",
        with_custom_fields("activities", v2_list("api/v2/activities")),
        "Calls, meetings, tasks and other activities (`/api/v2/activities`)",
        INCREMENTAL,
    ),
    stream(
        "activity_fields",
        field_definitions("activities"),
        "Activity field definitions, standard and custom (`/v1/activityFields`)",
        FULL,
        children=[OPTIONS],
    ),
    stream(
        "activity_types", unpaged("v1/activityTypes"), "Activity types (`/v1/activityTypes`)", FULL
    ),
    stream(
        "deal_fields",
        field_definitions("deals"),
        "Deal field definitions, standard and custom (`/v1/dealFields`)",
        FULL,
        children=[OPTIONS],
    ),
    stream(
        "deal_products",
        deals.fetch_deal_products,
        "Products on the deals changed in the window, deleted deals included until Pipedrive "
        "purges them (`/api/v2/deals/products`, 100 deals a call)",
        INCREMENTAL,
    ),
    # The vendor may report a deal's update late; the hosted product re-reads a day.
    stream(
        "deals",
        with_custom_fields("deals", deals.deal_pages),
        "Deals, including archived ones (`/api/v2/deals/archived`) and those deleted in the "
        "last 30 days (flagged `_deleted`)",
        INCREMENTAL,
        lookback=timedelta(hours=24),
    ),
    # The same lookback as deals: a partition reads the flow of every deal it reads, so
    # each live deal in the table has its history, late-reported updates included.
    stream(
        "deals_flow",
        deals.fetch_deals_flow,
        "Change history of the deals changed in the window, deleted deals included "
        "(`/v1/deals/{id}/flow`)",
        INCREMENTAL,
        key=("deal_id", "object", "id"),
        lookback=timedelta(hours=24),
        per_record=True,
    ),
    stream("notes", notes, "Notes on deals, persons and organizations (`/v1/notes`)", INCREMENTAL),
    stream(
        "organization_fields",
        field_definitions("organizations"),
        "Organization field definitions (`/v1/organizationFields`)",
        FULL,
        children=[OPTIONS],
    ),
    stream(
        "organizations",
        with_custom_fields("organizations", v2_list("api/v2/organizations")),
        "Organizations (`/api/v2/organizations`)",
        INCREMENTAL,
    ),
    stream(
        "persons",
        with_custom_fields("persons", v2_list("api/v2/persons")),
        "People (`/api/v2/persons`)",
        INCREMENTAL,
        children=[
            child("emails", list_items("emails"), of="persons"),
            child("phones", list_items("phones"), of="persons"),
        ],
    ),
    # Products filter on updated_since only.
    stream(
        "products",
        with_custom_fields("products", v2_list("api/v2/products", until=False)),
        "Products with their prices (`/api/v2/products`)",
        INCREMENTAL,
        children=[child("prices", list_items("prices"), of="products")],
    ),
    stream("stages", v2_all("api/v2/stages"), "Pipeline stages (`/api/v2/stages`)", FULL),
    stream(
        "teams",
        unpaged("v1/legacyTeams"),
        "Teams (`/v1/legacyTeams`)",
        FULL,
        children=[child("users", list_items("users", "user_id"), of="teams", key=("user_id",))],
    ),
    stream("users", unpaged("v1/users"), "Users of the account (`/v1/users`)", FULL),
    stream("pipelines", v2_all("api/v2/pipelines"), "Sales pipelines (`/api/v2/pipelines`)", FULL),
    stream(
        "custom_fields",
        custom_field_map,
        "Where every custom-field column comes from: entity, 40-hex key, field name, "
        "type, column name and the value columns it fills",
        FULL,
        key=("entity", "key"),
    ),
)

SOURCE = SourceSpec(
    name="pipedrive", title="Pipedrive", streams=STREAMS, resource=PipedriveResource
)
