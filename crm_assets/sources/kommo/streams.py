"""Kommo streams (docs/kommo-api.md): the CRM's entities, their deletes, custom fields.

How each is read, deletes included, is in `client.py`; the columns each declares and
where its records name a contact, in `columns.py`. Custom field values go to
`kommo_custom_field_values` (a table the leads, contacts, companies and catalog
elements streams share) and, for single-value fields, to wide columns (`fields.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from crm_assets.core import schema as t
from crm_assets.core.spec.flatten import list_items
from crm_assets.core.spec.streams import (
    ChildSpec,
    Fetch,
    Link,
    Record,
    SourceSpec,
    StreamSpec,
    SyncMode,
)
from crm_assets.sources.kommo import client, columns, fields
from crm_assets.sources.kommo.resource import KommoResource

INCREMENTAL, FULL = SyncMode.INCREMENTAL, SyncMode.FULL_TABLE
TIME_KEYS = {"created_at", "updated_at", "closed_at", "closest_task_at", "complete_till"}
DROPPED = {"_links", "custom_fields_values"}


def row(record: Record) -> Record:
    """Unix-second times as UTC timestamps; `_embedded` kept as `embedded`; deletes flagged."""
    flat: Record = {}
    for key, value in record.items():
        if key in DROPPED:
            continue
        if key == "_embedded":
            flat["embedded"] = value
        elif key in TIME_KEYS:
            flat[key] = fields.moment(value) if value else None
        else:
            flat[key] = value
    flat["_deleted"] = bool(record.get("is_deleted"))
    return flat


def event_row(record: Record) -> Record:
    """An event, with a status change's before and after read out of its values."""
    flat = row(record)
    before = _lead_status(record.get("value_before"))
    after = _lead_status(record.get("value_after"))
    changed = record.get("type") == "lead_status_changed"
    flat["status_before_id"] = before.get("id") if changed else None
    flat["pipeline_before_id"] = before.get("pipeline_id") if changed else None
    flat["status_after_id"] = after.get("id") if changed else None
    flat["pipeline_after_id"] = after.get("pipeline_id") if changed else None
    return flat


def _lead_status(values: Any) -> dict:
    for value in values or []:
        if isinstance(value, dict) and isinstance(value.get("lead_status"), dict):
            return value["lead_status"]
    return {}


def _statuses(pipeline: Record) -> list[Record]:
    return (pipeline.get("_embedded") or {}).get("statuses") or []


# -- specs ------------------------------------------------------------------------


def values_of(entity: str) -> ChildSpec:
    """Custom field values into the shared long table, keyed by entity type and id."""
    return ChildSpec(
        name="custom_field_values",
        extract=lambda record: fields.value_rows(entity, record),
        key=("field_id", "value_index"),
        columns=fields.VALUE_COLUMNS,
        table="custom_field_values",
        scope={"entity_type": entity},
        personal_rows=fields.personal_classes,
        links=(columns.LINKED_CONTACT,),
    )


def stream(
    *,
    name: str,
    fetch: Fetch,
    description: str,
    sync_mode: SyncMode,
    flatten: Callable[[Record], Record] = row,
    primary_key: tuple[str, ...] = ("id",),
    columns: Mapping[str, str] | None = None,
    column_descriptions: Mapping[str, str] | None = None,
    children: Iterable[ChildSpec] = (),
    personal: Mapping[str, str | tuple[str, ...]] | None = None,
    links: Iterable[Link] = (),
) -> StreamSpec:
    """A stream flattened by `row` unless it says otherwise, declaring at least its id."""
    return StreamSpec(
        name=name,
        fetch=fetch,
        description=description,
        flatten=flatten,
        primary_key=primary_key,
        sync_mode=sync_mode,
        children=tuple(children),
        columns=columns if columns is not None else {"id": t.INTEGER},
        column_descriptions=column_descriptions or {},
        personal=personal or {},
        links=tuple(links),
    )


STREAMS: tuple[StreamSpec, ...] = (
    stream(
        name="leads",
        fetch=client.with_wide_columns("leads", "leads", client.leads),
        description="Leads (`/leads`), with deleted ones from the trash (`with=only_deleted`) "
        "flagged `_deleted`, and a column per single-value custom field",
        sync_mode=INCREMENTAL,
        columns=columns.LEAD_COLUMNS,
        children=[values_of("leads")],
        links=[columns.CONTACT_IN_LEAD, columns.LINKED_CONTACT_COLUMN],
    ),
    stream(
        name="contacts",
        fetch=client.with_wide_columns(
            "contacts", "contacts", client.live_and_deleted("contacts", "contact_deleted")
        ),
        description="Contacts (`/contacts`); deleted ones, which Kommo reports only as "
        "`contact_deleted` events, flagged `_deleted`",
        sync_mode=INCREMENTAL,
        columns=columns.ENTITY_COLUMNS,
        children=[values_of("contacts")],
        personal=columns.PERSON_NAMES,
        links=[columns.LINKED_CONTACT_COLUMN],
    ),
    stream(
        name="companies",
        fetch=client.with_wide_columns(
            "companies", "companies", client.live_and_deleted("companies", "company_deleted")
        ),
        description="Companies (`/companies`); deleted ones, reported only as "
        "`company_deleted` events, flagged `_deleted`",
        sync_mode=INCREMENTAL,
        columns=columns.ENTITY_COLUMNS,
        children=[values_of("companies")],
        links=[columns.LINKED_CONTACT_COLUMN],
    ),
    stream(
        name="pipelines",
        fetch=client.listing("leads/pipelines", "pipelines"),
        description="Lead pipelines (`/leads/pipelines`), their statuses as a child table "
        "keyed by pipeline and status (142 won and 143 lost are in every pipeline)",
        sync_mode=FULL,
        children=[
            ChildSpec(
                name="statuses",
                extract=_statuses,
                key=("id",),
                columns=columns.STATUS_COLUMNS,
            )
        ],
    ),
    stream(
        name="users",
        fetch=client.listing("users", "users"),
        description="Users of the account (`/users`)",
        sync_mode=FULL,
        personal={"email": "email"},
    ),
    stream(
        name="tasks",
        fetch=client.listing("tasks", "tasks", incremental="updated_at"),
        description="Tasks (`/tasks`)",
        sync_mode=INCREMENTAL,
        links=columns.on_entity("contacts", "leads"),
    ),
    stream(
        name="events",
        fetch=client.listing("events", "events", incremental="created_at"),
        description="Events (`/events`): each change's type, entity, and values before and "
        "after; a lead's status moves (`lead_status_changed`) also as typed status/pipeline "
        "columns",
        sync_mode=INCREMENTAL,
        flatten=event_row,
        columns=columns.EVENT_COLUMNS,
        links=columns.on_entity("contact", "lead"),
    ),
    stream(
        name="notes",
        fetch=client.notes,
        description="Notes of leads, contacts and companies (`/{entity}/notes`)",
        sync_mode=INCREMENTAL,
        primary_key=("id", "entity_type"),
        # A call note's params hold the phone number; a common note's, its text.
        personal={"params": ("phone", "document")},
        links=columns.on_entity("contacts", "leads"),
    ),
    stream(
        name="catalogs",
        fetch=client.listing("catalogs", "catalogs"),
        description="Lists (`/catalogs`)",
        sync_mode=FULL,
    ),
    stream(
        name="catalog_elements",
        fetch=client.catalog_elements,
        description="Elements of every list (`/catalogs/{id}/elements`), with their custom fields",
        sync_mode=FULL,
        children=[values_of("catalog_elements")],
    ),
    stream(
        name="custom_fields",
        fetch=client.custom_field_definitions,
        description="Custom field definitions of leads, contacts and companies "
        "(`/{entity}/custom_fields`), their enums as a child table",
        sync_mode=FULL,
        primary_key=("id", "entity_type"),
        columns=columns.CUSTOM_FIELD_COLUMNS,
        children=[ChildSpec(name="enums", extract=list_items("enums"), key=("id",))],
    ),
    # Kommo keeps one currency per account: it is the currency of every lead's price.
    stream(
        name="account",
        fetch=client.account,
        description="The account (`/account`): its name, subdomain, country and the one "
        "currency every lead's price is in",
        sync_mode=FULL,
        columns=columns.ACCOUNT_COLUMNS,
        column_descriptions=columns.ACCOUNT_DESCRIPTIONS,
    ),
)

SOURCE = SourceSpec(name="kommo", title="Kommo", streams=STREAMS, resource=KommoResource)
