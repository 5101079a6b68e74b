-- NectarCRM: stages are the `etapas` of sales pipelines (tipo 0; tipo 1 pipelines
-- hold qualifications, not deals). An opportunity's `etapa` is the stage's
-- `sequencia`; a closed opportunity keeps the stage it was closed from. Status 2 is
-- won, 3 lost and 4 discarded (counted as lost); 1, and any status NectarCRM may add,
-- counts as open. Values are in the models' currency setting for the connection,
-- NectarCRM's API stating none. Opportunities of inactive pipelines are left out unless the models
-- include what the CRMs hide. No stage history.
pipelines AS (
    SELECT id AS pipeline_id, nome AS pipeline_name
    FROM {{ t.pipelines }}
    WHERE _deleted = FALSE AND COALESCE(tipo, 0) = 0
        {%- if not include_archived and "ativo" in part.columns.pipelines %}
        AND COALESCE(ativo, TRUE) = TRUE
        {%- endif %}
),

stages AS (
    SELECT
        p.pipeline_id,
        p.pipeline_name,
        e.id AS stage_id,
        e.nome AS stage_name,
        e.sequencia AS stage_position
    FROM {{ t.pipelines__etapas }} AS e
    JOIN pipelines AS p ON p.pipeline_id = e._parent_id
    WHERE e._deleted = FALSE
),

deals AS (
    SELECT
        o.id AS deal_id,
        o.funil_venda_id AS pipeline_id,
        st.stage_id,
        CASE o.status WHEN 2 THEN 'won' WHEN 3 THEN 'lost' WHEN 4 THEN 'lost' ELSE 'open' END
            AS outcome,
        o."valorTotal" AS value,
        {{ currency_setting(part) }} AS currency
    FROM {{ t.opportunities }} AS o
    -- Two stages sharing a sequence would count the deal twice: the first one takes it.
    LEFT JOIN (
        SELECT pipeline_id, stage_position, MIN(stage_id) AS stage_id
        FROM stages
        GROUP BY pipeline_id, stage_position
    ) AS st ON st.pipeline_id = o.funil_venda_id AND st.stage_position = o.etapa
    WHERE o._deleted = FALSE
        {%- if not include_archived and "ativo" in part.columns.pipelines %}
        AND NOT EXISTS (
            SELECT 1 FROM {{ t.pipelines }} AS a
            WHERE a.id = o.funil_venda_id AND a._deleted = FALSE AND a.ativo = FALSE
        )
        {%- endif %}
)
