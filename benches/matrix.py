#!/usr/bin/env python3
"""The benchmark matrix: logveil and its peers over generated logs of
different shapes (distinct clients, targets, agents, referrers, IPv6 share,
days), side by side in one run. Not part of CI; see benches/README.md.

    benches/matrix.sh                                # every cell, 1,000,000 lines
    LINES=100000 CELLS="default targets-1m" benches/matrix.sh

For each cell it generates one Combined log (`logveil gen --seed 1` plus the
cell's flags) and runs, in this order: `wc -l` (the floor), logveil `run`
with -j 2 and -j 1 (release build, every table written), the plain DuckDB
query a user writes, compare.py's strict DuckDB query ("duckdb-strict"),
chDB with its Regexp input format, and GoAccess (with --jobs where the
installed version has it). Every peer's results are checked against
logveil's tables: parsed requests, requests per status, distinct client IPs
per UTC day. The output is a Markdown table (stdout and
benches/matrix-results.md), the raw timings (matrix-results.json) and a chart
of throughput against cardinality (benches/matrix.png).

Environment: LINES (1000000), REPS (best of; 1), CELLS (names, default all),
LOGS (NAME=PATH pairs: Combined logs of your own, read as they are, and
alone unless CELLS names generated cells too), WORK (directory for logs
and outputs; default a temp dir, removed unless KEEP=1), THREADS
(logveil/peer threads for the ratio, 2), BIN (logveil binary; default
target/release/logveil, built by matrix.sh), GOACCESS (path, or none),
CHDB (1 or 0), OUT_PREFIX (benches/matrix).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (the strict DuckDB query and read_lines)

# name -> (gen flags, dimension for the chart, cardinality on its x axis)
CELLS = [
    ("default", [], None, None),
    ("clients-10k", ["--clients", "10000"], "clients", 10_000),
    ("clients-100k", ["--clients", "100000"], "clients", 100_000),
    ("clients-1m", ["--clients", "1000000"], "clients", 1_000_000),
    ("targets-10k", ["--targets", "10000"], "targets", 10_000),
    ("targets-100k", ["--targets", "100000"], "targets", 100_000),
    ("targets-1m", ["--targets", "1000000"], "targets", 1_000_000),
    ("agents-100", ["--agents", "100"], "agents", 100),
    ("agents-10k", ["--agents", "10000"], "agents", 10_000),
    ("agents-100k", ["--agents", "100000"], "agents", 100_000),
    ("referrers-100k", ["--referrers", "100000"], "referrers", 100_000),
    ("ipv6-50", ["--ipv6-share", "0.5"], None, None),
    ("days-1", ["--days", "1"], None, None),
    ("days-30", ["--days", "30"], None, None),
]

# What a user types: every field of the Combined layout captured loosely,
# one regexp_extract into a struct.
PLAIN_RE = r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\S+) "([^"]*)" "([^"]*)"'
FIELDS = ["ip", "ts", "method", "path", "status", "bytes", "referer", "agent"]


def sql_str(s):
    return compare.sql_str(s)


def user_duckdb_sql(log, out, threads, regex, fields, extra_columns, per_path, extra_copies=()):
    """A DuckDB query as a user writes it: the lines matched by one
    `regexp_extract` of `fields` into a struct, kept in a temporary table,
    then hits per hour, per status and per path (`per_path`: the measures
    of that table) and distinct IPs per day, each `COPY`ed to Parquet, plus
    `extra_copies` ((table, SELECT) pairs). `extra_columns` are the struct
    fields kept beyond ip, time, path and status."""
    o = lambda name: sql_str(os.path.join(out, name + ".parquet"))  # noqa: E731
    fields = "[" + ", ".join(sql_str(f) for f in fields) + "]"
    extra = "".join(f", r.{c}" for c in extra_columns)
    copies = "".join(f"COPY ({q}) TO {o(name)} (FORMAT parquet);\n" for name, q in extra_copies)
    return f"""SET threads = {int(threads)};
SET TimeZone = 'UTC';
CREATE TEMP TABLE hits AS
SELECT * FROM (
  SELECT r.ip, try_strptime(r.ts, '%d/%b/%Y:%H:%M:%S %z') AS ts, r.path,
         CAST(r.status AS INTEGER) AS status{extra}
  FROM (SELECT regexp_extract(line, {sql_str(regex)}, {fields}) AS r
        FROM {compare.read_lines(log)})
  WHERE r.status <> '')
WHERE ts IS NOT NULL;
COPY (SELECT date_trunc('hour', ts) AS hour, count(*) AS hits, count(DISTINCT ip) AS ips
      FROM hits GROUP BY ALL ORDER BY hour) TO {o('hits_per_hour')} (FORMAT parquet);
COPY (SELECT status, count(*) AS hits FROM hits GROUP BY ALL ORDER BY status)
  TO {o('hits_per_status')} (FORMAT parquet);
COPY (SELECT path, {per_path} FROM hits GROUP BY ALL)
  TO {o('hits_per_path')} (FORMAT parquet);
{copies}COPY (SELECT CAST(ts AS DATE) AS day, count(DISTINCT ip) AS ips
      FROM hits GROUP BY GROUPING SETS ((day), ()) ORDER BY day NULLS LAST)
  TO {o('distinct_ips')} (FORMAT parquet);
"""


def plain_duckdb_sql(log, out, threads):
    """Every field captured, and the agent and referrer tables too."""
    return user_duckdb_sql(
        log, out, threads, PLAIN_RE, FIELDS, ["referer", "agent"],
        "count(*) AS hits, count(DISTINCT ip) AS ips",
        [
            ("hits_per_agent", "SELECT agent, count(*) AS hits FROM hits GROUP BY ALL"),
            ("hits_per_referer", "SELECT referer, count(*) AS hits FROM hits GROUP BY ALL"),
        ],
    )


# The leanest plain query: four fields, the pattern stops after the status.
LEAN_RE = r'^(\S+) \S+ \S+ \[([^\]]+)\] "\S+ (\S+)[^"]*" (\d{3})'


def lean_duckdb_sql(log, out, threads):
    """The plain query cut to what the agreement checks need: costs about
    half of `plain_duckdb_sql` (the eight-group pattern is the expensive
    part, not the extra tables)."""
    return user_duckdb_sql(log, out, threads, LEAN_RE, ["ip", "ts", "path", "status"], [], "count(*) AS hits")


def chdb_script(log, out, threads):
    """A python script for chDB: one Regexp read into a Memory table, the
    same tables as the plain DuckDB query written with INTO OUTFILE."""
    regex = PLAIN_RE.replace("\\", "\\\\").replace("'", "\\'")
    o = lambda name: os.path.join(out, name + ".parquet").replace("'", "\\'")  # noqa: E731
    cols = ", ".join(f"{f} String" for f in FIELDS)
    src = log.replace("'", "\\'")
    stmts = [
        f"""CREATE TABLE raw ENGINE = Memory AS
SELECT * FROM (
  SELECT ip, parseDateTimeOrNull(ts, '%d/%b/%Y:%H:%i:%s %z', 'UTC') AS t, path,
         toUInt16OrZero(status) AS status, referer, agent
  FROM file('{src}', 'Regexp', '{cols}'))
WHERE t IS NOT NULL
SETTINGS format_regexp = '{regex}', format_regexp_skip_unmatched = 1""",
        f"SELECT toStartOfHour(t) AS hour, count() AS hits, uniqExact(ip) AS ips FROM raw "
        f"GROUP BY hour ORDER BY hour INTO OUTFILE '{o('hits_per_hour')}' FORMAT Parquet",
        f"SELECT status, count() AS hits FROM raw GROUP BY status ORDER BY status "
        f"INTO OUTFILE '{o('hits_per_status')}' FORMAT Parquet",
        f"SELECT path, count() AS hits, uniqExact(ip) AS ips FROM raw GROUP BY path "
        f"INTO OUTFILE '{o('hits_per_path')}' FORMAT Parquet",
        f"SELECT agent, count() AS hits FROM raw GROUP BY agent INTO OUTFILE '{o('hits_per_agent')}' FORMAT Parquet",
        f"SELECT referer, count() AS hits FROM raw GROUP BY referer "
        f"INTO OUTFILE '{o('hits_per_referer')}' FORMAT Parquet",
        f"SELECT toDate(t) AS day, uniqExact(ip) AS ips FROM raw GROUP BY day ORDER BY day "
        f"INTO OUTFILE '{o('distinct_ips')}' FORMAT Parquet",
    ]
    return (
        "from chdb import session\n"
        "s = session.Session()\n"
        f"s.query('SET max_threads = {int(threads)}')\n"
        + "".join(f"s.query({s!r})\n" for s in stmts)
    )


# ---------------------------------------------------------------- running


def measure(cmd, outdir, ok=(0,)):
    """Runs cmd under /usr/bin/time -v; returns (wall s, user+sys s, peak RSS KiB)."""
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    tfile = outdir + ".time"
    t0 = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-v", "-o", tfile] + cmd,
        stdout=open(outdir + ".stdout", "wb"),
        stderr=open(outdir + ".stderr", "wb"),
    )
    wall = time.perf_counter() - t0
    if p.returncode not in ok:
        err = open(outdir + ".stderr", encoding="utf-8", errors="replace").read()[-2000:]
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {err}")
    text = open(tfile, encoding="utf-8").read()
    num = lambda pat: float(re.search(pat, text).group(1))  # noqa: E731
    cpu = num(r"User time \(seconds\): ([\d.]+)") + num(r"System time \(seconds\): ([\d.]+)")
    rss = int(num(r"Maximum resident set size \(kbytes\): (\d+)"))
    return wall, cpu, rss


def best(runs):
    """Fastest wall time of the repetitions, with its cpu time; largest RSS."""
    w, c, _ = min(runs)
    return {"wall": w, "cpu": c, "rss": max(r[2] for r in runs)}


# ---------------------------------------------------------------- checks


def logveil_totals(con, lv):
    from compare import parquet

    t = lambda n: parquet(os.path.join(lv, n + ".parquet"))  # noqa: E731
    with open(os.path.join(lv, "_manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    status = dict(con.execute(f"SELECT status, sum(requests) FROM {t('web_status')} GROUP BY 1").fetchall())
    days = dict(con.execute(f"SELECT day, sum(visitors) FROM {t('web_sessions')} GROUP BY 1").fetchall())
    return {"parsed": m["totals"]["parsed"], "status": status, "days": days}


def peer_totals(con, d):
    from compare import parquet

    p = lambda n: parquet(os.path.join(d, n + ".parquet"))  # noqa: E731
    parsed = con.execute(f"SELECT sum(hits) FROM {p('hits_per_status')}").fetchone()[0]
    status = dict(con.execute(f"SELECT status, hits FROM {p('hits_per_status')}").fetchall())
    days = dict(
        con.execute(f"SELECT CAST(day AS DATE), ips FROM {p('distinct_ips')} WHERE day IS NOT NULL").fetchall()
    )
    return {"parsed": parsed, "status": status, "days": days}


def goaccess_totals(report):
    with open(report, encoding="utf-8") as f:
        ga = json.load(f)
    status = {}
    for group in ga.get("status_codes", {}).get("data", []):
        for item in group.get("items", []):
            m = re.match(r"(\d{3})", item.get("data", ""))
            if m:
                status[int(m.group(1))] = item["hits"]["count"]
    return {"parsed": ga["general"]["valid_requests"], "status": status, "days": None}


def compare_totals(ref, got, cut=None, extra=None):
    """(mismatches, explanations) of a peer's totals against logveil's.

    Two known differences are accounted for exactly, never by a tolerance:
    - `cut`: lines cut inside their user agent, per status and day, which
      logveil's tolerant reader keeps and a regular expression that wants the
      closing quote drops (the generator plants some). They are added to the
      peer's counts before comparing.
    - logveil's disclosure control folds (day, status) cells seen by fewer
      than k visitors into a NULL status: per status the peer may then count
      more than logveil, and the excess over all statuses must equal the
      NULL row exactly.
    - `extra`: lines the peer accepts and logveil rejects (GoAccess's `%T`
      takes seconds 60 and 61), subtracted from the peer's counts.
    """
    n = lambda v: int(v or 0)  # noqa: E731
    none = {"n": 0, "status": {}, "ips": {}}
    cut, extra = cut or none, extra or none
    bad, why = [], []
    parsed = n(got["parsed"]) + cut["n"] - extra["n"]
    if parsed != n(ref["parsed"]):
        bad.append(f"parsed {n(got['parsed']):,} vs logveil {n(ref['parsed']):,}")
    folded = n(ref["status"].get(None))
    excess = {}
    for s in (set(ref["status"]) | set(got["status"])) - {None}:
        excess[s] = (
            n(got["status"].get(s)) + n(cut["status"].get(s)) - n(extra["status"].get(s)) - n(ref["status"].get(s))
        )
    wrong = {s: e for s, e in excess.items() if e < 0 or e > folded}
    if wrong or sum(excess.values()) != folded:
        s = sorted(wrong or excess, key=str)[0]
        bad.append(
            f"requests per status differ (e.g. {s}: {n(got['status'].get(s))} vs logveil {n(ref['status'].get(s))}, "
            f"logveil folded {folded})"
        )
    elif folded:
        why.append(f"logveil folded {folded} requests of rare (day, status) cells")
    if got["days"] is not None:
        days = set(ref["days"]) | set(got["days"])
        dd = {d: n(ref["days"].get(d)) - n(got["days"].get(d)) for d in days}
        dd = {d: v for d, v in dd.items() if v < 0 or v > n(cut["ips"].get(d))}
        if dd:
            d = sorted(dd, key=str)[0]
            bad.append(f"distinct IPs on {len(dd)} days differ (e.g. {d}: {n(got['days'].get(d))} vs logveil {n(ref['days'].get(d))})")
    if cut["n"] and not bad:
        why.append(f"{cut['n']} lines cut inside the user agent, kept by logveil only")
    if extra["n"] and not bad:
        why.append(f"{extra['n']} lines with seconds 60/61, kept by GoAccess only")
    return bad, why


CUT_UA_RE = r'^(\S+) \S+ \S+ \[([^\]]+)\] "\S+ \S+ [^"]*" (\d{3}) \S+ "[^"]*" "[^"]*$'


def cut_ua_lines(con, log, regex=CUT_UA_RE, ts="try_strptime(r.ts, '%d/%b/%Y:%H:%M:%S %z')"):
    """Lines whose user agent lacks its closing quote (with a valid time):
    how many, per status, and the most distinct IPs they can add per day."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cut AS
            SELECT r.ip, CAST(r.status AS INTEGER) AS status, CAST({ts} AS DATE) AS day
            FROM (SELECT regexp_extract(line, {sql_str(regex)}, ['ip', 'ts', 'status']) AS r
                  FROM {compare.read_lines(log)})
            WHERE r.status <> '' AND {ts} IS NOT NULL"""
    )
    return {
        "n": con.execute("SELECT count(*) FROM cut").fetchone()[0],
        "status": dict(con.execute("SELECT status, count(*) FROM cut GROUP BY 1").fetchall()),
        "ips": dict(con.execute("SELECT day, count(DISTINCT ip) FROM cut GROUP BY 1").fetchall()),
    }


def cell_shape(con, d):
    """Distinct clients, targets, agents, referrers seen by the plain query."""
    from compare import parquet

    p = lambda n: parquet(os.path.join(d, n + ".parquet"))  # noqa: E731
    rows = lambda n: (  # noqa: E731
        con.execute(f"SELECT count(*) FROM {p(n)}").fetchone()[0] if os.path.exists(os.path.join(d, n + ".parquet")) else None
    )
    ips = con.execute(f"SELECT ips FROM {p('distinct_ips')} WHERE day IS NULL").fetchone()[0]
    return {"clients": ips, "targets": rows("hits_per_path"), "agents": rows("hits_per_agent"),
            "referrers": rows("hits_per_referer")}


# A well-formed line whose time has seconds 60 or 61 and is otherwise valid.
LEAP_RE = r'^(\S+) \S+ \S+ \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:6[01] [^\]]*)\] "[^"]*" (\d{3}) \S+ "[^"]*" "[^"]*"?$'


def leap_lines(con, log):
    """Lines GoAccess's `%T` accepts and logveil rejects: seconds 60/61."""
    fixed = "try_strptime(regexp_replace(r.ts, ':6[01] ', ':59 '), '%d/%b/%Y:%H:%M:%S %z')"
    return cut_ua_lines(con, log, LEAP_RE, fixed)


# ---------------------------------------------------------------- main


def main():
    lines = int(os.environ.get("LINES", "1000000"))
    reps = int(os.environ.get("REPS", "1"))
    threads = int(os.environ.get("THREADS", "2"))
    root = os.path.dirname(HERE)
    binary = os.environ.get("BIN") or os.path.join(root, "target", "release", "logveil")
    want = os.environ.get("CELLS", "").split()
    # Logs of your own (NAME=PATH ...), read as they are: with LOGS and
    # no CELLS, only they are run.
    given = dict(spec.split("=", 1) for spec in os.environ.get("LOGS", "").split() if "=" in spec)
    cells = [c for c in CELLS if (not want and not given) or c[0] in want]
    if want and len(cells) != len(want):
        sys.exit(f"matrix: unknown cell in CELLS; known: {' '.join(c[0] for c in CELLS)}")
    cells += [(name, None, None, None) for name in given]
    prefix = os.environ.get("OUT_PREFIX", os.path.join(HERE, "matrix"))
    keep = os.environ.get("KEEP") == "1"
    work = os.environ.get("WORK") or tempfile.mkdtemp(prefix="logveil-matrix.")
    os.makedirs(work, exist_ok=True)

    ga = os.environ.get("GOACCESS") or shutil.which("goaccess") or "none"
    ga_jobs = False
    if ga != "none":
        ga_help = subprocess.run([ga, "--help"], capture_output=True, text=True).stdout
        ga_jobs = "--jobs" in ga_help
    try:
        import chdb  # noqa: F401

        have_chdb = os.environ.get("CHDB", "1") == "1"
    except ImportError:
        have_chdb = False
        print("matrix: chDB skipped (pip install chdb)", file=sys.stderr)
    import duckdb

    versions = {
        "logveil": subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip(),
        "duckdb": duckdb.__version__,
        "chdb": __import__("chdb").__version__ if have_chdb else None,
        "goaccess": subprocess.run([ga, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        if ga != "none"
        else None,
        "goaccess_jobs": ga_jobs,
        "commit": subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
    }

    key = os.path.join(work, "veil.key")
    if not os.path.exists(key):
        subprocess.run([binary, "keygen", "--out", key], check=True, capture_output=True)
    policy = os.path.join(work, "policy.toml")
    with open(policy, "w") as f:
        f.write('[keys]\nepoch = "day"\n\n[ip]\nipv4_prefix = 32\nipv6_prefix = 128\n\n[visitors]\nidentity = "ip"\n')

    results = []
    for name, flags, dim, card in cells:
        if name in given:
            log = os.path.abspath(given[name])
            with open(log, "rb") as f:
                cell_lines = sum(1 for _ in f)
            print(f"\n== {name}: {log} ({cell_lines:,} lines)", file=sys.stderr)
        else:
            cell_lines = lines
            print(f"\n== {name}: logveil gen --lines {lines} --seed 1 {' '.join(flags)}", file=sys.stderr)
            log = os.path.join(work, name + ".log")
            subprocess.run(
                [binary, "gen", "--lines", str(lines), "--seed", "1", "--out", log, "--force"] + flags,
                check=True,
                capture_output=True,
            )
        out = os.path.join(work, name)
        os.makedirs(out, exist_ok=True)
        plain_sql = os.path.join(out, "plain.sql")
        strict_sql = os.path.join(out, "strict.sql")
        chdb_py = os.path.join(out, "chdb_job.py")
        with open(plain_sql, "w") as f:
            f.write(plain_duckdb_sql(log, os.path.join(out, "duckdb"), threads))
        lean_sql = os.path.join(out, "lean.sql")
        with open(lean_sql, "w") as f:
            f.write(lean_duckdb_sql(log, os.path.join(out, "duckdb-lean"), threads))
        with open(strict_sql, "w") as f:
            f.write(compare.workload_sql(log, os.path.join(out, "duckdb-strict"), threads))
        with open(chdb_py, "w") as f:
            f.write(chdb_script(log, os.path.join(out, "chdb"), threads))
        subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)
        lv = lambda j: [binary, "run", log, "--out", os.path.join(out, f"logveil-j{j}"), "-q", "-j", str(j),  # noqa: E731
                        "--key-file", key, "--policy", policy]
        tools = [
            ("wc -l", ["wc", "-l", log], "wc", (0,)),
            (f"logveil -j {threads}", lv(threads), f"logveil-j{threads}", (0, 2)),
            ("logveil -j 1", lv(1), "logveil-j1", (0, 2)),
            ("duckdb", ["python3", os.path.join(HERE, "compare.py"), "run-sql", plain_sql], "duckdb", (0,)),
            ("duckdb-lean", ["python3", os.path.join(HERE, "compare.py"), "run-sql", lean_sql], "duckdb-lean", (0,)),
            ("duckdb-strict", ["python3", os.path.join(HERE, "compare.py"), "run-sql", strict_sql],
             "duckdb-strict", (0,)),
        ]
        if have_chdb:
            tools.append(("chdb", ["python3", chdb_py], "chdb", (0,)))
        if ga != "none":
            jobs = [f"--jobs={threads}"] if ga_jobs else []
            tools.append((
                "goaccess", [ga, log, "--log-format=COMBINED", "--no-global-config", "--no-progress",
                             *jobs, "-o", os.path.join(out, "goaccess", "report.json")],
                "goaccess", (0,)))
        only = os.environ.get("TOOLS")
        if only:
            tools = [t for t in tools if t[0] in only.split(",")]
        runs = {t[0]: [] for t in tools}
        for _ in range(reps):
            for label, cmd, d, ok in tools:
                r = measure(cmd, os.path.join(out, d), ok)
                runs[label].append(r)
                print(f"   {label:<14} {r[0]:7.2f} s wall {r[1]:7.2f} s cpu {r[2] // 1024:6d} MiB", file=sys.stderr)
        timing = {k: best(v) for k, v in runs.items()}

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        ref = logveil_totals(con, os.path.join(out, f"logveil-j{threads}"))
        have = lambda d: os.path.isdir(os.path.join(out, d))  # noqa: E731
        checks, notes = {}, {}
        cut = cut_ua_lines(con, log)
        for label in ["duckdb", "duckdb-lean", "duckdb-strict", "chdb"]:
            d = label
            if label in timing:
                checks[label], notes[label] = compare_totals(
                    ref, peer_totals(con, os.path.join(out, d)), None if label == "duckdb-lean" else cut
                )
        if "goaccess" in timing:
            checks["goaccess"], notes["goaccess"] = compare_totals(
                ref, goaccess_totals(os.path.join(out, "goaccess", "report.json")), extra=leap_lines(con, log))
        same = not have("logveil-j1") or all(
            open(os.path.join(out, f"logveil-j{threads}", n), "rb").read()
            == open(os.path.join(out, "logveil-j1", n), "rb").read()
            for n in os.listdir(os.path.join(out, "logveil-j1"))
            if n.endswith(".parquet")
        )
        checks["logveil -j 1"] = [] if same else ["tables differ from -j %d" % threads]
        shape_dir = next(d for d in ["duckdb", "duckdb-lean"] if have(d))
        shape = cell_shape(con, os.path.join(out, shape_dir))
        for label, bad in checks.items():
            why = "; ".join(notes.get(label) or [])
            verdict = ("agrees" + (f" (explained: {why})" if why else "")) if not bad else "MISMATCH: " + "; ".join(bad)
            print(f"   check {label:<14} {verdict}", file=sys.stderr)
        print(f"   shape {shape}", file=sys.stderr)
        results.append({"cell": name, "flags": flags, "dim": dim, "card": card, "lines": cell_lines,
                        "timing": timing, "checks": checks, "notes": notes, "shape": shape})
        if not keep and name not in given:
            os.remove(log)
            shutil.rmtree(out, ignore_errors=True)

    meta = {"lines": lines, "reps": reps, "threads": threads, "versions": versions,
            "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}
    with open(prefix + "-results.json", "w") as f:
        json.dump({"meta": meta, "cells": results}, f, indent=1, default=str)
    md = table(meta, results)
    with open(prefix + "-results.md", "w") as f:
        f.write(md)
    print(md)
    chart(meta, results, prefix + ".png")
    if not keep and not os.environ.get("WORK"):
        shutil.rmtree(work, ignore_errors=True)
    return 3 if any(b for r in results for b in r["checks"].values()) else 0


def k(n):
    if n is None:
        return "–"
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k" if n >= 1e4 else f"{n}"


def table(meta, results):
    t = meta["threads"]
    lv = f"logveil -j {t}"
    peers = [p for p in ["duckdb-lean", "duckdb", "duckdb-strict", "chdb", "goaccess"]
             if any(p in r["timing"] for r in results)]
    plain = "duckdb-lean" if "duckdb-lean" in peers else "duckdb"
    v = meta["versions"]
    head = [
        f"Matrix: {meta['lines']:,} lines per generated cell, best of {meta['reps']} "
        f"({meta['cpus']} CPUs, {meta['date']}, {v['logveil']} at {v['commit']}, "
        f"DuckDB {v['duckdb']}, chDB {v['chdb']}, {v['goaccess'] or 'no GoAccess'}"
        f"{'' if v['goaccess_jobs'] else ' without --jobs (1 thread)'}).",
        "Throughput in M lines/s (wall); peers at "
        f"{t} threads; ratio = {plain} wall ÷ logveil -j {t} wall; scaling = -j 1 wall ÷ -j {t} wall.",
        "",
        "| cell | clients | targets | agents | referrers | wc -l | "
        + f"{lv} | logveil -j 1 | " + " | ".join(peers)
        + f" | logveil ÷ {plain} | scaling | logveil RSS | {plain} RSS | peers agree |",
        "|---" + "|---:" * (7 + len(peers) + 4) + "|---|",
    ]
    rows = []
    for r in results:
        tm, n = r["timing"], r["lines"]
        rate = lambda x: f"{n / tm[x]['wall'] / 1e6:.2f}" if x in tm else "–"  # noqa: E731
        s = r["shape"]
        ratio = f"{tm[plain]['wall'] / tm[lv]['wall']:.1f}×" if plain in tm else "–"
        scaling = f"{tm['logveil -j 1']['wall'] / tm[lv]['wall']:.2f}×" if "logveil -j 1" in tm else "–"
        bad = [f"{p}: {'; '.join(b)}" for p, b in r["checks"].items() if b]
        rows.append(
            f"| {r['cell']} | {k(s['clients'])} | {k(s['targets'])} | {k(s['agents'])} | {k(s['referrers'])} | "
            + f"{rate('wc -l')} | {rate(lv)} | {rate('logveil -j 1')} | "
            + " | ".join(rate(p) for p in peers)
            + f" | {ratio} | {scaling} | {tm[lv]['rss'] // 1024} MiB | {tm[plain]['rss'] // 1024 if plain in tm else '–'} MiB | "
            + ("yes" + ("*" if any(r["notes"].values()) else "") if not bad else "<br>".join(bad))
            + " |"
        )
    notes = sorted({w for r in results for ws in r["notes"].values() for w in ws})
    foot = []
    if notes:
        kinds = sorted({re.sub(r"^\d+ ", "N ", w) for w in notes})
        foot = ["", "\\* Agreement after accounting exactly for known differences: "
                + "; ".join(kinds) + " (counts per cell and peer in matrix-results.json)."]
    cpu = foot + [
        "",
        "CPU seconds (user+sys) per tool, same runs:",
        "",
        "| cell | " + " | ".join([lv, "logveil -j 1"] + peers) + " |",
        "|---" + "|---:" * (2 + len(peers)) + "|",
    ]
    for r in results:
        tm = r["timing"]
        cpu.append(
            f"| {r['cell']} | "
            + " | ".join(f"{tm[x]['cpu']:.2f}" if x in tm else "–" for x in [lv, "logveil -j 1"] + peers)
            + " |"
        )
    return "\n".join(head + rows + cpu) + "\n"


def chart(meta, results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matrix: no chart (pip install matplotlib)", file=sys.stderr)
        return
    t = meta["threads"]
    tools = [f"logveil -j {t}", "logveil -j 1", "duckdb-lean", "duckdb", "duckdb-strict", "chdb", "goaccess", "wc -l"]
    # A dimension is drawn only where some run measured it (the agents
    # count comes from a peer's output, absent when TOOLS leaves it out).
    dims = [
        d
        for d in ["clients", "targets", "agents"]
        if any(r["dim"] == d and r["shape"][d] is not None for r in results)
    ]
    if not dims:
        return
    default = next((r for r in results if r["cell"] == "default"), None)
    # Top row: lines per wall second, what a user waits for. Bottom row:
    # lines per CPU second (user+sys), which a busy shared machine disturbs
    # far less; the gap between the rows is the contention.
    fig, axes = plt.subplots(2, len(dims), figsize=(5 * len(dims), 8), sharey="row", squeeze=False)
    for row, (key, unit) in enumerate([("wall", "M lines/s (wall)"), ("cpu", "M lines per CPU second")]):
        for ax, d in zip(axes[row], dims):
            cells = [r for r in results if r["dim"] == d] + ([default] if default else [])
            cells = sorted((r for r in cells if r["shape"][d] is not None), key=lambda r: r["shape"][d])
            for tool in tools:
                pts = [
                    (r["shape"][d], r["lines"] / max(r["timing"][tool][key], 1e-3) / 1e6)
                    for r in cells
                    if tool in r["timing"]
                ]
                if pts and tool != "wc -l":
                    ax.plot(*zip(*pts), marker="o", label=tool)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(f"distinct {d} (measured)")
            ax.grid(True, which="both", alpha=0.3)
        axes[row][0].set_ylabel(unit)
    for ax in axes[0]:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
            break
    v = meta["versions"]
    fig.suptitle(
        f"Throughput against cardinality, {meta['lines']:,}-line combined logs, "
        f"{meta['cpus']} CPUs, logveil {v['commit']} (best of {meta['reps']})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"matrix: chart written to {path}", file=sys.stderr)


def redraw(path):
    """`matrix.py chart RESULTS.json [OUT.png]`: the chart again from saved results."""
    with open(path, encoding="utf-8") as f:
        saved = json.load(f)
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.splitext(path)[0].removesuffix("-results") + ".png"
    chart(saved["meta"], saved["cells"], out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "chart":
        sys.exit(redraw(sys.argv[2]))
    sys.exit(main())
