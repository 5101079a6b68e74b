-- One row per source, pipeline and stage, across every CRM whose raw tables exist.
-- Conversion is the share of the previous stage's deals that reached this one.
SELECT
    f.source,
    f.pipeline_id,
    f.pipeline_name,
    f.stage_id,
    f.stage_name,
    f.stage_position,
    f.open_deals,
    f.open_value,
    f.reached_deals,
    CASE WHEN LAG(f.reached_deals) OVER stage_order > 0
        THEN CAST(f.reached_deals AS DOUBLE PRECISION) / LAG(f.reached_deals) OVER stage_order
    END AS conversion_from_previous,
    f.won_deals,
    f.won_value,
    f.lost_deals,
    f.lost_value,
    f.avg_days_in_stage,
    f.reached_from,
    CAST(:snapshot_date AS TEXT) AS snapshot_date
FROM (
{%- for part in sources %}
{%- if not loop.first %}
UNION ALL
{%- endif %}
{% with source = part.source, history = part.history, part = "funnel_" ~ part.source ~ ".sql" %}
{%- include "funnel_stage_facts.sql" %}
{%- endwith %}
{%- endfor %}
) AS f
WINDOW stage_order AS (
    PARTITION BY f.source, f.pipeline_id ORDER BY f.stage_position, f.stage_id
)
