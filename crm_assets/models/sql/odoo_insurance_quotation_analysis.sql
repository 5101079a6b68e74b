-- Quotations per connection, creation month, product, status, renewal flag and
-- currency. A quotation is converted when a live policy of its connection that is not
-- cancelled names it in `equotation_id`; its conversion date is the first such
-- policy's creation, and its converted premium the sum of those policies' premiums in
-- the quotation's currency. A quotation whose only policies are cancelled counts
-- apart. Archived quotations (`active` false, which Odoo hides) are left out unless
-- the models include what the CRMs hide. Expired is what Odoo says (`status`); past
-- validity and still open is a quotation not converted, neither accepted, refused,
-- expired nor cancelled, whose validity date is before the snapshot date. Two
-- databases number their records on their own: a policy names a quotation of its
-- own connection only.
WITH policies AS (
{%- for part in sources %}
{%- if not loop.first %}
    UNION ALL
{%- endif %}
    SELECT
        {{ literal(part.connection) }} AS connection,
        equotation_id,
        currency_id,
        state,
        create_date,
        total_premium_amount,
        CASE WHEN state IN ({{ CANCELLED }}) THEN 1 ELSE 0 END AS cancelled
    FROM {{ part.tables.policy }}
    WHERE _deleted = FALSE AND equotation_id IS NOT NULL
{%- endfor %}
),

quotations AS (
{%- for part in sources %}
{%- if not loop.first %}
    UNION ALL
{%- endif %}
    SELECT
        {{ literal(part.connection) }} AS connection,
        q.id,
        q.status,
        q.create_date,
        q.validity_date,
        q.product_id,
        q.product_name,
        q.is_renewal,
        q.total_premium_amount,
        q.currency_id,
        q.currency_name
    FROM {{ part.tables.insurance_quotation }} AS q
    WHERE q._deleted = FALSE
        {%- if not include_archived and "active" in part.columns.insurance_quotation %}
        AND COALESCE(q.active, TRUE) = TRUE
        {%- endif %}
{%- endfor %}
),

outcomes AS (
    SELECT
        q.connection,
        q.id,
        MIN(CASE WHEN p.cancelled = 0 THEN p.create_date END) AS first_policy_at,
        SUM(CASE WHEN p.cancelled = 0 AND {{ same_currency("p", "q") }}
            THEN p.total_premium_amount END) AS converted_premium,
        MAX(CASE WHEN p.cancelled = 0 THEN 1 ELSE 0 END) AS converted,
        MAX(CASE WHEN p.cancelled = 1 THEN 1 ELSE 0 END) AS any_cancelled
    FROM quotations AS q
    JOIN policies AS p ON p.connection = q.connection AND p.equotation_id = q.id
    GROUP BY q.connection, q.id
),

facts AS (
    SELECT
        q.*,
        o.first_policy_at,
        o.converted_premium,
        COALESCE(o.converted, 0) AS converted,
        CASE WHEN o.any_cancelled = 1 AND o.converted = 0 THEN 1 ELSE 0 END AS only_cancelled
    FROM quotations AS q
    LEFT JOIN outcomes AS o ON o.connection = q.connection AND o.id = q.id
)

SELECT
    connection,
    {{ month("create_date") }} AS month,
    product_id,
    product_name,
    status,
    is_renewal,
    currency_name AS currency,
    COUNT(*) AS quotations,
    SUM(converted) AS converted_quotations,
    CAST(SUM(converted) AS DOUBLE PRECISION) / COUNT(*) AS conversion_rate,
    SUM(only_cancelled) AS cancelled_policy_quotations,
    AVG(
        CASE WHEN converted = 1 THEN {{ days_between("create_date", "first_policy_at") }} END
    ) AS avg_days_to_policy,
    SUM(total_premium_amount) AS premium_quoted,
    COALESCE(SUM(converted_premium), 0) AS premium_converted,
    SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END) AS expired_quotations,
    SUM(
        CASE WHEN converted = 0
                AND status NOT IN ({{ CLOSED_QUOTATION }})
                AND {{ day("validity_date") }} < CAST(:snapshot_date AS TEXT)
            THEN 1 ELSE 0 END
    ) AS past_validity_open
FROM facts
GROUP BY
    connection, {{ month("create_date") }}, product_id, product_name, status, is_renewal,
    currency_name
