"""Reads logveil's outputs the way BI users do (DuckDB and pyarrow) and
checks them against the manifest. Usage: read_back.py OUT_DIR

Exits non-zero with a message on the first mismatch."""

import json
import pathlib
import sys

import duckdb
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
manifest = json.loads((out / "_manifest.json").read_text())
con = duckdb.connect()


def check(cond, msg):
    if not cond:
        print(f"read_back: FAILED: {msg}", file=sys.stderr)
        sys.exit(1)


# Every table the manifest lists is there, with the row count it says.
for t in manifest["tables"]:
    path = out / t["file"]
    (rows,) = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
    check(rows == t["rows"], f"{t['name']}: {rows} rows, manifest says {t['rows']}")
    table = pq.read_table(path)
    check(table.num_rows == t["rows"], f"pyarrow row count of {t['name']}")
    for field in table.schema:
        check(field.nullable is field.name.startswith("latency_"), f"{t['name']}.{field.name} nullability")
        check(field.metadata and b"description" in field.metadata, f"{t['name']}.{field.name} has no description")

# Types as documented.
def column_types(table):
    path = str(out / f"{table}.parquet")
    return {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()}


traffic = column_types("web_traffic")
check(traffic["hour"] == "TIMESTAMP WITH TIME ZONE", f"hour is {traffic['hour']}")
check(traffic["requests"] == "BIGINT", f"requests is {traffic['requests']}")
check(column_types("web_pages")["day"] == "DATE", "day is not DATE")
check(column_types("web_clients")["is_bot"] == "BOOLEAN", "is_bot is not BOOLEAN")
check(column_types("web_sessions")["bounce_rate"] == "DOUBLE", "bounce_rate is not DOUBLE")
(sessions, requests) = con.execute(
    f"SELECT sum(sessions), sum(round(sessions * pages_per_session)) FROM read_parquet('{out / 'web_sessions.parquet'}')"
).fetchone()
web_parsed = sum(i["parsed"] for i in manifest["inputs"] if not (i["format"] or "").startswith("zoom"))
check(requests == web_parsed, f"sessions cover {requests} requests, not all {web_parsed} parsed web lines")

# Totals agree with the manifest. Tables without small-group suppression
# count every parsed line; suppressed tables do too unless an "(other)" row
# was withheld, and then they count strictly fewer.
# Web tables count the lines of web inputs; Zoom inputs feed zoom_* tables.
parsed = sum(i["parsed"] for i in manifest["inputs"] if not (i["format"] or "").startswith("zoom"))
for t in manifest["tables"]:
    if "requests" not in column_types(t["name"]):
        continue
    (total,) = con.execute(f"SELECT sum(requests) FROM read_parquet('{out / t['file']}')").fetchone()
    total = total or 0
    withheld = (t.get("suppression") or {}).get("other_rows_withheld", 0)
    if withheld == 0:
        check(total == parsed, f"{t['name']}: sum(requests) = {total}, manifest parsed = {parsed}")
    else:
        check(total < parsed, f"{t['name']}: withheld rows but sum(requests) = {total}")
    k = (t.get("suppression") or {}).get("k")
    if k:
        (small,) = con.execute(
            f"SELECT count(*) FROM read_parquet('{out / t['file']}') WHERE visitors < {k}"
        ).fetchone()
        check(small == 0, f"{t['name']}: {small} rows below k = {k}")

# The README's example query runs and gives a timezone-aware UTC hour.
rows = con.execute(f"""
    SELECT hour, site, requests, visitors
    FROM read_parquet('{out / "web_traffic.parquet"}')
    ORDER BY requests DESC LIMIT 5
""").fetchall()
check(len(rows) > 0 and rows[0][0].tzinfo is not None, "busiest hours query")

# pandas-style access through pyarrow: dates come back as dates.
day = pq.read_table(out / "web_status.parquet").column("day")[0].as_py()
check(hasattr(day, "isoformat") and not hasattr(day, "hour"), f"day decoded as {type(day)}")
print(f"read_back: ok ({len(manifest['tables'])} tables, {parsed} requests)")
