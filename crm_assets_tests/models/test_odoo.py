"""The Odoo analyses on hand-built raw tables with known answers, on both warehouses."""

from __future__ import annotations

import pytest

from crm_assets.models import build
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets_tests.models import data


def test_payment_analysis(warehouse):
    data.odoo(warehouse)
    build.rebuild(PAYMENTS, warehouse, data.SNAPSHOT)

    rows = warehouse.rows(PAYMENTS.name, order_by=["month", "payment_method_line_id", "state"])
    groups = [(r["month"], r["payment_method_line_name"], r["partner_type"], r["payment_type"],
               r["state"], r["currency_name"]) for r in rows]  # fmt: skip
    assert groups == [
        ("2026-01", "Manual", "customer", "inbound", "cancel", "USD"),
        ("2026-01", "Manual", "customer", "inbound", "draft", "USD"),
        ("2026-01", "Manual", "customer", "inbound", "posted", "USD"),
        ("2026-02", "Check", "supplier", "outbound", "in_process", "USD"),
    ]
    measures = [(r["payment_count"], r["amount_total"], r["amount_company_currency"],
                 r["amount_company_currency_signed"], r["reconciled_amount"],
                 r["outstanding_amount"], r["average_amount"]) for r in rows]  # fmt: skip
    # A draft or cancelled payment is neither reconciled nor outstanding; a confirmed one
    # is outstanding until reconciled, whatever its Odoo version calls the state; the
    # deleted one is left out.
    assert measures == [
        (1, 10.0, 10.0, 10.0, 0.0, 0.0, 10.0),
        (1, 30.0, 30.0, 30.0, 0.0, 0.0, 30.0),
        (2, 150.0, 150.0, 150.0, 100.0, 50.0, 75.0),
        (1, 80.0, 80.0, -80.0, 0.0, 80.0, 80.0),
    ]


def test_insurance_quotation_analysis(warehouse):
    data.odoo(warehouse)
    build.rebuild(QUOTATIONS, warehouse, data.SNAPSHOT)

    rows = warehouse.rows(QUOTATIONS.name, order_by=["month", "product_id"])
    assert [(r["month"], r["product_name"], r["status"], r["is_renewal"]) for r in rows] == [
        ("2026-01", "Auto", "sent", False),
        ("2026-02", "Home", "approved", True),
    ]
    auto, home = rows
    # Auto: Q1 became a policy 10 days later; Q2's only policy is deleted and its
    # validity passed; Q3 is still valid on the snapshot date.
    assert (auto["quotations"], auto["converted_quotations"]) == (3, 1)
    assert auto["conversion_rate"] == pytest.approx(1 / 3)
    assert auto["avg_days_to_policy"] == pytest.approx(10.0)
    assert (auto["premium_quoted"], auto["premium_converted"]) == (3500.0, 950.0)
    assert auto["expired_unconverted"] == 1
    # Home: two policies from one quotation; the first came 2 days later.
    assert (home["quotations"], home["converted_quotations"], home["conversion_rate"]) == (
        1,
        1,
        1.0,
    )
    assert home["avg_days_to_policy"] == pytest.approx(2.0)
    assert (home["premium_quoted"], home["premium_converted"]) == (700.0, 800.0)
    assert home["expired_unconverted"] == 0


def test_without_odoo_tables_the_analyses_are_empty(warehouse):
    for model in (PAYMENTS, QUOTATIONS):
        built = build.rebuild(model, warehouse, data.SNAPSHOT)
        assert built.sources == [] and built.skipped
        assert warehouse.rows(model.name) == []
        assert build.describe(model, warehouse)["dagster/row_count"] == 0
