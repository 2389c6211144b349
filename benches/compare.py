#!/usr/bin/env python3
"""Helper for benches/compare.sh: the DuckDB workload, the agreement checks
and the results table. Not part of CI; see benches/README.md.

    compare.py sql --log FILE --out DIR --threads N   print the DuckDB workload SQL
    compare.py run-sql FILE.sql                       run it with the python duckdb module
    compare.py manifest-ok DIR                        may logveil's exit code 2 stand?
    compare.py check ...                              do the tools agree? (exit 3: no)
    compare.py table ...                              print the timing table

Only the standard library is needed, except for `run-sql` and `check`,
which need the python `duckdb` module.
"""

import argparse
import glob
import json
import os
import re
import sys

# The reference workload: one regular expression per line pulls out client,
# timestamp, request path and status, and only lines that match the whole
# Combined layout (both trailing quoted fields closed) with a real timestamp
# count. Paths are cut at `?`, `#` and the first space; nothing else is
# normalised.
STRICT_RE = (
    r'^(\S+) \S+ \S+ \[([^\]]+)\] "(?:[A-Z]+ ([^ ?#"\\]*))?(?:[^"\\]|\\.)*" '
    r'(\d{3}) (?:\d+|-) "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*"'
)

# GoAccess's acceptance rules, as far as they matter for `logveil gen` output
# (GoAccess 1.7, --log-format=COMBINED): the time is checked with strptime
# ("%T" takes seconds 60 and 61), and a user agent without its closing quote
# is accepted and recorded as "-". Used only to explain differences.
GOACCESS_RE = (
    r'^(\S+) \S+ \S+ \[([^:\]]+):([^ \]]+) [^\]]*\] "(?:[^"\\]|\\.)*" '
    r'(\d{3}) (?:\d+|-) "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)(")?'
)


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def read_lines(log):
    # One VARCHAR column per line: a delimiter that does not occur in a
    # well-formed line, no quoting, no type sniffing. strict_mode = false
    # keeps a garbage line that contains \x01 (a TLS handshake) as its first
    # part instead of failing the read; such lines never match the regex.
    # ignore_errors = true skips lines that are not UTF-8 (binary garbage
    # in a real log), which otherwise fail the whole read: DuckDB's own
    # error message suggests it.
    return (
        f"read_csv({sql_str(log)}, columns = {{'line': 'VARCHAR'}}, header = false,\n"
        "                  auto_detect = false, delim = E'\\x01', quote = '', escape = '',\n"
        "                  new_line = '\\n', strict_mode = false, ignore_errors = true)"
    )


def workload_sql(log, out, threads):
    o = lambda name: sql_str(os.path.join(out, name + ".parquet"))  # noqa: E731
    return f"""SET threads = {int(threads)};
SET TimeZone = 'UTC';
CREATE TEMP TABLE hits AS
SELECT * FROM (
  SELECT f.ip AS ip,
         try_strptime(f.ts, '%d/%b/%Y:%H:%M:%S %z') AS ts,
         f.path AS path,
         CAST(f.status AS INTEGER) AS status
  FROM (
    SELECT regexp_extract(line,
      {sql_str(STRICT_RE)},
      ['ip', 'ts', 'path', 'status']) AS f
    FROM {read_lines(log)}
  )
  WHERE f.status <> ''
)
WHERE ts IS NOT NULL;
COPY (SELECT date_trunc('hour', ts) AS hour, count(*) AS hits, count(DISTINCT ip) AS ips
      FROM hits GROUP BY ALL ORDER BY hour)
  TO {o('hits_per_hour')} (FORMAT parquet);
COPY (SELECT status, count(*) AS hits FROM hits GROUP BY ALL ORDER BY status)
  TO {o('hits_per_status')} (FORMAT parquet);
COPY (SELECT path, count(*) AS hits FROM hits GROUP BY ALL ORDER BY hits DESC, path)
  TO {o('hits_per_path')} (FORMAT parquet);
COPY (SELECT CAST(ts AS DATE) AS day, count(DISTINCT ip) AS ips
      FROM hits GROUP BY GROUPING SETS ((day), ()) ORDER BY day NULLS LAST)
  TO {o('distinct_ips')} (FORMAT parquet);
"""


def cmd_sql(a):
    sys.stdout.write(workload_sql(a.log, a.out, a.threads))


def cmd_run_sql(a):
    import duckdb

    with open(a.file, encoding="utf-8") as f:
        duckdb.connect().execute(f.read())


def cmd_manifest_ok(a):
    """Exit 0 when logveil's exit code 2 is only about rejected lines."""
    with open(os.path.join(a.dir, "_manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    t = m.get("totals", {})
    failed = t.get("inputs_failed", 0) or any(i.get("error") for i in m.get("inputs", []))
    if t.get("rejected", 0) > 0 and not failed and not m.get("problems"):
        print(f"logveil exit 2: {t['rejected']} rejected lines, no failed input (expected)")
        return 0
    print(
        f"logveil exit 2 without the rejected lines that would explain it: "
        f"rejected={t.get('rejected')} inputs_failed={t.get('inputs_failed')} "
        f"problems={m.get('problems')}",
        file=sys.stderr,
    )
    return 1


# ---------------------------------------------------------------- checks


class Checks:
    def __init__(self):
        self.counts = {"PASS": 0, "WARN": 0, "MISMATCH": 0}

    def say(self, status, what, detail=""):
        if status in self.counts:
            self.counts[status] += 1
        line = f"  {status:<8} {what}"
        if detail:
            line += f": {detail}"
        print(line)

    def equal(self, what, values, explain=None):
        """values: list of (label, number); PASS when all are equal."""
        text = ", ".join(f"{label} {fmt_int(v)}" for label, v in values)
        if len({v for _, v in values}) == 1:
            self.say("PASS", what, text)
            return True
        self.say("MISMATCH", what, text + (f" ({explain})" if explain else ""))
        return False

    def rows_equal(self, what, con, left, right, keys, unit):
        """left, right: SQL with columns (key..., v). PASS when every key has
        the same v on both sides (missing counts as 0)."""
        k = ", ".join(keys)
        on = " AND ".join(f"l.{c} IS NOT DISTINCT FROM r.{c}" for c in keys)
        diff = con.execute(
            f"""SELECT count(*) AS n,
                       count(*) FILTER (WHERE l.v IS NOT NULL AND r.v IS NOT NULL) AS both_,
                       any_value(coalesce(l.{keys[0]}, r.{keys[0]})::VARCHAR) AS example,
                       any_value(coalesce(l.v, 0)) AS lv, any_value(coalesce(r.v, 0)) AS rv
                FROM ({left}) l FULL OUTER JOIN ({right}) r ON {on}
                WHERE coalesce(l.v, 0) <> coalesce(r.v, 0)"""
        ).fetchone()
        total = con.execute(f"SELECT count(*) FROM ({left})").fetchone()[0]
        if diff[0] == 0:
            self.say("PASS", what, f"all {total} {unit} equal")
            return True
        self.say(
            "MISMATCH",
            what,
            f"{diff[0]} of {total} {unit} differ (e.g. {k} {diff[2]}: {diff[3]} vs {diff[4]})",
        )
        return False


def fmt_int(v):
    return f"{int(v):,}" if v is not None else "n/a"


def parquet(path):
    return f"read_parquet({sql_str(path)})"


def threads_of(path, prefix):
    m = re.search(re.escape(prefix) + r"(\d+)$", path)
    return int(m.group(1)) if m else 0


def cmd_check(a):
    try:
        import duckdb
    except ImportError:
        print("  SKIPPED  agreement checks: the python duckdb module is missing (pip install duckdb)")
        return 0
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    c = Checks()
    out = a.out

    lv_dirs = sorted(glob.glob(os.path.join(out, "logveil-j*")), key=lambda p: threads_of(p, "-j"))
    lv_dirs = [d for d in lv_dirs if os.path.isdir(d)]
    dd_dirs = sorted(glob.glob(os.path.join(out, "duckdb-t*")), key=lambda p: threads_of(p, "-t"))
    dd_dirs = [d for d in dd_dirs if os.path.isfile(os.path.join(d, "hits_per_hour.parquet"))]
    ga_reports = sorted(
        glob.glob(os.path.join(out, "goaccess-j*", "report.json")),
        key=lambda p: threads_of(os.path.dirname(p), "-j"),
    )
    if not lv_dirs:
        print("  MISMATCH no logveil output to check", file=sys.stderr)
        return 3
    lv = lv_dirs[-1]
    t = lambda name: parquet(os.path.join(lv, name + ".parquet"))  # noqa: E731
    with open(os.path.join(lv, "_manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    tot = manifest["totals"]
    reasons = {}
    for i in manifest.get("inputs", []):
        for r, n in (i.get("rejected_by_reason") or {}).items():
            reasons[r] = reasons.get(r, 0) + n
    print(f"logveil (outputs of -j {threads_of(lv, '-j')}), policy: visitors = ip, whole addresses, daily epoch")
    c.say(
        "INFO",
        "logveil lines",
        f"{fmt_int(tot['lines'])} read, {fmt_int(tot['parsed'])} parsed, {fmt_int(tot['rejected'])} rejected "
        f"({', '.join(f'{k} {v}' for k, v in sorted(reasons.items())) or 'none'}), "
        f"{fmt_int(tot['skipped'])} skipped (blank or comment)",
    )
    if a.lines is not None and tot["lines"] != a.lines:
        c.say("MISMATCH", "logveil lines vs wc -l", f"{fmt_int(tot['lines'])} vs {fmt_int(a.lines)}")
    if len(lv_dirs) > 1:
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(lv_dirs[0], "*.parquet")))
        differ = []
        for d in lv_dirs[1:]:
            for n in names:
                with open(os.path.join(lv_dirs[0], n), "rb") as x, open(os.path.join(d, n), "rb") as y:
                    if x.read() != y.read():
                        differ.append(f"{os.path.basename(d)}/{n}")
        js = " and ".join("-j " + str(threads_of(d, "-j")) for d in lv_dirs)
        if differ:
            c.say("MISMATCH", f"logveil tables for {js}", "differ: " + ", ".join(differ))
        else:
            c.say("PASS", f"logveil tables for {js}", f"all {len(names)} Parquet files byte-identical")
    sites = con.execute(f"SELECT count(DISTINCT site) FROM {t('web_traffic')}").fetchone()[0]
    one_site = sites <= 1
    if not one_site:
        c.say("INFO", "logveil sites", f"{sites}: per-hour and per-day distinct IPs are summed over sites, not compared")

    if not dd_dirs:
        print("DuckDB: no results, nothing to compare logveil with")
    else:
        dd = dd_dirs[-1]
        d = lambda name: parquet(os.path.join(dd, name + ".parquet"))  # noqa: E731
        print(f"\nlogveil vs DuckDB (results of SET threads={threads_of(dd, '-t')})")
        if len(dd_dirs) > 1:
            same = True
            for other in dd_dirs[:-1]:
                for name in ("hits_per_hour", "hits_per_status", "hits_per_path", "distinct_ips"):
                    p, q = parquet(os.path.join(other, name + ".parquet")), d(name)
                    n = con.execute(
                        f"SELECT (SELECT count(*) FROM (SELECT * FROM {p} EXCEPT ALL SELECT * FROM {q})) + "
                        f"(SELECT count(*) FROM (SELECT * FROM {q} EXCEPT ALL SELECT * FROM {p}))"
                    ).fetchone()[0]
                    same = same and n == 0
            js = " and ".join(str(threads_of(x, "-t")) for x in dd_dirs)
            c.say("PASS" if same else "MISMATCH", f"DuckDB results for threads={js}", "identical" if same else "differ")
        s = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        c.equal(
            "total hits",
            [
                ("logveil manifest parsed", tot["parsed"]),
                ("sum(web_traffic.requests)", s(f"SELECT sum(requests) FROM {t('web_traffic')}")),
                ("sum(web_status.requests)", s(f"SELECT sum(requests) FROM {t('web_status')}")),
                ("DuckDB sum(hits_per_hour)", s(f"SELECT sum(hits) FROM {d('hits_per_hour')}")),
                ("DuckDB sum(hits_per_status)", s(f"SELECT sum(hits) FROM {d('hits_per_status')}")),
                ("DuckDB sum(hits_per_path)", s(f"SELECT sum(hits) FROM {d('hits_per_path')}")),
            ],
        )
        c.rows_equal(
            "hits per UTC hour (web_traffic.requests vs hits_per_hour)",
            con,
            f"SELECT hour, sum(requests) AS v FROM {t('web_traffic')} GROUP BY hour",
            f"SELECT hour, hits AS v FROM {d('hits_per_hour')}",
            ["hour"],
            "hours",
        )
        c.rows_equal(
            "hits per status (web_status.requests summed over days vs hits_per_status)",
            con,
            f"SELECT status, sum(requests) AS v FROM {t('web_status')} GROUP BY status",
            f"SELECT status, hits AS v FROM {d('hits_per_status')}",
            ["status"],
            "status codes",
        )
        if one_site:
            c.rows_equal(
                "distinct client IPs per UTC hour (web_traffic.visitors vs count(DISTINCT ip))",
                con,
                f"SELECT hour, sum(visitors) AS v FROM {t('web_traffic')} GROUP BY hour",
                f"SELECT hour, ips AS v FROM {d('hits_per_hour')}",
                ["hour"],
                "hours",
            )
            c.rows_equal(
                "distinct client IPs per UTC day (web_sessions.visitors vs count(DISTINCT ip))",
                con,
                f"SELECT day, sum(visitors) AS v FROM {t('web_sessions')} GROUP BY day",
                f"SELECT day, ips AS v FROM {d('distinct_ips')} WHERE day IS NOT NULL",
                ["day"],
                "days",
            )
        whole = s(f"SELECT ips FROM {d('distinct_ips')} WHERE day IS NULL")
        daily = s(f"SELECT sum(ips) FROM {d('distinct_ips')} WHERE day IS NOT NULL")
        c.say(
            "INFO",
            "distinct client IPs over the whole file",
            f"DuckDB {fmt_int(whole)} (sum of daily counts {fmt_int(daily)}); not compared: logveil "
            "rotates pseudonyms daily and publishes no whole-window distinct count",
        )
        paths = s(f"SELECT count(*) FROM {d('hits_per_path')}")
        pages_rows, pages_req = con.execute(
            f"SELECT count(*), coalesce(sum(requests), 0) FROM {t('web_pages')}"
        ).fetchone()
        c.say(
            "INFO",
            "paths",
            f"DuckDB {fmt_int(paths)} distinct raw paths; logveil web_pages {fmt_int(pages_rows)} rows "
            f"(day, path) holding {fmt_int(pages_req)} of {fmt_int(tot['parsed'])} requests; not compared: "
            "logveil masks id-like segments and folds paths seen by fewer than k visitors into "
            "(other), withheld below k",
        )

    if ga_reports:
        cmd_check_goaccess(a, con, c, ga_reports[-1], tot)

    n = c.counts
    print(
        f"\nagreement: {n['PASS']} passed, {n['WARN']} explained differences, {n['MISMATCH']} mismatches"
        + ("" if n["MISMATCH"] == 0 else "  <-- WARNING: the tools disagree, see MISMATCH above")
    )
    return 3 if n["MISMATCH"] else 0


def cmd_check_goaccess(a, con, c, report, tot):
    with open(report, encoding="utf-8") as f:
        ga = json.load(f)
    g = ga["general"]
    print(f"\nGoAccess ({os.path.relpath(report, a.out)}) vs logveil and a DuckDB model of GoAccess's parser")
    c.say(
        "INFO",
        "GoAccess lines",
        f"{fmt_int(g['total_requests'])} read, {fmt_int(g['valid_requests'])} valid, "
        f"{fmt_int(g['failed_requests'])} failed",
    )
    c.equal(
        "lines read, blank and comment lines left out",
        [
            ("GoAccess total_requests", g["total_requests"]),
            ("logveil lines - skipped", tot["lines"] - tot["skipped"]),
        ],
    )
    # One untimed pass over the log: which lines the strict workload keeps,
    # and which GoAccess's looser rules keep.
    con.execute(
        f"""CREATE TEMP TABLE ga_model AS
        SELECT * FROM (
          SELECT f.ip AS ip,
                 CAST(try_strptime(f.d, '%d/%b/%Y') AS DATE) AS day,
                 f.t AS t,
                 CAST(f.status AS INTEGER) AS status,
                 CASE WHEN f.q = '"' AND f.ua <> '' THEN f.ua ELSE '-' END AS ua,
                 f.q = '"' AS ua_closed,
                 regexp_matches(line, {sql_str(STRICT_RE)})
                   AND try_strptime(regexp_extract(line, '\\[([^\\]]+)\\]', 1), '%d/%b/%Y:%H:%M:%S %z')
                       IS NOT NULL AS strict
          FROM (SELECT line, regexp_extract(line, {sql_str(GOACCESS_RE)},
                       ['ip', 'd', 't', 'status', 'ua', 'q']) AS f
                FROM {read_lines(a.log)})
          WHERE f.status <> '')
        WHERE day IS NOT NULL
          AND regexp_full_match(t, '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|6[01])')"""
    )
    model, strict, cut_ua, leap = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE strict),
                  count(*) FILTER (WHERE NOT strict AND NOT ua_closed),
                  count(*) FILTER (WHERE NOT strict AND ua_closed AND t SIMILAR TO '.*:6[01]')
           FROM ga_model"""
    ).fetchone()
    other = model - strict - cut_ua - leap
    valid, parsed = g["valid_requests"], tot["parsed"]
    if valid == parsed:
        c.say("PASS", "total hits", f"GoAccess valid {fmt_int(valid)}, logveil parsed {fmt_int(parsed)}")
    elif valid == model and strict == parsed:
        c.say(
            "WARN",
            "total hits differ (explained)",
            f"GoAccess valid {fmt_int(valid)} vs logveil parsed {fmt_int(parsed)}: GoAccess also counts "
            f"{fmt_int(valid - parsed)} lines that logveil and DuckDB reject ({cut_ua} with the user agent "
            f"cut off before its closing quote, {leap} with seconds 60/61, {other} other); "
            "the DuckDB model of GoAccess's rules finds exactly that many",
        )
    else:
        c.say(
            "MISMATCH",
            "total hits",
            f"GoAccess valid {fmt_int(valid)}, logveil parsed {fmt_int(parsed)}, "
            f"DuckDB model of GoAccess {fmt_int(model)} (strict subset {fmt_int(strict)})",
        )
    days = []
    for row in ga.get("visitors", {}).get("data", []):
        days.append((row["data"], row["hits"]["count"], row["visitors"]["count"]))
    con.execute("CREATE TEMP TABLE ga_days (day VARCHAR, hits BIGINT, visitors BIGINT)")
    if days:
        con.executemany("INSERT INTO ga_days VALUES (?, ?, ?)", days)
    con.execute(
        "CREATE TEMP TABLE ga_days2 AS SELECT CAST(strptime(day, '%Y%m%d') AS DATE) AS day, hits, visitors FROM ga_days"
    )
    c.rows_equal(
        "hits per day (GoAccess visitors panel vs DuckDB model)",
        con,
        "SELECT day, hits AS v FROM ga_days2",
        "SELECT day, count(*) AS v FROM ga_model GROUP BY day",
        ["day"],
        "days",
    )
    statuses = []
    for grp in ga.get("status_codes", {}).get("data", []):
        for item in grp.get("items", []):
            m = re.match(r"\s*(\d{3})", item["data"])
            if m:
                statuses.append((int(m.group(1)), item["hits"]["count"]))
    con.execute("CREATE TEMP TABLE ga_status (status INTEGER, hits BIGINT)")
    if statuses:
        con.executemany("INSERT INTO ga_status VALUES (?, ?)", statuses)
    c.rows_equal(
        "hits per status (GoAccess vs DuckDB model)",
        con,
        "SELECT status, sum(hits) AS v FROM ga_status GROUP BY status",
        "SELECT status, count(*) AS v FROM ga_model GROUP BY status",
        ["status"],
        "status codes",
    )
    only_4xx = "" if a.ga_4xx else "WHERE status NOT BETWEEN 400 AND 499"
    c.rows_equal(
        "unique visitors per day, GoAccess's definition (client IP + day + full user agent"
        + ("" if a.ga_4xx else ", 4xx excluded")
        + ") vs DuckDB count(DISTINCT (ip, ua))",
        con,
        "SELECT day, visitors AS v FROM ga_days2",
        f"SELECT day, count(DISTINCT (ip, ua)) AS v FROM ga_model {only_4xx} GROUP BY day",
        ["day"],
        "days",
    )
    c.say(
        "INFO",
        "GoAccess visitors vs logveil visitors",
        "not compared: GoAccess keys a visitor by IP + day + raw user agent; logveil's "
        "visitors.identity is `ip` (used here) or `ip+agent`, whose agent is the reduced "
        "browser/OS/device class, so no policy reproduces GoAccess's count",
    )


# ----------------------------------------------------------------- table


def cmd_table(a):
    runs = {}
    order = []
    with open(a.results, encoding="utf-8") as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            tool, threads, wall, rss = cells[:4]
            cpu = cells[4] if len(cells) > 4 else "?"
            key = (tool, int(threads))
            if key not in runs:
                runs[key] = []
                order.append(key)
            runs[key].append((float(wall), int(rss), cpu))
    lines, size = a.lines, a.bytes
    best = {}
    for key, rs in runs.items():
        fastest = min(rs, key=lambda r: r[0])
        best[key] = (fastest[0], max(r[1] for r in rs), fastest[2], len(rs))
    speed = {k: lines / v[0] if v[0] > 0 else float("inf") for k, v in best.items()}
    logveil = {th: speed[(tool, th)] for tool, th in best if tool == "logveil"}

    head = ("tool", "threads", "wall s", "lines/s", "MB/s", "peak RSS MiB", "CPU %", "logveil ×")
    rows = []
    for key in order:
        tool, th = key
        wall, rss, cpu, _ = best[key]
        ls = speed[key]
        if tool == "logveil":
            ratio = "—"
        else:
            ref = logveil.get(th) or (logveil.get(min(logveil)) if logveil else None)
            ratio = f"{ref / ls:.2f}" if ref and ls else "n/a"
        label = a.label.get(tool, tool) if a.label else tool
        rows.append(
            (
                label,
                str(th),
                f"{wall:.3f}",
                f"{ls:,.0f}",
                f"{size / 1e6 / wall:,.1f}" if wall > 0 else "inf",
                f"{rss / 1024:,.1f}",
                cpu,
                ratio,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    reps = max(v[3] for v in best.values()) if best else 0
    print(
        f"\n{fmt_int(lines)} lines, {size / 1e6:,.1f} MB; "
        + (f"best wall time of {reps} runs, largest peak RSS; " if reps > 1 else "one run each; ")
        + "CPU % = CPU time ÷ wall time of that run (200 = two busy cores); "
        "logveil × = logveil's lines/s at the same thread count ÷ this row's lines/s "
        "(GoAccess without --jobs and wc are set against logveil -j 1)"
    )
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sql")
    s.add_argument("--log", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--threads", type=int, required=True)
    s = sub.add_parser("run-sql")
    s.add_argument("file")
    s = sub.add_parser("manifest-ok")
    s.add_argument("dir")
    s = sub.add_parser("check")
    s.add_argument("--out", required=True, help="directory holding logveil-jN, duckdb-tN, goaccess-jN")
    s.add_argument("--log", required=True)
    s.add_argument("--lines", type=int)
    s.add_argument("--ga-4xx", type=int, default=1, help="GoAccess ran with --4xx-to-unique-count")
    s = sub.add_parser("table")
    s.add_argument("--results", required=True)
    s.add_argument("--lines", type=int, required=True)
    s.add_argument("--bytes", type=int, required=True)
    s.add_argument("--label", action="append", default=[], help="tool=label")
    a = p.parse_args()
    if a.cmd == "table":
        a.label = dict(x.split("=", 1) for x in a.label)
    return {
        "sql": cmd_sql,
        "run-sql": cmd_run_sql,
        "manifest-ok": cmd_manifest_ok,
        "check": cmd_check,
        "table": cmd_table,
    }[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
