"""What fields each emulated entity has: standard fields and custom-field specs.

The standard fields follow Pipedrive's field lists (v1 `key` and v2 `field_code`
differ where v2 renamed a field, e.g. deals' `user_id` became `owner_id`). Custom
fields per entity: a text, a number, a money, an enum and its snake-case twin, a
set, a date, and a name that collides with a standard key (docs/pipedrive-api.md,
"Custom fields"; the collisions are what a connector must survive).
"""

from __future__ import annotations

ENTITIES = ("deals", "persons", "organizations", "products", "activities")
# Field lists API v1 has and v2 does not (`/v1/noteFields`, `/v1/leadFields`). Notes
# have no custom fields; leads share the deals' custom fields.
V1_ONLY = ("notes", "leads")
CUSTOM_FIELDS_OF = {"leads": "deals"}

# (name, field_type, option labels). Per entity: text, number, money, enum and its
# snake-case twin, set, date, and a name that collides with a standard key.
CUSTOM_FIELDS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "deals": [
        ("Internal note", "text", ()),
        ("Seats", "double", ()),
        ("Contract value", "monetary", ()),
        ("Lead source", "enum", ("Web", "Referral", "Event", "Outbound", "Partner")),
        ("Lead Source", "varchar", ()),
        ("Products of interest", "set", ("Analytics", "Billing", "CRM", "Support")),
        ("Renewal date", "date", ()),
        ("Value", "double", ()),
    ],
    "persons": [
        ("Bio", "text", ()),
        ("Lead score", "double", ()),
        ("Budget", "monetary", ()),
        ("Customer segment", "enum", ("SMB", "Mid-market", "Enterprise")),
        ("Customer Segment", "varchar", ()),
        ("Interests", "set", ("Webinars", "Newsletter", "Events", "Trials")),
        ("Next follow-up", "date", ()),
        ("Job title", "varchar", ()),
    ],
    "organizations": [
        ("Description", "text", ()),
        ("Seats licensed", "double", ()),
        ("Annual budget", "monetary", ()),
        ("Account tier", "enum", ("Bronze", "Silver", "Gold", "Platinum")),
        ("Account Tier", "varchar", ()),
        ("Regions", "set", ("EMEA", "NA", "LATAM", "APAC")),
        ("Customer since", "date", ()),
        ("Website", "varchar", ()),
    ],
    "products": [
        ("Spec sheet", "text", ()),
        ("Weight kg", "double", ()),
        ("List price", "monetary", ()),
        ("Product family", "enum", ("Software", "Hardware", "Services")),
        ("Product Family", "varchar", ()),
        ("Markets", "set", ("EMEA", "NA", "LATAM", "APAC")),
        ("Launch date", "date", ()),
        ("Unit", "varchar", ()),
    ],
    "activities": [
        ("Agenda", "text", ()),
        ("Attendee count", "double", ()),
        ("Spend", "monetary", ()),
        ("Call outcome", "enum", ("Connected", "Voicemail", "No answer", "Wrong number")),
        ("Call Outcome", "varchar", ()),
        ("Topics", "set", ("Pricing", "Onboarding", "Renewal", "Support")),
        ("Follow-up date", "date", ()),
        ("Priority", "varchar", ()),
    ],
}

# Standard fields: (v1 key, v2 field_code, name, field_type, options). Options with
# string ids (status, visible_to) are as Pipedrive lists them.
_VISIBLE = (("1", "Owner & followers"), ("3", "Entire company"))
_STATUS = (("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("deleted", "Deleted"))
LABELS = ((1, "Hot"), (2, "Warm"), (3, "Cold"), (4, "VIP"))
STANDARD_FIELDS: dict[str, list[tuple[str, str, str, str, tuple]]] = {
    "deals": [
        ("id", "id", "ID", "int", ()),
        ("title", "title", "Title", "varchar", ()),
        ("creator_user_id", "creator_user_id", "Creator", "user", ()),
        ("user_id", "owner_id", "Owner", "user", ()),
        ("value", "value", "Value", "monetary", ()),
        ("person_id", "person_id", "Contact person", "people", ()),
        ("org_id", "org_id", "Organization", "org", ()),
        ("pipeline_id", "pipeline_id", "Pipeline", "double", ()),
        ("stage_id", "stage_id", "Stage", "stage", ()),
        ("status", "status", "Status", "status", _STATUS),
        ("probability", "probability", "Probability", "double", ()),
        ("lost_reason", "lost_reason", "Lost reason", "varchar_options", ()),
        ("visible_to", "visible_to", "Visible to", "visible_to", _VISIBLE),
        ("label", "label_ids", "Label", "set", LABELS),
        ("add_time", "add_time", "Deal created", "date", ()),
        ("update_time", "update_time", "Update time", "date", ()),
        ("stage_change_time", "stage_change_time", "Last stage change", "date", ()),
        ("won_time", "won_time", "Won time", "date", ()),
        ("lost_time", "lost_time", "Lost time", "date", ()),
        ("close_time", "close_time", "Deal closed on", "date", ()),
        ("expected_close_date", "expected_close_date", "Expected close date", "date", ()),
    ],
    "persons": [
        ("id", "id", "ID", "int", ()),
        ("name", "name", "Name", "varchar", ()),
        ("first_name", "first_name", "First name", "varchar", ()),
        ("last_name", "last_name", "Last name", "varchar", ()),
        ("owner_id", "owner_id", "Owner", "user", ()),
        ("org_id", "org_id", "Organization", "org", ()),
        ("email", "emails", "Email", "varchar", ()),
        ("phone", "phones", "Phone", "phone", ()),
        ("job_title", "job_title", "Job title", "varchar", ()),
        ("label", "label_ids", "Label", "set", LABELS),
        ("visible_to", "visible_to", "Visible to", "visible_to", _VISIBLE),
        ("add_time", "add_time", "Person created", "date", ()),
        ("update_time", "update_time", "Update time", "date", ()),
    ],
    "organizations": [
        ("id", "id", "ID", "int", ()),
        ("name", "name", "Name", "varchar", ()),
        ("owner_id", "owner_id", "Owner", "user", ()),
        ("address", "address", "Address", "address", ()),
        ("website", "website", "Website", "varchar", ()),
        (
            "industry",
            "industry",
            "Industry",
            "enum",
            ((1, "Software"), (2, "Retail"), (3, "Finance"), (4, "Manufacturing")),
        ),
        ("linkedin", "linkedin", "LinkedIn profile", "varchar", ()),
        ("employee_count", "employee_count", "Number of employees", "int", ()),
        # An integer with no currency: the v2 reference's `OrganizationItem` types it
        # `int` and no currency key travels with it (docs/pipedrive-api.md, "Field types").
        ("annual_revenue", "annual_revenue", "Annual revenue", "int", ()),
        ("label", "label_ids", "Label", "set", LABELS),
        ("visible_to", "visible_to", "Visible to", "visible_to", _VISIBLE),
        ("add_time", "add_time", "Organization created", "date", ()),
        ("update_time", "update_time", "Update time", "date", ()),
    ],
    "products": [
        ("id", "id", "ID", "int", ()),
        ("name", "name", "Name", "varchar", ()),
        ("code", "code", "Product code", "varchar", ()),
        ("unit", "unit", "Unit", "varchar", ()),
        ("tax", "tax", "Tax", "double", ()),
        (
            "category",
            "category",
            "Category",
            "enum",
            ((1, "Licenses"), (2, "Services"), (3, "Hardware")),
        ),
        ("owner_id", "owner_id", "Owner", "user", ()),
        ("prices", "prices", "Price", "price_list", ()),
        ("visible_to", "visible_to", "Visible to", "visible_to", _VISIBLE),
        ("add_time", "add_time", "Product created", "date", ()),
        ("update_time", "update_time", "Update time", "date", ()),
    ],
    "activities": [
        ("id", "id", "ID", "int", ()),
        ("subject", "subject", "Subject", "varchar", ()),
        ("type", "type", "Type", "varchar", ()),
        ("user_id", "owner_id", "Assigned to user", "user", ()),
        ("deal_id", "deal_id", "Deal", "deal", ()),
        ("person_id", "person_id", "Contact person", "people", ()),
        ("org_id", "org_id", "Organization", "org", ()),
        ("due_date", "due_date", "Due date", "date", ()),
        ("due_time", "due_time", "Due time", "time", ()),
        ("duration", "duration", "Duration", "time", ()),
        ("done", "done", "Done", "boolean", ()),
        ("priority", "priority", "Priority", "enum", ((1, "Low"), (2, "Medium"), (3, "High"))),
        ("add_time", "add_time", "Add time", "date", ()),
        ("update_time", "update_time", "Update time", "date", ()),
    ],
}

# Where a standard monetary field's currency travels: a key beside the amount, which
# the field lists declare as the field's `currency` subfield (the deal's `value` and
# `currency`, as the vendor's dealFields list them). Custom monetary fields keep theirs
# in `<hash>_currency` (v1) or inside their `{value, currency}` object (v2); a lead's
# `value` is an `{amount, currency}` object and has no sibling.
CURRENCY_KEYS = {("deals", "value"): "currency"}
# The parts of an address field: v2 nests them in the value, v1 sends each as
# `<key>_<part>` beside the address line.
ADDRESS_PARTS = (
    "subpremise", "street_number", "route", "sublocality", "locality",
    "admin_area_level_1", "admin_area_level_2", "country", "postal_code", "formatted_address",
)  # fmt: skip

# The v1-only lists: (v1 key, name, field_type, options), in the vendor's order.
_LEAD_LABELS = (
    ("f08b42a0-4e75-11ea-9643-03698ef1cfd6", "Hot"),
    ("f08b42a1-4e75-11ea-9643-03698ef1cfd6", "Warm"),
    ("f08b42a2-4e75-11ea-9643-03698ef1cfd6", "Cold"),
)
V1_FIELDS: dict[str, list[tuple[str, str, str, tuple]]] = {
    "notes": [
        ("id", "ID", "int", ()),
        ("content", "Content", "text", ()),
        ("user_id", "User", "user", ()),
        ("deal_id", "Deal", "deal", ()),
        ("person_id", "Person", "people", ()),
        ("org_id", "Organization", "org", ()),
        ("lead_id", "Lead", "lead", ()),
        ("add_time", "Add time", "date", ()),
        ("update_time", "Update time", "date", ()),
        ("pinned_to_deal_flag", "Pinned to deal", "boolean", ()),
        ("pinned_to_person_flag", "Pinned to person", "boolean", ()),
        ("pinned_to_organization_flag", "Pinned to organization", "boolean", ()),
        ("pinned_to_lead_flag", "Pinned to lead", "boolean", ()),
    ],
    "leads": [
        ("id", "ID", "varchar", ()),
        ("title", "Title", "varchar", ()),
        ("owner_id", "Owner", "user", ()),
        ("person_id", "Contact person", "people", ()),
        ("organization_id", "Organization", "org", ()),
        ("value", "Value", "monetary", ()),
        ("expected_close_date", "Expected close date", "date", ()),
        ("label_ids", "Labels", "set", _LEAD_LABELS),
        ("source_name", "Source", "varchar", ()),
        ("is_archived", "Archived", "boolean", ()),
        ("was_seen", "Seen", "boolean", ()),
        ("visible_to", "Visible to", "visible_to", _VISIBLE),
        ("add_time", "Lead created", "date", ()),
        ("update_time", "Update time", "date", ()),
    ],
}
