"""The Odoo analyses on hand-built raw tables with known answers, on both warehouses."""

from __future__ import annotations

import pytest

from crm_assets.models import build
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets_tests.models import data


def test_payment_analysis(warehouse):
    data.odoo(warehouse)
    assert not data.rebuild(PAYMENTS, warehouse).blocked

    rows = warehouse.rows(PAYMENTS.name, order_by=["month", "payment_method_line_id", "state",
                                                   "currency_id"])  # fmt: skip
    groups = [(r["month"], r["payment_method_line_name"], r["partner_type"], r["payment_type"],
               r["state"], r["currency_name"], r["company_currency_name"]) for r in rows]  # fmt: skip
    assert groups == [
        ("2026-01", "Manual", "customer", "inbound", "cancel", "USD", "USD"),
        ("2026-01", "Manual", "customer", "inbound", "draft", "USD", "USD"),
        ("2026-01", "Manual", "customer", "inbound", "posted", "USD", "USD"),
        ("2026-01", "Manual", "customer", "inbound", "posted", "EUR", "USD"),
        ("2026-02", "Check", "supplier", "outbound", "in_process", "USD", "USD"),
    ]
    measures = [(r["payment_count"], r["amount_total"], r["amount_company_currency"],
                 r["amount_company_currency_signed"], r["reconciled_amount"],
                 r["outstanding_amount"], r["average_amount"]) for r in rows]  # fmt: skip
    # A draft or cancelled payment is neither reconciled nor outstanding; a confirmed one
    # is outstanding until reconciled, whatever its Odoo version calls the state; the
    # deleted one is left out. Euros and dollars are never added up: the euro payment
    # has a row of its own, its company-currency amount in dollars.
    assert measures == [
        (1, 10.0, 10.0, 10.0, 0.0, 0.0, 10.0),
        (1, 30.0, 30.0, 30.0, 0.0, 0.0, 30.0),
        (2, 150.0, 150.0, 150.0, 100.0, 50.0, 75.0),
        (1, 40.0, 44.0, 44.0, 40.0, 0.0, 40.0),
        (1, 80.0, 80.0, -80.0, 0.0, 80.0, 80.0),
    ]


QUOTATION_GROUPS = ("month", "product_name", "status", "is_renewal", "currency")
QUOTATION_MEASURES = ("quotations", "converted_quotations", "cancelled_policy_quotations",
                      "premium_quoted", "premium_converted", "expired_quotations",
                      "past_validity_open")  # fmt: skip


def test_insurance_quotation_analysis(warehouse):
    data.odoo(warehouse)
    assert not data.rebuild(QUOTATIONS, warehouse).blocked

    rows = warehouse.rows(QUOTATIONS.name, order_by=list(QUOTATIONS.order_by))
    assert [tuple(r[c] for c in QUOTATION_GROUPS) for r in rows] == [
        ("2026-01", "Auto", "accepted", False, "BRL"),
        ("2026-01", "Auto", "expired", False, "BRL"),
        ("2026-01", "Auto", "refused", False, "BRL"),
        ("2026-01", "Auto", "sent", False, "BRL"),
        ("2026-01", "Auto", "sent", False, "USD"),
        ("2026-02", "Home", "approved", True, "BRL"),
    ]
    assert [tuple(r[c] for c in QUOTATION_MEASURES) for r in rows] == [
        # Q9's only policy was cancelled: not a conversion, counted apart.
        (1, 0, 1, 600.0, 0.0, 0, 0),
        # Q6 is expired because Odoo says so, not because its validity passed.
        (1, 0, 0, 400.0, 0.0, 1, 0),
        # Q8 was refused: decided, not left hanging, though its validity passed.
        (1, 0, 0, 250.0, 0.0, 0, 0),
        # Q1 became a policy; Q2's only policy is deleted and its validity passed, so it
        # is open past validity; Q3 is valid until December. Q10 is archived: hidden.
        (3, 1, 0, 3500.0, 950.0, 0, 1),
        # Quoted in dollars: a row of its own, open past its validity.
        (1, 0, 0, 100.0, 0.0, 0, 1),
        # Two policies from one quotation: one conversion, both premiums.
        (1, 1, 0, 700.0, 800.0, 0, 0),
    ]
    sent = rows[3]
    assert sent["conversion_rate"] == pytest.approx(1 / 3)
    assert sent["avg_days_to_policy"] == pytest.approx(10.0)
    assert rows[5]["avg_days_to_policy"] == pytest.approx(2.0)
    assert rows[0]["avg_days_to_policy"] is None


def test_archived_quotations_count_when_switched_on(warehouse):
    data.odoo(warehouse)
    assert not data.rebuild(QUOTATIONS, warehouse, include_archived=True).blocked
    sent = [r for r in warehouse.rows(QUOTATIONS.name)
            if r["status"] == "sent" and r["currency"] == "BRL"]  # fmt: skip
    assert [(r["quotations"], r["premium_quoted"], r["past_validity_open"]) for r in sent] == [
        (4, 4400.0, 2)
    ]


def test_without_odoo_tables_the_analyses_are_empty(warehouse):
    for model in (PAYMENTS, QUOTATIONS):
        built = data.rebuild(model, warehouse)
        assert built.plan.sources == [] and built.plan.skipped and not built.blocked
        assert warehouse.rows(model.name) == []
        assert build.describe(model, warehouse)["dagster/row_count"] == 0
