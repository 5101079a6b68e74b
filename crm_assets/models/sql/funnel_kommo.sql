-- Kommo: statuses 142 (won) and 143 (lost) exist in every pipeline and are outcomes,
-- not stages. A closed lead's status says nothing of the stage it closed from: the
-- status events say it when they exist; otherwise a won lead is counted at the last
-- stage (it passed them all) and a lost one at the first (all that is known).
stages AS (
    SELECT
        p.id AS pipeline_id,
        p.name AS pipeline_name,
        s.id AS stage_id,
        s.name AS stage_name,
        s.sort AS stage_position
    FROM kommo_pipelines AS p
    JOIN kommo_pipelines__statuses AS s
        ON s._parent_id = p.id AND s._deleted = FALSE
    WHERE p._deleted = FALSE AND s.id NOT IN (142, 143)
),

leads AS (
    SELECT id, pipeline_id, status_id, price, created_at
    FROM kommo_leads
    WHERE _deleted = FALSE
),
{%- if history %}

status_changes AS (
    SELECT
        e.entity_id AS deal_id,
        e.id AS change_id,
        e.created_at AS changed_at,
        e.pipeline_before_id,
        e.status_before_id,
        e.pipeline_after_id,
        e.status_after_id
    FROM kommo_events AS e
    JOIN leads AS l ON l.id = e.entity_id
    WHERE e.type = 'lead_status_changed' AND e._deleted = FALSE
),

closings AS (
    SELECT deal_id, pipeline_before_id AS pipeline_id, status_before_id AS stage_id
    FROM (
        SELECT
            c.*,
            ROW_NUMBER() OVER (
                PARTITION BY c.deal_id ORDER BY c.changed_at DESC, c.change_id DESC
            ) AS newest
        FROM status_changes AS c
        WHERE c.status_after_id IN (142, 143) AND c.status_before_id NOT IN (142, 143)
    ) AS closing
    WHERE newest = 1
),
{%- endif %}

deals AS (
    SELECT
        l.id AS deal_id,
        st.pipeline_id,
        st.stage_id,
        CASE l.status_id WHEN 142 THEN 'won' WHEN 143 THEN 'lost' ELSE 'open' END AS outcome,
        l.price AS value,
        l.created_at AS added_at
    FROM leads AS l
    {%- if history %}
    LEFT JOIN closings AS cl ON cl.deal_id = l.id AND cl.pipeline_id = l.pipeline_id
    {%- endif %}
    JOIN stages AS st ON st.pipeline_id = l.pipeline_id AND st.stage_id = CASE
        WHEN l.status_id NOT IN (142, 143) THEN l.status_id
        {%- if history %}
        WHEN cl.stage_id IS NOT NULL THEN cl.stage_id
        {%- endif %}
        WHEN l.status_id = 142 THEN (
            SELECT s.stage_id FROM stages AS s WHERE s.pipeline_id = l.pipeline_id
            ORDER BY s.stage_position DESC, s.stage_id DESC LIMIT 1
        )
        ELSE (
            SELECT s.stage_id FROM stages AS s WHERE s.pipeline_id = l.pipeline_id
            ORDER BY s.stage_position, s.stage_id LIMIT 1
        )
    END
)
{%- if history %},

visits AS (
    SELECT deal_id, pipeline_before_id AS pipeline_id, status_before_id AS stage_id
    FROM status_changes
    UNION
    SELECT deal_id, pipeline_after_id, status_after_id
    FROM status_changes
),

stays AS (
    SELECT
        st.pipeline_id,
        st.stage_id,
        {{ days_between("COALESCE(c.entered_at, d.added_at)", "c.changed_at") }} AS days
    FROM (
        SELECT
            deal_id,
            pipeline_before_id,
            status_before_id,
            changed_at,
            LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, change_id) AS entered_at
        FROM status_changes
    ) AS c
    JOIN deals AS d ON d.deal_id = c.deal_id
    JOIN stages AS st
        ON st.pipeline_id = c.pipeline_before_id AND st.stage_id = c.status_before_id
)
{%- endif %}
