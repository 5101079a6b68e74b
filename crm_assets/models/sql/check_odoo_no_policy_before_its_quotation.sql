-- Quotations whose first counted policy was created before the quotation itself:
-- their days to policy would be negative. Read from each connection's raw tables:
-- such a pair is wrong at the source (a policy linked to the wrong quotation, or
-- dates imported badly), and the analysis waits until it is put right.
{%- for part in sources %}
{%- set t = part.tables %}
{%- if not loop.first %}
UNION ALL
{%- endif %}
SELECT {{ literal(part.connection) }} AS connection, q.id AS quotation_id,
    q.create_date AS quotation_created, p.id AS policy_id, p.create_date AS policy_created
FROM {{ t.insurance_quotation }} AS q
JOIN {{ t.policy }} AS p ON p.equotation_id = q.id
WHERE q._deleted = FALSE AND p._deleted = FALSE
    AND COALESCE(p.state, '') NOT IN ({{ CANCELLED }})
    AND {{ days_between("q.create_date", "p.create_date") }} < 0
    {%- if not include_archived and "active" in part.columns.insurance_quotation %}
    AND (q.active IS NULL OR q.active = TRUE)
    {%- endif %}
{%- else %}
SELECT 1 AS quotation_id WHERE 1 = 0
{%- endfor %}
