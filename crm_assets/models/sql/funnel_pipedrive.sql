-- Pipedrive: a deal keeps its stage when won or lost, in its own currency. Deleted
-- deals are left out, and archived ones (which Pipedrive's deal lists hide) unless
-- the models include what the CRMs hide. A deal whose stage is not a live stage of
-- its pipeline cannot be placed. History: every `stage_id` change in the deal flow
-- names the stage left (old_value) and the stage entered (new_value).
pipelines AS (
    SELECT id AS pipeline_id, name AS pipeline_name
    FROM {{ t.pipelines }}
    WHERE _deleted = FALSE AND COALESCE(is_deleted, FALSE) = FALSE
),

stages AS (
    SELECT
        p.pipeline_id,
        p.pipeline_name,
        s.id AS stage_id,
        s.name AS stage_name,
        s.order_nr AS stage_position
    FROM {{ t.stages }} AS s
    JOIN pipelines AS p ON p.pipeline_id = s.pipeline_id
    WHERE s._deleted = FALSE AND COALESCE(s.is_deleted, FALSE) = FALSE
),

deals AS (
    SELECT
        d.id AS deal_id,
        d.pipeline_id,
        st.stage_id,
        d.status AS outcome,
        d.value AS value,
        d.currency,
        d.add_time AS added_at
    FROM {{ t.deals }} AS d
    LEFT JOIN stages AS st ON st.stage_id = d.stage_id AND st.pipeline_id = d.pipeline_id
    WHERE d._deleted = FALSE AND COALESCE(d.is_deleted, FALSE) = FALSE
        AND d.status IN ('open', 'won', 'lost')
        {%- if not include_archived and "is_archived" in part.columns.deals %}
        AND COALESCE(d.is_archived, FALSE) = FALSE
        {%- endif %}
)
{%- if history %},

changes AS (
    SELECT
        f.deal_id,
        f.id AS change_id,
        f."timestamp" AS changed_at,
        f.old_value AS stage_before,
        f.new_value AS stage_after
    FROM {{ t.deals_flow }} AS f
    WHERE f.field_key = 'stage_id' AND f._deleted = FALSE
)
{%- endif %}
