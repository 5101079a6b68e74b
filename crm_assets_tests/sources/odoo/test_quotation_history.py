"""The emulator's quotations and policies hold together, so the quotation analysis means
something, and what Odoo hides (archived quotations) exists and is synced.

Read over JSON-2 on a loopback socket as a client would (`search_read`, `fields_get`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.core.runtime.resource import SourceResource
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets_tests.sources.odoo.conftest import ANCHOR, TOKEN

SIZES = {"res.partner": 80, "mut.insurance.quotation": 600, "account.payment": 200}
EVERYTHING = {"active_test": False}
DATED = ("res.partner", "mut.insurance.quotation", "mut.policy", "mut.policy.certificate",
         "mut.certificate.coverage", "account.payment")  # fmt: skip


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(OdooEmulator(token=TOKEN, anchor=ANCHOR, sizes=SIZES)) as served:
        yield served


def call(url: str, model: str, method: str, **body):
    answer = requests.post(
        f"{url}/json/2/{model}/{method}",
        json=body,
        headers={"Authorization": f"bearer {TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def read(url: str, model: str, fields: list[str], context=None) -> list[dict]:
    return call(url, model, "search_read", domain=[], fields=fields, context=context or {})


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def vocabulary(url: str, model: str, field: str) -> set[str]:
    described = call(url, model, "fields_get", attributes=["selection"])
    return {value for value, _ in described[field]["selection"]}


def test_policies_follow_their_accepted_quotations(url):
    fields = ["status", "create_date", "write_date", "validity_date", "active"]
    quotations = {q["id"]: q for q in read(url, "mut.insurance.quotation", fields, EVERYTHING)}
    fields = ["equotation_id", "create_date", "write_date", "state", "status", "expiry_date",
              "is_renewal"]  # fmt: skip
    policies = read(url, "mut.policy", fields, EVERYTHING)
    statuses = vocabulary(url, "mut.insurance.quotation", "status")
    states = vocabulary(url, "mut.policy", "state")
    assert {q["status"] for q in quotations.values()} <= statuses
    assert {p["state"] for p in policies} <= states
    assert policies and len({p["equotation_id"][0] for p in policies}) == len(policies)
    for policy in policies:
        quotation = quotations[policy["equotation_id"][0]]
        assert when(policy["create_date"]) > when(quotation["create_date"]), policy
        # A quotation that became a policy was accepted, and is not archived.
        assert quotation["status"] == "accepted" and quotation["active"], policy
        # Issuing the policy wrote the quotation: a window that reads one reads both.
        assert quotation["write_date"] == policy["write_date"], policy
        expired = date.fromisoformat(policy["expiry_date"]) < ANCHOR
        assert policy["state"] in ("cancelled", "expired" if expired else "active"), policy
        # Only a live policy awaits its issue; a renewal says so.
        assert policy["status"] != "pending" or policy["state"] == "active", policy
        assert (policy["status"] == "renewed") == policy["is_renewal"], policy
    by_state = {s: sum(p["state"] == s for p in policies) for s in states}
    assert by_state["cancelled"] and by_state["active"] and by_state["expired"]
    assert by_state["cancelled"] < 0.3 * len(policies)
    for quotation in quotations.values():
        if quotation["status"] == "expired":
            assert date.fromisoformat(quotation["validity_date"]) < ANCHOR, quotation


def test_nothing_predates_the_default_start_date(url):
    start = datetime.fromisoformat(SourceResource.DEFAULT_START_DATE)
    for model in DATED:
        records = read(url, model, ["create_date", "write_date"], EVERYTHING)
        assert records, model
        for record in records:
            assert when(record["create_date"]) >= start, (model, record)
            assert when(record["write_date"]) >= when(record["create_date"]), (model, record)


def test_some_quotations_are_archived_and_odoo_hides_them(url):
    fields = ["status", "active"]
    every = read(url, "mut.insurance.quotation", fields, EVERYTHING)
    archived = {q["id"] for q in every if not q["active"]}
    assert archived and len(archived) < 0.2 * len(every)
    assert {q["status"] for q in every if q["id"] in archived} <= {"expired", "refused"}
    shown = {q["id"] for q in read(url, "mut.insurance.quotation", fields)}
    assert shown == {q["id"] for q in every} - archived


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_sync_lands_archived_quotations_flagged_inactive(odoo, warehouse):
    odoo.run(warehouse, streams=["insurance_quotation"], tags={FULL_SYNC_TAG: "true"})
    archived = {
        q["id"] for q in odoo.emulator.records("mut.insurance.quotation") if not q["active"]
    }
    rows = {r["id"]: r for r in warehouse.rows("odoo_insurance_quotation")}
    assert archived and archived <= set(rows)
    assert {i for i, r in rows.items() if not r["active"]} == archived
    assert not any(rows[i]["_deleted"] for i in archived)
