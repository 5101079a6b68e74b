-- Quotations per creation month, product, status and renewal flag. A quotation is
-- converted when a live policy names it in `equotation_id`; its conversion date is
-- the first such policy's creation, and its converted premium the sum of those
-- policies' premiums. Expired unconverted: validity date before the snapshot date
-- and no policy.
WITH policies AS (
    SELECT
        equotation_id,
        MIN(create_date) AS first_policy_at,
        SUM(total_premium_amount) AS premium
    FROM odoo_policy
    WHERE _deleted = FALSE AND equotation_id IS NOT NULL
    GROUP BY equotation_id
),

quotations AS (
    SELECT
        q.*,
        p.first_policy_at,
        p.premium AS converted_premium,
        CASE WHEN p.equotation_id IS NULL THEN 0 ELSE 1 END AS converted
    FROM odoo_insurance_quotation AS q
    LEFT JOIN policies AS p ON p.equotation_id = q.id
    WHERE q._deleted = FALSE
)

SELECT
    {{ month("create_date") }} AS month,
    product_id,
    product_name,
    status,
    is_renewal,
    COUNT(*) AS quotations,
    SUM(converted) AS converted_quotations,
    CAST(SUM(converted) AS DOUBLE PRECISION) / COUNT(*) AS conversion_rate,
    AVG(
        CASE WHEN converted = 1 THEN {{ days_between("create_date", "first_policy_at") }} END
    ) AS avg_days_to_policy,
    SUM(total_premium_amount) AS premium_quoted,
    COALESCE(SUM(converted_premium), 0) AS premium_converted,
    SUM(
        CASE WHEN converted = 0 AND {{ day("validity_date") }} < CAST(:snapshot_date AS TEXT)
            THEN 1 ELSE 0 END
    ) AS expired_unconverted
FROM quotations
GROUP BY {{ month("create_date") }}, product_id, product_name, status, is_renewal
