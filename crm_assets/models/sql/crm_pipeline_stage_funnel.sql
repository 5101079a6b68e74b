-- One row per connection, pipeline, currency and stage, across every CRM connection
-- whose raw tables exist, plus one stage-unknown row per connection, pipeline and
-- currency for the deals that cannot be placed in a stage. Two accounts of one CRM
-- number their pipelines and stages on their own, so every window is per connection.
-- Conversion is the share of the previous stage's deals that reached this one, within
-- one currency's deals.
SELECT
    f.source,
    f.connection,
    f.pipeline_id,
    f.pipeline_name,
    f.currency,
    f.stage_order,
    f.stage_id,
    f.stage_name,
    f.stage_position,
    f.open_deals,
    f.open_value,
    f.won_deals,
    f.won_value,
    f.lost_deals,
    f.lost_value,
    f.reached_deals,
    f.reached_from_history,
    CASE WHEN f.stage_order > 1 AND LAG(f.reached_deals) OVER stage_order > 0
        THEN CAST(f.reached_deals AS DOUBLE PRECISION) / LAG(f.reached_deals) OVER stage_order
    END AS conversion_from_previous,
    f.avg_days_in_stage,
    f.stays_measured,
    CAST(:snapshot_date AS TEXT) AS snapshot_date
FROM (
{%- for part in sources %}
{%- if not loop.first %}
UNION ALL
{%- endif %}
{% with source = part.source, connection = part.connection, history = part.history,
    t = part.tables, facts = "stage_facts_" ~ loop.index %}
{%- include "funnel_stage_facts.sql" %}
{%- endwith %}
{%- endfor %}
) AS f
WINDOW stage_order AS (
    PARTITION BY f.connection, f.pipeline_id, f.currency
    ORDER BY CASE WHEN f.stage_order IS NULL THEN 1 ELSE 0 END, f.stage_order
)
