-- Deals the funnel could not place in a stage: counted in the stage-unknown rows, so
-- nothing vanishes, and named here so someone looks at why (a stage not synced yet,
-- a stage or pipeline deleted at the source, a status the CRM does not define).
SELECT source, connection, pipeline_id, pipeline_name, currency,
    open_deals + won_deals + lost_deals AS unplaced_deals
FROM {{ model_table }}
WHERE stage_id IS NULL AND open_deals + won_deals + lost_deals > 0
