"""Kommo end to end: emulator on a loopback socket -> client -> assets -> warehouse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from crm_assets.core import schema
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.kommo.emulator.custom_fields import FIELDS
from crm_assets.sources.kommo.emulator.data import ID_BASE, lead_plan
from crm_assets.sources.kommo.streams import STREAMS
from crm_assets_tests.sources.kommo.conftest import ANCHOR, TOKEN, UNLIMITED
from crm_assets_tests.sources.kommo.helpers import DOCUMENTED_TYPES, assert_table_is, statuses

FULL = {FULL_SYNC_TAG: "true"}
FAST = {"requests_per_second": UNLIMITED}
DAY_START = int(datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC).timestamp())
DAY_END = DAY_START + 86_400


def in_day(records: list[dict], key: str = "updated_at") -> list[dict]:
    return [r for r in records if DAY_START <= r[key] < DAY_END]


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_full_sync_equals_the_emulator(kommo, warehouse):
    emulator = kommo.emulator
    result = kommo.run(warehouse, tags=FULL, **FAST)
    assert len(result.get_asset_materialization_events()) == len(STREAMS)

    for entity in ("leads", "contacts", "companies", "tasks"):
        live = emulator.records(entity)
        assert live, entity
        rows = {r["id"]: r for r in warehouse.rows(f"kommo_{entity}")}
        deleted = emulator.deleted_ids(entity) if entity != "tasks" else set()
        assert {i for i, r in rows.items() if r["_deleted"]} == deleted, entity
        assert_table_is(
            warehouse,
            f"kommo_{entity}",
            live + [{"id": i} for i in deleted],
        )
        assert warehouse.row_count(f"kommo_{entity}") == len(live)
    # Deleted leads came from the trash, the others from their events.
    deleted_leads = emulator.records("leads", deleted=True)
    lead_rows = {r["id"]: r for r in warehouse.rows("kommo_leads")}
    assert all(lead_rows[d["id"]]["is_deleted"] for d in deleted_leads)

    pipelines = warehouse.rows("kommo_pipelines")
    assert len(pipelines) == 4 and sum(p["is_main"] for p in pipelines) == 1
    assert sum(p["is_archive"] for p in pipelines) == 1
    statuses_rows = warehouse.rows("kommo_pipelines__statuses")
    for closing in (142, 143):
        assert {s["_parent_id"] for s in statuses_rows if s["id"] == closing} == {
            p["id"] for p in pipelines
        }
    assert warehouse.row_count("kommo_users") == 12
    assert warehouse.row_count("kommo_catalogs") == 2
    assert warehouse.row_count("kommo_catalog_elements") == 80
    assert warehouse.row_count("kommo_notes") == 3 * 40
    assert warehouse.row_count("kommo_custom_fields") == sum(
        len(FIELDS[e]) for e in ("leads", "contacts", "companies")
    )

    events = warehouse.rows("kommo_events")
    # A live lead has a status move per status it entered after its pipeline's first.
    lead_moves = walked(emulator)
    expected_events = (
        sum(lead_moves.values())
        + len(deleted_leads)
        + len(emulator.deleted_ids("contacts"))
        + len(emulator.deleted_ids("companies"))
    )
    assert len(events) == expected_events
    moves = [e for e in events if e["type"] == "lead_status_changed"]
    by_lead = {lead["id"]: lead for lead in emulator.records("leads")}
    last = {}
    for move in sorted(moves, key=lambda m: m["created_at"]):
        last[move["entity_id"]] = move
        assert move["pipeline_after_id"] == by_lead[move["entity_id"]]["pipeline_id"]
        assert move["status_before_id"] is not None
    assert len(last) == sum(1 for n in lead_moves.values() if n)
    for lead_id, move in last.items():
        lead = by_lead[lead_id]
        assert move["status_after_id"] == lead["status_id"]
        assert json.loads(move["value_after"])[0]["lead_status"]["id"] == lead["status_id"]
    others = [e for e in events if e["type"] != "lead_status_changed"]
    assert others and all(e["status_after_id"] is None for e in others)

    # Contacts and companies never ask for the trash: Kommo would answer with live records.
    for request in emulator.requests:
        if request.path.endswith(("/contacts", "/companies")):
            assert "only_deleted" not in str(request.args), request


def walked(emulator) -> dict[int, int]:
    """Status moves of each live lead: one per status after its pipeline's first."""
    return {
        lead["id"]: len(lead_plan(lead["id"] - ID_BASE["leads"])[1]) - 1
        for lead in emulator.records("leads")
    }


def test_custom_field_values_keep_every_type_typed(kommo, sqlite_warehouse):
    emulator = kommo.emulator
    kommo.run(sqlite_warehouse, tags=FULL, **FAST)
    values = sqlite_warehouse.rows("kommo_custom_field_values")
    assert {v["field_type"] for v in values} == DOCUMENTED_TYPES
    assert {v["entity_type"] for v in values} == {
        "leads",
        "contacts",
        "companies",
        "catalog_elements",
    }

    def of(kind: str) -> list[dict]:
        return [v for v in values if v["field_type"] == kind]

    assert all(isinstance(v["value_number"], float) for v in of("numeric") + of("price"))
    assert all(v["value_timestamp"] is not None for v in of("date") + of("birthday"))
    assert {v["value_boolean"] for v in of("checkbox")} == {True, False}
    assert all(json.loads(v["value_json"])["name"] for v in of("legal_entity"))
    assert all(json.loads(v["value_json"])["catalog_element_id"] for v in of("chained_list"))
    assert all(v["enum_id"] and v["value_text"] for v in of("select") + of("category"))
    phones = [v for v in of("multitext") if v["field_code"] == "PHONE"]
    assert phones and all(v["enum_code"] for v in phones)
    assert max(v["value_index"] for v in of("smart_address")) == 5
    assert max(v["value_index"] for v in of("multiselect")) >= 1

    # Every value of every live lead is one row; a null list is no rows.
    leads = emulator.records("leads")
    expected = {
        (lead["id"], f["field_id"], n)
        for lead in leads
        for f in lead["custom_fields_values"] or []
        for n in range(len(f["values"]))
    }
    got = {
        (v["entity_id"], v["field_id"], v["value_index"])
        for v in values
        if v["entity_type"] == "leads" and not v["_deleted"]
    }
    assert got == expected
    assert any(lead["custom_fields_values"] is None for lead in leads)

    # Wide columns: named from the field, with the documented answer to collisions.
    columns = dict(sqlite_warehouse.columns("kommo_leads"))
    assert columns["valor_estimado"] == "number"
    assert columns["data_da_proposta"] == "timestamp"
    assert columns["contrato_assinado"] == "boolean"
    assert "name_custom" in columns and "origem" in columns and "origem_810020" in columns
    assert "produtos_de_interesse" not in columns  # multi-value: long table only


def test_a_removed_value_is_flagged_and_reruns_change_nothing(kommo, sqlite_warehouse):
    emulator = kommo.emulator
    kommo.run(sqlite_warehouse, streams=["leads"], tags=FULL, **FAST)
    lead = next(x for x in emulator.records("leads") if x["custom_fields_values"])
    before = sqlite_warehouse.rows("kommo_custom_field_values")
    kommo.run(sqlite_warehouse, streams=["leads"], tags=FULL, **FAST)
    assert sqlite_warehouse.rows("kommo_custom_field_values") == before

    kept, dropped = lead["custom_fields_values"][1:], lead["custom_fields_values"][0]
    emulator.patch("leads", lead["id"], custom_fields_values=kept)
    kommo.run(sqlite_warehouse, streams=["leads"], tags=FULL, **FAST)
    mine = [
        v
        for v in sqlite_warehouse.rows("kommo_custom_field_values")
        if v["entity_type"] == "leads" and v["entity_id"] == lead["id"]
    ]
    flagged = {v["field_id"] for v in mine if v["_deleted"]}
    assert flagged == {dropped["field_id"]}
    assert {v["field_id"] for v in mine if not v["_deleted"]} == {f["field_id"] for f in kept}


def test_an_incremental_partition_reads_only_its_window(kommo, sqlite_warehouse):
    emulator = kommo.emulator
    streams = ["leads", "contacts", "companies", "tasks", "events"]
    kommo.run(sqlite_warehouse, streams=streams, **FAST)
    for entity in ("leads", "contacts", "companies", "tasks"):
        want = {r["id"] for r in in_day(emulator.records(entity))}
        got = {r["id"] for r in sqlite_warehouse.rows(f"kommo_{entity}") if not r["_deleted"]}
        assert want and got == want, entity
    for request in emulator.requests:
        if request.path.endswith(("/leads", "/contacts", "/companies", "/tasks")):
            assert request.args["filter[updated_at][from]"] == [str(DAY_START)]
            assert request.args["filter[updated_at][to]"] == [str(DAY_END - 1)]
            assert request.args["order[updated_at]"] == ["asc"]
        if request.path.endswith("/events"):
            assert request.args["filter[created_at][from]"] == [str(DAY_START)]
    created = [
        datetime.fromisoformat(str(e["created_at"])) for e in sqlite_warehouse.rows("kommo_events")
    ]
    assert created and all(
        DAY_START <= int(c.replace(tzinfo=c.tzinfo or UTC).timestamp()) < DAY_END for c in created
    )


def test_deletes_in_a_window_are_tombstoned_and_no_live_record_is(kommo, sqlite_warehouse):
    emulator = kommo.emulator
    # Find a day holding a deleted contact, then sync that day after a full sync.
    kommo.run(sqlite_warehouse, streams=["contacts", "companies", "leads"], tags=FULL, **FAST)
    contact_id = min(emulator.deleted_ids("contacts"))
    kind = emulator.data.kinds["contacts"]
    day = datetime.fromtimestamp(kind.time(contact_id - 5_000_001), UTC).date()
    kommo.run(sqlite_warehouse, streams=["contacts"], partition=day.isoformat(), **FAST)
    rows = {r["id"]: r for r in sqlite_warehouse.rows("kommo_contacts")}
    assert rows[contact_id]["_deleted"]
    live = {r["id"] for r in emulator.records("contacts")}
    assert not any(rows[i]["_deleted"] for i in live)
    for table, entity in (("kommo_leads", "leads"), ("kommo_companies", "companies")):
        marked = {r["id"] for r in sqlite_warehouse.rows(table) if r["_deleted"]}
        assert marked == emulator.deleted_ids(entity)


def test_a_204_on_the_first_page_is_an_empty_stream(kommo, sqlite_warehouse):
    # Before the emulator's data begins: every list answers 204 at once.
    quiet = (ANCHOR - timedelta(days=200)).isoformat()
    result = kommo.run(sqlite_warehouse, streams=["leads", "events"], partition=quiet, **FAST)
    assert result.success
    assert statuses(kommo.emulator, "/api/v4/leads") == [204, 204]
    assert statuses(kommo.emulator, "/api/v4/events") == [204]
    assert sqlite_warehouse.row_count("kommo_leads") == 0


def test_a_204_behind_a_full_pages_next_link_ends_the_stream(make_kommo, sqlite_warehouse):
    # 257 leads of which 7 are in the trash: exactly one full page of 250 live leads.
    kommo = make_kommo(per_second=UNLIMITED, sizes={"leads": 257})
    result = kommo.run(sqlite_warehouse, streams=["leads"], tags=FULL, **FAST)
    assert result.success
    assert statuses(kommo.emulator, "/api/v4/leads") == [200, 200, 204]
    assert sqlite_warehouse.row_count("kommo_leads") == 250


def test_the_demo_writes_every_kommo_table_with_values_of_every_type(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    from dagster import DagsterInstance

    from crm_assets.core.warehouse import Warehouse
    from crm_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("kommo_sync")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    with DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(partition_key=today, instance=instance).success
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'demo.db'}")
    tables = [t for t in warehouse.table_names() if t.startswith("kommo_")]
    expected = {f"kommo_{s.name}" for s in STREAMS} | {
        "kommo_custom_field_values",
        "kommo_pipelines__statuses",
        "kommo_custom_fields__enums",
    }
    assert set(tables) == expected
    assert all(warehouse.row_count(t) for t in tables), {t: warehouse.row_count(t) for t in tables}
    kinds = {r["field_type"] for r in warehouse.rows("kommo_custom_field_values")}
    assert kinds == DOCUMENTED_TYPES
    warehouse.engine.dispose()


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_the_account_stream_holds_the_one_currency_of_every_lead(kommo, warehouse):
    served = requests.get(
        f"{kommo.url}/api/v4/account", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).json()
    result = kommo.run(warehouse, streams=["account"], **FAST)
    assert result.success
    assert kommo.emulator.count("/api/v4/account") == 2  # ours above, then the run's one
    (row,) = warehouse.rows("kommo_account")
    assert row["id"] == served["id"] and row["_deleted"] is False
    assert (row["currency"], row["currency_symbol"], row["country"]) == ("BRL", "R$", "BR")
    assert (row["name"], row["subdomain"]) == (served["name"], served["subdomain"])
    types = dict(warehouse.columns("kommo_account"))
    assert types["id"] == schema.INTEGER
    for name in ("name", "subdomain", "currency", "currency_symbol", "country"):
        assert types[name] == schema.TEXT, name
    [event] = result.get_asset_materialization_events()
    schema_value = event.materialization.metadata["dagster/column_schema"].value
    described = {c.name: c.description for c in schema_value.columns}
    assert "currency" in described["currency"] and described["country"]
    # Every lead's account is this one: its price is in this currency.
    kommo.run(warehouse, streams=["leads"], **FAST)
    assert {r["account_id"] for r in warehouse.rows("kommo_leads")} == {row["id"]}
