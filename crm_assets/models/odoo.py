"""The Odoo analyses: payments, and insurance quotations converted into policies."""

from __future__ import annotations

from crm_assets.core.schema import BOOLEAN, INTEGER, NUMBER, TEXT
from crm_assets.models.spec import Check, Column, Model, Part

PAYMENTS = Model(
    name="odoo_payment_analysis",
    description=(
        "Odoo payments per month, journal, payment method, partner type (customer or "
        "supplier), direction (inbound or outbound), state and currency: count, totals, "
        "reconciled and outstanding amounts, average payment. Reconciled means Odoo's "
        "`is_reconciled` (matched with the invoices or bills it pays); outstanding means "
        "confirmed (any state but draft, cancelled or rejected) and not reconciled. Deleted "
        "payments are left out."
    ),
    columns=(
        Column("month", TEXT, "Payment date's month, YYYY-MM."),
        Column("journal_id", INTEGER, "The journal (bank or cash) the payment was made through."),
        Column("journal_name", TEXT, "The journal's name."),
        Column("payment_method_line_id", INTEGER, "The payment method as set up on the journal."),
        Column("payment_method_line_name", TEXT, "The payment method's name."),
        Column("partner_type", TEXT, "customer or supplier."),
        Column("payment_type", TEXT, "Direction: inbound (received) or outbound (sent)."),
        Column("state", TEXT, "Payment state: draft, in_process, paid, posted, canceled, ..."),
        Column("currency_id", INTEGER, "The payment's currency."),
        Column("currency_name", TEXT, "The payment currency's code."),
        Column("payment_count", INTEGER, "Payments in the group."),
        Column("amount_total", NUMBER, "Sum of the payments' amounts, in the payment currency."),
        Column(
            "amount_company_currency",
            NUMBER,
            "Sum of the amounts in the company currency, unsigned.",
        ),
        Column(
            "amount_company_currency_signed",
            NUMBER,
            "Sum of the signed amounts in the company currency: outbound payments count negative.",
        ),
        Column("reconciled_amount", NUMBER, "Amount of the reconciled payments."),
        Column(
            "outstanding_amount",
            NUMBER,
            "Amount of the confirmed payments (not draft, cancelled or rejected) not reconciled.",
        ),
        Column("average_amount", NUMBER, "Average payment amount, in the payment currency."),
    ),
    parts=(
        Part(
            "odoo",
            {
                "odoo_payment": (
                    "id",
                    "date",
                    "amount",
                    "amount_company_currency_signed",
                    "state",
                    "payment_type",
                    "partner_type",
                    "journal_id",
                    "journal_name",
                    "payment_method_line_id",
                    "payment_method_line_name",
                    "currency_id",
                    "currency_name",
                    "is_reconciled",
                    "_deleted",
                )
            },
        ),
    ),  # fmt: skip
    reads=(("odoo", "payment"),),
    checks=(
        Check(
            "payment_totals_match_raw",
            "Payment count and total amount equal those of the raw payments.",
            "check_odoo_payment_totals_match_raw.sql",
        ),
    ),
    order_by=(
        "month",
        "journal_id",
        "payment_method_line_id",
        "partner_type",
        "payment_type",
        "state",
        "currency_id",
    ),  # fmt: skip
)

QUOTATIONS = Model(
    name="odoo_insurance_quotation_analysis",
    description=(
        "Insurance quotations per creation month, product, status and renewal flag: how many, "
        "how many became policies (a policy whose `equotation_id` is the quotation), the "
        "conversion rate, average days from quotation to its first policy, premium quoted "
        "and converted, and quotations whose validity date passed with no policy. Deleted "
        "quotations and policies are left out."
    ),
    columns=(
        Column("month", TEXT, "Quotation creation month, YYYY-MM."),
        Column("product_id", INTEGER, "The insurance product quoted."),
        Column("product_name", TEXT, "The product's name."),
        Column("status", TEXT, "The quotation's status."),
        Column("is_renewal", BOOLEAN, "Whether the quotation renews a policy."),
        Column("quotations", INTEGER, "Quotations in the group."),
        Column("converted_quotations", INTEGER, "Quotations that at least one policy names."),
        Column("conversion_rate", NUMBER, "converted_quotations over quotations."),
        Column(
            "avg_days_to_policy",
            NUMBER,
            "Average days from a converted quotation's creation to its first policy's creation.",
        ),
        Column("premium_quoted", NUMBER, "Sum of the quotations' total premium."),
        Column("premium_converted", NUMBER, "Sum of the total premium of their policies."),
        Column(
            "expired_unconverted",
            INTEGER,
            "Quotations with no policy whose validity date is before the snapshot date.",
        ),
    ),
    parts=(
        Part(
            "odoo",
            {
                "odoo_insurance_quotation": (
                    "id",
                    "status",
                    "create_date",
                    "validity_date",
                    "product_id",
                    "product_name",
                    "is_renewal",
                    "total_premium_amount",
                    "_deleted",
                ),
                "odoo_policy": (
                    "id",
                    "equotation_id",
                    "create_date",
                    "total_premium_amount",
                    "_deleted",
                ),
            },
        ),
    ),  # fmt: skip
    reads=(("odoo", "insurance_quotation"), ("odoo", "policy")),
    checks=(
        Check(
            "quotation_counts_match_raw",
            "The quotations counted equal the raw quotations.",
            "check_odoo_quotation_counts_match_raw.sql",
        ),
        Check(
            "conversion_between_0_and_1",
            "Every conversion rate lies between 0 and 1.",
            "check_rate_between_0_and_1.sql",
            {"table": "odoo_insurance_quotation_analysis", "column": "conversion_rate"},
        ),
    ),
    order_by=("month", "product_id", "status", "is_renewal"),
)
