-- Tables for bsaudit's exports in ClickHouse (or chDB).
--
-- Load a node's export (columns are matched by name; without --with-headers the two header
-- columns stay NULL):
--   clickhouse-client --query "INSERT INTO bsaudit_records FORMAT Parquet" < node1.parquet
--   clickhouse-client --query "INSERT INTO bsaudit_codes FORMAT Parquet" < codes.parquet
--
-- Ordered by (service, code, time): the report's GROUP BY service, code reads in key order,
-- and a window on time prunes granules within each group.

CREATE TABLE IF NOT EXISTS bsaudit_records
(
    node        LowCardinality(String),
    service     LowCardinality(String),
    module_host LowCardinality(Nullable(String)),
    time        DateTime64(9, 'UTC'),
    method      LowCardinality(String),
    path        String CODEC(ZSTD(1)),
    api         LowCardinality(String),
    code        Int32,
    class       LowCardinality(String),
    duration_us UInt64,
    resp_len    UInt64,
    host        LowCardinality(Nullable(String)),
    remote      LowCardinality(Nullable(String)),
    trace_id    Nullable(String),
    disk        Nullable(UInt64),
    vuid        Nullable(UInt64),
    bid         Nullable(UInt64),
    file        LowCardinality(String),
    line        UInt64,
    req_header  Nullable(String) CODEC(ZSTD(1)),
    resp_header Nullable(String) CODEC(ZSTD(1))
)
ENGINE = MergeTree
ORDER BY (service, code, time);

CREATE TABLE IF NOT EXISTS bsaudit_codes
(
    code        Int32,
    owner       LowCardinality(String),
    class       LowCardinality(String),
    origin      LowCardinality(String),
    message     String,
    description String,
    hint        String
)
ENGINE = MergeTree
ORDER BY code;
