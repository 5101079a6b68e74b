"""Every model check passes on good data and fails on bad data, on both warehouses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from crm_assets.models import build, build_models
from crm_assets.models.funnel import FUNNEL
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets_tests.models import data


def checks(model) -> dict:
    return {c.name: c for c in model.checks}


def broken(model, warehouse) -> dict[str, int]:
    return {c.name: build.violations(c, model, warehouse)[0] for c in model.checks}


def execute(warehouse, statement: str) -> None:
    with warehouse.engine.begin() as connection:
        connection.execute(sa.text(statement))


@pytest.fixture
def funnel(warehouse):
    data.nectarcrm(warehouse)
    data.pipedrive(warehouse, history=True)
    data.kommo(warehouse, history=False)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert broken(FUNNEL, warehouse) == dict.fromkeys(checks(FUNNEL), 0)
    return warehouse


def test_funnel_never_widens_fails_when_a_stage_is_reached_by_more(funnel):
    execute(funnel, "UPDATE crm_pipeline_stage_funnel SET reached_deals = 99 "
                    "WHERE source = 'kommo' AND stage_position = 30")  # fmt: skip
    count, first = build.violations(checks(FUNNEL)["funnel_never_widens"], FUNNEL, funnel)
    assert count == 1
    assert (first[0]["source"], first[0]["reached_deals"], first[0]["previous_reached"]) == (
        "kommo", 99, 2,
    )  # fmt: skip


def test_open_deals_fail_to_match_when_a_deal_sits_in_an_unknown_stage(funnel):
    # A stage the stages table does not have (not synced yet): the funnel cannot place
    # the deal, so its pipeline's open deals fall one short of the raw table's.
    data.write(funnel, "pipedrive_deals", [{"id": 107, "pipeline_id": 1, "stage_id": 77,
               "status": "open", "value": 1, "is_deleted": False, "add_time": data.at(1)}])  # fmt: skip
    build.rebuild(FUNNEL, funnel, data.SNAPSHOT)
    count, first = build.violations(checks(FUNNEL)["open_deals_match_raw"], FUNNEL, funnel)
    assert (count, first[0]["source"], first[0]["funnel_minus_raw"]) == (1, "pipedrive", -1)


def test_conversion_out_of_range_fails(funnel):
    execute(funnel, "UPDATE crm_pipeline_stage_funnel SET conversion_from_previous = 1.5 "
                    "WHERE source = 'nectarcrm' AND stage_position = 2")  # fmt: skip
    assert broken(FUNNEL, funnel)["conversion_between_0_and_1"] == 1


@pytest.fixture
def odoo(warehouse):
    data.odoo(warehouse)
    for model in (PAYMENTS, QUOTATIONS):
        build.rebuild(model, warehouse, data.SNAPSHOT)
        assert broken(model, warehouse) == dict.fromkeys(checks(model), 0)
    return warehouse


def test_payment_totals_fail_when_the_analysis_misses_a_payment(odoo):
    data.write(odoo, "odoo_payment", [{"id": 6, "date": "2026-03-01", "amount": 5.0}])
    assert broken(PAYMENTS, odoo) == {"payment_totals_match_raw": 1}
    build.rebuild(PAYMENTS, odoo, data.SNAPSHOT)
    assert broken(PAYMENTS, odoo) == {"payment_totals_match_raw": 0}
    execute(odoo, "UPDATE odoo_payment_analysis SET amount_total = amount_total + 0.01 "
                  "WHERE state = 'draft'")  # fmt: skip
    assert broken(PAYMENTS, odoo) == {"payment_totals_match_raw": 1}


def test_quotation_checks_fail_on_bad_counts_and_rates(odoo):
    execute(odoo, "UPDATE odoo_insurance_quotation_analysis SET conversion_rate = -0.5")
    assert broken(QUOTATIONS, odoo) == {
        "quotation_counts_match_raw": 0,
        "conversion_between_0_and_1": 2,
    }
    execute(odoo, "DELETE FROM odoo_insurance_quotation_analysis WHERE product_id = 2")
    assert broken(QUOTATIONS, odoo)["quotation_counts_match_raw"] == 1


def test_checks_run_with_the_model_and_a_failing_one_blocks(sqlite_warehouse):
    data.pipedrive(sqlite_warehouse, history=False)
    data.write(sqlite_warehouse, "pipedrive_deals", [{"id": 107, "pipeline_id": 1,
               "stage_id": 77, "status": "open", "value": 1, "is_deleted": False}])  # fmt: skip
    assets, model_checks = build_models([])
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*assets, *model_checks],
            selection="key:models/crm_pipeline_stage_funnel",
            resources={"warehouse": sqlite_warehouse},
            instance=instance,
            raise_on_error=False,
        )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == set(checks(FUNNEL))
    assert not evaluations["open_deals_match_raw"].passed
    assert evaluations["open_deals_match_raw"].severity == AssetCheckSeverity.ERROR
    assert evaluations["open_deals_match_raw"].metadata["violations"].value == 1
    assert evaluations["funnel_never_widens"].passed
    assert not result.success  # blocking: the run fails
