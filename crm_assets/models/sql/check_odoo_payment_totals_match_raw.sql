-- The analysis' payment count and amount against the live raw payments.
SELECT
    modeled.payment_count,
    stored.payment_count AS raw_payment_count,
    modeled.amount_total,
    stored.amount_total AS raw_amount_total
FROM (
    SELECT
        COALESCE(SUM(payment_count), 0) AS payment_count,
        COALESCE(SUM(amount_total), 0) AS amount_total
    FROM odoo_payment_analysis
) AS modeled
CROSS JOIN (
    {%- if available %}
    SELECT COUNT(*) AS payment_count, COALESCE(SUM(amount), 0) AS amount_total
    FROM odoo_payment
    WHERE _deleted = FALSE
    {%- else %}
    SELECT 0 AS payment_count, 0 AS amount_total
    {%- endif %}
) AS stored
WHERE modeled.payment_count <> stored.payment_count
    -- Sums of floats in another order differ in the last digits, never by a cent.
    OR ABS(modeled.amount_total - stored.amount_total) > 0.005 + 1e-9 * ABS(stored.amount_total)
