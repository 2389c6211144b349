"""Runs every query of the README's SQL cookbook in DuckDB and checks each
answer against the same numbers computed another way: from the Parquet
files with pyarrow (no SQL), or from the manifest with the json module.

Usage: cookbook.py README FLAT_OUT PARTITIONED_OUT SUPPRESSED_OUT

FLAT_OUT is a run without a state (`out/<table>.parquet`, Zoom included);
PARTITIONED_OUT a run with a state and a weekly key epoch over the web
samples, so it holds `web_sites_weekly`. Each query runs on the flat
output (the weekly one on the partitioned output), and every daily web
query also runs on the partitioned output through the README's one-line
change, checked against references read from that output. The
accounting question also runs on SUPPRESSED_OUT, a flat run under the
default k, where disclosure control folds rows. Exits non-zero with a
message on the first mismatch."""

import collections
import datetime
import json
import math
import pathlib
import re
import sys

import duckdb
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

readme = sys.argv[1]
flat, parted, suppressed = (pathlib.Path(a) for a in sys.argv[2:5])
con = duckdb.connect()
QUESTIONS = 23


def fail(msg):
    print(f"cookbook: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def cookbook(text):
    """(number, question, sql) of every question of the README's section."""
    start = text.find("\n## SQL cookbook\n")
    check(start >= 0, "README has no '## SQL cookbook' section")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else len(text)]
    found = re.findall(r"^\*\*(\d+)\. (.+?)\*\*.*?^```sql\n(.*?)^```", section, re.S | re.M)
    blocks = section.count("```sql")
    check(len(found) == blocks, f"{blocks} sql blocks but {len(found)} numbered questions with one")
    return [(int(n), q.strip(), sql) for n, q, sql in found]


def on(sql, out):
    return sql.replace("'out/", f"'{out}/")


def partitioned(sql):
    """The README's one-line change for the day-partitioned layout."""
    return re.sub(
        r"read_parquet\('out/(\w+)\.parquet'\)",
        r"read_parquet('out/\1/*/*.parquet', hive_partitioning = true)",
        sql,
    )


# The output the references read: each question is checked on each layout
# against that layout's own files (a state run holds back a last line
# without its newline, so the two runs need not agree with each other).
source = flat


def table(name):
    """A table of `source` as a list of row dicts, read by pyarrow; a
    folder (a partitioned table) is read as a Hive dataset, its `day`,
    `week` or `month` key turned into a date."""
    path = source / f"{name}.parquet"
    if path.exists():
        return pq.read_table(path).to_pylist()
    rows = ds.dataset(source / name, format="parquet", partitioning="hive").to_table().to_pylist()
    for r in rows:
        for key in ("day", "week", "month"):
            if isinstance(r.get(key), str):
                r[key] = datetime.date.fromisoformat(r[key])
    return rows


def same(a, b):
    """Equality of results, floats within rounding of the last digit."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def day_of(hour):
    return hour.astimezone(datetime.timezone.utc).date()


def sums(rows, key, *measures, where=lambda r: True):
    """Sums of `measures` per `key(row)`, over the rows `where` keeps."""
    out = collections.defaultdict(lambda: [0] * len(measures))
    for r in rows:
        if where(r):
            acc = out[key(r)]
            for i, m in enumerate(measures):
                acc[i] += r[m]
    return out


def manifest():
    return json.loads((source / "_manifest.json").read_text())


# The references: each question's answer, computed without SQL.


def top_pages():
    pages = table("web_pages")
    last = max(r["day"] for r in pages) - datetime.timedelta(days=7)
    acc = {}
    for r in pages:
        if r["day"] > last and r["class"] == "page":
            req, vis = acc.get((r["site"], r["path"]), (0, 0))
            human = r["requests"] - r["bot_requests"]
            acc[(r["site"], r["path"])] = (req + human, max(vis, r["visitors"]))
    rows = sorted(((s, p, q, v) for (s, p), (q, v) in acc.items() if q > 0), key=lambda t: (-t[2], t[0], t[1]))
    # Another way round: the pages' bot requests of a day are the bot
    # classes' requests in web_clients.
    bots = sums(pages, lambda r: (r["day"], r["site"]), "bot_requests")
    clients = sums(table("web_clients"), lambda r: (r["day"], r["site"]), "requests", where=lambda r: r["is_bot"])
    check({k: v for k, v in bots.items() if v[0]} == {k: v for k, v in clients.items() if v[0]},
          "web_pages bot_requests differ from web_clients' bot requests")
    check(any(r["class"] == "static" for r in pages), "the samples have static files, the classes none")
    return rows[:20]


def daily_uniques():
    traffic = table("web_traffic")
    rows = sorted((r["day"], r["site"], r["visitors"]) for r in table("web_sessions"))
    # Another way round: a day's distinct visitors lie between its busiest
    # hour's and the sum of its hours' visitors.
    hourly = collections.defaultdict(list)
    for r in traffic:
        hourly[(day_of(r["hour"]), r["site"])].append(r["visitors"])
    for day, site, visitors in rows:
        hours = hourly[(day, site)]
        check(max(hours) <= visitors <= sum(hours), f"uniques of {day} {site}: {visitors} vs hours {hours}")
    return rows


def not_found():
    pages = table("web_pages")
    acc = sums(pages, lambda r: (r["site"], r["path"]), "not_found", "requests")
    rows = sorted(((s, p, n, q) for (s, p), (n, q) in acc.items() if n > 0), key=lambda t: (-t[2], t[0], t[1]))
    # Another way round: a day's 404s are web_status's 404 row, unless
    # small statuses were folded into its null row.
    per_day = sums(pages, lambda r: (r["day"], r["site"]), "not_found")
    status = table("web_status")
    folded = {(r["day"], r["site"]) for r in status if r["status"] is None}
    by_status = sums(status, lambda r: (r["day"], r["site"]), "requests", where=lambda r: r["status"] == 404)
    for key, (n,) in per_day.items():
        if key not in folded:
            check(n == by_status.get(key, [0])[0], f"404s of {key}: pages {n}, web_status {by_status.get(key)}")
    return rows[:20]


def error_pages():
    acc = sums(table("web_pages"), lambda r: (r["site"], r["path"]), "errors", "requests")
    rows = [(s, p, e, q, round(e / q, 3)) for (s, p), (e, q) in acc.items() if e > 0]
    traffic = table("web_traffic")
    errors = sum(e for e, _ in acc.values())
    check(errors == sum(r["status_4xx"] + r["status_5xx"] for r in traffic), "errors differ from 4xx + 5xx")
    return sorted(rows, key=lambda t: (-t[2], t[0], t[1]))[:20]


def bot_share():
    acc = sums(table("web_clients"), lambda r: (r["day"], r["site"]), "requests")
    bots = sums(table("web_clients"), lambda r: (r["day"], r["site"]), "requests", where=lambda r: r["is_bot"])
    traffic = sums(table("web_traffic"), lambda r: (day_of(r["hour"]), r["site"]), "requests", "bot_requests")
    check({k: [v[0]] for k, v in traffic.items()} == dict(acc), "web_clients requests per day differ from web_traffic's")
    check(all(traffic[k][1] == bots[k][0] for k in acc), "web_traffic bot_requests differ from web_clients' bots")
    check(any(v[0] for v in bots.values()), "the samples have bots, the reference none")
    return [(d, s, bots[(d, s)][0], q, round(bots[(d, s)][0] / q, 3)) for (d, s), (q,) in sorted(acc.items())]


def referrers():
    acc = sums(table("web_referrers"), lambda r: r["referrer_host"], "requests",
               where=lambda r: r["referrer_host"] not in ("(direct)", "(other)"))
    return sorted(((h, q) for h, (q,) in acc.items()), key=lambda t: (-t[1], t[0]))[:20]


def search_terms():
    acc = {}
    for r in table("web_search_terms"):
        if r["term"] not in ("(other)", "(redacted)"):
            n, s = acc.get(r["term"], (0, 0))
            acc[r["term"]] = (n + r["searches"], max(s, r["searchers"]))
    return sorted(((t, n, s) for t, (n, s) in acc.items()), key=lambda t: (-t[1], t[0]))[:20]


def sessions():
    rows = []
    for r in sorted(table("web_sessions"), key=lambda r: (r["day"], r["site"])):
        human = r["human_sessions"]
        rows.append((r["day"], r["site"], r["sessions"], r["visitors"], human,
                     None if human is None else round(r["pages_per_session"], 2),
                     float(round(r["median_session_seconds"])),
                     None if human is None else round(r["bounce_rate"], 3)))
        if human is not None:
            check(human <= r["sessions"], "more human sessions than sessions")
            check(r["bounce_rate"] * human <= r["page_views"], "more bounces than page views")
            check(r["page_views"] <= r["requests"], "more page views than requests")
    return rows


def busiest_hours():
    rows = [(r["hour"], r["hours"], r["site"], r["requests"], r["requests"] / r["hours"]) for r in table("web_traffic")]
    return sorted(rows, key=lambda t: (-t[4], t[0], t[2]))[:10]


def status_mix():
    # From web_traffic's class columns, not from web_status.
    traffic = table("web_traffic")
    classes = {f"{c}xx": sum(r[f"status_{c}xx"] for r in traffic) for c in (2, 3, 4, 5)}
    total = sum(r["requests"] for r in traffic)
    parsed = sum(i["parsed"] for i in manifest()["inputs"] if not (i["format"] or "").startswith("zoom"))
    check(total == parsed, f"web_traffic holds {total} requests, the manifest {parsed} web lines")
    return classes, total


def check_status_mix(got, ref):
    classes, total = ref
    by_class = {c: (n, s) for c, n, s in got}
    check(sum(n for n, _ in by_class.values()) == total, "status classes do not add up to the requests")
    for c, n in classes.items():
        if n:
            check(by_class.get(c, (0,))[0] == n, f"class {c}: {by_class.get(c)} vs web_traffic's {n}")
            check(same(by_class[c][1], round(n / total, 4)), f"share of {c}")


def clients():
    acc = sums(table("web_clients"), lambda r: (r["browser"], r["os"], r["device"]), "requests",
               where=lambda r: not r["is_bot"])
    return sorted(((b, o, d, q) for (b, o, d), (q,) in acc.items()), key=lambda t: (-t[3], t[0], t[1], t[2]))[:20]


def on_campus():
    kept = lambda r: r["requests_on_campus"] is not None
    acc = sums(table("web_traffic"), lambda r: (day_of(r["hour"]), r["site"]), "requests_on_campus", "requests", where=kept)
    check(any(c for c, _ in acc.values()), "the test's policy names an on-campus network, yet nothing is on campus")
    return [(d, s, c, q, round(c / q, 3)) for (d, s), (c, q) in sorted(acc.items())]


def latency():
    rows = [(r["hour"], r["site"], r["requests"], r["latency_p50_ms"], r["latency_p95_ms"], r["latency_p99_ms"])
            for r in table("web_traffic") if r["latency_p95_ms"] is not None]
    check(rows, "the samples log response times, the reference has none")
    return sorted(rows, key=lambda t: (-t[4], t[0], t[1]))


def per_visitor():
    # Requests from web_traffic's hours, visitors from web_sessions.
    requests = sums(table("web_traffic"), lambda r: (day_of(r["hour"]), r["site"]), "requests")
    rows = []
    for r in sorted(table("web_sessions"), key=lambda r: (r["day"], r["site"])):
        q = requests[(r["day"], r["site"])][0]
        rows.append((r["day"], r["site"], q, r["visitors"], round(q / r["visitors"], 2)))
    return rows


def weekly():
    weeks = table("web_sites_weekly")
    daily = table("web_sessions")
    rows = []
    for w in sorted(weeks, key=lambda r: (r["week"], r["site"])):
        week = w["week"]
        days = [d for d in daily if d["site"] == w["site"] and week <= d["day"] < week + datetime.timedelta(days=7)]
        # A week's uniques lie between its busiest day's and the sum of its days'.
        check(max(d["visitors"] for d in days) <= w["visitors"] <= sum(d["visitors"] for d in days),
              f"weekly visitors of {week} {w['site']} outside its days' bounds")
        check(w["sessions"] == sum(d["sessions"] for d in days), f"weekly sessions of {week} {w['site']}")
        rows.append((week, w["site"], w["visitors"], w["sessions"], w["requests"]))
    check(any(r[2] < sum(d["visitors"] for d in daily if d["site"] == r[1]
                         and r[0] <= d["day"] < r[0] + datetime.timedelta(days=7)) for r in rows),
          "no visitor came back within a week: the weekly question is not exercised")
    return rows


def zoom_meetings():
    acc = {}
    for r in table("zoom_meetings"):
        m, p, mins = acc.get(r["day"], (0, 0, 0.0))
        acc[r["day"]] = (m + (r["meeting"] != "(other)"), p + r["unique_participants"], mins + r["participant_minutes"])
    return [(d, m, p, float(round(mins))) for d, (m, p, mins) in sorted(acc.items())]


def attendance():
    acc = sums(table("zoom_attendance"), lambda r: r["affiliation"], "users", "sessions", "minutes")
    rows = [(a, u, s, float(round(m))) for a, (u, s, m) in acc.items()]
    return sorted(rows, key=lambda t: (-t[3], t[0]))


def concurrency():
    acc = {}
    for r in table("zoom_concurrency"):
        peak, joins = acc.get(day_of(r["hour"]), (0, 0))
        acc[day_of(r["hour"])] = (max(peak, r["peak_concurrent"]), joins + r["joins"])
    return [(d, p, j) for d, (p, j) in sorted(acc.items())]


def signins():
    acc = sums(table("zoom_signins"), lambda r: r["client_type"], "events", where=lambda r: r["type"] == "sign in")
    return sorted(((c, n) for c, (n,) in acc.items()), key=lambda t: (-t[1], t[0]))


def accounting():
    m = manifest()
    t = m["totals"]
    check(t["lines"] == t["parsed"] + t["rejected"] + t["skipped"], "manifest totals do not add up")
    tables = m["tables"]
    if source == suppressed:
        check(any(x["suppression"]["rows_folded"] for x in tables), "the default k folds no row of the samples")
    return [(t["inputs"], t["lines"], t["parsed"], t["rejected"], t["skipped"],
             sum(x["rows"] for x in tables),
             sum(x["suppression"]["rows_folded"] for x in tables),
             sum(x["suppression"]["rows_withheld"] for x in tables))]


def versions():
    acc = sums(table("web_browser_versions"), lambda r: (r["browser"], r["major"]), "requests",
               where=lambda r: r["major"] is not None)
    check(acc, "the samples' browsers state versions, the reference has none")
    return sorted(((b, m, q) for (b, m), (q,) in acc.items()), key=lambda t: (-t[2], t[0], t[1]))[:20]


def slowest_pages():
    rows = [(r["day"], r["site"], r["path"], r["requests"], r["latency_p50_ms"], r["latency_p95_ms"])
            for r in table("web_pages") if r["latency_p95_ms"] is not None and r["class"] == "page"]
    check(rows, "the samples log response times, the reference has no timed page")
    return sorted(rows, key=lambda t: (-t[5], t[0], t[1], t[2]))[:20]


def methods():
    columns = ["get_requests", "post_requests", "head_requests", "other_method_requests",
               "http1_requests", "http2_requests", "http3_requests"]
    acc = sums(table("web_traffic"), lambda r: r["site"], *columns)
    for site, v in acc.items():
        check(sum(v[:4]) == sum(r["requests"] for r in table("web_traffic") if r["site"] == site),
              f"{site}: the method columns do not add up to the requests")
    return [(site, *v) for site, v in sorted(acc.items())]


REFERENCES = {
    1: top_pages, 2: daily_uniques, 3: not_found, 4: error_pages, 5: bot_share,
    6: referrers, 7: search_terms, 8: sessions, 9: busiest_hours, 10: status_mix,
    11: clients, 12: on_campus, 13: latency, 14: per_visitor, 15: weekly,
    16: zoom_meetings, 17: attendance, 18: concurrency, 19: signins, 20: accounting,
    21: versions, 22: slowest_pages, 23: methods,
}
# Checks that are not a row-for-row comparison.
CHECKERS = {10: check_status_mix}
# Questions on tables a run with a state does not publish (Zoom).
FLAT_ONLY = {16, 17, 18, 19}
ACCOUNTING = 20



def answer(n, question, sql, out):
    """Runs question `n` on `out` and checks it against its reference
    computed from the same output."""
    global source
    source = out
    try:
        got = con.execute(on(sql, out)).fetchall()
    except duckdb.Error as e:
        fail(f"question {n} ({question}) does not run on {out.name}: {e}")
    check(got, f"question {n} ({question}) returns no row on {out.name}")
    ref = REFERENCES[n]()
    if n in CHECKERS:
        CHECKERS[n](got, ref)
    else:
        check(same(got, ref), f"question {n} ({question}) on {out.name}:\n  DuckDB:    {got}\n  reference: {ref}")


questions = cookbook(pathlib.Path(readme).read_text())
check([n for n, _, _ in questions] == list(range(1, QUESTIONS + 1)),
      f"the cookbook numbers its questions {[n for n, _, _ in questions]}, not 1 to {QUESTIONS}")
for n, question, sql in questions:
    if "_weekly" in sql:
        answer(n, question, sql, parted)
        continue
    answer(n, question, sql, flat)
    if n == ACCOUNTING:
        answer(n, question, sql, parted)
        answer(n, question, sql, suppressed)
    elif n not in FLAT_ONLY:
        answer(n, question, partitioned(sql), parted)
print(f"cookbook: ok ({len(questions)} questions, each on both layouts where it applies)")
