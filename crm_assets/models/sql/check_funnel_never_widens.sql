-- Stages where more deals reached the stage than the stage before it.
SELECT source, pipeline_id, stage_id, stage_position, reached_deals, previous_reached
FROM (
    SELECT
        source,
        pipeline_id,
        stage_id,
        stage_position,
        reached_deals,
        LAG(reached_deals) OVER (
            PARTITION BY source, pipeline_id ORDER BY stage_position, stage_id
        ) AS previous_reached
    FROM crm_pipeline_stage_funnel
) AS ordered
WHERE reached_deals > previous_reached
