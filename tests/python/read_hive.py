"""Reads logveil's day-partitioned outputs the way BI users do: each table
directory as one Hive-partitioned dataset, with DuckDB and pyarrow.
Usage: read_hive.py OUT_DIR EXPECTED_JSON, where EXPECTED_JSON maps each
table to its rows per day ({"web_pages": {"2026-03-01": 3, ...}, ...}).

Exits non-zero with a message on the first mismatch."""

import datetime
import json
import pathlib
import sys

import duckdb
import pyarrow.dataset as ds

out = pathlib.Path(sys.argv[1])
expected = json.loads(sys.argv[2])
con = duckdb.connect()


def check(cond, msg):
    if not cond:
        print(f"read_hive: FAILED: {msg}", file=sys.stderr)
        sys.exit(1)


for table, by_day in expected.items():
    glob = str(out / table / "**" / "*.parquet")
    # DuckDB: the glob with hive_partitioning gives `day` back as a DATE.
    rows = con.execute(
        "SELECT day, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY day ORDER BY day",
        [glob],
    ).fetchall()
    got = {d.isoformat() if isinstance(d, datetime.date) else d: n for d, n in rows}
    check(got == by_day, f"DuckDB {table}: {got} != {by_day}")
    types = dict(
        (r[0], r[1])
        for r in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = true)", [glob]
        ).fetchall()
    )
    check(types.get("day") == "DATE", f"DuckDB {table}: day is {types.get('day')}")
    if table == "web_traffic":
        check(types.get("hour", "").startswith("TIMESTAMP"), f"DuckDB {table}: hour is {types.get('hour')}")

    # pyarrow: the table directory as a dataset with Hive partitioning.
    data = ds.dataset(out / table, format="parquet", partitioning="hive").to_table()
    check("day" in data.column_names, f"pyarrow {table}: no day column in {data.column_names}")
    counts = {}
    for d in data.column("day").to_pylist():
        key = d.isoformat() if isinstance(d, datetime.date) else str(d)
        counts[key] = counts.get(key, 0) + 1
    check(counts == by_day, f"pyarrow {table}: {counts} != {by_day}")

print("read_hive: ok")
