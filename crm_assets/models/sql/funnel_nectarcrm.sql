-- NectarCRM: stages are the `etapas` of sales pipelines (tipo 0; tipo 1 pipelines
-- hold qualifications, not deals). An opportunity's `etapa` is the stage's
-- `sequencia`; status 1 is open, 2 won, 3 lost and 4 discarded (counted as lost),
-- and a closed opportunity keeps the stage it was closed from. No stage history.
stages AS (
    SELECT
        p.id AS pipeline_id,
        p.nome AS pipeline_name,
        e.id AS stage_id,
        e.nome AS stage_name,
        e.sequencia AS stage_position
    FROM nectarcrm_pipelines AS p
    JOIN nectarcrm_pipelines__etapas AS e
        ON e._parent_id = p.id AND e._deleted = FALSE
    WHERE p._deleted = FALSE AND COALESCE(p.tipo, 0) = 0
),

deals AS (
    SELECT
        o.id AS deal_id,
        st.pipeline_id,
        st.stage_id,
        CASE o.status WHEN 1 THEN 'open' WHEN 2 THEN 'won' ELSE 'lost' END AS outcome,
        o."valorTotal" AS value
    FROM nectarcrm_opportunities AS o
    JOIN stages AS st
        ON st.pipeline_id = o.funil_venda_id AND st.stage_position = o.etapa
    WHERE o._deleted = FALSE AND o.status IN (1, 2, 3, 4)
)
