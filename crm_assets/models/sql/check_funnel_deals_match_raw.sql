-- Per connection, pipeline and currency: the built funnel's open, won and lost deals
-- and their values against the live deals counted straight from each connection's raw
-- deals table, with no stage, placement or history, so a deal the funnel drops,
-- doubles or moves to another connection, pipeline or currency shows here.
SELECT
    source,
    connection,
    pipeline_id,
    currency,
    SUM(open_deals) AS open_deals_minus_raw,
    SUM(won_deals) AS won_deals_minus_raw,
    SUM(lost_deals) AS lost_deals_minus_raw,
    SUM(open_value) AS open_value_minus_raw,
    SUM(won_value) AS won_value_minus_raw,
    SUM(lost_value) AS lost_value_minus_raw
FROM (
    SELECT
        source, connection, pipeline_id, currency, open_deals, won_deals, lost_deals,
        open_value, won_value, lost_value
    FROM {{ model_table }}
    {%- for part in sources %}
    {%- set t = part.tables %}
    {%- set named = literal(part.source) ~ ", " ~ literal(part.connection) %}
    UNION ALL
    {%- if part.source == "pipedrive" %}
    SELECT
        {{ named }}, d.pipeline_id, d.currency,
        -SUM(CASE WHEN d.status = 'open' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END),
        -COALESCE(SUM(CASE WHEN d.status = 'open' THEN d.value END), 0),
        -COALESCE(SUM(CASE WHEN d.status = 'won' THEN d.value END), 0),
        -COALESCE(SUM(CASE WHEN d.status = 'lost' THEN d.value END), 0)
    FROM {{ t.deals }} AS d
    WHERE d._deleted = FALSE AND COALESCE(d.is_deleted, FALSE) = FALSE
        AND d.status IN ('open', 'won', 'lost')
        {%- if not include_archived and "is_archived" in part.columns.deals %}
        AND COALESCE(d.is_archived, FALSE) = FALSE
        {%- endif %}
    GROUP BY d.pipeline_id, d.currency
    {%- elif part.source == "kommo" %}
    SELECT
        {{ named }}, l.pipeline_id,
        {{ account_currency(part) }},
        -SUM(CASE WHEN l.status_id IN (142, 143) THEN 0 ELSE 1 END),
        -SUM(CASE WHEN l.status_id = 142 THEN 1 ELSE 0 END),
        -SUM(CASE WHEN l.status_id = 143 THEN 1 ELSE 0 END),
        -COALESCE(SUM(CASE WHEN l.status_id IN (142, 143) THEN NULL ELSE l.price END), 0),
        -COALESCE(SUM(CASE WHEN l.status_id = 142 THEN l.price END), 0),
        -COALESCE(SUM(CASE WHEN l.status_id = 143 THEN l.price END), 0)
    FROM {{ t.leads }} AS l
    {%- if not include_archived and "is_archive" in part.columns.pipelines %}
    LEFT JOIN {{ t.pipelines }} AS p ON p.id = l.pipeline_id AND p._deleted = FALSE
    WHERE l._deleted = FALSE AND COALESCE(p.is_archive, FALSE) = FALSE
    {%- else %}
    WHERE l._deleted = FALSE
    {%- endif %}
    GROUP BY l.pipeline_id
    {%- elif part.source == "nectarcrm" %}
    SELECT
        {{ named }}, o.funil_venda_id, {{ currency_setting(part) }},
        -SUM(CASE WHEN o.status IN (2, 3, 4) THEN 0 ELSE 1 END),
        -SUM(CASE WHEN o.status = 2 THEN 1 ELSE 0 END),
        -SUM(CASE WHEN o.status IN (3, 4) THEN 1 ELSE 0 END),
        -COALESCE(SUM(CASE WHEN o.status IN (2, 3, 4) THEN NULL ELSE o."valorTotal" END), 0),
        -COALESCE(SUM(CASE WHEN o.status = 2 THEN o."valorTotal" END), 0),
        -COALESCE(SUM(CASE WHEN o.status IN (3, 4) THEN o."valorTotal" END), 0)
    FROM {{ t.opportunities }} AS o
    {%- if not include_archived and "ativo" in part.columns.pipelines %}
    LEFT JOIN {{ t.pipelines }} AS p ON p.id = o.funil_venda_id AND p._deleted = FALSE
    WHERE o._deleted = FALSE AND COALESCE(p.ativo, TRUE) = TRUE
    {%- else %}
    WHERE o._deleted = FALSE
    {%- endif %}
    GROUP BY o.funil_venda_id
    {%- endif %}
    {%- endfor %}
) AS counts
GROUP BY source, connection, pipeline_id, currency
HAVING SUM(open_deals) <> 0 OR SUM(won_deals) <> 0 OR SUM(lost_deals) <> 0
    -- Sums of floats in another order differ in the last digits, never by a cent.
    OR ABS(SUM(open_value)) > 0.005 OR ABS(SUM(won_value)) > 0.005
    OR ABS(SUM(lost_value)) > 0.005
