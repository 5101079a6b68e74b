-- One source's stage rows. The source's own SQL defines `stages` (pipeline_id,
-- pipeline_name, stage_id, stage_name, stage_position), `deals` (deal_id,
-- pipeline_id, stage_id, outcome open/won/lost, value: the stage a deal is in, or
-- was closed from) and, with history, `visits` (deal_id, pipeline_id, stage_id: the
-- stages it is known to have been in) and `stays` (pipeline_id, stage_id, days).
-- A deal reached a stage when the furthest stage it is known to have been in lies
-- at or after it, so the funnel never widens along a pipeline's stage order.
SELECT * FROM (
WITH
{% include part %},

known AS (
    SELECT deal_id, pipeline_id, stage_id FROM deals
    {%- if history %}
    UNION
    SELECT v.deal_id, v.pipeline_id, v.stage_id
    FROM visits AS v
    JOIN deals AS d ON d.deal_id = v.deal_id
    {%- endif %}
),

furthest AS (
    SELECT k.deal_id, k.pipeline_id, MAX(st.stage_position) AS stage_position
    FROM known AS k
    JOIN stages AS st ON st.pipeline_id = k.pipeline_id AND st.stage_id = k.stage_id
    GROUP BY k.deal_id, k.pipeline_id
),

reached AS (
    SELECT st.pipeline_id, st.stage_id, COUNT(f.deal_id) AS reached_deals
    FROM stages AS st
    JOIN furthest AS f
        ON f.pipeline_id = st.pipeline_id AND f.stage_position >= st.stage_position
    GROUP BY st.pipeline_id, st.stage_id
),

outcomes AS (
    SELECT
        pipeline_id,
        stage_id,
        SUM(CASE WHEN outcome = 'open' THEN 1 ELSE 0 END) AS open_deals,
        SUM(CASE WHEN outcome = 'open' THEN value ELSE 0 END) AS open_value,
        SUM(CASE WHEN outcome = 'won' THEN 1 ELSE 0 END) AS won_deals,
        SUM(CASE WHEN outcome = 'won' THEN value ELSE 0 END) AS won_value,
        SUM(CASE WHEN outcome = 'lost' THEN 1 ELSE 0 END) AS lost_deals,
        SUM(CASE WHEN outcome = 'lost' THEN value ELSE 0 END) AS lost_value
    FROM deals
    GROUP BY pipeline_id, stage_id
)
{%- if history %},

stay_days AS (
    SELECT pipeline_id, stage_id, AVG(days) AS avg_days
    FROM stays
    GROUP BY pipeline_id, stage_id
)
{%- endif %}

SELECT
    '{{ source }}' AS source,
    st.pipeline_id,
    st.pipeline_name,
    st.stage_id,
    st.stage_name,
    st.stage_position,
    COALESCE(o.open_deals, 0) AS open_deals,
    COALESCE(o.open_value, 0) AS open_value,
    COALESCE(r.reached_deals, 0) AS reached_deals,
    COALESCE(o.won_deals, 0) AS won_deals,
    COALESCE(o.won_value, 0) AS won_value,
    COALESCE(o.lost_deals, 0) AS lost_deals,
    COALESCE(o.lost_value, 0) AS lost_value,
    {% if history %}sd.avg_days{% else %}CAST(NULL AS DOUBLE PRECISION){% endif %} AS avg_days_in_stage,
    '{{ "history" if history else "position" }}' AS reached_from
FROM stages AS st
LEFT JOIN outcomes AS o ON o.pipeline_id = st.pipeline_id AND o.stage_id = st.stage_id
LEFT JOIN reached AS r ON r.pipeline_id = st.pipeline_id AND r.stage_id = st.stage_id
{%- if history %}
LEFT JOIN stay_days AS sd ON sd.pipeline_id = st.pipeline_id AND sd.stage_id = st.stage_id
{%- endif %}
) AS {{ source }}_stage_facts
