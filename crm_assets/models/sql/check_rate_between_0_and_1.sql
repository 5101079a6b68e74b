-- Rows whose rate lies outside [0, 1].
SELECT *
FROM {{ table }}
WHERE {{ column }} < 0 OR {{ column }} > 1
