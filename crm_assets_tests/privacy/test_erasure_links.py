"""Erasing a person reaches every record that names them, in each source's demo data.

Each test syncs a source's emulator over loopback (twice, so history tables hold
earlier versions), picks a person whom other records name (notes, deals, payments,
leads, ...) and whose full name names no one else in the demo, erases them by email or
CPF, and then searches every cell of every table, JSON as text, for their full name,
emails, phones and CPF: nothing is left but the hashes in `crm_erasure_log`. The
records that only named them are still there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from crm_assets.core.privacy import digits, pseudonym
from crm_assets.core.spec.tables import source_tables
from crm_assets_tests.privacy.sources import PII_KEY, SOURCES, run_erasure

REGISTER = "crm_erasure_log"
# After the anchor day's syncs: a second sync sees these records changed.
LATER = datetime(2026, 11, 20, 12)


@dataclass
class Person:
    """What names a person: searched for in every cell after the erasure."""

    names: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)

    def hashes(self) -> set[str]:
        """What a hash policy stores for the emails, phones and documents."""
        values = [("email", v) for v in self.emails] + [("phone", v) for v in self.phones]
        values += [("cpf", v) for v in self.documents]
        return {pseudonym(PII_KEY.encode(), kind, value) for kind, value in values}

    def pattern(self) -> re.Pattern:
        """Names standing alone (`Silva 3` is not `Silva 13`); emails anywhere; phones
        and documents as served or as digits standing alone, with or without +55."""
        words = [rf"(?<!\w){re.escape(n)}(?!\w)" for n in self.names]
        words += [re.escape(e) for e in self.emails] + sorted(self.hashes())
        numbers = set()
        for value in self.phones | self.documents:
            words.append(re.escape(value))
            number = digits(value)
            numbers |= {number, number.removeprefix("55")} if len(number) >= 8 else set()
        words += [rf"(?<!\d){n}(?!\d)" for n in numbers]
        return re.compile("|".join(words), re.IGNORECASE)


def traces(engine: sa.Engine, person: Person) -> dict[str, set[str]]:
    """Every table holding any of what names `person`, with its columns, the erasure
    register aside; every cell is read as text."""
    pattern = person.pattern()
    found: dict[str, set[str]] = {}
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            if name == REGISTER:
                continue
            # Every cell as the driver gives it: no reflection, no type of ours between.
            for row in connection.execute(sa.select(sa.text("*")).select_from(sa.table(name))):
                for column, cell in row._mapping.items():
                    if cell is not None and pattern.search(str(cell)):
                        found.setdefault(name, set()).add(column)
    return found


def erase(warehouse, **config) -> str:
    """Run `erase_data_subject` over every source's tables; returns its log."""
    with DagsterInstance.ephemeral() as instance:
        result, logs = run_erasure(warehouse, instance, config)
    assert result.success, logs
    return logs


def rows(warehouse, table: str) -> list[dict]:
    return warehouse.rows(table) if sa.inspect(warehouse.engine).has_table(table) else []


def unique(name: str, names: Iterable[str]) -> bool:
    """Whether `name`, standing alone, is in no other of `names`."""
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return sum(1 for other in names if other and pattern.search(other)) == 1


def check(warehouse, person: Person, linked: dict[str, int], mode: str = "delete",
          **identifier) -> dict:  # fmt: skip
    """Erase the person by `identifier`, then find no trace of them; the records that
    only named them (`linked`: table -> rows) are all still there."""
    before = traces(warehouse.engine, person)
    counts = {t: len(rows(warehouse, t)) for t in linked}
    logs = erase(warehouse, mode=mode, **identifier)
    assert traces(warehouse.engine, person) == {}
    assert {t: len(rows(warehouse, t)) for t in linked} == counts
    for value in [*identifier.values()]:
        assert value.lower() not in logs.lower()
    return before


# -- Pipedrive -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["delete", "null"])
def test_pipedrive_person_named_by_deals_notes_and_their_flow(warehouse, mode):
    source = SOURCES["pipedrive"]
    tables = source_tables(source.spec, "pipedrive_")
    with source.running() as running:
        emulator = running.emulator
        people = [p["name"] for p in emulator.records("persons")]
        people += [u["name"] for u in emulator.records("users")]
        notes, deals = emulator.records("notes"), emulator.records("deals")
        candidates = [
            p for p in emulator.records("persons")
            if unique(p["name"], people)
            and any(n["person_id"] == p["id"] for n in notes)
            and any(d["person_id"] == p["id"] for d in deals)
        ]  # fmt: skip
        # The strictest subject: one whose deal's title is their name.
        candidates.sort(key=lambda p: not any(p["name"] in d["title"] for d in deals))
        assert candidates, "the demo has no person with notes and deals"
        subject = candidates[0]
        source.run(running, warehouse, history_days=30)
        emulator.touch("persons", subject["id"], LATER)
        for deal in deals:
            if deal["person_id"] == subject["id"]:
                emulator.touch("deals", deal["id"], LATER)
        source.run(running, warehouse, history_days=30)
    person = Person(
        names={subject["name"]},
        emails={e["value"] for e in subject["emails"]},
        phones={p["value"] for p in subject["phones"]},
    )
    deal_ids = {d["id"] for d in deals if d["person_id"] == subject["id"]}
    linked = {tables[t]: 0 for t in ("deals", "notes", "deals_flow", "activities")}
    before = check(warehouse, person, linked, mode, email=sorted(person.emails)[0].upper())
    # The search saw the person where they were linked, before.
    assert {tables["persons"], tables["notes"], tables["deals_flow"]} <= set(before)
    assert f"{tables['persons']}__history" in before
    # The deals stay, with no contact person; the notes, with no person.
    deals_after = [r for r in rows(warehouse, tables["deals"]) if r["id"] in deal_ids]
    assert len(deals_after) == len(deal_ids) and all(r["person_id"] is None for r in deals_after)
    assert subject["id"] not in {r["person_id"] for r in rows(warehouse, tables["notes"])}
    # `null` keeps the person's row, emptied.
    kept = [r for r in rows(warehouse, tables["persons"]) if r["id"] == subject["id"]]
    assert len(kept) == (mode == "null")
    assert all(r["name"] is None and r["emails"] is None for r in kept)


# -- Kommo ---------------------------------------------------------------------------


def test_kommo_contact_named_by_leads_and_a_linked_entity_field(warehouse):
    source = SOURCES["kommo"]
    tables = source_tables(source.spec, "kommo_")
    with source.running() as running:
        emulator = running.emulator
        contacts = emulator.records("contacts")
        people = [c.get("name") for c in contacts] + [u["name"] for u in emulator.data.users()]
        source.run(running, warehouse, history_days=30)
        leads = rows(warehouse, tables["leads"])
        notes = rows(warehouse, tables["notes"])
        candidates = [
            c for c in contacts
            if c.get("name") and unique(c["name"], people) and _emails(c)
            and any(n["entity_type"] == "contacts" and n["entity_id"] == c["id"] for n in notes)
            and any(f'"id": {c["id"]},' in (lead["embedded"] or "") for lead in leads)
        ]  # fmt: skip
        assert candidates, "the demo has no contact with notes on a lead"
        subject = candidates[0]
        # Another lead names them in a linked-entity field, as Kommo serves one.
        other = next(
            lead for lead in emulator.records("leads")
            if f'"id": {subject["id"]},' not in _embedded(leads, lead["id"])
            and any(f.get("field_type") == "linked_entity"
                    for f in lead.get("custom_fields_values") or [])
        )  # fmt: skip
        emulator.patch("leads", other["id"], custom_fields_values=_linking(other, subject))
        emulator.patch("contacts", subject["id"], updated_by=10002 + 1)
        source.run(running, warehouse, history_days=30)
    person = Person(names={subject["name"]}, emails=set(_emails(subject)),
                    phones=set(_values(subject, "PHONE")))  # fmt: skip

    def of_leads() -> int:
        return sum(1 for r in rows(warehouse, tables["custom_field_values"])
                   if r["entity_type"] == "leads")  # fmt: skip

    def naming(lead: int) -> list[str]:
        """The lead's columns holding a linked-entity value naming the subject."""
        [row] = [r for r in rows(warehouse, tables["leads"]) if r["id"] == lead]
        link = f'"entity_id": {subject["id"]}, "entity_type": "contacts"'
        return [c for c, v in row.items() if isinstance(v, str) and link in v]

    values_of_leads = of_leads()
    assert naming(other["id"])  # its wide custom field column
    before = check(warehouse, person, {tables["leads"]: 0}, email=_emails(subject)[0])
    assert of_leads() == values_of_leads
    assert naming(other["id"]) == []
    assert {tables["contacts"], tables["custom_field_values"], tables["leads"]} <= set(before)
    assert f"{tables['contacts']}__history" in before
    # The lead that named them stays; its linked-entity value no longer names a contact.
    values = [r for r in rows(warehouse, tables["custom_field_values"])
              if r["entity_type"] == "leads" and r["_parent_id"] == other["id"]
              and r["field_type"] == "linked_entity"]  # fmt: skip
    assert values and all(str(subject["id"]) not in (r["value_json"] or "") for r in values)
    leads = rows(warehouse, tables["leads"])
    assert not any(f'"id": {subject["id"]},' in (r["embedded"] or "") for r in leads)
    # Its notes and tasks were theirs.
    assert not any(
        r["entity_type"] == "contacts" and r["entity_id"] == subject["id"]
        for r in rows(warehouse, tables["notes"])
    )


def _values(contact: dict, code: str) -> list[str]:
    return [
        v["value"]
        for f in contact.get("custom_fields_values") or []
        if f.get("field_code") == code
        for v in f["values"]
    ]


def _emails(contact: dict) -> list[str]:
    return _values(contact, "EMAIL")


def _embedded(leads: list[dict], lead_id: int) -> str:
    return next((r["embedded"] or "" for r in leads if r["id"] == lead_id), "")


def _linking(lead: dict, contact: dict) -> list[dict]:
    """The lead's custom field values with its linked-entity field naming `contact`."""
    fields = []
    for value in lead.get("custom_fields_values") or []:
        if value.get("field_type") == "linked_entity":
            value = {**value, "values": [{"value": {
                "name": contact["name"], "entity_id": contact["id"],
                "entity_type": "contacts", "catalog_id": None}}]}  # fmt: skip
        fields.append(value)
    assert any(f.get("field_type") == "linked_entity" for f in fields)
    return fields


# -- Odoo ----------------------------------------------------------------------------


HASH_ALL = {"hash": ["email", "phone", "cpf", "cnpj", "document"]}


@pytest.mark.parametrize("privacy", [{}, HASH_ALL], ids=["kept", "hashed"])
def test_odoo_partner_named_by_payments_that_carry_no_email_or_cpf(warehouse, privacy):
    source = SOURCES["odoo"]
    tables = source_tables(source.spec, "odoo_")
    with source.running() as running:
        emulator = running.emulator
        partners = emulator.orm.tables["res.partner"]
        users = [u.get("name") for u in emulator.orm.tables.get("res.users", {}).values()]
        names = [p["name"] for p in partners.values()] + users
        payments = emulator.orm.tables["account.payment"].values()
        quotations = emulator.orm.tables["mut.insurance.quotation"].values()

        def count(records, partner) -> int:
            return sum(1 for r in records if _id(r.get("partner_id")) == partner["id"])

        candidates = [p for p in partners.values()
                      if p.get("vat") and unique(p["name"], names) and count(payments, p)]  # fmt: skip
        # The strictest subject: one with quotations too, so policies and their copies.
        candidates.sort(key=lambda p: -count(quotations, p))
        assert candidates, "the demo has no partner with payments"
        subject = candidates[0]
        source.run(running, warehouse, history_days=30, page_size=200, privacy=privacy)
        emulator.touch("res.partner", subject["id"], LATER)
        for payment in payments:
            if _id(payment.get("partner_id")) == subject["id"]:
                emulator.touch("account.payment", payment["id"], LATER)
        source.run(running, warehouse, history_days=30, page_size=200, privacy=privacy)
    person = Person(names={subject["name"]}, emails={subject["email"]},
                    phones={subject["phone"]}, documents={subject["vat"]})  # fmt: skip
    linked = {tables["payment"]: 0}
    before = check(warehouse, person, linked, tax_id=subject["vat"])
    assert {tables["res_partner"], tables["payment"], f"{tables['payment']}__history"} <= set(
        before
    )
    # Payments carry the partner's name only: they stay, with no partner.
    theirs = [r for r in rows(warehouse, tables["payment"]) if r["partner_id"] == subject["id"]]
    assert theirs == []
    assert sum(1 for r in rows(warehouse, tables["payment"]) if r["partner_id"] is None) >= count(
        payments, subject
    )


def _id(value) -> int | None:
    """A many-to-one's id, as the emulator keeps it (an id, or [id, name])."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


# -- NectarCRM -----------------------------------------------------------------------


def test_nectarcrm_contact_named_by_deals_tasks_and_posts(warehouse):
    source = SOURCES["nectarcrm"]
    tables = source_tables(source.spec, "nectarcrm_")
    with source.running() as running:
        emulator = running.emulator
        contacts = emulator.records("contatos")
        names = [c["nome"] for c in contacts] + [u["nome"] for u in emulator.records("usuario")]
        deals = emulator.records("oportunidades")

        def client(record) -> int | None:
            return (record.get("cliente") or {}).get("id")

        candidates = [
            c for c in contacts
            if c.get("cpf") and unique(c["nome"], names)
            and any(client(d) == c["id"] for d in deals)
        ]  # fmt: skip
        candidates.sort(key=lambda c: -sum(1 for d in deals if client(d) == c["id"]))
        assert candidates, "the demo has no person with deals"
        subject = candidates[0]
        source.run(running, warehouse, history_days=30)
        emulator.touch("contatos", subject["id"], LATER)
        for deal in deals:
            if client(deal) == subject["id"]:
                emulator.touch("oportunidades", deal["id"], LATER)
        source.run(running, warehouse, history_days=30)
    person = Person(names={subject["nome"]}, emails=set(subject["emails"]),
                    phones=set(subject["telefones"]), documents={subject["cpf"]})  # fmt: skip
    linked = {tables[t]: 0 for t in ("opportunities", "feedbacks", "tasks", "appointments")}
    before = check(warehouse, person, linked, tax_id=digits(subject["cpf"]))
    assert {tables["contacts"], tables["opportunities"],
            f"{tables['opportunities']}__history"} <= set(before)  # fmt: skip
    # Their deals stay, with no client.
    assert subject["id"] not in {r["cliente_id"] for r in rows(warehouse, tables["opportunities"])}
