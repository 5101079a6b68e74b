-- Per connection, month, product, status, renewal flag and currency: the analysis'
-- quotations, conversions and premiums against each connection's raw quotations,
-- each asked on its own whether a counted policy of its connection names it, so a
-- quotation the analysis drops, counts once per policy or under another connection,
-- or a cancelled policy counted as a conversion, shows here.
SELECT
    connection, month, product_id, status, is_renewal, currency,
    SUM(quotations) AS quotations_minus_raw,
    SUM(converted_quotations) AS converted_minus_raw,
    SUM(premium_quoted) AS premium_quoted_minus_raw,
    SUM(premium_converted) AS premium_converted_minus_raw
FROM (
    SELECT
        connection, month, product_id, status, is_renewal, currency, quotations,
        converted_quotations, premium_quoted, premium_converted
    FROM {{ model_table }}
    {%- for part in sources %}
    {%- set t = part.tables %}
    UNION ALL
    SELECT
        {{ literal(part.connection) }}, {{ month("q.create_date") }}, q.product_id,
        q.status, q.is_renewal, q.currency_name,
        -1,
        CASE WHEN EXISTS (
            SELECT 1 FROM {{ t.policy }} AS p
            WHERE p.equotation_id = q.id AND p._deleted = FALSE
                AND COALESCE(p.state, '') NOT IN ({{ CANCELLED }})
        ) THEN -1 ELSE 0 END,
        -COALESCE(q.total_premium_amount, 0),
        -COALESCE((
            SELECT SUM(p.total_premium_amount) FROM {{ t.policy }} AS p
            WHERE p.equotation_id = q.id AND p._deleted = FALSE
                AND COALESCE(p.state, '') NOT IN ({{ CANCELLED }})
                AND {{ same_currency("p", "q") }}
        ), 0)
    FROM {{ t.insurance_quotation }} AS q
    WHERE q._deleted = FALSE
        {%- if not include_archived and "active" in part.columns.insurance_quotation %}
        AND (q.active IS NULL OR q.active = TRUE)
        {%- endif %}
    {%- endfor %}
) AS counts
GROUP BY connection, month, product_id, status, is_renewal, currency
HAVING SUM(quotations) <> 0 OR SUM(converted_quotations) <> 0
    -- Sums of floats in another order differ in the last digits, never by a cent.
    OR ABS(SUM(premium_quoted)) > 0.005 OR ABS(SUM(premium_converted)) > 0.005
