-- bsaudit's default report in ClickHouse: errors (class client or server) per (service, code),
-- most first, ties by service then code, with the code table's meaning; the same numbers as
-- `bsaudit report --top 0 --format json`. Tables: schema.sql.

WITH services AS
(
    SELECT service, count() AS requests FROM bsaudit_records GROUP BY service
),
groups AS
(
    SELECT service, code, any(class) AS code_class, count() AS n,
           max(duration_us) AS max_us, min(time) AS first_seen, max(time) AS last_seen,
           sum(resp_len) AS resp_bytes
    FROM bsaudit_records
    WHERE bsaudit_records.class IN ('client', 'server')
    GROUP BY service, code
)
SELECT g.service AS service, g.code AS code, g.n AS count,
       g.n / s.requests AS share, g.code_class AS class,
       c.owner AS owner, c.message AS message, c.description AS description, c.hint AS hint,
       g.max_us AS max_us, g.first_seen AS first_seen, g.last_seen AS last_seen,
       g.resp_bytes AS resp_bytes
FROM groups AS g
INNER JOIN services AS s ON s.service = g.service
LEFT JOIN bsaudit_codes AS c ON c.code = g.code
ORDER BY count DESC, service ASC, code ASC;
