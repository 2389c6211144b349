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


# Columns that may be null: a withheld split, the folded status row, the
# length of the (other) meeting.
NULLABLE = {"requests_on_campus", "visitors_on_campus", "status", "duration_minutes",
            "human_sessions", "page_views", "pages_per_session", "bounce_rate", "major"}


def withheld(t):
    """Whether disclosure control withheld any of the table's requests."""
    s = t.get("suppression") or {}
    return any(s.get(f, 0) for f in ("partitions_withheld", "rows_withheld"))


# Every table the manifest lists is there, with the row count it says.
for t in manifest["tables"]:
    path = out / t["file"]
    (rows,) = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
    check(rows == t["rows"], f"{t['name']}: {rows} rows, manifest says {t['rows']}")
    table = pq.read_table(path)
    check(table.num_rows == t["rows"], f"pyarrow row count of {t['name']}")
    for field in table.schema:
        nullable = field.name.startswith("latency_") or field.name in NULLABLE
        check(field.nullable is nullable, f"{t['name']}.{field.name} nullability")
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
(sessions, requests, mean) = con.execute(
    f"SELECT sum(sessions), sum(requests), sum(round(sessions * requests_per_session)) FROM read_parquet('{out / 'web_sessions.parquet'}')"
).fetchone()
check(requests == mean, f"sessions hold {requests} requests but {mean} by requests per session")

# Totals agree with the manifest: every web table counts every parsed line,
# unless disclosure control withheld a day and site (or a site's small
# fold), and then it counts strictly fewer.
# Web tables count the lines of web inputs; Zoom inputs feed zoom_* tables.
parsed = sum(i["parsed"] for i in manifest["inputs"] if not (i["format"] or "").startswith("zoom"))
for t in manifest["tables"]:
    if "requests" not in column_types(t["name"]):
        continue
    (total,) = con.execute(f"SELECT sum(requests) FROM read_parquet('{out / t['file']}')").fetchone()
    total = total or 0
    if t["name"] == "web_browser_versions":
        # Only browsers that state a version are in it.
        check(0 < total < parsed, f"web_browser_versions: sum(requests) = {total} of {parsed}")
    elif not withheld(t):
        check(total == parsed, f"{t['name']}: sum(requests) = {total}, manifest parsed = {parsed}")
    else:
        check(total < parsed, f"{t['name']}: withheld rows but sum(requests) = {total}")
    k = (t.get("suppression") or {}).get("k")
    if k:
        (small,) = con.execute(
            f"SELECT count(*) FROM read_parquet('{out / t['file']}') WHERE visitors < {k}"
        ).fetchone()
        check(small == 0, f"{t['name']}: {small} rows below k = {k}")

# The web tables of a day and site add up to the same requests, whatever
# disclosure control folded or withheld: a total minus published rows is
# always a published row.
per_day = {}
for name in ["web_traffic", "web_pages", "web_status", "web_referrers", "web_clients", "web_sessions"]:
    day = "CAST(timezone('UTC', hour) AS DATE)" if name == "web_traffic" else "day"
    per_day[name] = con.execute(
        f"SELECT {day} AS d, site, sum(requests) FROM read_parquet('{out / (name + '.parquet')}') GROUP BY ALL ORDER BY ALL"
    ).fetchall()
for name, rows in per_day.items():
    check(rows == per_day["web_traffic"], f"{name} adds up differently from web_traffic per day and site")

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
