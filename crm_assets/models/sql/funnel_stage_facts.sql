-- One connection's rows, from its tables (`t`). Its source's own SQL defines:
--   `pipelines` (pipeline_id, pipeline_name): the pipelines it shows;
--   `stages` (pipeline_id, pipeline_name, stage_id, stage_name, stage_position);
--   `deals` (deal_id, pipeline_id, stage_id, outcome open/won/lost, value, currency,
--     added_at): every live deal it counts, with the stage it is in or was closed
--     from, or an empty stage_id when that stage cannot be placed;
--   with history, `changes` (deal_id, change_id, changed_at, stage_before,
--     stage_after, the stage ids as text): the deals' recorded stage changes.
-- Stages are ordered by position, then id, with stages of no position last, the same
-- on every warehouse. A deal reached a stage when the furthest stage of its pipeline
-- it is known to have been in lies at or after it, so the funnel never widens.
SELECT * FROM (
WITH
{% include "funnel_" ~ source ~ ".sql" %},

ranked AS (
    SELECT
        st.pipeline_id,
        st.pipeline_name,
        st.stage_id,
        st.stage_name,
        st.stage_position,
        ROW_NUMBER() OVER (PARTITION BY st.pipeline_id ORDER BY {{ stage_order("st") }})
            AS stage_order
    FROM stages AS st
),
{%- if history %}

visits AS (
    SELECT DISTINCT d.deal_id, r.pipeline_id, r.stage_id
    FROM changes AS c
    JOIN deals AS d ON d.deal_id = c.deal_id
    JOIN ranked AS r
        ON r.pipeline_id = d.pipeline_id
        AND CAST(r.stage_id AS TEXT) IN (c.stage_before, c.stage_after)
),

stays AS (
    SELECT
        r.pipeline_id,
        r.stage_id,
        d.currency,
        {{ days_between("COALESCE(c.entered_at, d.added_at)", "c.changed_at") }} AS days
    FROM (
        SELECT
            deal_id,
            stage_before,
            changed_at,
            LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, change_id) AS entered_at
        FROM changes
    ) AS c
    JOIN deals AS d ON d.deal_id = c.deal_id
    JOIN ranked AS r
        ON r.pipeline_id = d.pipeline_id AND CAST(r.stage_id AS TEXT) = c.stage_before
),

storied AS (
    SELECT DISTINCT deal_id FROM visits
),

stay_days AS (
    SELECT pipeline_id, stage_id, currency, AVG(days) AS avg_days, COUNT(*) AS stays
    FROM stays
    GROUP BY pipeline_id, stage_id, currency
),
{%- endif %}

known AS (
    SELECT deal_id, pipeline_id, stage_id FROM deals WHERE stage_id IS NOT NULL
    {%- if history %}
    UNION
    SELECT deal_id, pipeline_id, stage_id FROM visits
    {%- endif %}
),

furthest AS (
    SELECT k.deal_id, MAX(r.stage_order) AS stage_order
    FROM known AS k
    JOIN ranked AS r ON r.pipeline_id = k.pipeline_id AND r.stage_id = k.stage_id
    GROUP BY k.deal_id
),

reached AS (
    SELECT
        r.pipeline_id,
        r.stage_id,
        d.currency,
        COUNT(*) AS reached_deals,
        {%- if history %}
        SUM(CASE WHEN h.deal_id IS NULL THEN 0 ELSE 1 END) AS reached_from_history
        {%- else %}
        0 AS reached_from_history
        {%- endif %}
    FROM furthest AS f
    JOIN deals AS d ON d.deal_id = f.deal_id
    JOIN ranked AS r ON r.pipeline_id = d.pipeline_id AND r.stage_order <= f.stage_order
    {%- if history %}
    LEFT JOIN storied AS h ON h.deal_id = d.deal_id
    {%- endif %}
    GROUP BY r.pipeline_id, r.stage_id, d.currency
),

outcomes AS (
    SELECT
        pipeline_id,
        stage_id,
        currency,
        SUM(CASE WHEN outcome = 'open' THEN 1 ELSE 0 END) AS open_deals,
        SUM(CASE WHEN outcome = 'open' THEN value ELSE 0 END) AS open_value,
        SUM(CASE WHEN outcome = 'won' THEN 1 ELSE 0 END) AS won_deals,
        SUM(CASE WHEN outcome = 'won' THEN value ELSE 0 END) AS won_value,
        SUM(CASE WHEN outcome = 'lost' THEN 1 ELSE 0 END) AS lost_deals,
        SUM(CASE WHEN outcome = 'lost' THEN value ELSE 0 END) AS lost_value
    FROM deals
    GROUP BY pipeline_id, stage_id, currency
),

-- Each pipeline's stages once per currency its deals are in; once, with no
-- currency, for a pipeline with no deals.
currencies AS (
    SELECT DISTINCT pipeline_id, currency FROM deals
    UNION
    SELECT DISTINCT r.pipeline_id, CAST(NULL AS TEXT)
    FROM ranked AS r
    WHERE NOT EXISTS (SELECT 1 FROM deals AS d WHERE d.pipeline_id = r.pipeline_id)
)

SELECT
    {{ literal(source) }} AS source,
    {{ literal(connection) }} AS connection,
    r.pipeline_id,
    r.pipeline_name,
    c.currency,
    r.stage_order,
    r.stage_id,
    r.stage_name,
    r.stage_position,
    COALESCE(o.open_deals, 0) AS open_deals,
    COALESCE(o.open_value, 0) AS open_value,
    COALESCE(o.won_deals, 0) AS won_deals,
    COALESCE(o.won_value, 0) AS won_value,
    COALESCE(o.lost_deals, 0) AS lost_deals,
    COALESCE(o.lost_value, 0) AS lost_value,
    COALESCE(rd.reached_deals, 0) AS reached_deals,
    COALESCE(rd.reached_from_history, 0) AS reached_from_history,
    {%- if history %}
    sd.avg_days AS avg_days_in_stage,
    COALESCE(sd.stays, 0) AS stays_measured
    {%- else %}
    CAST(NULL AS DOUBLE PRECISION) AS avg_days_in_stage,
    0 AS stays_measured
    {%- endif %}
FROM ranked AS r
JOIN currencies AS c ON c.pipeline_id = r.pipeline_id
LEFT JOIN outcomes AS o
    ON o.pipeline_id = r.pipeline_id AND o.stage_id = r.stage_id
    AND {{ same("o.currency", "c.currency") }}
LEFT JOIN reached AS rd
    ON rd.pipeline_id = r.pipeline_id AND rd.stage_id = r.stage_id
    AND {{ same("rd.currency", "c.currency") }}
{%- if history %}
LEFT JOIN stay_days AS sd
    ON sd.pipeline_id = r.pipeline_id AND sd.stage_id = r.stage_id
    AND {{ same("sd.currency", "c.currency") }}
{%- endif %}

UNION ALL

SELECT
    {{ literal(source) }},
    {{ literal(connection) }},
    o.pipeline_id,
    p.pipeline_name,
    o.currency,
    CAST(NULL AS INTEGER),
    CAST(NULL AS INTEGER),
    '{{ UNKNOWN_STAGE }}',
    CAST(NULL AS INTEGER),
    o.open_deals,
    COALESCE(o.open_value, 0),
    o.won_deals,
    COALESCE(o.won_value, 0),
    o.lost_deals,
    COALESCE(o.lost_value, 0),
    CAST(NULL AS INTEGER),
    CAST(NULL AS INTEGER),
    CAST(NULL AS DOUBLE PRECISION),
    CAST(NULL AS INTEGER)
FROM outcomes AS o
LEFT JOIN pipelines AS p ON p.pipeline_id = o.pipeline_id
WHERE o.stage_id IS NULL
) AS {{ facts }}
