"""Pipedrive streams: every stream of docs/pipedrive-api.md, plus the custom-field map.

API v2 (cursor pages of up to 500) wherever v2 has the endpoint; v1 for notes,
users, teams, activity types, field definitions and the deal flow. How each is read
is in `client.py`; the columns each declares, in `columns.py`. Custom fields arrive
as named columns (see `fields.py`). Rows the vendor reports deleted (`is_deleted`,
deal status `deleted`) are stored with `_deleted` set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from functools import lru_cache

from crm_assets.core.spec.flatten import converter, list_items, parse_time
from crm_assets.core.spec.streams import (
    ChildSpec,
    Fetch,
    Record,
    SourceSpec,
    StreamSpec,
    SyncMode,
)
from crm_assets.sources.pipedrive import client, columns
from crm_assets.sources.pipedrive.resource import PipedriveResource

INCREMENTAL, FULL = SyncMode.INCREMENTAL, SyncMode.FULL_TABLE


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


def child(
    *, name: str, extract: Callable[[Record], Iterable[Record]], of: str, key: tuple[str, ...] = ()
) -> ChildSpec:
    """A child table of stream `of`, its columns and personal data declared in `columns.py`."""
    return ChildSpec(
        name=name,
        extract=extract,
        key=key,
        columns=columns.CHILD_COLUMNS[f"{of}.{name}"],
        personal=columns.CHILD_PERSONAL.get(f"{of}.{name}", {}),
    )


OPTIONS = ChildSpec(
    name="options",
    extract=list_items("options"),
    key=("id",),
    columns=columns.CHILD_COLUMNS["options"],
)


def stream(
    *,
    name: str,
    fetch: Fetch,
    description: str,
    sync_mode: SyncMode,
    primary_key: tuple[str, ...] = ("id",),
    children: Iterable[ChildSpec] = (),
    lookback: timedelta = timedelta(0),
    per_record_requests: bool = False,
) -> StreamSpec:
    """A stream whose columns, descriptions, personal data and links are declared in
    `columns.py` under its name, its records typed by `TypedRow`."""
    declared = columns.types(name)
    return StreamSpec(
        name=name,
        fetch=fetch,
        description=description,
        flatten=TypedRow(declared),
        primary_key=primary_key,
        sync_mode=sync_mode,
        children=tuple(children),
        columns=declared,
        column_descriptions=columns.descriptions(name),
        lookback=lookback,
        per_record_requests=per_record_requests,
        personal=columns.PERSONAL.get(name, {}),
        links=columns.LINKS.get(name, ()),
    )


STREAMS: tuple[StreamSpec, ...] = (
    stream(
        name="activities",
        fetch=client.with_custom_fields("activities", client.v2_list("api/v2/activities")),
        description="Calls, meetings, tasks and other activities (`/api/v2/activities`)",
        sync_mode=INCREMENTAL,
    ),
    stream(
        name="activity_fields",
        fetch=client.field_definitions("activities"),
        description="Activity field definitions, standard and custom (`/v1/activityFields`)",
        sync_mode=FULL,
        children=[OPTIONS],
    ),
    stream(
        name="activity_types",
        fetch=client.unpaged("v1/activityTypes"),
        description="Activity types (`/v1/activityTypes`)",
        sync_mode=FULL,
    ),
    stream(
        name="deal_fields",
        fetch=client.field_definitions("deals"),
        description="Deal field definitions, standard and custom (`/v1/dealFields`)",
        sync_mode=FULL,
        children=[OPTIONS],
    ),
    stream(
        name="deal_products",
        fetch=client.fetch_deal_products,
        description="Products on the deals changed in the window, deleted deals included "
        "until Pipedrive purges them (`/api/v2/deals/products`, 100 deals a call)",
        sync_mode=INCREMENTAL,
    ),
    # The vendor may report a deal's update late; the hosted product re-reads a day.
    stream(
        name="deals",
        fetch=client.with_custom_fields("deals", client.deal_pages),
        description="Deals, including archived ones (`/api/v2/deals/archived`) and those "
        "deleted in the last 30 days (flagged `_deleted`)",
        sync_mode=INCREMENTAL,
        lookback=timedelta(hours=24),
    ),
    # The same lookback as deals: a partition reads the flow of every deal it reads, so
    # each live deal in the table has its history, late-reported updates included.
    stream(
        name="deals_flow",
        fetch=client.fetch_deals_flow,
        description="Change history of the deals changed in the window, deleted deals "
        "included (`/v1/deals/{id}/flow`)",
        sync_mode=INCREMENTAL,
        primary_key=("deal_id", "object", "id"),
        lookback=timedelta(hours=24),
        per_record_requests=True,
    ),
    stream(
        name="notes",
        fetch=client.notes,
        description="Notes on deals, persons and organizations (`/v1/notes`)",
        sync_mode=INCREMENTAL,
    ),
    stream(
        name="organization_fields",
        fetch=client.field_definitions("organizations"),
        description="Organization field definitions (`/v1/organizationFields`)",
        sync_mode=FULL,
        children=[OPTIONS],
    ),
    stream(
        name="organizations",
        fetch=client.with_custom_fields("organizations", client.v2_list("api/v2/organizations")),
        description="Organizations (`/api/v2/organizations`)",
        sync_mode=INCREMENTAL,
    ),
    stream(
        name="persons",
        fetch=client.with_custom_fields("persons", client.v2_list("api/v2/persons")),
        description="People (`/api/v2/persons`)",
        sync_mode=INCREMENTAL,
        children=[
            child(name="emails", extract=list_items("emails"), of="persons"),
            child(name="phones", extract=list_items("phones"), of="persons"),
        ],
    ),
    # Products filter on updated_since only.
    stream(
        name="products",
        fetch=client.with_custom_fields("products", client.v2_list("api/v2/products", until=False)),
        description="Products with their prices (`/api/v2/products`)",
        sync_mode=INCREMENTAL,
        children=[child(name="prices", extract=list_items("prices"), of="products")],
    ),
    stream(
        name="stages",
        fetch=client.v2_all("api/v2/stages"),
        description="Pipeline stages (`/api/v2/stages`)",
        sync_mode=FULL,
    ),
    stream(
        name="teams",
        fetch=client.unpaged("v1/legacyTeams"),
        description="Teams (`/v1/legacyTeams`)",
        sync_mode=FULL,
        children=[
            child(
                name="users",
                extract=list_items("users", "user_id"),
                of="teams",
                key=("user_id",),
            )
        ],
    ),
    stream(
        name="users",
        fetch=client.unpaged("v1/users"),
        description="Users of the account (`/v1/users`)",
        sync_mode=FULL,
    ),
    stream(
        name="pipelines",
        fetch=client.v2_all("api/v2/pipelines"),
        description="Sales pipelines (`/api/v2/pipelines`)",
        sync_mode=FULL,
    ),
    stream(
        name="custom_fields",
        fetch=client.custom_field_map,
        description="Where every custom-field column comes from: entity, 40-hex key, field "
        "name, type, column name and the value columns it fills",
        sync_mode=FULL,
        primary_key=("entity", "key"),
    ),
)

SOURCE = SourceSpec(
    name="pipedrive", title="Pipedrive", streams=STREAMS, resource=PipedriveResource
)
