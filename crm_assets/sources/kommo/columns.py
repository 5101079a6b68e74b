"""The declared columns of Kommo's streams, and where their records name a contact.

Types follow what Kommo's API sends (docs/kommo-api.md, "Endpoints and filters we
use"): ids are integers, unix-second times become UTC timestamps, a lead's `price` a
number. Custom fields get their columns from their definitions in `fields.py`, not here.
"""

from __future__ import annotations

from dataclasses import replace

from crm_assets.core import schema as t
from crm_assets.core.spec.streams import ANY_COLUMN, Link

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
STATUS_COLUMNS = {
    "id": t.INTEGER,
    "name": t.TEXT,
    "sort": t.INTEGER,
    "type": t.INTEGER,
    "color": t.TEXT,
    "is_editable": t.BOOLEAN,
}
CUSTOM_FIELD_COLUMNS = {"id": t.INTEGER, "entity_type": t.TEXT}
ACCOUNT_COLUMNS = {
    "id": t.INTEGER,
    "name": t.TEXT,
    "subdomain": t.TEXT,
    "currency": t.TEXT,
    "currency_symbol": t.TEXT,
    "country": t.TEXT,
}
ACCOUNT_DESCRIPTIONS = {
    "id": "The account's id (every record's `account_id`).",
    "name": "The account's name.",
    "subdomain": "The `acme` of `acme.kommo.com`.",
    "currency": "ISO 4217 code of the account's currency: every lead's `price` is in it.",
    "currency_symbol": "The symbol Kommo shows for that currency.",
    "country": "The account's country code.",
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
