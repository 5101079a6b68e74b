-- Pipedrive: a deal keeps its stage when won or lost; `deleted` deals are left out.
-- History: every `stage_id` change in the deal flow names the stage left
-- (old_value) and the stage entered (new_value); a stay in a stage runs from the
-- previous stage change (or the deal's creation) to the change that left it.
stages AS (
    SELECT
        p.id AS pipeline_id,
        p.name AS pipeline_name,
        s.id AS stage_id,
        s.name AS stage_name,
        s.order_nr AS stage_position
    FROM pipedrive_stages AS s
    JOIN pipedrive_pipelines AS p ON p.id = s.pipeline_id
    WHERE s._deleted = FALSE AND COALESCE(s.is_deleted, FALSE) = FALSE
        AND p._deleted = FALSE AND COALESCE(p.is_deleted, FALSE) = FALSE
),

deals AS (
    SELECT
        d.id AS deal_id,
        st.pipeline_id,
        st.stage_id,
        d.status AS outcome,
        d.value AS value,
        d.add_time AS added_at
    FROM pipedrive_deals AS d
    JOIN stages AS st ON st.stage_id = d.stage_id
    WHERE d._deleted = FALSE AND COALESCE(d.is_deleted, FALSE) = FALSE
        AND d.status IN ('open', 'won', 'lost')
)
{%- if history %},

stage_changes AS (
    SELECT
        f.deal_id,
        f.id AS change_id,
        f."timestamp" AS changed_at,
        f.old_value,
        f.new_value
    FROM pipedrive_deals_flow AS f
    JOIN deals AS d ON d.deal_id = f.deal_id
    WHERE f.field_key = 'stage_id' AND f._deleted = FALSE
),

visits AS (
    SELECT c.deal_id, st.pipeline_id, st.stage_id
    FROM stage_changes AS c
    JOIN stages AS st ON CAST(st.stage_id AS TEXT) IN (c.old_value, c.new_value)
),

stays AS (
    SELECT
        st.pipeline_id,
        st.stage_id,
        {{ days_between("COALESCE(c.entered_at, d.added_at)", "c.changed_at") }} AS days
    FROM (
        SELECT
            deal_id,
            old_value,
            changed_at,
            LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, change_id) AS entered_at
        FROM stage_changes
    ) AS c
    JOIN deals AS d ON d.deal_id = c.deal_id
    JOIN stages AS st ON CAST(st.stage_id AS TEXT) = c.old_value
)
{%- endif %}
