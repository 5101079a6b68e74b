"""Every field a Pipedrive field list declares is served in the shape its `field_type` says.

Clients build their schema from the declarations (Singer's tap-pipedrive types each
`/v1/<x>Fields` key by its `field_type` and rejects a record that disagrees), so a
standard or custom field whose value differs from its declaration breaks them. Checked
for deals, persons, organizations, products, activities and notes, in v2 lists,
single gets and labelled reads, and in the v1 records of `/v1/recents` and
`/v1/notes`; leads are declared (`/v1/leadFields`) but the emulated account has none.

The shapes, as the vendor sends them (docs/pipedrive-api.md, "Field types"): a
monetary field's amount is a number and its currency sits where its subfields say
(a standard field's sibling key, v2 custom `{value, currency}`, v1 `<key>_currency`);
an address is `{value, <parts>}` in v2 and a line plus `<key>_<part>` in v1; a
person's email and phone are labelled lists `[{value, primary, label}]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

TOKEN = "pd-field-types-7c1e"
SIZES = {"deals": 160, "persons": 80, "organizations": 80, "activities": 120, "notes": 60,
         "products": 30}  # fmt: skip
V2 = {"deals": "deal", "persons": "person", "organizations": "organization",
      "products": "product", "activities": "activity"}  # fmt: skip
RECENT = {**{entity: item for entity, item in V2.items()}, "notes": "note"}
TIMES = {"v1": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$"),
         "v2": re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")}  # fmt: skip
TEXT = ("varchar", "text", "varchar_options", "varchar_auto")
IDS = ("user", "org", "people", "deal", "stage")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(PipedriveEmulator(token=TOKEN, sizes=SIZES, burst_limit=100_000)) as base:
        yield base


def get(url: str, path: str, **params) -> dict:
    response = requests.get(f"{url}{path}", params=params, headers={"x-api-token": TOKEN})
    assert response.status_code == 200, (path, response.text)
    return response.json()


def number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def option_ids(field: dict) -> set[str]:
    return {str(option["id"]) for option in field.get("options") or []}


def labelled(value) -> bool:
    """A person's emails and phones: `[{value, primary, label}]`."""
    return isinstance(value, list) and all(isinstance(v.get("value"), str) for v in value)


def plain_problem(ftype: str, value, field: dict, version: str) -> str | None:
    """What is wrong with a non-null value of a field that needs nothing but its own key."""
    custom = field.get("edit_flag", field.get("is_custom_field"))
    if isinstance(value, dict) and ftype in ("enum", "set") and "id" in value:
        value = value["id"]  # `include_option_labels=true`
    checks = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "double": number,
        "boolean": lambda v: isinstance(v, bool),
        "lead": lambda v: isinstance(v, str),
        "time": lambda v: isinstance(v, str) and re.match(r"^\d{2}:\d{2}(:\d{2})?$", v),
        "date": lambda v: isinstance(v, str) and TIMES[version].match(v),
        "phone": lambda v: labelled(v) if not custom else isinstance(v, str),
        "price_list": lambda v: all(number(p["price"]) and p["currency"] for p in v),
        **{t: lambda v: isinstance(v, str) or (not custom and labelled(v)) for t in TEXT},
        **{t: lambda v: isinstance(v, int) and not isinstance(v, bool) for t in IDS},
        **{t: lambda v: str(v) in option_ids(field) for t in ("enum", "status", "visible_to")},
    }
    if ftype == "set":
        items = value.split(",") if version == "v1" else value
        ids = [str(i["id"] if isinstance(i, dict) else i) for i in items]
        return None if set(ids) <= option_ids(field) else f"options {ids} not declared"
    if ftype not in checks:
        return f"no rule for field type {ftype}"
    return None if checks[ftype](value) else f"{value!r} is no {ftype}"


def v2_problems(fields: list[dict], record: dict) -> Iterator[str]:
    for field in fields:
        code, ftype = field["field_code"], field["field_type"]
        custom = field["is_custom_field"]
        values = record["custom_fields"] if custom else record
        if code not in values:
            yield f"{code}: declared, not served"
            continue
        value, parts = values[code], [s["field_code"] for s in field["subfields"] or []]
        if value is None:
            continue
        if ftype == "monetary" and custom:
            ok = set(value) == set(parts) and number(value["value"]) and value["currency"]
        elif ftype == "monetary":  # the amount; the currency in the sibling key
            ok = (
                number(value)
                and parts[1:]
                and all(isinstance(record.get(p), str) for p in parts[1:])
            )
        elif ftype == "address":
            ok = isinstance(value.get("value"), str) and set(value) <= set(parts)
        else:
            problem = plain_problem(ftype, value, field, "v2")
            ok = problem is None
        if not ok:
            yield f"{code} ({ftype}): {value!r}"


def v1_problems(fields: list[dict], record: dict) -> Iterator[str]:
    subfields = {f["parent_id"]: [] for f in fields if "parent_id" in f}
    for f in fields:
        if "parent_id" in f:
            subfields[f["parent_id"]].append(f["key"])
    for field in (f for f in fields if "parent_id" not in f):
        key, ftype = field["key"], field["field_type"]
        if key not in record:
            yield f"{key}: declared, not served"
            continue
        value, siblings = record[key], subfields.get(field["id"], [])
        missing = [s for s in siblings if s not in record]
        if missing:
            yield f"{key}: subfields {missing} not served"
        if value is None:
            continue
        if ftype == "monetary" and isinstance(value, dict):  # a lead's `{amount, currency}`
            ok = number(value.get("amount")) and isinstance(value.get("currency"), str)
        elif ftype == "monetary":  # the amount; the currency in the declared subfield
            ok = number(value) and siblings and all(isinstance(record[s], str) for s in siblings)
        elif ftype == "address":
            ok = isinstance(value, str)
        else:
            ok = plain_problem(ftype, value, field, "v1") is None
        if not ok:
            yield f"{key} ({ftype}): {value!r}"


def v2_records(url: str, entity: str) -> Iterator[dict]:
    yield from get(url, f"/api/v2/{entity}", limit=500)["data"]
    yield get(url, f"/api/v2/{entity}/3")["data"]
    if entity in ("deals", "persons", "organizations"):
        yield from get(url, f"/api/v2/{entity}", limit=40, include_option_labels="true")["data"]
    if entity == "deals":
        yield from get(url, "/api/v2/deals", status="deleted")["data"]
        yield from get(url, "/api/v2/deals/archived")["data"]


def v1_records(url: str, entity: str) -> Iterator[dict]:
    since = "2000-01-01 00:00:00"
    recent = get(url, "/v1/recents", since_timestamp=since, items=RECENT[entity], limit=500)
    yield from (entry["data"] for entry in recent["data"] if entry["data"])
    if entity == "notes":
        yield from get(url, "/v1/notes", limit=500)["data"]
        yield get(url, "/v1/notes/3")["data"]


@pytest.mark.parametrize("entity", list(V2))
def test_v2_records_agree_with_the_v2_field_list(url, entity):
    fields = get(url, f"/api/v2/{V2[entity]}Fields", limit=500)["data"]
    records = list(v2_records(url, entity))
    problems = {p for record in records for p in v2_problems(fields, record)}
    assert records and not problems, sorted(problems)


@pytest.mark.parametrize("entity", list(RECENT))
def test_v1_records_agree_with_the_v1_field_list(url, entity):
    fields = get(url, f"/v1/{RECENT[entity]}Fields", limit=500)["data"]
    records = list(v1_records(url, entity))
    problems = {p for record in records for p in v1_problems(fields, record)}
    assert records and not problems, sorted(problems)


def test_money_declares_where_its_currency_is(url):
    deal_fields = get(url, "/v1/dealFields", limit=500)["data"]
    value = next(f for f in deal_fields if f["key"] == "value")
    currency = deal_fields[deal_fields.index(value) + 1]
    assert value["field_type"] == "monetary" and "parent_id" not in value
    assert currency == {
        "id": None, "key": "currency", "name": "Currency", "field_type": "varchar",
        "edit_flag": False, "active_flag": True, "is_subfield": True, "mandatory_flag": False,
        "parent_id": value["id"], "id_suffix": "currency",
    }  # fmt: skip
    v2 = {f["field_code"]: f for f in get(url, "/api/v2/dealFields", limit=500)["data"]}
    assert [s["field_code"] for s in v2["value"]["subfields"]] == ["value", "currency"]
    orgs = {f["key"]: f for f in get(url, "/v1/organizationFields", limit=500)["data"]}
    assert orgs["annual_revenue"]["field_type"] == "int"
    revenues = [o["annual_revenue"] for o in get(url, "/api/v2/organizations", limit=500)["data"]]
    assert any(isinstance(r, int) for r in revenues)
