"""The Odoo analyses: payments, and insurance quotations converted into policies, of
every Odoo connection (database) the code location syncs."""

from __future__ import annotations

from crm_assets.core.schema import BOOLEAN, INTEGER, NUMBER, TEXT
from crm_assets.models.spec import Check, Column, Model, Part

CONNECTION = Column(
    "connection",
    TEXT,
    "The Odoo connection (one database) the row comes from, named as the code location "
    "names it: `odoo`, or another name for a second database. Ids are the database's "
    "own, so two connections' rows never add up.",
)

PAYMENTS = Model(
    name="odoo_payment_analysis",
    description=(
        "Odoo payments per connection, month, journal, payment method, partner type "
        "(customer or supplier), direction (inbound or outbound), state and currency: count, totals, "
        "reconciled and outstanding amounts, average payment. Reconciled means Odoo's "
        "`is_reconciled` (matched with the invoices or bills it pays); outstanding means "
        "confirmed (any state but draft, cancelled or rejected) and not reconciled. Deleted "
        "payments are left out. The company-currency totals are in the company's currency, "
        "`company_currency_name`, part of the grain so that companies of different "
        "currencies never add up."
    ),
    columns=(
        CONNECTION,
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
        Column(
            "company_currency_name",
            TEXT,
            "The company's currency code: the currency of the company-currency totals.",
        ),
        Column("payment_count", INTEGER, "Payments in the group."),
        Column("amount_total", NUMBER, "Sum of the payments' amounts, in the payment currency."),
        Column(
            "amount_company_currency",
            NUMBER,
            "Sum of the amounts in the company currency (company_currency_name), unsigned.",
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
                "payment": (
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
                    "company_currency_name",
                    "is_reconciled",
                    "_deleted",
                )
            },
        ),
    ),  # fmt: skip
    checks=(
        Check(
            "payments_match_raw",
            "Per connection, month, currency, company currency and state, the payment "
            "count, total and company-currency total equal those of the connection's live "
            "raw payments.",
            "check_odoo_payments_match_raw.sql",
        ),
    ),
    order_by=(
        "connection",
        "month",
        "journal_id",
        "payment_method_line_id",
        "partner_type",
        "payment_type",
        "state",
        "currency_id",
        "company_currency_name",
    ),  # fmt: skip
)

QUOTATIONS = Model(
    name="odoo_insurance_quotation_analysis",
    description=(
        "Insurance quotations per Odoo connection, creation month, product, status, "
        "renewal flag and currency: how many, how many became policies (a live policy of "
        "the connection that is not cancelled and whose `equotation_id` is the quotation), the conversion rate, how many have "
        "only cancelled policies (kept apart from conversions), average days from "
        "quotation to its first policy, premium quoted and converted, quotations Odoo "
        "marks expired, and quotations past their validity date that are still open "
        "(not converted, and neither accepted, refused, expired nor cancelled). Deleted "
        "quotations and policies are left out, and so are archived quotations (`active` "
        "false, which Odoo hides) unless the models' `include_archived` setting is on. "
        "Premiums are in the row's currency."
    ),
    columns=(
        CONNECTION,
        Column("month", TEXT, "Quotation creation month, YYYY-MM."),
        Column("product_id", INTEGER, "The insurance product quoted."),
        Column("product_name", TEXT, "The product's name."),
        Column("status", TEXT, "The quotation's status, as Odoo states it."),
        Column("is_renewal", BOOLEAN, "Whether the quotation renews a policy."),
        Column("currency", TEXT, "The quotation's currency: the currency of the premiums."),
        Column("quotations", INTEGER, "Quotations in the group."),
        Column(
            "converted_quotations",
            INTEGER,
            "Quotations that at least one live policy not cancelled names.",
        ),
        Column("conversion_rate", NUMBER, "converted_quotations over quotations."),
        Column(
            "cancelled_policy_quotations",
            INTEGER,
            "Quotations whose every policy was cancelled: not counted as converted.",
        ),
        Column(
            "avg_days_to_policy",
            NUMBER,
            "Average days from a converted quotation's creation to its first policy's "
            "creation (a blocking check keeps it from going negative).",
        ),
        Column("premium_quoted", NUMBER, "Sum of the quotations' total premium."),
        Column(
            "premium_converted",
            NUMBER,
            "Sum of the total premium of their policies that are not cancelled, in the "
            "quotation's currency.",
        ),
        Column("expired_quotations", INTEGER, "Quotations whose status is expired."),
        Column(
            "past_validity_open",
            INTEGER,
            "Quotations not converted, neither accepted, refused, expired nor cancelled, "
            "whose validity date is before the snapshot date: offers left hanging.",
        ),
    ),
    parts=(
        Part(
            "odoo",
            {
                "insurance_quotation": (
                    "id",
                    "status",
                    "create_date",
                    "validity_date",
                    "product_id",
                    "product_name",
                    "is_renewal",
                    "total_premium_amount",
                    "currency_id",
                    "currency_name",
                    "_deleted",
                ),
                "policy": (
                    "id",
                    "equotation_id",
                    "state",
                    "create_date",
                    "total_premium_amount",
                    "currency_id",
                    "_deleted",
                ),
            },
            optional_columns={"insurance_quotation": ("active",)},
        ),
    ),
    checks=(
        Check(
            "quotations_match_raw",
            "Per connection, month, product, status, renewal flag and currency, the "
            "quotations, conversions and premiums equal those recomputed quotation by "
            "quotation from the connection's raw tables.",
            "check_odoo_quotations_match_raw.sql",
        ),
        Check(
            "no_policy_before_its_quotation",
            "No counted policy was created before the quotation it names, so no day count "
            "to a policy is negative.",
            "check_odoo_no_policy_before_its_quotation.sql",
        ),
    ),
    order_by=("connection", "month", "product_id", "status", "is_renewal", "currency"),
)
