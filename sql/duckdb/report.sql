-- bsaudit's default report in DuckDB: errors (class client or server) per (service, code),
-- most first, ties by service then code, with the code table's meaning. The same numbers as
-- `bsaudit report --top 0 --format json` over the same logs and filters.
--
-- Inputs: the exported records and the code table (`bsaudit codes --format parquet -o ...`).
-- Set their paths (globs work) before reading this file, e.g.
--   duckdb -cmd "SET VARIABLE records = 'exports/*.parquet'; SET VARIABLE codes = 'codes.parquet'" \
--       < sql/duckdb/report.sql
-- Without them it reads records.parquet and codes.parquet in the current directory.

CREATE OR REPLACE TEMP VIEW bsaudit_records AS
    SELECT * FROM read_parquet(coalesce(getvariable('records'), 'records.parquet'));
CREATE OR REPLACE TEMP VIEW bsaudit_codes AS
    SELECT * FROM read_parquet(coalesce(getvariable('codes'), 'codes.parquet'));

WITH services AS (
    SELECT service, count(*) AS requests FROM bsaudit_records GROUP BY service
),
groups AS (
    SELECT service, code, any_value(class) AS class, count(*) AS count,
           max(duration_us) AS max_us, min(time) AS first_seen, max(time) AS last_seen,
           sum(resp_len) AS resp_bytes
    FROM bsaudit_records
    WHERE class IN ('client', 'server')
    GROUP BY service, code
)
SELECT g.service, g.code, g.count, g.count / s.requests AS share, g.class,
       c.owner, c.message, c.description, c.hint,
       g.max_us, g.first_seen, g.last_seen, g.resp_bytes
FROM groups g
JOIN services s USING (service)
LEFT JOIN bsaudit_codes c ON c.code = g.code
ORDER BY g.count DESC, g.service, g.code;
