"""A privacy policy on every source's demo data: nothing personal reaches the warehouse
raw, hashes join across sources, `drop` creates no column, CPFs in free text are found,
and neither the key nor a personal value reaches a log line or metadata."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from crm_assets.core.privacy import pseudonym
from crm_assets_tests.harness import logged_text
from crm_assets_tests.privacy.helpers import leaks, personal_values, text_leaks
from crm_assets_tests.privacy.sources import PII_KEY, SOURCES

HASH_ALL = {"hash": ["email", "phone", "cpf", "cnpj", "document"]}
VALID_CPF = "529.982.247-25"


def _rows(warehouse, query: str) -> list:
    with warehouse.engine.connect() as connection:
        return connection.execute(sa.text(query)).all()


def _columns(warehouse, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(warehouse.engine).get_columns(table)}


def _metadata_text(result) -> str:
    events = result.get_asset_materialization_events()
    return "\n".join(str(e.materialization.metadata) for e in events)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_hash_policy_leaves_no_personal_value_anywhere(name, sqlite_warehouse):
    source = SOURCES[name]
    with source.running() as running:
        result = source.run(running, sqlite_warehouse, privacy=HASH_ALL, history_days=30)
        served = personal_values(running.emulator.bodies)
        logs = logged_text(result, running.instance)
    assert result.success
    # The ground truth is what the emulator served, not what the source declares.
    assert len(served) >= 20, served
    assert leaks(sqlite_warehouse.engine, served) == []
    assert text_leaks(logs + _metadata_text(result), served) == []
    assert PII_KEY not in logs + _metadata_text(result)


@pytest.mark.parametrize("name", ["nectarcrm", "odoo"])
def test_a_policy_off_stores_values_as_served(name, sqlite_warehouse):
    """The leak search finds what it looks for: without a policy, the values are there."""
    source = SOURCES[name]
    with source.running() as running:
        source.run(running, sqlite_warehouse)
        served = personal_values(running.emulator.bodies)
    assert len(leaks(sqlite_warehouse.engine, served)) >= 20


def test_history_keeps_only_protected_versions(warehouse):
    source = SOURCES["nectarcrm"]
    with source.running() as running:
        source.run(running, warehouse, streams=["contacts"], privacy=HASH_ALL, history_days=30)
        for contact in running.emulator.records("contatos")[:5]:
            running.emulator.touch("contatos", contact["id"], datetime(2026, 11, 20, 12))
        source.run(running, warehouse, streams=["contacts"], privacy=HASH_ALL, history_days=30)
        served = personal_values(running.emulator.bodies)
    kept = _rows(warehouse, 'SELECT cpf, cnpj FROM "nectarcrm_contacts__history"')
    assert len(kept) == 5
    assert all(len(cpf or cnpj) == 64 for cpf, cnpj in kept)
    assert leaks(warehouse.engine, served) == []


def test_one_person_hashes_alike_across_sources(sqlite_warehouse):
    nectar, odoo = SOURCES["nectarcrm"], SOURCES["odoo"]
    person = {"emails": [" Ana.Silva@Example.COM "], "telefones": ["+55 (11) 98765-4321"],
              "cpf": VALID_CPF}  # fmt: skip
    with nectar.running(extra_contact_fields=person) as running:
        nectar.run(running, sqlite_warehouse, privacy=HASH_ALL)
    with odoo.running() as running:
        partner = running.emulator.orm.tables["res.partner"][1]
        partner.update(email="ana.silva@example.com", phone="11987654321", vat="52998224725")
        running.emulator.orm.changed()
        odoo.run(running, sqlite_warehouse, privacy=HASH_ALL)
    [(email, phone, vat)] = _rows(
        sqlite_warehouse, "SELECT email, phone, vat FROM odoo_res_partner WHERE id = 1"
    )
    assert email == pseudonym(PII_KEY.encode(), "email", "ana.silva@example.com")
    assert {email} == {r[0] for r in _rows(sqlite_warehouse, "SELECT email FROM "
                                           "nectarcrm_contacts__emails")}  # fmt: skip
    assert {phone} == {r[0] for r in _rows(sqlite_warehouse, "SELECT telefone FROM "
                                           "nectarcrm_contacts__telefones")}  # fmt: skip
    assert {vat} == {r[0] for r in _rows(sqlite_warehouse, "SELECT cpf FROM nectarcrm_contacts")}


def test_drop_creates_no_column(warehouse):
    source = SOURCES["nectarcrm"]
    with source.running() as running:
        result = source.run(running, warehouse, privacy={"drop": ["email", "phone", "cpf", "cnpj"]})
    assert result.success
    contacts = _columns(warehouse, "nectarcrm_contacts")
    assert {"nome", "razaoSocial"} <= contacts
    assert not {"cpf", "cnpj", "emails", "telefones", "responsavel_login"} & contacts
    assert "email" not in _columns(warehouse, "nectarcrm_contacts__emails")
    assert "telefone" not in _columns(warehouse, "nectarcrm_contacts__telefones")
    # No key is needed when nothing is hashed.
    assert "pii_key" not in str(result.all_events)


def test_mask_keeps_the_documented_part(sqlite_warehouse):
    source = SOURCES["nectarcrm"]
    person = {"emails": ["Ana.Silva@Example.com"], "telefones": ["(11) 98765-4321"],
              "cpf": VALID_CPF, "nome": "Ana Maria Silva"}  # fmt: skip
    with source.running(extra_contact_fields=person) as running:
        source.run(running, sqlite_warehouse,
                   privacy={"mask": ["email", "phone", "cpf", "person_name"]})  # fmt: skip
    assert {r[0] for r in _rows(sqlite_warehouse, "SELECT email FROM nectarcrm_contacts__emails")
            } == {"***@example.com"}  # fmt: skip
    assert {r for r in _rows(sqlite_warehouse, "SELECT nome, cpf FROM nectarcrm_contacts")} == {
        ("A. M. S.", "***25")
    }
    phones = _rows(sqlite_warehouse, "SELECT telefone FROM nectarcrm_contacts__telefones")
    assert {r[0] for r in phones} == {"***21"}


def test_cpf_in_free_text_is_found_and_replaced(sqlite_warehouse):
    source = SOURCES["nectarcrm"]
    note = f"Cliente CPF {VALID_CPF}, ligar depois; protocolo 123.456.789-00"
    extra = {"observacao": note, "camposPersonalizados": {"CPF do sócio": "52998224725"}}
    policy = {"hash": ["document"], "scan": ["nectarcrm_contacts.observacao"]}
    with source.running(extra_contact_fields=extra) as running:
        source.run(running, sqlite_warehouse, privacy=policy)
    digest = pseudonym(PII_KEY.encode(), "cpf", VALID_CPF)
    rows = _rows(sqlite_warehouse, "SELECT observacao, camposPersonalizados FROM "
                 "nectarcrm_contacts")  # fmt: skip
    assert rows
    for observacao, custom in rows:
        # Check digits matter: 123.456.789-00 is not a CPF, so it stays.
        assert observacao == f"Cliente CPF {digest}, ligar depois; protocolo 123.456.789-00"
        assert digest in custom and "52998224725" not in custom


def test_column_schema_says_how_each_column_is_protected(sqlite_warehouse):
    source = SOURCES["nectarcrm"]
    with source.running() as running:
        result = source.run(running, sqlite_warehouse, streams=["contacts"],
                            privacy={"hash": ["cpf"], "mask": ["person_name"]})  # fmt: skip
    [event] = result.get_asset_materialization_events()
    schema = event.materialization.metadata["dagster/column_schema"].schema
    described = {c.name: c.description for c in schema.columns}
    assert described["cpf"].startswith("Personal data (cpf): hashed")
    assert described["nome"] == "Personal data (person_name): masked (the initials are kept)."
    assert not (described.get("cnpj") or "").startswith("Personal data")


def test_a_hash_policy_without_the_key_fails_naming_the_variable(sqlite_warehouse):
    source = SOURCES["pipedrive"]
    with source.running() as running:
        result = running.run(sqlite_warehouse, privacy=HASH_ALL, raise_on_error=False)
        logs = logged_text(result, running.instance)
        # It fails in resource setup, before a request or a table.
        assert running.emulator.bodies == []
    assert not result.success
    assert "the privacy policy hashes personal data" in logs and "CRM_PII_KEY" in logs
    assert sa.inspect(sqlite_warehouse.engine).get_table_names() == []


def test_an_unknown_class_fails_with_the_choices(sqlite_warehouse):
    source = SOURCES["pipedrive"]
    with source.running() as running:
        result = running.run(sqlite_warehouse, privacy={"hash": ["emial"]}, raise_on_error=False)
        logs = logged_text(result, running.instance)
    assert not result.success
    assert "'emial' (under hash) is neither a class" in logs and "person_name" in logs


def test_kommo_fields_are_classified_by_their_code(sqlite_warehouse):
    source = SOURCES["kommo"]
    with source.running() as running:
        source.run(running, sqlite_warehouse, streams=["contacts"],
                   privacy={"drop": ["phone"], "mask": ["email"]})  # fmt: skip
    values = _rows(sqlite_warehouse, "SELECT field_code, value_text FROM "
                   "kommo_custom_field_values WHERE field_code IN ('PHONE', 'EMAIL', 'POSITION')")  # fmt: skip
    by_code = {}
    for code, text in values:
        by_code.setdefault(code, set()).add(text)
    # A shared value column cannot be dropped: a dropped class is stored empty there.
    assert by_code["PHONE"] == {None}
    assert by_code["EMAIL"] == {"***@exemplo.com"}
    assert None not in by_code["POSITION"] and len(by_code["POSITION"]) > 1
