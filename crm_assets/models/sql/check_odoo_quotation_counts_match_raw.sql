-- The analysis' quotation count against the live raw quotations.
SELECT modeled.quotations, stored.quotations AS raw_quotations
FROM (
    SELECT COALESCE(SUM(quotations), 0) AS quotations
    FROM odoo_insurance_quotation_analysis
) AS modeled
CROSS JOIN (
    {%- if available %}
    SELECT COUNT(*) AS quotations FROM odoo_insurance_quotation WHERE _deleted = FALSE
    {%- else %}
    SELECT 0 AS quotations
    {%- endif %}
) AS stored
WHERE modeled.quotations <> stored.quotations
