-- Kommo: statuses 142 (won) and 143 (lost) exist in every pipeline and are outcomes,
-- not stages. Every price is in the account's currency (`account`, or the models'
-- currency setting until it is synced). Leads of archived pipelines are left out
-- unless the models include what the CRMs hide. A closed lead's status says nothing
-- of the stage it closed from: its status events say it when they exist; otherwise
-- a won lead is placed at its pipeline's last stage (it passed them all) and a lost
-- one at the first (all that is known). An open lead whose status is not a stage of
-- its pipeline, or a lead of a pipeline not synced, cannot be placed.
pipelines AS (
    SELECT id AS pipeline_id, name AS pipeline_name
    FROM {{ t.pipelines }}
    WHERE _deleted = FALSE
        {%- if not include_archived and "is_archive" in part.columns.pipelines %}
        AND COALESCE(is_archive, FALSE) = FALSE
        {%- endif %}
),

stages AS (
    SELECT
        p.pipeline_id,
        p.pipeline_name,
        s.id AS stage_id,
        s.name AS stage_name,
        s.sort AS stage_position
    FROM {{ t.pipelines__statuses }} AS s
    JOIN pipelines AS p ON p.pipeline_id = s._parent_id
    WHERE s._deleted = FALSE AND s.id NOT IN (142, 143)
),

leads AS (
    SELECT l.id, l.pipeline_id, l.status_id, l.price, l.created_at
    FROM {{ t.leads }} AS l
    WHERE l._deleted = FALSE
        {%- if not include_archived and "is_archive" in part.columns.pipelines %}
        AND NOT EXISTS (
            SELECT 1 FROM {{ t.pipelines }} AS a
            WHERE a.id = l.pipeline_id AND a._deleted = FALSE AND a.is_archive = TRUE
        )
        {%- endif %}
),
{%- if history %}

changes AS (
    SELECT
        e.entity_id AS deal_id,
        e.id AS change_id,
        e.created_at AS changed_at,
        CAST(e.status_before_id AS TEXT) AS stage_before,
        CAST(e.status_after_id AS TEXT) AS stage_after,
        e.status_before_id,
        e.status_after_id
    FROM {{ t.events }} AS e
    WHERE e.type = 'lead_status_changed' AND e._deleted = FALSE
),

closings AS (
    SELECT deal_id, status_before_id AS stage_id
    FROM (
        SELECT
            c.deal_id,
            c.status_before_id,
            ROW_NUMBER() OVER (
                PARTITION BY c.deal_id ORDER BY c.changed_at DESC, c.change_id DESC
            ) AS newest
        FROM changes AS c
        WHERE c.status_after_id IN (142, 143) AND c.status_before_id NOT IN (142, 143)
    ) AS closing
    WHERE newest = 1
),
{%- endif %}

deals AS (
    SELECT
        l.id AS deal_id,
        l.pipeline_id,
        st.stage_id,
        CASE l.status_id WHEN 142 THEN 'won' WHEN 143 THEN 'lost' ELSE 'open' END AS outcome,
        l.price AS value,
        {{ account_currency(part) }} AS currency,
        l.created_at AS added_at
    FROM leads AS l
    {%- if history %}
    LEFT JOIN closings AS cl ON cl.deal_id = l.id
    {%- endif %}
    LEFT JOIN stages AS st ON st.pipeline_id = l.pipeline_id AND st.stage_id = CASE
        WHEN l.status_id NOT IN (142, 143) THEN l.status_id
        {%- if history %}
        WHEN cl.stage_id IN (SELECT s.stage_id FROM stages AS s WHERE s.pipeline_id = l.pipeline_id)
            THEN cl.stage_id
        {%- endif %}
        WHEN l.status_id = 142 THEN (
            SELECT s.stage_id FROM stages AS s WHERE s.pipeline_id = l.pipeline_id
            ORDER BY {{ stage_order("s", descending=True) }} LIMIT 1
        )
        ELSE (
            SELECT s.stage_id FROM stages AS s WHERE s.pipeline_id = l.pipeline_id
            ORDER BY {{ stage_order("s") }} LIMIT 1
        )
    END
)
