"""Several connections of one source in one warehouse, on both warehouses: each has rows
of its own in the models, its own figures and currency, and the blocking checks
recompute each from its own raw tables.

The second accounts number their records from 1 as the first ones do, so any join,
window or grouping that forgot the connection would mix them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from dagster import AssetKey

from crm_assets.definitions import SOURCES
from crm_assets.models import build, build_models, model_key
from crm_assets.models.funnel import FUNNEL
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets.models.settings import CURRENCY_VARIABLE, ModelSettings
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets.sources.odoo.streams import SOURCE as ODOO
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE
from crm_assets_tests.models import data

LATAM, SUL = "pipedrive_latam", "odoo_sul"
TABLES = build.catalog([
    *((s.name, s, f"{s.name}_") for s in SOURCES),
    (LATAM, PIPEDRIVE, "pipedrive_latam_"),
    (SUL, ODOO, "odoo_sul_"),
])  # fmt: skip

STAGE = ("connection", "currency", "stage_order", "stage_id", "stage_name")
COUNTS = ("open_deals", "open_value", "won_deals", "won_value", "lost_deals", "lost_value",
          "reached_deals", "conversion_from_previous")  # fmt: skip


def pipedrive_latam(warehouse) -> None:
    """A second Pipedrive account, smaller, without deal flow: pipeline 1 and stages 1
    and 2 are its own, not the first account's."""
    data.write(warehouse, "pipedrive_latam_pipelines",
               [{"id": 1, "name": "Vendas", "is_deleted": False}])  # fmt: skip
    data.write(warehouse, "pipedrive_latam_stages", [
        {"id": 1, "name": "Contato", "order_nr": 1, "pipeline_id": 1, "is_deleted": False},
        {"id": 2, "name": "Proposta", "order_nr": 2, "pipeline_id": 1, "is_deleted": False},
    ])  # fmt: skip
    deal = {"pipeline_id": 1, "add_time": data.at(1), "is_deleted": False,
            "is_archived": False, "currency": "USD"}  # fmt: skip
    data.write(warehouse, "pipedrive_latam_deals", [
        {**deal, "id": 101, "stage_id": 2, "status": "open", "value": 1000},
        {**deal, "id": 102, "stage_id": 1, "status": "open", "value": 500},
        {**deal, "id": 103, "stage_id": 2, "status": "won", "value": 2000},
        {**deal, "id": 104, "stage_id": 1, "status": "lost", "value": 300, "currency": "BRL"},
    ])  # fmt: skip


def funnel(warehouse) -> list[dict]:
    return warehouse.rows(FUNNEL.name, order_by=list(FUNNEL.order_by))


def test_two_pipedrive_connections_each_in_the_funnel_with_their_own_figures(warehouse):
    data.pipedrive(warehouse, history=True)
    assert not data.rebuild(FUNNEL, warehouse).blocked
    alone = funnel(warehouse)

    pipedrive_latam(warehouse)
    built = data.rebuild(FUNNEL, warehouse, TABLES)
    assert not built.blocked
    # Stage history is a connection's own: the second account has none.
    assert [(s["connection"], s["source"], s["history"]) for s in built.plan.sources] == [
        ("pipedrive", "pipedrive", True), (LATAM, "pipedrive", False),
    ]  # fmt: skip
    rows = funnel(warehouse)
    assert {r["source"] for r in rows} == {"pipedrive"}
    # The first account's rows are what they were with it alone.
    assert [r for r in rows if r["connection"] == "pipedrive"] == alone
    latam = [r for r in rows if r["connection"] == LATAM]
    assert [tuple(r[c] for c in STAGE) for r in latam] == [
        (LATAM, "BRL", 1, 1, "Contato"), (LATAM, "BRL", 2, 2, "Proposta"),
        (LATAM, "USD", 1, 1, "Contato"), (LATAM, "USD", 2, 2, "Proposta"),
    ]  # fmt: skip
    assert [tuple(r[c] for c in COUNTS) for r in latam] == [
        (0, 0.0, 0, 0.0, 1, 300.0, 1, None),
        (0, 0.0, 0, 0.0, 0, 0.0, 0, 0.0),
        (1, 500.0, 0, 0.0, 0, 0.0, 3, None),
        (1, 1000.0, 1, 2000.0, 0, 0.0, 2, pytest.approx(2 / 3)),
    ]  # fmt: skip
    # Per connection, open + won + lost is that connection's live deals.
    for connection, table in (("pipedrive", "pipedrive_deals"), (LATAM, "pipedrive_latam_deals")):
        counted = sum(r["open_deals"] + r["won_deals"] + r["lost_deals"]
                      for r in rows if r["connection"] == connection)  # fmt: skip
        assert counted == _live_deals(warehouse, table)


def test_a_deal_counted_under_the_other_connection_fails_deals_match_raw(warehouse):
    data.pipedrive(warehouse, history=False)
    pipedrive_latam(warehouse)
    plan = build.plan(FUNNEL, warehouse, TABLES, ModelSettings())
    build.stage(FUNNEL, warehouse, plan, data.SNAPSHOT)
    assert not [v for v in build.check(FUNNEL, warehouse, plan, data.SNAPSHOT) if v.blocks]
    # The first account's won dollar deal filed under the second, same pipeline id,
    # currency and stage: per source the sums still match; per connection they do not.
    _relabel(warehouse, FUNNEL, "pipedrive", LATAM, "stage_id = 3 AND currency = 'USD'")
    [verdict] = [v for v in build.check(FUNNEL, warehouse, plan, data.SNAPSHOT) if v.blocks]
    assert verdict.check.name == "deals_match_raw"
    assert sorted((r["connection"], r["pipeline_id"], r["currency"], r["won_deals_minus_raw"],
                   r["won_value_minus_raw"]) for r in verdict.first) == [
        ("pipedrive", 1, "USD", -1, -300.0), (LATAM, 1, "USD", 1, 300.0),
    ]  # fmt: skip


def test_a_currency_setting_per_connection_else_per_source(warehouse, monkeypatch):
    data.nectarcrm(warehouse)
    data.nectarcrm(warehouse, prefix="nectarcrm_pt_")
    data.nectarcrm(warehouse, prefix="nectarcrm_mx_")
    tables = build.catalog([(name, NECTARCRM, f"{name}_") for name in
                            ("nectarcrm", "nectarcrm_pt", "nectarcrm_mx")])  # fmt: skip
    monkeypatch.setenv(CURRENCY_VARIABLE, "nectarcrm_pt=eur")
    settings = ModelSettings.from_env()
    built = build.rebuild(FUNNEL, warehouse, data.SNAPSHOT, tables=tables, settings=settings)
    assert not built.blocked
    # The setting for NectarCRM (BRL unless set) covers every account no setting names.
    currencies = {(r["connection"], r["currency"]) for r in funnel(warehouse)}
    assert currencies == {("nectarcrm", "BRL"), ("nectarcrm_pt", "EUR"), ("nectarcrm_mx", "BRL")}


def test_connection_names_must_be_identifiers():
    for name in ("pipedrive-eu", "1st", "x'; DROP TABLE y; --", ""):
        with pytest.raises(ValueError, match="not an identifier"):
            build.catalog([(name, PIPEDRIVE, "p_")])
    with pytest.raises(ValueError, match="Two connections"):
        build.catalog([("eu", PIPEDRIVE, "p_"), ("eu", PIPEDRIVE, "q_")])


def test_a_model_depends_on_every_connection_s_streams():
    defined = [AssetKey([c, s]) for c in ("pipedrive", LATAM, SUL)
               for s in ("deals", "stages", "persons", "payment")]  # fmt: skip
    deps = {a.key: set(a.dependency_keys) for a in build_models(defined, tables=TABLES)}
    assert deps[model_key(FUNNEL)] == {
        AssetKey([c, s]) for c in ("pipedrive", LATAM) for s in ("deals", "stages")
    }
    assert deps[model_key(PAYMENTS)] == {AssetKey([SUL, "payment"])}


def odoo_sul(warehouse) -> None:
    """A second Odoo database, in reais. Its policy 11 names quotation 4, which only the
    first database has: that policy converts nothing."""
    payment = {"journal_id": 1, "journal_name": "Banco", "payment_method_line_id": 1,
               "payment_method_line_name": "Pix", "partner_type": "customer",
               "payment_type": "inbound", "state": "posted", "currency_id": 1,
               "currency_name": "BRL", "company_currency_name": "BRL"}  # fmt: skip
    data.write(warehouse, "odoo_sul_payment", [
        {**payment, "id": 1, "date": "2026-01-05", "amount": 70.0,
         "amount_company_currency_signed": 70.0, "is_reconciled": True},
        {**payment, "id": 2, "date": "2026-02-10", "amount": 30.0,
         "amount_company_currency_signed": 30.0, "is_reconciled": False},
    ])  # fmt: skip
    quotation = {"status": "sent", "product_id": 1, "product_name": "Auto",
                 "is_renewal": False, "currency_id": 1, "currency_name": "BRL"}  # fmt: skip
    data.write(warehouse, "odoo_sul_insurance_quotation", [
        {**quotation, "id": 1, "create_date": data.at(3), "validity_date": "2026-01-31",
         "total_premium_amount": 400.0},
        {**quotation, "id": 2, "create_date": data.at(4), "validity_date": "2026-01-20",
         "total_premium_amount": 600.0},
    ])  # fmt: skip
    policy = {"state": "active", "currency_id": 1}
    data.write(warehouse, "odoo_sul_policy", [
        {**policy, "id": 10, "equotation_id": 1, "create_date": data.at(5),
         "total_premium_amount": 400.0},
        {**policy, "id": 11, "equotation_id": 4, "create_date": data.at(6),
         "total_premium_amount": 999.0},
    ])  # fmt: skip


def test_a_second_odoo_connection_in_both_analyses(warehouse):
    data.odoo(warehouse)
    alone = {}
    for model in (PAYMENTS, QUOTATIONS):
        assert not data.rebuild(model, warehouse).blocked
        alone[model.name] = warehouse.rows(model.name, order_by=list(model.order_by))
    odoo_sul(warehouse)
    for model in (PAYMENTS, QUOTATIONS):
        built = data.rebuild(model, warehouse, TABLES)
        assert not built.blocked
        assert [s["connection"] for s in built.plan.sources] == ["odoo", SUL]
        rows = warehouse.rows(model.name, order_by=list(model.order_by))
        assert [r for r in rows if r["connection"] == "odoo"] == alone[model.name]

    payments = [r for r in warehouse.rows(PAYMENTS.name, order_by=list(PAYMENTS.order_by))
                if r["connection"] == SUL]  # fmt: skip
    assert [(r["month"], r["journal_name"], r["state"], r["currency_name"], r["payment_count"],
             r["amount_total"], r["reconciled_amount"], r["outstanding_amount"])
            for r in payments] == [
        ("2026-01", "Banco", "posted", "BRL", 1, 70.0, 70.0, 0.0),
        ("2026-02", "Banco", "posted", "BRL", 1, 30.0, 0.0, 30.0),
    ]  # fmt: skip
    [quoted] = [r for r in warehouse.rows(QUOTATIONS.name) if r["connection"] == SUL]
    # Q1 became policy 10 two days after it was quoted; Q2 is open past its validity.
    assert (quoted["month"], quoted["product_name"], quoted["status"], quoted["currency"],
            quoted["quotations"], quoted["converted_quotations"], quoted["premium_quoted"],
            quoted["premium_converted"], quoted["past_validity_open"]) == (
        "2026-01", "Auto", "sent", "BRL", 2, 1, 1000.0, 400.0, 1,
    )  # fmt: skip
    assert quoted["avg_days_to_policy"] == pytest.approx(2.0)


def test_a_policy_before_its_quotation_is_named_with_its_connection(warehouse):
    data.odoo(warehouse)
    odoo_sul(warehouse)
    # Before the second database's quotation 2; after the first database's.
    data.write(warehouse, "odoo_sul_policy", [{"id": 12, "equotation_id": 2, "state": "active",
               "create_date": data.at(1), "total_premium_amount": 1.0, "currency_id": 1}])  # fmt: skip
    [verdict] = data.rebuild(QUOTATIONS, warehouse, TABLES).blocked
    assert verdict.check.name == "no_policy_before_its_quotation"
    assert [(r["connection"], r["quotation_id"], r["policy_id"]) for r in verdict.first] == [
        (SUL, 2, 12)
    ]


def test_a_payment_counted_under_the_other_connection_fails_payments_match_raw(warehouse):
    data.odoo(warehouse)
    odoo_sul(warehouse)
    plan = build.plan(PAYMENTS, warehouse, TABLES, ModelSettings())
    build.stage(PAYMENTS, warehouse, plan, data.SNAPSHOT)
    assert not [v for v in build.check(PAYMENTS, warehouse, plan, data.SNAPSHOT) if v.blocks]
    _relabel(warehouse, PAYMENTS, "odoo", SUL, "month = '2026-02'")
    [verdict] = [v for v in build.check(PAYMENTS, warehouse, plan, data.SNAPSHOT) if v.blocks]
    assert sorted((r["connection"], r["month"], r["state"], r["payments_minus_raw"])
                  for r in verdict.first) == [("odoo", "2026-02", "in_process", -1),
                                              (SUL, "2026-02", "in_process", 1)]  # fmt: skip


def _relabel(warehouse, model, connection: str, other: str, where: str) -> None:
    """Files staged rows of one connection under another, as a model's SQL that lost
    track of connections would."""
    staging = model.name + build.STAGING_SUFFIX
    with warehouse.engine.begin() as c:
        done = c.execute(
            sa.text(f"UPDATE {staging} SET connection = :other "  # noqa: S608
                    f"WHERE connection = :connection AND {where}"),
            {"other": other, "connection": connection},
        )  # fmt: skip
        assert done.rowcount == 1


def _live_deals(warehouse, table: str) -> int:
    return sum(
        1
        for d in warehouse.rows(table)
        if not (d["_deleted"] or d["is_deleted"] or d["is_archived"])
        and d["status"] in ("open", "won", "lost")
    )
