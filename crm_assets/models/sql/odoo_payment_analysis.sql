-- Payments per connection, month, journal, payment method, partner type, direction,
-- state, currency and company currency. Amounts are in the payment's currency except
-- the company-currency totals, which are in the company's. Reconciled: `is_reconciled`
-- (matched with the invoices or bills it pays). Outstanding: confirmed and not
-- reconciled, i.e. money moved that no invoice or bill accounts for yet. Confirmed is
-- any state but draft, cancelled or rejected, which Odoo has spelled differently
-- across versions (posted/sent up to 16, in_process/paid from 17). Two databases
-- number their journals and currencies on their own, so each connection's payments
-- group apart.
WITH payments AS (
{%- for part in sources %}
{%- if not loop.first %}
    UNION ALL
{%- endif %}
    SELECT
        {{ literal(part.connection) }} AS connection,
        r.date,
        r.journal_id,
        r.journal_name,
        r.payment_method_line_id,
        r.payment_method_line_name,
        r.partner_type,
        r.payment_type,
        r.state,
        r.currency_id,
        r.currency_name,
        r.company_currency_name,
        r.amount,
        r.amount_company_currency_signed,
        r.is_reconciled
    FROM {{ part.tables.payment }} AS r
    WHERE r._deleted = FALSE
{%- endfor %}
)

SELECT
    p.connection,
    {{ month("p.date") }} AS month,
    p.journal_id,
    p.journal_name,
    p.payment_method_line_id,
    p.payment_method_line_name,
    p.partner_type,
    p.payment_type,
    p.state,
    p.currency_id,
    p.currency_name,
    p.company_currency_name,
    COUNT(*) AS payment_count,
    SUM(p.amount) AS amount_total,
    SUM(ABS(p.amount_company_currency_signed)) AS amount_company_currency,
    SUM(p.amount_company_currency_signed) AS amount_company_currency_signed,
    SUM(CASE WHEN p.is_reconciled = TRUE THEN p.amount ELSE 0 END) AS reconciled_amount,
    SUM(
        CASE WHEN p.state NOT IN ('draft', 'cancel', 'cancelled', 'canceled', 'rejected')
                AND COALESCE(p.is_reconciled, FALSE) = FALSE
            THEN p.amount ELSE 0 END
    ) AS outstanding_amount,
    AVG(p.amount) AS average_amount
FROM payments AS p
GROUP BY
    p.connection,
    {{ month("p.date") }},
    p.journal_id,
    p.journal_name,
    p.payment_method_line_id,
    p.payment_method_line_name,
    p.partner_type,
    p.payment_type,
    p.state,
    p.currency_id,
    p.currency_name,
    p.company_currency_name
