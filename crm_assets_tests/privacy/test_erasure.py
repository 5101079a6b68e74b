"""`erase_data_subject` on synced demo data: every trace of one person goes, nothing
else does, twice in a row; the register names them by hash; a sync that brings them
back says so."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from crm_assets.core.privacy import pseudonym
from crm_assets_tests.privacy.sources import PII_KEY, SOURCES, run_erasure

HASH_ALL = {"hash": ["email", "phone", "cpf", "cnpj", "document"]}
EMAIL = "Ana.Titular@Exemplo.com.br"
CPF = "529.982.247-25"


def _hash(kind: str, value: str) -> str:
    return pseudonym(PII_KEY.encode(), kind, value)


def _snapshot(warehouse) -> dict[str, Counter]:
    """Every table's rows, as text, to compare before and after."""
    tables = {}
    inspector = sa.inspect(warehouse.engine)
    with warehouse.engine.connect() as connection:
        for name in inspector.get_table_names():
            rows = connection.execute(sa.select(sa.text("*")).select_from(sa.table(name))).all()
            tables[name] = Counter(repr(tuple(map(str, row))) for row in rows)
    return tables


def _removed(before, after, changed: dict[str, int] | None = None) -> dict[str, int]:
    """Rows gone per table; rows changed in place (the same number before and after)
    are counted into `changed`, and none may appear otherwise."""
    gone = {t: sum((rows - after.get(t, Counter())).values()) for t, rows in before.items()}
    added = {t: sum((rows - before.get(t, Counter())).values()) for t, rows in after.items()}
    added = {t: n for t, n in added.items() if n and t != "crm_erasure_log"}
    if changed is not None:
        for table, n in list(added.items()):
            if sum(before[table].values()) == sum(after[table].values()):
                changed[table] = n
                gone[table] -= n
                del added[table]
    assert not added
    return {t: n for t, n in gone.items() if n}


def _erase(warehouse, instance, **config):
    return run_erasure(warehouse, instance, config)


def _dicts(warehouse, snapshot, table: str) -> list[dict]:
    """A snapshot's rows of `table` as dicts of text, by column name."""
    columns = [c["name"] for c in sa.inspect(warehouse.engine).get_columns(table)]
    rows = [eval(row) for row in snapshot[table].elements()]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _metadata(result) -> dict:
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in output.event_specific_data.metadata.items()}


@contextmanager
def _synced(warehouse):
    """NectarCRM (one contact: the subject, with history), Odoo and Pipedrive, hashed."""
    nectar, odoo = SOURCES["nectarcrm"], SOURCES["odoo"]
    person = {"emails": [EMAIL], "cpf": CPF, "telefones": ["(11) 98765-4321"]}
    with nectar.running(sizes={"contatos": 1}, extra_contact_fields=person) as running:
        nectar.run(running, warehouse, privacy=HASH_ALL, history_days=30)
        [contact] = running.emulator.records("contatos")
        running.emulator.touch("contatos", contact["id"], datetime(2026, 11, 20, 12))
        nectar.run(running, warehouse, streams=["contacts"], privacy=HASH_ALL, history_days=30)
    with SOURCES["pipedrive"].running() as running:
        SOURCES["pipedrive"].run(
            running, warehouse, streams=["persons", "users", "notes"], privacy=HASH_ALL
        )
    with odoo.running() as running:
        tables = running.emulator.orm.tables
        quotation = next(iter(tables["mut.insurance.quotation"].values()))
        partner = tables["res.partner"][quotation["partner_id"]]
        partner.update(email=EMAIL.lower())
        running.emulator.orm.changed()
        odoo.run(running, warehouse, privacy=HASH_ALL, page_size=200)
        yield warehouse, running


@pytest.fixture
def synced(warehouse):
    with _synced(warehouse) as synced:
        yield synced


@pytest.fixture
def synced_sqlite(sqlite_warehouse):
    with _synced(sqlite_warehouse) as synced:
        yield synced


def test_erasure_removes_every_trace_and_nothing_else_twice(synced):
    warehouse, odoo = synced
    before = _snapshot(warehouse)
    with DagsterInstance.ephemeral() as instance:
        result, logs = _erase(warehouse, instance, email=f" {EMAIL.upper()} ")
        assert result.success, logs
        after = _snapshot(warehouse)
        again, again_logs = _erase(warehouse, instance, email=EMAIL)
        assert again.success
    changed: dict[str, int] = {}
    removed = _removed(before, after, changed)
    touched = sum(changed.values())
    [partner] = [r for r in before["odoo_res_partner"] if _hash("email", EMAIL) in r]
    # Quotations copied the partner's CPF (and its earlier email): found through the CPF.
    vat = next(v for v in eval(partner) if len(v) == 64 and v != _hash("email", EMAIL))
    quotations = sum(1 for row in before["odoo_insurance_quotation"] if vat in row)
    policies = sum(1 for row in before["odoo_policy"] if vat in row)
    assert quotations >= 1
    # A policy's certificates and their coverages are the policy holder's.
    policy_ids = {r["id"] for r in _dicts(warehouse, before, "odoo_policy") if vat in r.values()}
    certificates = {r["id"] for r in _dicts(warehouse, before, "odoo_policy_certificate")
                    if r["policy_id"] in policy_ids}  # fmt: skip
    coverages = [r for r in _dicts(warehouse, before, "odoo_certificate_coverage")
                 if r["certificate_id"] in certificates]  # fmt: skip
    assert removed == {
        "nectarcrm_contacts": 1,
        "nectarcrm_contacts__history": 1,
        "nectarcrm_contacts__emails": 1,
        "nectarcrm_contacts__telefones": 1,
        **({"nectarcrm_contacts__enderecos": 1} if before.get("nectarcrm_contacts__enderecos")
           else {}),
        "odoo_res_partner": 1,
        "odoo_insurance_quotation": quotations,
        **({"odoo_policy": policies} if policies else {}),
        **({"odoo_policy_certificate": len(certificates)} if certificates else {}),
        **({"odoo_certificate_coverage": len(coverages)} if coverages else {}),
    }  # fmt: skip
    traces = [_hash("email", EMAIL), _hash("cpf", CPF), EMAIL.lower(), vat]
    # Only the register keeps the hashes, to recognise the person coming back.
    anywhere = {t for rows in after.values() for row in rows for t in traces if t in row}
    registered = {t for row in after["crm_erasure_log"] for t in traces if t in row}
    assert anywhere == registered == set(traces) - {EMAIL.lower()}
    # Records that only name the person stay, the link to them emptied: the one
    # contact's deals, tasks and posts, and the partner's payments.
    partner_id = eval(partner)[0]
    payments = [r for r in _dicts(warehouse, before, "odoo_payment")
                if r["partner_id"] == partner_id]  # fmt: skip
    nectar = ("opportunities", "qualifications", "appointments", "tasks", "proposals")
    # A post on the contact loses the link; one on their deal or task, the name it copied.
    posts = _dicts(warehouse, before, "nectarcrm_feedbacks")
    on_contact = sum(1 for r in posts if r["contato_id"] != "None")
    on_anything = sum(1 for r in posts if {r["contato_id"], r["oportunidade_id"],
                                           r["tarefa_id"]} != {"None"})  # fmt: skip
    assert on_contact <= changed.pop("nectarcrm_feedbacks") <= on_anything
    assert changed == {
        **{f"nectarcrm_{t}": sum(before[f"nectarcrm_{t}"].values()) for t in nectar},
        "odoo_payment": len(payments),
    }
    assert all(r["partner_id"] != partner_id for r in _dicts(warehouse, after, "odoo_payment"))
    assert _metadata(result)["rows_touched"] == sum(removed.values()) + touched
    # Idempotent: the second run finds nothing and changes nothing.
    assert _metadata(again)["rows_touched"] == 0
    final = _snapshot(warehouse)
    assert {t: r for t, r in final.items() if t != "crm_erasure_log"} == {
        t: r for t, r in after.items() if t != "crm_erasure_log"
    }
    # Only the hash is logged, never the identifier.
    assert EMAIL.lower() not in (logs + again_logs).lower()
    assert _hash("email", EMAIL)[:16] in logs


def test_a_sync_that_brings_the_subject_back_reports_it(synced_sqlite):
    warehouse, odoo = synced_sqlite
    with DagsterInstance.ephemeral() as instance:
        assert _erase(warehouse, instance, email=EMAIL)[0].success
    result = SOURCES["odoo"].run(odoo, warehouse, privacy=HASH_ALL, page_size=200)
    logs = "\n".join(str(r) for r in odoo.instance.all_logs(result.run_id))
    assert "odoo_res_partner: 1 rows written hold the email or CPF/CNPJ of a data subject" in logs
    [partners] = [e.materialization.metadata for e in result.get_asset_materialization_events()
                  if e.asset_key.path[-1] == "res_partner"]  # fmt: skip
    assert partners["rows_naming_erased_subjects"].value == 1
    register = sa.Table("crm_erasure_log", sa.MetaData(), autoload_with=warehouse.engine)
    with warehouse.engine.connect() as connection:
        hashes = {r.identifier_hash for r in connection.execute(sa.select(register))}
    assert _hash("email", EMAIL) in hashes and _hash("cpf", CPF) in hashes


def test_null_mode_keeps_the_rows_and_empties_personal_columns(sqlite_warehouse):
    nectar = SOURCES["nectarcrm"]
    person = {"emails": [EMAIL], "cpf": CPF}
    with nectar.running(sizes={"contatos": 1}, extra_contact_fields=person) as running:
        nectar.run(running, sqlite_warehouse, streams=["contacts"], privacy=HASH_ALL)
    with DagsterInstance.ephemeral() as instance:
        result, _ = _erase(sqlite_warehouse, instance, tax_id="52998224725", mode="null")
    assert result.success
    [contact] = sqlite_warehouse.rows("nectarcrm_contacts")
    assert contact["cpf"] is None and contact["emails"] is None and contact["nome"] is None
    assert contact["id"] is not None and contact["dataCriacao"] is not None
    assert [r["email"] for r in sqlite_warehouse.rows("nectarcrm_contacts__emails")] == [None]


def test_a_record_id_erases_that_record_and_its_children(sqlite_warehouse):
    pipedrive = SOURCES["pipedrive"]
    with pipedrive.running() as running:
        pipedrive.run(running, sqlite_warehouse, streams=["persons", "users"], privacy=HASH_ALL)
    before = _snapshot(sqlite_warehouse)
    with DagsterInstance.ephemeral() as instance:
        result, _ = _erase(sqlite_warehouse, instance, record="pipedrive_persons:3")
    assert result.success
    removed = _removed(before, _snapshot(sqlite_warehouse))
    assert removed["pipedrive_persons"] == 1
    assert removed["pipedrive_persons__emails"] >= 1
    assert set(removed) <= {"pipedrive_persons", "pipedrive_persons__emails",
                            "pipedrive_persons__phones"}  # fmt: skip
    assert 3 not in {r["id"] for r in sqlite_warehouse.rows("pipedrive_persons")}


def test_a_user_named_on_others_records_is_emptied_there_not_their_records(sqlite_warehouse):
    nectar = SOURCES["nectarcrm"]
    with nectar.running() as running:
        nectar.run(running, sqlite_warehouse, streams=["contacts"], privacy=HASH_ALL)
        login = running.emulator.records("contatos")[0]["responsavel"]["login"]
    owned = [r for r in sqlite_warehouse.rows("nectarcrm_contacts")
             if r["responsavel_login"] == _hash("email", login)]  # fmt: skip
    with DagsterInstance.ephemeral() as instance:
        result, _ = _erase(sqlite_warehouse, instance, email=login)
    assert result.success and owned
    after = {r["id"]: r for r in sqlite_warehouse.rows("nectarcrm_contacts")}
    assert all(after[r["id"]]["responsavel_login"] is None for r in owned)
    assert all(after[r["id"]]["cpf"] == r["cpf"] for r in owned)


def test_a_kommo_contact_takes_only_its_own_custom_field_values(warehouse):
    kommo = SOURCES["kommo"]
    with kommo.running() as running:
        kommo.run(running, warehouse, streams=["contacts", "companies"], privacy=HASH_ALL)
    rows = [
        r for r in warehouse.rows("kommo_custom_field_values") if r["entity_type"] == "contacts"
    ]
    contact = min(r["_parent_id"] for r in rows)
    values = [r for r in rows if r["_parent_id"] == contact]
    before = _snapshot(warehouse)
    with DagsterInstance.ephemeral() as instance:
        result, logs = _erase(warehouse, instance, record=f"kommo_contacts:{contact}")
    assert result.success, logs
    removed = _removed(before, _snapshot(warehouse))
    assert values and removed == {"kommo_contacts": 1, "kommo_custom_field_values": len(values)}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"email": "a@b.c", "tax_id": CPF}, "exactly one of email, tax_id, identifier_hash"),
        ({"tax_id": "529.982.247-26"}, "not a CPF or CNPJ"),
        ({"record": "nowhere:1"}, "record must be <table>:<id>"),
        ({"email": "a@b.c", "mode": "shred"}, "use delete or null"),
    ],
)
def test_bad_config_says_what_is_wrong(sqlite_warehouse, config, message):
    with DagsterInstance.ephemeral() as instance:
        result, logs = _erase(sqlite_warehouse, instance, **config)
    assert not result.success and message in logs
