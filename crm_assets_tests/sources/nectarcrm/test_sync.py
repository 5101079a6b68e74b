"""NectarCRM end to end: emulator on a loopback socket -> client -> assets -> warehouse."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_assets.core import schema
from crm_assets.core.http import ApiClient, AuthenticationError, Credential
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.nectarcrm.streams import STREAMS
from crm_assets_tests.harness import failure_text, logged_text
from crm_assets_tests.sources.nectarcrm.conftest import ANCHOR, TOKEN

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
FULL = {FULL_SYNC_TAG: "true"}
RESOURCES = {
    "contacts": "contatos",
    "opportunities": "oportunidades",
    "qualifications": "qualificacoes",
    "appointments": "compromissos",
    "tasks": "tarefas",
    "feedbacks": "publicacao",
    "products": "produto",
    "product_categories": "produtoCategoria",
    "product_subcategories": "produtoSubCategoria",
    "price_tables": "tabelaPreco",
    "proposals": "proposta",
    "pipelines": "pipeline",
    "custom_fields": "campoPersonalizado",
    "tags": "lista",
    "sources": "origem",
    "segments": "segmento",
    "categories": "categoria",
}


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def test_every_stream_of_the_source_doc_is_built():
    assert sorted(s.name for s in STREAMS) == sorted(RESOURCES)


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_full_sync_equals_the_emulator(nectar_full, warehouse):
    result = nectar_full.run(warehouse, tags=FULL)
    assert len(result.get_asset_materialization_events()) == 17

    for stream, resource in RESOURCES.items():
        expected = nectar_full.emulator.records(resource)
        assert expected, resource
        assert warehouse.row_count(f"nectarcrm_{stream}") == len(expected), stream

    contacts = {r["id"]: r for r in warehouse.rows("nectarcrm_contacts")}
    assert len(contacts) >= 2000
    for raw in nectar_full.emulator.records("contatos")[::97]:
        row = contacts[raw["id"]]
        assert row["nome"] == raw["nome"] and row["cpf"] == raw["cpf"]
        assert row["responsavel_id"] == raw["responsavel"]["id"]
        assert row["responsavel_login"] == raw["responsavel"]["login"]
        assert json.loads(row["emails"]) == raw["emails"]
        assert json.loads(row["camposPersonalizados"]) == raw["camposPersonalizados"]
        assert schema.comparable(row["dataAtualizacao"]) == utc(raw["dataAtualizacao"])

    deals = {r["id"]: r for r in warehouse.rows("nectarcrm_opportunities")}
    assert len(deals) >= 3000
    assert {r["status"] for r in deals.values()} == {1, 2, 3, 4}
    for raw in nectar_full.emulator.records("oportunidades")[::89]:
        row = deals[raw["id"]]
        assert row["valorTotal"] == pytest.approx(raw["valorTotal"])
        assert row["funil_venda_id"] == raw["funilVenda"]["id"]
        assert row["cliente_nome"] == raw["cliente"]["nome"]
        assert schema.comparable(row["dataCriacao"]) == utc(raw["dataCriacao"])

    emails = sum(len(r["emails"]) for r in nectar_full.emulator.records("contatos"))
    assert warehouse.row_count("nectarcrm_contacts__emails") == emails
    lines = sum(len(r["produtos"]) for r in nectar_full.emulator.records("oportunidades"))
    assert warehouse.row_count("nectarcrm_opportunities__produtos") == lines
    stages = sum(len(p["sequencias"]) for p in nectar_full.emulator.records("pipeline"))
    assert warehouse.row_count("nectarcrm_pipelines__etapas") == stages
    # A retired pipeline (`ativo` false) is read, and so are the opportunities it holds,
    # for the models to hide.
    retired = {p["id"] for p in warehouse.rows("nectarcrm_pipelines") if not p["ativo"]}
    assert retired == {4}
    held = [d for d in deals.values() if d["funil_venda_id"] in retired]
    assert 0 < len(held) < 0.2 * len(deals)


def _local_day(value: str) -> date:
    return datetime.fromisoformat(value).astimezone(SAO_PAULO).date()


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_an_incremental_partition_reads_only_its_window(nectar, warehouse):
    day = ANCHOR - timedelta(days=3)
    nectar.run(warehouse, partition=day.isoformat(), streams=["contacts", "opportunities"])

    calls = [r for r in nectar.emulator.requests if r.path.endswith("/contatos")]
    previous = (day - timedelta(days=1)).strftime("%d/%m/%Y")
    assert {c.args["dataInicioAtualizacao"][0] for c in calls} == {previous}
    assert {c.args["dataFimAtualizacao"][0] for c in calls} == {day.strftime("%d/%m/%Y")}

    in_window = {day - timedelta(days=1), day}
    expected = {
        r["id"]
        for r in nectar.emulator.records("contatos")
        if _local_day(r["dataAtualizacao"]) in in_window
    }
    stored = {r["id"] for r in warehouse.rows("nectarcrm_contacts")}
    assert stored == expected
    assert 0 < len(stored) < len(nectar.emulator.records("contatos"))

    deal_calls = [r for r in nectar.emulator.requests if r.path.endswith("/oportunidades")]
    assert {c.args["status"][0] for c in deal_calls} == {"1", "2", "3", "4"}


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_rerunning_a_partition_changes_no_row(nectar, warehouse):
    nectar.run(warehouse)
    tables = warehouse.table_names()
    before = {
        t: warehouse.rows(t, order_by=[c for c, _ in warehouse.columns(t)][:2]) for t in tables
    }
    result = nectar.run(warehouse)
    after = {
        t: warehouse.rows(t, order_by=[c for c, _ in warehouse.columns(t)][:2]) for t in tables
    }
    assert after == before
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        assert metadata["rows_inserted"].value == 0, event.asset_key
        assert metadata["rows_updated"].value == 0, event.asset_key


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_429s_500s_and_a_malformed_page_lose_nothing(nectar, warehouse, caplog):
    nectar.emulator.inject(429, times=2, retry_after=0)
    nectar.emulator.inject(500, times=2)
    nectar.emulator.inject(503, times=1, path_prefix="/crm/api/1/oportunidades")
    nectar.emulator.malform("contatos", 2)
    result = nectar.run(warehouse, tags=FULL, streams=["contacts", "opportunities"], page_size=50)
    assert result.success
    assert warehouse.row_count("nectarcrm_contacts") == len(nectar.emulator.records("contatos"))
    assert warehouse.row_count("nectarcrm_opportunities") == len(
        nectar.emulator.records("oportunidades")
    )
    statuses = [r.status for r in nectar.emulator.requests]
    assert statuses.count(429) == 2 and statuses.count(500) == 2 and statuses.count(503) == 1


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_retries_are_bounded_and_the_error_is_clear(nectar, warehouse):
    nectar.emulator.inject(500, times=50, path_prefix="/crm/api/1/tarefas")
    result = nectar.run(warehouse, streams=["tasks", "tags"], raise_on_error=False, max_attempts=3)
    assert not result.success
    assert nectar.emulator.count("/crm/api/1/tarefas") == 3
    failure = failure_text(result)
    assert "still failing after 3 attempts" in failure and "HTTP 500" in failure
    assert warehouse.row_count("nectarcrm_tags") == len(nectar.emulator.records("lista"))


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
@pytest.mark.parametrize("via_query", [False, True])
def test_a_bad_token_fails_clearly_and_is_never_logged(nectar, warehouse, caplog, via_query):
    secret = "wrong-token-" + ("q" if via_query else "h") + "-3c1b9a"
    caplog.set_level("DEBUG")
    resource = nectar.resource(api_token=secret)
    if via_query:
        # Some clients in the wild send the token as ?api_token=; it must be redacted too.
        config = replace(
            resource.client_config(), credential=Credential(secret, query_param="api_token")
        )
        with ApiClient(config) as client, pytest.raises(AuthenticationError) as raised:
            client.get_json("contatos", {"page": 1})
        text = str(raised.value) + repr(raised.value.__context__)
    else:
        result = nectar.run(warehouse, raise_on_error=False, streams=["contacts"], api_token=secret)
        assert not result.success
        text = failure_text(result) + logged_text(result, nectar.instance)
        assert "Invalid token" in text and "NECTARCRM_API_TOKEN" in text
    assert "rejected the API token" in text
    assert secret not in text
    assert secret not in caplog.text
    assert nectar.emulator.requests, "the request must really have been made"


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_hostile_field_names_are_stored_safely(warehouse):
    from crm_assets_tests.sources.nectarcrm.conftest import _harness

    hostile = {'we"ird; name': "x", "Robert'); DROP TABLE nectarcrm_contacts;--": 7}
    for harness in _harness(sizes={"contatos": 5}, extra_contact_fields=hostile):
        harness.run(warehouse, streams=["contacts"], tags=FULL)
    rows = warehouse.rows("nectarcrm_contacts")
    assert len(rows) == 5
    assert all(r['we"ird; name'] == "x" for r in rows)
    assert all(r["Robert'); DROP TABLE nectarcrm_contacts;--"] == 7 for r in rows)


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_full_table_sync_marks_deleted_records(nectar, warehouse):
    nectar.run(warehouse, streams=["products", "contacts"], tags=FULL)
    gone = nectar.emulator.records("produto")[3]["id"]
    gone_contact = nectar.emulator.records("contatos")[5]["id"]
    nectar.emulator.delete("produto", gone)
    nectar.emulator.delete("contatos", gone_contact)

    result = nectar.run(warehouse, streams=["products", "contacts"])
    flags = {r["id"]: r["_deleted"] for r in warehouse.rows("nectarcrm_products")}
    assert flags[gone] is True and sum(flags.values()) == 1
    by_key = {e.asset_key.path[-1]: e for e in result.get_asset_materialization_events()}
    assert by_key["products"].materialization.metadata["rows_marked_deleted"].value == 1
    # contacts are incremental: a partition run cannot see deletes...
    assert not any(r["_deleted"] for r in warehouse.rows("nectarcrm_contacts"))
    # ...the weekly full sync does.
    nectar.run(warehouse, streams=["contacts"], tags=FULL)
    flags = {r["id"]: r["_deleted"] for r in warehouse.rows("nectarcrm_contacts")}
    assert flags[gone_contact] is True and sum(flags.values()) == 1


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_an_updated_record_is_picked_up_by_its_partition(nectar, warehouse):
    nectar.run(warehouse, streams=["contacts"], tags=FULL)
    target = nectar.emulator.records("contatos")[0]
    moment = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    nectar.emulator.touch("contatos", target["id"], moment)
    result = nectar.run(warehouse, streams=["contacts"])
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["rows_updated"].value == 1
    row = next(r for r in warehouse.rows("nectarcrm_contacts") if r["id"] == target["id"])
    assert schema.comparable(row["dataAtualizacao"]) == moment


def test_a_missing_token_names_the_variable(nectar, sqlite_warehouse):
    result = nectar.run(sqlite_warehouse, raise_on_error=False, streams=["tags"], api_token=None)
    assert not result.success
    assert not nectar.emulator.requests
    text = "\n".join(str(e) for e in nectar.instance.all_logs(result.run_id))
    assert "NECTARCRM_API_TOKEN" in text and "CRM_ASSETS_DEMO=1" in text


def test_materialization_metadata(nectar, sqlite_warehouse):
    result = nectar.run(sqlite_warehouse, streams=["contacts"])
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["dagster/row_count"].value == sqlite_warehouse.row_count("nectarcrm_contacts")
    columns = {c.name: c.type for c in metadata["dagster/column_schema"].value.columns}
    assert columns["dataAtualizacao"] == "timestamp" and columns["id"] == "integer"
    assert metadata["sync_mode"].value == "INCREMENTAL"
    assert TOKEN not in str(metadata)


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_run_that_dies_mid_stream_keeps_its_pages_and_a_rerun_completes(nectar, warehouse):
    nectar.emulator.malform("contatos", 2)
    failed = nectar.run(
        warehouse, streams=["contacts"], tags=FULL, page_size=50, max_attempts=1,
        raise_on_error=False,
    )  # fmt: skip
    assert not failed.success
    assert warehouse.row_count("nectarcrm_contacts") == 50, "page 1 was written before the fault"

    rerun = nectar.run(warehouse, streams=["contacts"], tags=FULL, page_size=50)
    assert rerun.success
    expected = {r["id"] for r in nectar.emulator.records("contatos")}
    assert {r["id"] for r in warehouse.rows("nectarcrm_contacts")} == expected
    assert not any(r["_deleted"] for r in warehouse.rows("nectarcrm_contacts"))


# Four pages at once: the one awaited and three beside it, set by name or by the
# deprecated setting it replaces, which still works and says so in the run's log.
@pytest.mark.parametrize("setting", [{"prefetch_pages": 4}, {"pages_requested_ahead": 3}])
@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_sync_with_pages_asked_for_ahead_equals_the_emulator(nectar, warehouse, setting):
    result = nectar.run(warehouse, streams=["contacts"], tags=FULL, page_size=7, **setting)
    assert result.success
    deprecated = "pages_requested_ahead is deprecated; prefetch_pages replaces it"
    said = logged_text(result, nectar.instance)
    assert (deprecated in said and "set prefetch_pages to 4" in said) == (
        "pages_requested_ahead" in setting
    )
    expected = {r["id"]: r["nome"] for r in nectar.emulator.records("contatos")}
    assert {r["id"]: r["nome"] for r in warehouse.rows("nectarcrm_contacts")} == expected
    pages = Counter(
        int(r.args["page"][0]) for r in nectar.emulator.requests if r.path.endswith("/contatos")
    )
    last = -(-len(expected) // 7) + 1  # the empty page that ends the list
    assert set(range(1, last + 1)) <= set(pages) <= set(range(1, last + 4))
    assert all(count == 1 for count in pages.values())
