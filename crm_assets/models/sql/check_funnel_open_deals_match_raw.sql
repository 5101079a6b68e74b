-- Pipelines whose open deals in the funnel differ from the open deals in the raw
-- tables (a deal whose stage or pipeline the funnel could not place shows here).
SELECT source, pipeline_id, SUM(open_deals) AS funnel_minus_raw
FROM (
    SELECT source, pipeline_id, open_deals FROM crm_pipeline_stage_funnel
    {%- for part in sources %}
    UNION ALL
    {%- if part.source == "nectarcrm" %}
    SELECT 'nectarcrm', funil_venda_id, -COUNT(*)
    FROM nectarcrm_opportunities
    WHERE _deleted = FALSE AND status = 1
    GROUP BY funil_venda_id
    {%- elif part.source == "pipedrive" %}
    SELECT 'pipedrive', pipeline_id, -COUNT(*)
    FROM pipedrive_deals
    WHERE _deleted = FALSE AND COALESCE(is_deleted, FALSE) = FALSE AND status = 'open'
    GROUP BY pipeline_id
    {%- elif part.source == "kommo" %}
    SELECT 'kommo', pipeline_id, -COUNT(*)
    FROM kommo_leads
    WHERE _deleted = FALSE AND status_id NOT IN (142, 143)
    GROUP BY pipeline_id
    {%- endif %}
    {%- endfor %}
) AS counts
GROUP BY source, pipeline_id
HAVING SUM(open_deals) <> 0
