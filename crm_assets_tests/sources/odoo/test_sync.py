"""Odoo end to end: emulator (19 and 17) on a loopback socket -> client -> assets -> warehouse."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from crm_assets.core import schema
from crm_assets.core.http import ApiError, FatalApiError
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.odoo.client import transport_for
from crm_assets.sources.odoo.emulator.data import FMT
from crm_assets.sources.odoo.streams import BUILT_IN, configured_models, odoo_source
from crm_assets_tests.harness import failure_text
from crm_assets_tests.sources.odoo.conftest import ANCHOR, PAGE, SMALL, TOKEN

FULL = {FULL_SYNC_TAG: "true"}
NEXT_DAY = ANCHOR + timedelta(days=1)
MODELS = {name: model for name, model, _, _ in BUILT_IN}


def utc(text: str) -> datetime:
    return datetime.strptime(text, FMT).replace(tzinfo=UTC)


def expected_rows(emulator, model: str) -> dict[int, dict]:
    """The emulator's records as the table contract says they are stored."""
    fields = emulator.fields(model)
    served = {f["relation"] for f in fields.values() if f["type"] == "many2one" and f["store"]}
    names = {m: {r["id"]: r["display_name"] for r in emulator.records(m)}
             for m in served & set(emulator.orm.tables)}  # fmt: skip
    rows = {}
    for record in emulator.records(model):
        row = {}
        for name, spec in fields.items():
            if not spec["store"]:
                continue
            value, kind = record.get(name, False), spec["type"]
            if kind == "many2one":
                base = name.removesuffix("_id")
                id_column = name if name.endswith("_id") else f"{name}_id"
                row[id_column] = value or None
                row[f"{base}_name"] = names[spec["relation"]].get(value) if value else None
                continue
            if value is False and kind != "boolean":
                value = None
            elif kind == "datetime":
                value = utc(value)
            elif kind == "date":
                value = date.fromisoformat(value)
            elif kind in ("one2many", "many2many"):
                value = schema.to_storage(value, schema.TEXT)
            elif kind in ("char", "text", "selection") and isinstance(value, int):
                value = str(value)
            row[name] = value
        rows[record["id"]] = row
    return rows


def stored_rows(warehouse, table: str) -> dict[int, dict]:
    return {
        r["id"]: {k: schema.comparable(v) for k, v in r.items() if k != "_synced_at"}
        for r in warehouse.rows(table)
    }


def metadata(result, stream: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key.path[-1] == stream]  # fmt: skip
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_full_sync_equals_the_emulator_exactly(odoo, warehouse):
    odoo.run(warehouse, tags=FULL)
    for stream, model in MODELS.items():
        expected = expected_rows(odoo.emulator, model)
        stored = stored_rows(warehouse, f"odoo_{stream}")
        assert expected, model
        assert set(stored) == set(expected), model
        for record_id, row in expected.items():
            got = stored[record_id]
            assert got.pop("_deleted") is False
            assert got == {k: schema.comparable(v) for k, v in row.items()}, (model, record_id)
    assert_agreed_columns(warehouse)


def test_the_streams_of_a_run_share_one_version_probe_and_one_login(odoo, sqlite_warehouse):
    odoo.run(sqlite_warehouse, tags=FULL, max_concurrent_streams=4)
    assert odoo.emulator.count("/web/version") == 1
    # Odoo 17 is read over JSON-RPC, which logs in: once, not once per stream.
    assert odoo.emulator.logins == (1 if odoo.emulator.version == 17 else 0)
    for stream in MODELS:
        assert sqlite_warehouse.row_count(f"odoo_{stream}"), stream


def assert_agreed_columns(warehouse):
    """The names and types the modeled tables' SQL is written against."""
    b, i, n, ts, t = schema.BOOLEAN, schema.INTEGER, schema.NUMBER, schema.TIMESTAMP, schema.TEXT
    d = schema.DATE
    agreed = {
        "payment": {"id": i, "name": t, "date": d, "amount": n, "amount_signed": n,
                    "amount_company_currency_signed": n, "state": t, "payment_type": t,
                    "partner_type": t, "journal_id": i, "journal_name": t,
                    "payment_method_line_id": i, "payment_method_line_name": t,
                    "payment_method_id": i, "payment_method_name": t, "payment_method_code": t,
                    "currency_id": i, "currency_name": t, "company_currency_id": i,
                    "company_currency_name": t, "partner_id": i, "partner_name": t,
                    "is_reconciled": b, "is_matched": b, "reconciled_invoice_ids": t,
                    "create_date": ts, "write_date": ts, "_deleted": b},
        "insurance_quotation": {"id": i, "name": t, "status": t, "create_date": ts,
                                "write_date": ts, "validity_date": d, "product_id": i,
                                "product_name": t, "is_renewal": b, "active": b,
                                "total_premium_amount": n, "currency_id": i,
                                "currency_name": t, "_deleted": b},
        "policy": {"id": i, "name": t, "equotation_id": i, "equotation_name": t, "state": t,
                   "status": t, "create_date": ts, "issue_date": d, "effective_date": d,
                   "expiry_date": d, "total_premium_amount": n, "_deleted": b},
        "policy_certificate": {"id": i, "policy_id": i, "policy_name": t, "vehicle_cc": t,
                               "vehicle_plate": t, "premium_amount": n},
        "certificate_coverage": {"id": i, "certificate_id": i, "certificate_name": t,
                                 "coverage_id": i, "coverage_name": t, "sum_insured": n},
    }  # fmt: skip
    for stream, columns in agreed.items():
        actual = dict(warehouse.columns(f"odoo_{stream}"))
        assert {c: actual.get(c) for c in columns} == columns, stream
    states = {r["state"] for r in warehouse.rows("odoo_payment")}
    assert states == {"draft", "posted", "sent", "reconciled", "cancelled"}
    directions = {(r["payment_type"], r["partner_type"]) for r in warehouse.rows("odoo_payment")}
    assert directions == {("inbound", "customer"), ("outbound", "supplier")}
    # A char field Odoo sent as a number is stored as its string.
    assert all(isinstance(r["vehicle_cc"], str) for r in warehouse.rows("odoo_policy_certificate"))


def test_field_labels_become_column_descriptions(odoo, sqlite_warehouse):
    result = odoo.run(sqlite_warehouse, streams=["payment"], tags=FULL)
    [event] = result.get_asset_materialization_events()
    columns = {
        c.name: c for c in event.materialization.metadata["dagster/column_schema"].value.columns
    }
    assert columns["journal_id"].description == "Journal (id of account.journal)"
    assert columns["amount"].description == "Amount"
    assert columns["state"].description.startswith("Status (draft: Draft, posted: Posted")


def test_an_incremental_window_reads_only_what_changed_across_a_shared_write_date(
    odoo, sqlite_warehouse
):
    emulator = odoo.emulator
    day = {m: [r for r in emulator.records(m) if r["write_date"].startswith(str(ANCHOR))]
           for m in MODELS.values()}  # fmt: skip
    shared = [r for r in day["account.payment"] if r["write_date"].endswith("09:30:00")]
    assert len(shared) > PAGE, "the shared write_date must span a page boundary"

    result = odoo.run(sqlite_warehouse, partition=str(ANCHOR))
    for stream, model in MODELS.items():
        meta = metadata(result, stream)
        assert meta["records_read"] == len(day[model]), stream
        assert meta["rows_inserted"] == len(day[model]), stream
        ids = {r["id"] for r in sqlite_warehouse.rows(f"odoo_{stream}")}
        assert ids == {r["id"] for r in day[model]}, stream

    moment = datetime.combine(NEXT_DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
    emulator.touch("account.payment", shared[0]["id"], moment, state="reconciled")
    emulator.touch("account.payment", shared[1]["id"], moment, memo="Parcela 2/12")
    result = odoo.run(sqlite_warehouse, partition=str(NEXT_DAY), streams=["payment"])
    meta = metadata(result, "payment")
    assert (meta["records_read"], meta["rows_inserted"], meta["rows_updated"]) == (2, 0, 2)
    rows = {r["id"]: r for r in sqlite_warehouse.rows("odoo_payment")}
    assert rows[shared[0]["id"]]["state"] == "reconciled"
    assert rows[shared[1]["id"]]["memo"] == "Parcela 2/12"

    again = odoo.run(sqlite_warehouse, partition=str(NEXT_DAY), streams=["payment"])
    meta = metadata(again, "payment")
    assert (meta["rows_inserted"], meta["rows_updated"], meta["rows_unchanged"]) == (0, 0, 2)


def test_a_hard_delete_is_marked_deleted_after_reconciliation(odoo, sqlite_warehouse):
    odoo.run(sqlite_warehouse, tags=FULL, streams=["policy", "certificate_coverage"])
    policy = odoo.emulator.records("mut.policy")[0]["id"]
    coverages = [r["id"] for r in odoo.emulator.records("mut.certificate.coverage")[:3]]
    odoo.emulator.delete("mut.policy", policy)
    for coverage in coverages:
        odoo.emulator.delete("mut.certificate.coverage", coverage)

    result = odoo.run(
        sqlite_warehouse, partition=str(NEXT_DAY), streams=["policy", "certificate_coverage"]
    )
    assert metadata(result, "policy")["rows_marked_deleted"] == 1
    assert metadata(result, "certificate_coverage")["rows_marked_deleted"] == 3
    policies = {r["id"]: r["_deleted"] for r in sqlite_warehouse.rows("odoo_policy")}
    assert policies[policy] is True and sum(policies.values()) == 1
    assert sqlite_warehouse.row_count("odoo_policy") == len(odoo.emulator.records("mut.policy"))
    gone = {r["id"] for r in sqlite_warehouse.rows("odoo_certificate_coverage") if r["_deleted"]}
    assert gone == set(coverages)


def test_a_field_odoo_adds_later_becomes_a_column_on_the_next_run(odoo, sqlite_warehouse):
    odoo.run(sqlite_warehouse, partition=str(ANCHOR), streams=["payment"])
    assert "x_studio_channel" not in dict(sqlite_warehouse.columns("odoo_payment"))

    odoo.emulator.add_field("account.payment", "x_studio_channel", "char", "Canal", "PIX")
    odoo.run(sqlite_warehouse, tags=FULL, streams=["payment"])
    assert dict(sqlite_warehouse.columns("odoo_payment"))["x_studio_channel"] == schema.TEXT
    assert {r["x_studio_channel"] for r in sqlite_warehouse.rows("odoo_payment")} == {"PIX"}


def test_refused_field_discovery_falls_back_to_ids_with_a_warning(odoo, sqlite_warehouse):
    odoo.emulator.refuse_fields_get("mut.policy")
    result = odoo.run(sqlite_warehouse, tags=FULL, streams=["policy", "payment"])
    assert [c for c, _ in sqlite_warehouse.columns("odoo_policy")] == [
        "id",
        "_synced_at",
        "_deleted",
    ]
    assert {r["id"] for r in sqlite_warehouse.rows("odoo_policy")} == {
        r["id"] for r in odoo.emulator.records("mut.policy")
    }
    assert "journal_name" in dict(sqlite_warehouse.columns("odoo_payment"))
    warnings = [e.message for e in odoo.instance.all_logs(result.run_id)
                if e.level == logging.WARNING]  # fmt: skip
    assert any("fields_get on mut.policy" in w and "ids only" in w for w in warnings), warnings


def test_a_model_added_in_configuration_becomes_an_asset_that_syncs(
    monkeypatch, make_odoo, sqlite_warehouse
):
    monkeypatch.setenv("ODOO_MODELS", "res.partner, account.payment")
    source = odoo_source()
    assert [s.name for s in source.streams][-1] == "res_partner"
    assert len(source.streams) == len(BUILT_IN) + 1  # a built-in model is not added twice
    for version in (19, 17):
        running = make_odoo(source=source, version=version)
        running.run(sqlite_warehouse, tags=FULL, streams=["res_partner"])
        stored = {r["id"]: r for r in sqlite_warehouse.rows("odoo_res_partner")}
        partners = running.emulator.records("res.partner")
        assert len(stored) == SMALL["res.partner"] == len(partners)
        # Archived partners too: the read says active_test false.
        assert {r["id"] for r in partners if not r["active"]} <= set(stored)
        assert any(not r["active"] for r in partners)


def test_a_bad_model_name_in_configuration_fails_the_run_before_any_request(
    monkeypatch, make_odoo, sqlite_warehouse
):
    monkeypatch.setenv("ODOO_MODELS", "crm.lead, res.partner;drop table")
    with pytest.raises(ValueError, match="ODOO_MODELS names .* not an Odoo model name"):
        configured_models()
    # The source still loads, with its streams and the well-formed names.
    source = odoo_source()
    assert [s.name for s in source.streams] == [name for name, *_ in BUILT_IN] + ["crm_lead"]
    running = make_odoo(source=source)
    result = running.run(sqlite_warehouse, tags=FULL, streams=["policy"], raise_on_error=False)
    assert not result.success
    assert "Odoo: ODOO_MODELS names 'res.partner;drop', 'table'" in failure_text(result)
    assert running.emulator.requests == []
    assert sqlite_warehouse.table_names() == []


@pytest.mark.parametrize("version", (19, 17))
def test_an_unknown_model_fails_its_stream_clearly_and_the_others_are_written(
    make_odoo, sqlite_warehouse, version
):
    """JSON-2 says KeyError, `execute_kw` "Object crm.lead doesn't exist": both read as a
    missing model."""
    running = make_odoo(source=odoo_source(["crm.lead"]), version=version)
    result = running.run(sqlite_warehouse, tags=FULL, streams=["crm_lead", "policy"],
                         raise_on_error=False)  # fmt: skip
    assert not result.success
    message = failure_text(result)
    assert "crm_lead" in message and "no model or method on crm.lead" in message
    # No re-run can create the model: the advice is to change the configuration.
    assert "1 of 2 streams failed (crm_lead); 1 was written. Re-running will fail" in message
    assert "re-run the partition" not in message.lower()
    assert sqlite_warehouse.row_count("odoo_policy") == len(running.emulator.records("mut.policy"))


@pytest.mark.parametrize("version", (19, 17))
def test_a_bad_key_is_a_clear_error_and_appears_in_no_log_line(
    version, make_odoo, sqlite_warehouse, caplog
):
    caplog.set_level(logging.DEBUG)
    running = make_odoo(version=version)
    bad = "odoo-wrong-key-77aa31"
    result = running.run(sqlite_warehouse, streams=["payment"], api_key=bad, raise_on_error=False)
    assert not result.success
    message = failure_text(result)
    assert "ODOO_API_KEY" in message and ("rejected" in message or "denied" in message)
    logged = [str(record) for record in running.instance.all_logs(result.run_id)]
    logged += [r.getMessage() for r in caplog.records]
    assert any("HTTP" in text or "POST" in text for text in logged)  # the check saw requests
    for text in logged + [message]:
        assert bad not in text and TOKEN not in text


def test_several_databases_and_none_named_is_a_clear_error(make_odoo, sqlite_warehouse):
    for version in (19, 17):
        running = make_odoo(version=version, databases=("mutual", "mutual_staging"))
        result = running.run(sqlite_warehouse, streams=["payment"], raise_on_error=False)
        assert "ODOO_DATABASE" in failure_text(result), version
        running.run(sqlite_warehouse, streams=["payment"], database="mutual_staging")
        assert sqlite_warehouse.row_count("odoo_payment") > 0


def test_read_only_posts_are_retried_like_gets(make_odoo, sqlite_warehouse):
    for version, path in ((19, "/json/2/"), (17, "/jsonrpc")):
        running = make_odoo(version=version)
        running.emulator.inject(503, times=2, path_prefix=path)
        running.run(sqlite_warehouse, tags=FULL, streams=["policy"])
        assert sqlite_warehouse.row_count("odoo_policy") == len(
            running.emulator.records("mut.policy")
        )
        statuses = [r.status for r in running.emulator.requests if r.path.startswith(path)]
        assert statuses[:2] == [503, 503] and set(statuses[2:]) == {200}


def test_a_server_without_web_version_is_identified_over_json_rpc(make_odoo, sqlite_warehouse):
    running = make_odoo(version=17)
    running.emulator.inject(404, path_prefix="/web/version", body="<h1>Not Found</h1>",
                            content_type="text/html")  # fmt: skip
    running.run(sqlite_warehouse, tags=FULL, streams=["policy"])
    assert sqlite_warehouse.row_count("odoo_policy") == len(running.emulator.records("mut.policy"))
    assert running.emulator.count("/json/2/") == 0


@pytest.mark.parametrize("version", (19, 17))
def test_a_call_odoo_rejects_is_not_retried(make_odoo, version):
    running = make_odoo(version=version)
    with running.resource().client() as client:
        transport = transport_for(client)
        running.emulator.reset_log()
        with pytest.raises(ApiError, match="builtins.ValueError") as raised:
            transport.call("account.payment", "search", domain=[["no_such_field", "=", 1]])
    assert not isinstance(raised.value, FatalApiError)
    assert running.emulator.count() == 1
