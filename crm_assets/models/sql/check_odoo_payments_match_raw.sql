-- Per connection, month, currency, company currency and state: the analysis' payment
-- count and totals against the live raw payments, read one by one from each
-- connection's raw table, so a payment the analysis drops, doubles or files under
-- another connection, month, currency or state shows here.
SELECT
    connection,
    month,
    currency_name,
    company_currency_name,
    state,
    SUM(payment_count) AS payments_minus_raw,
    SUM(amount_total) AS amount_minus_raw,
    SUM(amount_company_currency_signed) AS company_amount_minus_raw
FROM (
    SELECT
        connection, month, currency_name, company_currency_name, state, payment_count,
        amount_total, amount_company_currency_signed
    FROM {{ model_table }}
    {%- for part in sources %}
    UNION ALL
    SELECT
        {{ literal(part.connection) }}, {{ month("r.date") }}, r.currency_name,
        r.company_currency_name, r.state, -1, -COALESCE(r.amount, 0),
        -COALESCE(r.amount_company_currency_signed, 0)
    FROM {{ part.tables.payment }} AS r
    WHERE r._deleted = FALSE
    {%- endfor %}
) AS counts
GROUP BY connection, month, currency_name, company_currency_name, state
HAVING SUM(payment_count) <> 0
    -- Sums of floats in another order differ in the last digits, never by a cent.
    OR ABS(SUM(amount_total)) > 0.005
    OR ABS(SUM(amount_company_currency_signed)) > 0.005
