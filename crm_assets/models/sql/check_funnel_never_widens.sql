-- Stages reached by more deals than the stage before them, within one connection,
-- pipeline and currency. The funnel's SQL counts a deal at every stage up to the
-- furthest it reached, so this guards that rule against a change of the SQL.
SELECT
    source, connection, pipeline_id, currency, stage_id, stage_order, reached_deals,
    previous_reached
FROM (
    SELECT
        source,
        connection,
        pipeline_id,
        currency,
        stage_id,
        stage_order,
        reached_deals,
        LAG(reached_deals) OVER (
            PARTITION BY connection, pipeline_id, currency ORDER BY stage_order
        ) AS previous_reached
    FROM {{ model_table }}
    WHERE stage_order IS NOT NULL
) AS ordered
WHERE reached_deals > previous_reached
