"""What disclosure control costs in rows: runs two logveil binaries (say,
before and after a change) over the same logs with the default policy and
prints, per web table, the rows published (and how many describe fewer than
10 people), the requests they add up to, and what the manifest says
disclosure control did. Not part of CI.

Usage: python3 benches/disclosure_cost.py OLD_BINARY NEW_BINARY LOG...
Needs pyarrow."""

import json
import os
import subprocess
import sys
import tempfile

import pyarrow.parquet as pq

TABLES = ["web_traffic", "web_pages", "web_status", "web_referrers",
          "web_clients", "web_search_terms", "web_sessions"]


def publish(binary, logs, out):
    subprocess.run([binary, "run", *logs, "--out", out, "-q"], capture_output=True, check=False)
    manifest = json.load(open(os.path.join(out, "_manifest.json")))
    result = {}
    for table in TABLES:
        path = os.path.join(out, table + ".parquet")
        if not os.path.exists(path):
            continue
        rows = pq.read_table(path).to_pylist()
        people = "searchers" if table == "web_search_terms" else "visitors"
        small = sum(1 for r in rows if (r.get(people) or 0) < 10) if rows and people in rows[0] else "no count"
        requests = sum(r.get("requests", r.get("searches")) or 0 for r in rows)
        report = next((t.get("suppression") for t in manifest["tables"] if t["name"] == table), None) or {}
        did = {k: v for k, v in report.items() if k != "k" and v}
        result[table] = (len(rows), small, requests, did)
    return result


def main():
    old_bin, new_bin, *logs = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        old = publish(old_bin, logs, os.path.join(tmp, "old"))
        new = publish(new_bin, logs, os.path.join(tmp, "new"))
    print("| table | rows before (< 10 people) | requests before | rows after (< 10) | requests after | disclosure control |")
    print("|---|---|---|---|---|---|")
    for table in TABLES:
        o, n = old.get(table), new.get(table)
        if o and n:
            print(f"| {table} | {o[0]} ({o[1]}) | {o[2]} | {n[0]} ({n[1]}) | {n[2]} | {n[3]} |")


if __name__ == "__main__":
    main()
