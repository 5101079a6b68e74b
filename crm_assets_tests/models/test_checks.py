"""Every blocking check recomputes what it guards from the raw tables, so a raw table
that disagrees with the build fails it; a failed check publishes nothing. On both
warehouses.

A build is staged, then checked. Between the two, the raw tables may change: a sync
committing pages while a model builds does exactly that. Each test below stages a
build, corrupts the raw tables the way the check must notice, and runs the checks
on the staged build, as the asset does.
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from crm_assets.models import build, build_models
from crm_assets.models.funnel import FUNNEL, NAME
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets.models.settings import ModelSettings
from crm_assets_tests.models import data

SETTINGS = ModelSettings()


def staged(model, warehouse):
    plan = build.plan(model, warehouse, data.CATALOG, SETTINGS)
    build.stage(model, warehouse, plan, data.SNAPSHOT)
    assert failing(model, warehouse, plan) == {}, "a clean build passes every check"
    return plan


def failing(model, warehouse, plan) -> dict[str, int]:
    verdicts = build.check(model, warehouse, plan, data.SNAPSHOT)
    return {v.check.name: v.count for v in verdicts if v.blocks}


@pytest.fixture
def crms(warehouse):
    data.nectarcrm(warehouse)
    data.pipedrive(warehouse, history=True)
    data.kommo(warehouse, history=True)
    return warehouse


def deal(**values) -> dict:
    return {"pipeline_id": 1, "is_deleted": False, "is_archived": False, "currency": "USD",
            "add_time": data.at(1), **values}  # fmt: skip


def test_an_open_deal_in_a_stage_that_does_not_exist_fails_deals_match_raw(crms):
    plan = staged(FUNNEL, crms)
    data.write(crms, "pipedrive_deals", [deal(id=140, stage_id=77, status="open", value=1)])
    assert failing(FUNNEL, crms, plan) == {"deals_match_raw": 1}
    [row] = build.check(FUNNEL, crms, plan, data.SNAPSHOT)[0].first
    assert (row["source"], row["pipeline_id"], row["open_deals_minus_raw"]) == ("pipedrive", 1, -1)


def test_a_won_deal_that_cannot_be_placed_fails_deals_match_raw(crms):
    plan = staged(FUNNEL, crms)
    data.write(crms, "kommo_leads", [{"id": 240, "pipeline_id": 99, "status_id": 142,
               "price": 5, "created_at": data.at(1)}])  # fmt: skip
    data.write(crms, "nectarcrm_opportunities", [{"id": 40, "funil_venda_id": 1, "etapa": 9,
               "status": 2, "valorTotal": 3.0}])  # fmt: skip
    verdict = build.check(FUNNEL, crms, plan, data.SNAPSHOT)[0]
    assert verdict.blocks
    assert sorted((r["source"], r["pipeline_id"], r["won_deals_minus_raw"]) for r in verdict.first) == [
        ("kommo", 99, -1), ("nectarcrm", 1, -1),
    ]  # fmt: skip


def test_a_deal_moved_to_another_currency_or_value_fails_deals_match_raw(crms):
    plan = staged(FUNNEL, crms)
    data.write(crms, "pipedrive_deals", [deal(id=101, stage_id=1, status="open", value=100,
                                              currency="GBP")])  # fmt: skip
    first = build.check(FUNNEL, crms, plan, data.SNAPSHOT)[0].first
    assert {(r["currency"], r["open_deals_minus_raw"]) for r in first} == {("USD", 1), ("GBP", -1)}
    data.write(crms, "pipedrive_deals", [deal(id=101, stage_id=1, status="open", value=101)])
    [row] = build.check(FUNNEL, crms, plan, data.SNAPSHOT)[0].first
    assert row["open_value_minus_raw"] == pytest.approx(-1.0)


@pytest.fixture
def odoo(warehouse):
    data.odoo(warehouse)
    return warehouse


def test_a_payment_row_duplicated_fails_payments_match_raw(odoo):
    plan = staged(PAYMENTS, odoo)
    [payment] = [r for r in odoo.rows("odoo_payment") if r["id"] == 2]
    copy = {k: v for k, v in payment.items() if not k.startswith("_")}
    data.write(odoo, "odoo_payment", [{**copy, "id": 20}])
    verdict = build.check(PAYMENTS, odoo, plan, data.SNAPSHOT)[0]
    assert verdict.blocks
    [row] = verdict.first
    assert (row["month"], row["state"], row["payments_minus_raw"]) == ("2026-01", "posted", -1)
    assert row["amount_minus_raw"] == pytest.approx(-50.0)


def test_a_quotation_joined_to_two_policies_fails_quotations_match_raw(odoo):
    plan = staged(QUOTATIONS, odoo)
    # A second policy for quotation 1: its converted premium is no longer what was built.
    data.write(odoo, "odoo_policy", [{"id": 15, "equotation_id": 1, "create_date": data.at(20),
               "total_premium_amount": 50.0, "state": "active", "currency_id": 1}])  # fmt: skip
    verdict = build.check(QUOTATIONS, odoo, plan, data.SNAPSHOT)[0]
    assert verdict.check.name == "quotations_match_raw" and verdict.blocks
    [row] = verdict.first
    assert (row["status"], row["quotations_minus_raw"], row["converted_minus_raw"]) == (
        "sent", 0, 0,
    )  # fmt: skip
    assert row["premium_converted_minus_raw"] == pytest.approx(-50.0)


def test_a_policy_before_its_quotation_fails_even_in_a_fresh_build(odoo):
    early = {
        "id": 16,
        "equotation_id": 3,
        "create_date": data.at(14),
        "total_premium_amount": 500.0,
        "state": "active",
        "currency_id": 1,
    }
    data.write(odoo, "odoo_policy", [early])
    built = data.rebuild(QUOTATIONS, odoo)
    [verdict] = built.blocked
    assert verdict.check.name == "no_policy_before_its_quotation"
    assert [(r["quotation_id"], r["policy_id"]) for r in verdict.first] == [(3, 16)]
    # A cancelled policy names no conversion, so it dates nothing either.
    data.write(odoo, "odoo_policy", [{**early, "state": "cancelled"}])
    assert not data.rebuild(QUOTATIONS, odoo).blocked


def run_funnel(warehouse, instance):
    assets = build_models([], tables=data.CATALOG)
    return materialize(
        assets,
        selection="key:models/crm_pipeline_stage_funnel",
        resources={"warehouse": warehouse, "model_settings": SETTINGS},
        instance=instance,
        raise_on_error=False,
    )


def test_checks_run_with_the_model_and_report_their_findings(crms):
    data.write(crms, "pipedrive_deals", [deal(id=141, stage_id=77, status="open", value=1)])
    with DagsterInstance.ephemeral() as instance:
        result = run_funnel(crms, instance)
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {c.name for c in FUNNEL.checks}
    assert evaluations["deals_match_raw"].passed
    assert evaluations["deals_match_raw"].severity == AssetCheckSeverity.ERROR
    # The deal in a stage not synced is counted in a stage-unknown row, and named.
    placed = evaluations["every_deal_placed"]
    assert not placed.passed and placed.severity == AssetCheckSeverity.WARN
    assert placed.metadata["violations"].value == 1


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_a_failed_blocking_check_leaves_the_published_table_as_it_was(warehouse):
    data.odoo(warehouse)
    assets = build_models([], tables=data.CATALOG)
    run = dict(selection="key:models/odoo_insurance_quotation_analysis",
               resources={"warehouse": warehouse, "model_settings": SETTINGS},
               raise_on_error=False)  # fmt: skip
    with DagsterInstance.ephemeral() as instance:
        assert materialize(assets, instance=instance, **run).success
        before = warehouse.rows(QUOTATIONS.name, order_by=list(QUOTATIONS.order_by))
        # A policy created before the quotation it names, and a new quotation the next
        # build would add: nothing of that build may reach the published table.
        data.write(warehouse, "odoo_policy", [{"id": 17, "equotation_id": 3,
                   "create_date": data.at(1), "total_premium_amount": 1.0, "state": "active",
                   "currency_id": 1}])  # fmt: skip
        data.write(warehouse, "odoo_insurance_quotation", [{"id": 30, "status": "sent",
                   "create_date": data.at(1, month=2), "product_id": 2, "product_name": "Home",
                   "currency_id": 1, "currency_name": "BRL", "active": True}])  # fmt: skip
        result = materialize(assets, instance=instance, **run)
    assert not result.success
    assert warehouse.rows(QUOTATIONS.name, order_by=list(QUOTATIONS.order_by)) == before
    assert result.get_asset_materialization_events() == []
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["no_policy_before_its_quotation"].passed
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    first_line = message.split("Failure: ", 1)[-1].splitlines()[0]
    assert first_line.startswith(
        "odoo_insurance_quotation_analysis was not published: its blocking checks "
        "no_policy_before_its_quotation (1 rows) failed, so the table keeps its previous rows."
    )
    assert '"policy_id": 17' in message
    assert warehouse.has_table(QUOTATIONS.name + build.STAGING_SUFFIX)


def test_a_published_build_leaves_no_staging_table(crms):
    assert not data.rebuild(FUNNEL, crms).blocked
    assert not crms.has_table(NAME + build.STAGING_SUFFIX)
