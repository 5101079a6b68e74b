"""The documented columns of every Pipedrive stream: logical type and meaning.

Types follow what Pipedrive's API sends (API v2 reference for deals, persons,
organizations, activities, products, pipelines, stages and deal products; v1 for
notes, users, teams, activity types, field definitions and the deal flow,
https://developers.pipedrive.com/docs/api/v1 and /v2), so a column never depends
on which record a sync saw first: ids are integers, amounts and percentages
numbers, `*_time` values timestamps in UTC, and `*_date` values calendar dates.
Custom fields are typed from their definitions in `fields.py`, not here.
"""

from __future__ import annotations

from crm_assets.core.schema import BOOLEAN, DATE, INTEGER, JSON, NUMBER, TEXT, TIMESTAMP
from crm_assets.core.spec.streams import Link

Columns = dict[str, tuple[str, str]]

_ADDED = (TIMESTAMP, "When the record was created (UTC).")
_UPDATED = (TIMESTAMP, "When the record last changed (UTC).")
_OWNER = (INTEGER, "Id of the user who owns the record (see users).")
_DELETED_FLAG = (BOOLEAN, "True when Pipedrive reports the record deleted.")
_VISIBLE = (INTEGER, "Visibility group: 1 owner only, 3 the owner's group, 5 and 7 wider.")
_LABELS = (JSON, "Ids of the labels on the record (JSON list).")

FIELD_DEFINITIONS: Columns = {
    "id": (INTEGER, "Id of the field definition."),
    "key": (TEXT, "Key of the field in records: a name, or a 40-hex hash for custom fields."),
    "name": (TEXT, "The field's name as shown in Pipedrive."),
    "field_type": (TEXT, "Kind of value: varchar, double, monetary, enum, set, date, etc."),
    "order_nr": (INTEGER, "Position of the field in Pipedrive's forms."),
    "parent_id": (INTEGER, "Id of the field this one is grouped under, if any."),
    "add_time": _ADDED,
    "update_time": _UPDATED,
    "last_updated_by_user_id": (INTEGER, "Id of the user who last edited the definition."),
    "created_by_user_id": (INTEGER, "Id of the user who created the field."),
    "active_flag": (BOOLEAN, "True while the field is in use."),
    "edit_flag": (BOOLEAN, "True when users may edit the field: custom fields are."),
    "index_visible_flag": (BOOLEAN, "True when the field shows in list views."),
    "details_visible_flag": (BOOLEAN, "True when the field shows on a record's detail page."),
    "add_visible_flag": (BOOLEAN, "True when the field shows in the 'add' form."),
    "important_flag": (BOOLEAN, "True when the field is highlighted as important."),
    "bulk_edit_allowed": (BOOLEAN, "True when the field can be changed for many records at once."),
    "searchable_flag": (BOOLEAN, "True when Pipedrive's search looks into the field."),
    "filtering_allowed": (BOOLEAN, "True when list filters may use the field."),
    "sortable_flag": (BOOLEAN, "True when lists can be sorted by the field."),
    "mandatory_flag": (BOOLEAN, "True when a value is required."),
    "json_column_flag": (BOOLEAN, "True when Pipedrive stores the value as JSON."),
    "options": (JSON, "Choices of an enum or set field (JSON); also the `__options` table."),
}

COLUMNS: dict[str, Columns] = {
    "activities": {
        "id": (INTEGER, "Id of the activity."),
        "subject": (TEXT, "The activity's title."),
        "type": (
            TEXT,
            "Kind of activity: the `key_string` of an activity type (call, meeting...).",
        ),
        "done": (BOOLEAN, "True once the activity is completed."),
        "marked_as_done_time": (TIMESTAMP, "When the activity was marked done (UTC)."),
        "org_id": (INTEGER, "Id of the organization it concerns."),
        "person_id": (INTEGER, "Id of the person it concerns."),
        "deal_id": (INTEGER, "Id of the deal it concerns."),
        "due_date": (DATE, "The day the activity is due."),
        "due_time": (TEXT, "Time of day it is due, `HH:MM` (UTC), if set."),
        "duration": (TEXT, "Planned length, `HH:MM`."),
        "note": (TEXT, "Free-text note (HTML) on the activity."),
        "public_description": (TEXT, "Description shared with the participants."),
        "busy": (BOOLEAN, "True when it blocks the owner's calendar (the v1 `busy_flag`)."),
        "priority": (INTEGER, "Priority id, if priorities are in use."),
        "participants": (JSON, "Persons taking part (JSON list)."),
        "attendees": (JSON, "Invited attendees outside the account (JSON list)."),
        "owner_id": (INTEGER, "Id of the user responsible for the activity."),
        "creator_user_id": (INTEGER, "Id of the user who created it."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "last_notification_time": (TIMESTAMP, "When a reminder was last sent (UTC)."),
        "is_deleted": _DELETED_FLAG,
    },
    "activity_fields": FIELD_DEFINITIONS,
    "activity_types": {
        "id": (INTEGER, "Id of the activity type."),
        "name": (TEXT, "The type's name."),
        "key_string": (TEXT, "Key activities use in their `type` column."),
        "icon_key": (TEXT, "Name of the icon shown for the type."),
        "color": (TEXT, "Colour of the type, as hex, if set."),
        "order_nr": (INTEGER, "Position in Pipedrive's list of types."),
        "active_flag": (BOOLEAN, "True while the type can be used."),
        "is_custom_flag": (BOOLEAN, "True for a type the account created."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
    },
    "deal_fields": FIELD_DEFINITIONS,
    "deal_products": {
        "id": (INTEGER, "Id of the product line on the deal."),
        "deal_id": (INTEGER, "Id of the deal the line belongs to."),
        "product_id": (INTEGER, "Id of the catalogue product (see products)."),
        "product_variation_id": (INTEGER, "Id of the product variation, if any."),
        "name": (TEXT, "The product's name on the line."),
        "item_price": (NUMBER, "Unit price on the line."),
        "quantity": (NUMBER, "Quantity sold."),
        "discount": (NUMBER, "Discount: a percentage or an amount, per `discount_type`."),
        "discount_type": (TEXT, "`percentage` or `amount`."),
        "sum": (NUMBER, "Line total after discount."),
        "tax": (NUMBER, "Tax percentage on the line."),
        "tax_method": (TEXT, "How tax applies: exclusive, inclusive or none."),
        "currency": (TEXT, "Currency code of the line."),
        "comments": (TEXT, "Comments on the line."),
        "is_enabled": (BOOLEAN, "True when the line counts toward the deal's value."),
        "order_nr": (INTEGER, "Position of the line on the deal."),
        "billing_frequency": (
            TEXT,
            "one-time, weekly, monthly, quarterly, semi-annually or annually.",
        ),
        "billing_frequency_cycles": (INTEGER, "How many billing cycles, for recurring lines."),
        "billing_start_date": (DATE, "First billing day, for recurring lines."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
    },
    "deals": {
        "id": (INTEGER, "Id of the deal."),
        "title": (TEXT, "The deal's title."),
        "value": (NUMBER, "The deal's value, in `currency`."),
        "currency": (TEXT, "Currency code of the value."),
        "status": (TEXT, "open, won, lost or deleted."),
        "probability": (NUMBER, "Chance of winning, in percent, if set."),
        "lost_reason": (TEXT, "Why the deal was lost."),
        "pipeline_id": (INTEGER, "Id of the pipeline the deal is in."),
        "stage_id": (INTEGER, "Id of the stage the deal is in."),
        "org_id": (INTEGER, "Id of the organization of the deal."),
        "person_id": (INTEGER, "Id of the contact person of the deal."),
        "owner_id": _OWNER,
        "creator_user_id": (INTEGER, "Id of the user who created the deal."),
        "label_ids": _LABELS,
        "origin": (TEXT, "How the deal came in (manually, import, API...)."),
        "visible_to": _VISIBLE,
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "stage_change_time": (TIMESTAMP, "When the deal last moved stage (UTC)."),
        "won_time": (TIMESTAMP, "When the deal was won (UTC)."),
        "lost_time": (TIMESTAMP, "When the deal was lost (UTC)."),
        "close_time": (TIMESTAMP, "When the deal was closed, won or lost (UTC)."),
        "expected_close_date": (DATE, "The day the deal is expected to close."),
        "is_archived": (BOOLEAN, "True for an archived deal (listed apart by Pipedrive)."),
        "is_deleted": _DELETED_FLAG,
    },
    "deals_flow": {
        "deal_id": (INTEGER, "Id of the deal the event belongs to."),
        "object": (TEXT, "Kind of event: dealChange, note, activity, file..."),
        "id": (INTEGER, "Id of the event's object (the change, note or activity)."),
        "timestamp": (TIMESTAMP, "When the event happened (UTC)."),
        "field_key": (TEXT, "For a dealChange, the key of the field that changed."),
        "old_value": (TEXT, "For a dealChange, the field's value before the change, as text."),
        "new_value": (TEXT, "For a dealChange, the field's value after the change, as text."),
        "data": (JSON, "The whole event as Pipedrive sends it (JSON)."),
    },
    "notes": {
        "id": (INTEGER, "Id of the note."),
        "content": (TEXT, "The note's text (HTML)."),
        "deal_id": (INTEGER, "Id of the deal it is attached to."),
        "person_id": (INTEGER, "Id of the person it is attached to."),
        "org_id": (INTEGER, "Id of the organization it is attached to."),
        "lead_id": (TEXT, "Id (a UUID) of the lead it is attached to."),
        "user_id": (INTEGER, "Id of the user who wrote it."),
        "last_update_user_id": (INTEGER, "Id of the user who last edited it."),
        "active_flag": (BOOLEAN, "False once the note is deleted."),
        "pinned_to_deal_flag": (BOOLEAN, "True when pinned on its deal."),
        "pinned_to_person_flag": (BOOLEAN, "True when pinned on its person."),
        "pinned_to_organization_flag": (BOOLEAN, "True when pinned on its organization."),
        "pinned_to_lead_flag": (BOOLEAN, "True when pinned on its lead."),
        "deal": (JSON, "The deal's title, as sent with the note (JSON)."),
        "person": (JSON, "The person's name, as sent with the note (JSON)."),
        "organization": (JSON, "The organization's name, as sent with the note (JSON)."),
        "user": (JSON, "The author's name and email, as sent with the note (JSON)."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
    },
    "organization_fields": FIELD_DEFINITIONS,
    "organizations": {
        "id": (INTEGER, "Id of the organization."),
        "name": (TEXT, "The organization's name."),
        "owner_id": _OWNER,
        "address": (JSON, "Postal address and its parts (JSON)."),
        "website": (TEXT, "Web address."),
        "industry": (INTEGER, "Option id of the industry field."),
        "employee_count": (INTEGER, "Number of employees."),
        "annual_revenue": (
            NUMBER,
            "Yearly revenue, a whole amount: Pipedrive sends it without a currency.",
        ),
        "linkedin": (TEXT, "LinkedIn profile address."),
        "label_ids": _LABELS,
        "visible_to": _VISIBLE,
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "is_deleted": _DELETED_FLAG,
    },
    "persons": {
        "id": (INTEGER, "Id of the person."),
        "name": (TEXT, "Full name."),
        "first_name": (TEXT, "First name."),
        "last_name": (TEXT, "Last name."),
        "org_id": (INTEGER, "Id of the person's organization."),
        "owner_id": _OWNER,
        "job_title": (TEXT, "Job title."),
        "emails": (JSON, "Email addresses (JSON); also the `__emails` table."),
        "phones": (JSON, "Phone numbers (JSON); also the `__phones` table."),
        "label_ids": _LABELS,
        "visible_to": _VISIBLE,
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "is_deleted": _DELETED_FLAG,
    },
    "pipelines": {
        "id": (INTEGER, "Id of the pipeline."),
        "name": (TEXT, "The pipeline's name."),
        "order_nr": (INTEGER, "Position among the pipelines."),
        "is_deal_probability_enabled": (BOOLEAN, "True when deals carry a win probability."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "is_deleted": _DELETED_FLAG,
    },
    "products": {
        "id": (INTEGER, "Id of the product."),
        "name": (TEXT, "The product's name."),
        "code": (TEXT, "The product's code (SKU)."),
        "unit": (TEXT, "Unit it is sold in."),
        "tax": (NUMBER, "Default tax percentage."),
        "category": (TEXT, "Category (an option of the category field)."),
        "description": (TEXT, "Description."),
        "prices": (JSON, "Price in each currency (JSON); also the `__prices` table."),
        "billing_frequency": (TEXT, "Default billing frequency of the product."),
        "is_linkable": (BOOLEAN, "True when it can be added to deals."),
        "owner_id": _OWNER,
        "visible_to": _VISIBLE,
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "is_deleted": _DELETED_FLAG,
    },
    "stages": {
        "id": (INTEGER, "Id of the stage."),
        "name": (TEXT, "The stage's name."),
        "pipeline_id": (INTEGER, "Id of the pipeline it belongs to."),
        "order_nr": (INTEGER, "Position within the pipeline."),
        "deal_probability": (NUMBER, "Win probability of deals in this stage, in percent."),
        "is_deal_rot_enabled": (BOOLEAN, "True when deals here go stale after a while."),
        "days_to_rotten": (INTEGER, "Days after which a deal here counts as stale."),
        "add_time": _ADDED,
        "update_time": _UPDATED,
        "is_deleted": _DELETED_FLAG,
    },
    "teams": {
        "id": (INTEGER, "Id of the team."),
        "name": (TEXT, "The team's name."),
        "description": (TEXT, "Description."),
        "manager_id": (INTEGER, "Id of the user who manages the team."),
        "created_by_user_id": (INTEGER, "Id of the user who created it."),
        "active_flag": (BOOLEAN, "True while the team is active."),
        "deleted_flag": (BOOLEAN, "True once the team is deleted."),
        "users": (JSON, "Ids of its members (JSON); also the `__users` table."),
        "add_time": _ADDED,
    },
    "users": {
        "id": (INTEGER, "Id of the user."),
        "name": (TEXT, "Full name."),
        "email": (TEXT, "Email address (the login)."),
        "phone": (TEXT, "Phone number."),
        "lang": (INTEGER, "Id of the interface language."),
        "locale": (TEXT, "Locale for numbers and dates, e.g. en_US."),
        "timezone_name": (TEXT, "Time zone name, e.g. Europe/Berlin."),
        "timezone_offset": (TEXT, "The time zone's offset from UTC, e.g. +01:00."),
        "default_currency": (TEXT, "Currency code new deals default to."),
        "active_flag": (BOOLEAN, "True while the user can log in."),
        "activated": (BOOLEAN, "True once the user accepted the invitation."),
        "is_admin": (INTEGER, "1 for an account administrator, else 0 (a number, as sent)."),
        "role_id": (INTEGER, "Id of the user's permission role."),
        "has_created_company": (BOOLEAN, "True for the user who opened the account."),
        "is_you": (BOOLEAN, "True for the user whose token made the call."),
        "access": (JSON, "Apps the user may use and with what rights (JSON)."),
        "created": (TIMESTAMP, "When the user was added (UTC)."),
        "modified": (TIMESTAMP, "When the user last changed (UTC)."),
        "last_login": (TIMESTAMP, "When the user last logged in (UTC)."),
        "is_deleted": _DELETED_FLAG,
    },
    "custom_fields": {
        "entity": (TEXT, "The stream the custom field belongs to (deals, persons...)."),
        "key": (TEXT, "The field's 40-hex key in Pipedrive."),
        "field_id": (INTEGER, "Id of the field's definition (see the *_fields tables)."),
        "name": (TEXT, "The field's name in Pipedrive."),
        "field_type": (TEXT, "The field's kind: enum, set, monetary, double, varchar..."),
        "column": (TEXT, "The column the field's value lands in."),
        "value_columns": (JSON, "Every column the field fills (JSON), e.g. a label beside an id."),
        "options": (JSON, "Option id to label, for enum and set fields (JSON)."),
    },
}

# Child tables: declared types only (they are no assets, so they carry no descriptions).
CHILD_COLUMNS: dict[str, dict[str, str]] = {
    "persons.emails": {"value": TEXT, "label": TEXT, "primary": BOOLEAN},
    "persons.phones": {"value": TEXT, "label": TEXT, "primary": BOOLEAN},
    "products.prices": {
        "product_id": INTEGER, "price": NUMBER, "cost": NUMBER, "direct_cost": NUMBER,
        "currency": TEXT, "notes": TEXT,
    },
    "teams.users": {"user_id": INTEGER},
    "options": {"label": TEXT},
}  # fmt: skip


def types(stream: str) -> dict[str, str]:
    return {name: kind for name, (kind, _) in COLUMNS.get(stream, {}).items()}


def descriptions(stream: str) -> dict[str, str]:
    return {name: text for name, (_, text) in COLUMNS.get(stream, {}).items()}


# Columns holding personal data, by class (see crm_assets.core.privacy.personal_data): what a
# privacy policy protects. Free text may hold a CPF or CNPJ (`document`); in JSON
# columns only the values that look like the class are protected.
PERSONAL: dict[str, dict[str, str | tuple[str, ...]]] = {
    "persons": {"name": "person_name", "first_name": "person_name",
                "last_name": "person_name", "emails": "email", "phones": "phone"},
    "users": {"email": "email"},
    "notes": {"content": "document", "user": ("email", "reference"),
              "person": "person_name"},
    "activities": {"note": "document", "public_description": "document",
                   "attendees": ("email", "document")},
    "deals_flow": {"data": ("email", "document")},
}  # fmt: skip
CHILD_PERSONAL: dict[str, dict[str, str]] = {
    "persons.emails": {"value": "email"},
    "persons.phones": {"value": "phone"},
}

# Where a record names a person by id (see crm_assets.core.spec.streams.Link): erasing the
# person keeps deals, activities and notes (they belong to a deal or an organization
# too) and empties the link, the note's copy of the person (`person`), and the person's
# names in their text (a deal's title is often the contact's name). A deal flow's note
# entries are copies of notes. Rows hanging on a deal that named the person (its notes,
# activities, flow, products) have the person's names replaced too.
_ON_DEAL = Link("deals", "deal_id")
# A deal flow's change of contact person holds the persons' ids, in its columns and data.
_PERSON_CHANGE = {"object": "dealChange", "field_key": "person_id"}
LINKS: dict[str, tuple[Link, ...]] = {
    "deals": (Link("persons", "person_id"),),
    "activities": (
        Link("persons", "person_id"),
        Link("persons", "participants", path=("*", "person_id")),
        _ON_DEAL,
    ),
    "notes": (Link("persons", "person_id", clears=("person",)), _ON_DEAL),
    "deals_flow": (
        Link("persons", "data", path=("person_id",), where={"object": "note"},
             clears=("person",)),
        *(Link("persons", value, where=_PERSON_CHANGE) for value in ("old_value", "new_value")),
        *(Link("persons", "data", path=(value,), where=_PERSON_CHANGE)
          for value in ("old_value", "new_value")),
        _ON_DEAL,
    ),
    "deal_products": (_ON_DEAL,),
}  # fmt: skip
