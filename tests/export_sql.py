"""Runs the shipped SQL (sql/duckdb/report.sql, sql/clickhouse/{schema,report}.sql) over
bsaudit's exports and prints what each engine answers, as JSON, for tests/export.rs.

Usage: python3 tests/export_sql.py RECORDS.parquet RECORDS.ndjson CODES.parquet
Prints {"engines": {name: [[service, code, count, class, message, max_us, first_us,
last_us], ...]}, "all": {name: [[service, code, count], ...]}} or exits 3 when a module is
missing (the message names it).
"""
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, "..", "sql")


def read(path):
    with open(os.path.join(SQL, path)) as f:
        return f.read()


def statements(script):
    """The statements of a script, comments dropped."""
    text = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def micros(value):
    """Microseconds since the epoch, truncated, of a datetime or a ClickHouse text time."""
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d+))?", value)
        base = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        base = base.replace(tzinfo=datetime.timezone.utc)
        frac = (m.group(2) or "").ljust(6, "0")[:6]
        return int((base - EPOCH).total_seconds()) * 1_000_000 + int(frac)
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def rows(result):
    # service, code, count, share, class, owner, message, description, hint, max_us, first, last
    return [[r[0], int(r[1]), int(r[2]), r[4], r[6], int(r[9]), micros(r[10]), micros(r[11])]
            for r in result]


ALL = "SELECT service, code, count(*) FROM bsaudit_records GROUP BY service, code ORDER BY 1, 2"


def duckdb_runs(records_parquet, records_ndjson, codes):
    import duckdb

    out, every = {}, {}
    con = duckdb.connect()
    con.execute(f"SET VARIABLE records = '{records_parquet}'")
    con.execute(f"SET VARIABLE codes = '{codes}'")
    out["duckdb-parquet"] = rows(con.execute(read("duckdb/report.sql")).fetchall())
    every["duckdb-parquet"] = [list(r) for r in con.execute(ALL).fetchall()]
    # The same query over NDJSON: the views read the other file, the query is the shipped one.
    report = read("duckdb/report.sql")
    query = report[report.index("WITH services"):]
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW bsaudit_records AS SELECT * REPLACE (time::TIMESTAMPTZ AS time) "
        f"FROM read_json('{records_ndjson}', format = 'newline_delimited')"
    )
    con.execute(f"CREATE VIEW bsaudit_codes AS SELECT * FROM read_parquet('{codes}')")
    out["duckdb-ndjson"] = rows(con.execute(query).fetchall())
    every["duckdb-ndjson"] = [list(r) for r in con.execute(ALL).fetchall()]
    return out, every


def chdb_runs(records_parquet, codes):
    from chdb import session

    s = session.Session()
    try:
        for st in statements(read("clickhouse/schema.sql")):
            s.query(st)
        for table, path in (("bsaudit_records", records_parquet), ("bsaudit_codes", codes)):
            desc = s.query(f"DESCRIBE file('{path}', Parquet)", "JSONEachRow").bytes().decode()
            cols = ", ".join(json.loads(line)["name"] for line in desc.splitlines() if line)
            s.query(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM file('{path}', Parquet)")
        (query,) = statements(read("clickhouse/report.sql"))
        got = s.query(query, "JSONCompact").bytes().decode()
        every = s.query(ALL.replace("count(*)", "count()"), "JSONCompact").bytes().decode()
    finally:
        s.close()
    return rows(json.loads(got)["data"]), [list(r) for r in json.loads(every)["data"]]


def main():
    records_parquet, records_ndjson, codes = sys.argv[1:4]
    try:
        engines, every = duckdb_runs(records_parquet, records_ndjson, codes)
        engines["chdb-parquet"], every["chdb-parquet"] = chdb_runs(records_parquet, codes)
    except ImportError as e:
        print(f"export_sql.py: {e}", file=sys.stderr)
        sys.exit(3)
    json.dump({"engines": engines, "all": every}, sys.stdout)


if __name__ == "__main__":
    main()
