"""Kommo streams (docs/kommo-api.md): the CRM's entities, their deletes, custom fields.

How each is read, deletes included, is in `reads.py`. Custom field values go to
`kommo_custom_field_values` (a table the leads, contacts, companies and catalog
elements streams share) and, for single-value fields, to wide columns (`fields.py`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crm_assets.core import schema as t
from crm_assets.core.spec.flatten import list_items
from crm_assets.core.spec.streams import (
    ANY_COLUMN,
    ChildSpec,
    Link,
    Record,
    SourceSpec,
    StreamSpec,
    SyncMode,
)
from crm_assets.sources.kommo import fields
from crm_assets.sources.kommo.reads import (
    account,
    catalog_elements,
    custom_field_definitions,
    leads,
    listing,
    live_and_deleted,
    notes,
    with_wide_columns,
)
from crm_assets.sources.kommo.resource import KommoResource

INCREMENTAL, FULL = SyncMode.INCREMENTAL, SyncMode.FULL_TABLE
TIME_KEYS = {"created_at", "updated_at", "closed_at", "closest_task_at", "complete_till"}
DROPPED = {"_links", "custom_fields_values"}
ENTITY_COLUMNS = {
    "id": t.INTEGER,
    "name": t.TEXT,
    "responsible_user_id": t.INTEGER,
    "created_at": t.TIMESTAMP,
    "updated_at": t.TIMESTAMP,
    "is_deleted": t.BOOLEAN,
}
LEAD_COLUMNS = {
    **ENTITY_COLUMNS,
    "price": t.NUMBER,
    "status_id": t.INTEGER,
    "pipeline_id": t.INTEGER,
    "closed_at": t.TIMESTAMP,
}
EVENT_COLUMNS = {
    "id": t.TEXT,
    "type": t.TEXT,
    "entity_type": t.TEXT,
    "entity_id": t.INTEGER,
    "created_at": t.TIMESTAMP,
    "created_by": t.INTEGER,
    "value_before": t.JSON,
    "value_after": t.JSON,
    "status_before_id": t.INTEGER,
    "pipeline_before_id": t.INTEGER,
    "status_after_id": t.INTEGER,
    "pipeline_after_id": t.INTEGER,
}
# Personal data by class (see crm_assets.core.privacy.personal_data), for privacy policies.
PERSON_NAMES = {"name": "person_name", "first_name": "person_name", "last_name": "person_name"}
# Where a record names a contact (see crm_assets.core.spec.streams.Link). A lead lists its
# contacts in `embedded` and may name one in a linked-entity custom field: erasing the
# contact's person keeps the lead (it is not the person), takes the contact out of
# both and replaces their names in the lead's text. A note, task or event hangs on one
# entity: those of the contact are the person's, erased with them; those of a lead
# that named them have their names replaced.
CONTACT_IN_LEAD = Link("contacts", "embedded", path=("contacts", "*", "id"))
LINKED_CONTACT = Link("contacts", "value_json", path=("entity_id",),
                      item_where={"entity_type": "contacts"}, clears=("name",))  # fmt: skip
# The same value in its wide column, which is named after the field (`fields.py`).
LINKED_CONTACT_COLUMN = replace(LINKED_CONTACT, column=ANY_COLUMN)


def on_entity(contact: str, lead: str) -> tuple[Link, ...]:
    """A note's, task's or event's links, given how it names a contact's and a lead's
    entity type (`contacts` and `leads`; events say `contact` and `lead`)."""
    return (
        Link("contacts", "entity_id", where={"entity_type": contact}, owned=True),
        Link("leads", "entity_id", where={"entity_type": lead}),
    )


STATUS_COLUMNS = {
    "id": t.INTEGER,
    "name": t.TEXT,
    "sort": t.INTEGER,
    "type": t.INTEGER,
    "color": t.TEXT,
    "is_editable": t.BOOLEAN,
}


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


# -- specs ------------------------------------------------------------------------


def values_of(entity: str) -> ChildSpec:
    """Custom field values into the shared long table, keyed by entity type and id."""
    return ChildSpec(
        "custom_field_values",
        lambda record: fields.value_rows(entity, record),
        key=("field_id", "value_index"),
        columns=fields.VALUE_COLUMNS,
        table="custom_field_values",
        scope={"entity_type": entity},
        personal_rows=fields.personal_classes,
        links=(LINKED_CONTACT,),
    )


def stream(name, fetch, description, mode, *, flatten=row, key=("id",), columns=None,
           children=(), personal=None, links=()):  # fmt: skip
    return StreamSpec(
        name=name,
        fetch=fetch,
        description=description,
        flatten=flatten,
        primary_key=key,
        sync_mode=mode,
        children=tuple(children),
        columns=columns if columns is not None else {"id": t.INTEGER},
        personal=personal or {},
        links=tuple(links),
    )


# Kommo keeps one currency per account: it is the currency of every lead's price.
ACCOUNT = StreamSpec(
    name="account",
    fetch=account,
    description="The account (`/account`): its name, subdomain, country and the one currency "
    "every lead's price is in",
    flatten=row,
    sync_mode=FULL,
    columns={
        "id": t.INTEGER,
        "name": t.TEXT,
        "subdomain": t.TEXT,
        "currency": t.TEXT,
        "currency_symbol": t.TEXT,
        "country": t.TEXT,
    },
    column_descriptions={
        "id": "The account's id (every record's `account_id`).",
        "name": "The account's name.",
        "subdomain": "The `acme` of `acme.kommo.com`.",
        "currency": "ISO 4217 code of the account's currency: every lead's `price` is in it.",
        "currency_symbol": "The symbol Kommo shows for that currency.",
        "country": "The account's country code.",
    },
)


STREAMS: tuple[StreamSpec, ...] = (
    stream(
        "leads",
        with_wide_columns("leads", "leads", leads),
        "Leads (`/leads`), with deleted ones from the trash (`with=only_deleted`) flagged "
        "`_deleted`, and a column per single-value custom field",
        INCREMENTAL,
        columns=LEAD_COLUMNS,
        children=[values_of("leads")],
        links=[CONTACT_IN_LEAD, LINKED_CONTACT_COLUMN],
    ),
    stream(
        "contacts",
        with_wide_columns("contacts", "contacts", live_and_deleted("contacts", "contact_deleted")),
        "Contacts (`/contacts`); deleted ones, which Kommo reports only as `contact_deleted` "
        "events, flagged `_deleted`",
        INCREMENTAL,
        columns=ENTITY_COLUMNS,
        children=[values_of("contacts")],
        personal=PERSON_NAMES,
        links=[LINKED_CONTACT_COLUMN],
    ),
    stream(
        "companies",
        with_wide_columns(
            "companies", "companies", live_and_deleted("companies", "company_deleted")
        ),
        "Companies (`/companies`); deleted ones, reported only as `company_deleted` events, "
        "flagged `_deleted`",
        INCREMENTAL,
        columns=ENTITY_COLUMNS,
        children=[values_of("companies")],
        links=[LINKED_CONTACT_COLUMN],
    ),
    stream(
        "pipelines",
        listing("leads/pipelines", "pipelines"),
        "Lead pipelines (`/leads/pipelines`), their statuses as a child table keyed by "
        "pipeline and status (142 won and 143 lost are in every pipeline)",
        FULL,
        children=[
            ChildSpec(
                "statuses",
                lambda p: (p.get("_embedded") or {}).get("statuses") or [],
                key=("id",),
                columns=STATUS_COLUMNS,
            )
        ],
    ),
    stream(
        "users",
        listing("users", "users"),
        "Users of the account (`/users`)",
        FULL,
        personal={"email": "email"},
    ),
    stream(
        "tasks",
        listing("tasks", "tasks", incremental="updated_at"),
        "Tasks (`/tasks`)",
        INCREMENTAL,
        links=on_entity("contacts", "leads"),
    ),
    stream(
        "events",
        listing("events", "events", incremental="created_at"),
        "Events (`/events`): each change's type, entity, and values before and after; a "
        "lead's status moves (`lead_status_changed`) also as typed status/pipeline columns",
        INCREMENTAL,
        flatten=event_row,
        columns=EVENT_COLUMNS,
        links=on_entity("contact", "lead"),
    ),
    stream(
        "notes",
        notes,
        "Notes of leads, contacts and companies (`/{entity}/notes`)",
        INCREMENTAL,
        key=("id", "entity_type"),
        # A call note's params hold the phone number; a common note's, its text.
        personal={"params": ("phone", "document")},
        links=on_entity("contacts", "leads"),
    ),
    stream("catalogs", listing("catalogs", "catalogs"), "Lists (`/catalogs`)", FULL),
    stream(
        "catalog_elements",
        catalog_elements,
        "Elements of every list (`/catalogs/{id}/elements`), with their custom fields",
        FULL,
        children=[values_of("catalog_elements")],
    ),
    stream(
        "custom_fields",
        custom_field_definitions,
        "Custom field definitions of leads, contacts and companies "
        "(`/{entity}/custom_fields`), their enums as a child table",
        FULL,
        key=("id", "entity_type"),
        columns={"id": t.INTEGER, "entity_type": t.TEXT},
        children=[ChildSpec("enums", list_items("enums"), key=("id",))],
    ),
    ACCOUNT,
)

SOURCE = SourceSpec(name="kommo", title="Kommo", streams=STREAMS, resource=KommoResource)
