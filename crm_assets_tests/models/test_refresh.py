"""How models get refreshed: their metadata, the automation sensor's condition, the job."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
    instance_for_test,
    materialize,
)

from crm_assets.core.runtime.assets import build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.warehouse import Warehouse
from crm_assets.models import build_models, model_key
from crm_assets.models.funnel import FUNNEL
from crm_assets.models.odoo import PAYMENTS
from crm_assets.models.settings import ModelSettings
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE
from crm_assets_tests.models import data


def model_resources(warehouse) -> dict:
    return {"warehouse": warehouse, "model_settings": ModelSettings()}


def test_a_materialization_reports_rows_schema_and_preview(sqlite_warehouse):
    data.pipedrive(sqlite_warehouse, history=True)
    assets = build_models([], tables=data.CATALOG)
    with DagsterInstance.ephemeral() as instance:
        materialize(assets, selection="key:models/crm_pipeline_stage_funnel",
                    resources=model_resources(sqlite_warehouse), instance=instance)  # fmt: skip
        event = instance.get_latest_materialization_event(model_key(FUNNEL))
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 6
    columns = metadata["dagster/column_schema"].value.columns
    assert [c.name for c in columns] == [c.name for c in FUNNEL.columns]
    assert all(c.description for c in columns)
    preview = metadata["preview"].value
    assert "| pipedrive" in preview and "Proposal" in preview
    assert metadata["built_from"].value == "pipedrive (with history)"
    assert "kommo: no table" in metadata["skipped"].value
    assert metadata["include_archived"].value is False
    # The picture: one bar chart per pipeline and currency, largest first, its bars as
    # long as the stages' reached deals.
    chart = metadata["funnel"].value
    assert chart.index("**pipedrive · Sales · USD**") < chart.index("**pipedrive · Sales · EUR**")
    usd = chart.split("**pipedrive · Sales · EUR**")[0]
    assert "| Lead | 4 | 1 | 0 | 0 | 100.00 | " + "█" * 24 + " |" in usd
    assert "| Proposal | 2 | 0 | 1 | 0 | 0.00 | " + "█" * 12 + " |" in usd


def test_models_depend_on_the_raw_assets_they_read():
    raw = build_source_assets(Connection.of(PIPEDRIVE))
    assets = build_models(raw.keys, tables=data.CATALOG)
    deps = {a.key: set(a.dependency_keys) for a in assets}
    assert deps[model_key(FUNNEL)] == {
        AssetKey(["pipedrive", s]) for s in ("pipelines", "stages", "deals", "deals_flow")
    }
    # No Odoo assets defined here: the Odoo models hang off nothing.
    assert deps[model_key(PAYMENTS)] == set()


def test_an_upstream_materialization_triggers_the_models_that_read_it(sqlite_warehouse):
    data.pipedrive(sqlite_warehouse, history=False)
    raw = build_source_assets(Connection.of(PIPEDRIVE))
    assets = build_models(raw.keys, tables=data.CATALOG)
    resources = {**model_resources(sqlite_warehouse), PIPEDRIVE.resource_key: PIPEDRIVE.resource()}
    defs = Definitions(assets=[raw, *assets], resources=resources)
    with instance_for_test() as instance:
        first = evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0  # the first evaluation only takes stock

        # One day of one stream lands, as a sync run would record it.
        instance.report_runless_asset_event(
            AssetMaterialization(asset_key=AssetKey(["pipedrive", "deals"]), partition="2026-11-20")
        )
        second = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert second.get_num_requested(model_key(FUNNEL)) == 1
        assert second.get_num_requested(model_key(PAYMENTS)) == 0

        requested = [k for k in defs.resolve_all_asset_keys() if second.get_num_requested(k)]
        assert requested == [model_key(FUNNEL)]
        result = materialize([raw, *assets], selection=requested, instance=instance,
                             resources=resources)  # fmt: skip
        assert result.success
        assert len(sqlite_warehouse.rows(FUNNEL.name)) == 6

        third = evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
        assert third.total_requested == 0  # handled: nothing new upstream


def test_models_refresh_job_from_the_command_line_in_demo_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    warehouse = Warehouse(url=url)
    data.nectarcrm(warehouse)
    data.odoo(warehouse)
    warehouse.engine.dispose()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "DAGSTER_"))}
    environment.update(CRM_ASSETS_DEMO="1", CRM_WAREHOUSE_URL=url)
    # In process: the default executor's step processes each re-import the code location.
    (tmp_path / "run.yaml").write_text("execution:\n  config:\n    in_process: {}\n")
    command = [os.path.join(os.path.dirname(sys.executable), "dagster"), "job", "execute",
               "-m", "crm_assets", "-j", "models_refresh", "-c", "run.yaml"]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    warehouse = Warehouse(url=url)
    # Pipedrive's and Kommo's raw tables are absent: the funnel has NectarCRM's rows only.
    assert {r["source"] for r in warehouse.rows(FUNNEL.name)} == {"nectarcrm"}
    assert len(warehouse.rows("odoo_payment_analysis")) == 5
    assert len(warehouse.rows("odoo_insurance_quotation_analysis")) == 6
    warehouse.engine.dispose()


@pytest.mark.parametrize("warehouse", ["postgres"], indirect=True)
def test_a_rebuild_that_fails_keeps_the_previous_rows_and_says_why(warehouse):
    data.pipedrive(warehouse, history=False)
    assets = build_models([], tables=data.CATALOG)
    with DagsterInstance.ephemeral() as instance:
        run = dict(selection="key:models/crm_pipeline_stage_funnel", instance=instance,
                   resources=model_resources(warehouse), raise_on_error=False)  # fmt: skip
        assert materialize(assets, **run).success
        before = warehouse.rows(FUNNEL.name, order_by=["currency", "stage_order"])
        # A deal value that is not a number widens the column to text, which PostgreSQL
        # will not sum.
        data.write(warehouse, "pipedrive_deals", [{"id": 108, "pipeline_id": 1, "stage_id": 1,
                   "status": "open", "value": "n/a", "is_deleted": False, "currency": "USD"}])  # fmt: skip
        result = materialize(assets, **run)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "crm_pipeline_stage_funnel: the warehouse refused the model's SQL" in message
    assert "keeps its previous rows" in message and "SELECT" not in message
    assert warehouse.rows(FUNNEL.name, order_by=["currency", "stage_order"]) == before
