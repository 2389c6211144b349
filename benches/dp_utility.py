#!/usr/bin/env python3
"""Utility and cost of the differential-privacy mode on a generated log.

    python3 benches/dp_utility.py [--bin target/release/logveil] [--lines 1000000]
        [--seed 1] [--epsilon 1.0] [--releases 3] [--work DIR] [--out benches/dp-utility]

Generates a log (`logveil gen`), publishes it once in k mode (exact visitor
counts: pages with 100 or more visitors are never folded) and `--releases`
times in DP mode (a fresh state each time, so each release draws its own
noise), and compares every DP `web_pages` row against the exact count of
its (day, site, path). A page the DP release did not publish counts as
published 0 (relative error 1). The error includes the bias of the
contribution bounds: that is what an analyst sees.

Writes `<out>-results.md`, `<out>-results.json` and `<out>.png` (relative
error against the true daily visitors, log scale; needs matplotlib), and
prints the median relative errors for pages with >= 1,000 and >= 100 daily
visitors, the bounds' drops, and the run times of both modes (one run
each; for a robust cost figure, alternate many runs of the two modes under
`/usr/bin/time` and take the median of the pair ratios).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq


def run(cmd, **kw):
    start = time.monotonic()
    subprocess.run(cmd, check=True, **kw)
    return time.monotonic() - start


def hive_pages(out, *columns):
    """(day, site, path) -> the columns' values, from a day-partitioned
    `web_pages`."""
    rows = {}
    for part in sorted((out / "web_pages").iterdir()):
        day = part.name.split("=", 1)[1]
        t = pq.read_table(part / "part-0.parquet").to_pydict()
        for i, (s, p) in enumerate(zip(t["site"], t["path"])):
            rows[(day, s, p)] = tuple(t[c][i] for c in columns)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="target/release/logveil")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--releases", type=int, default=3)
    ap.add_argument("--policy", help="a policy file of your own instead of the defaults at --epsilon")
    ap.add_argument("--work")
    ap.add_argument("--out", default="benches/dp-utility")
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="dp-utility-"))
    work.mkdir(parents=True, exist_ok=True)
    log, key = work / "access.log", work / "key"
    if not log.exists():
        run([a.bin, "gen", "--lines", str(a.lines), "--seed", str(a.seed), "--out", str(log)])
    if not key.exists():
        run([a.bin, "keygen", "--out", str(key)])
    policy = Path(a.policy) if a.policy else work / "dp.toml"
    if not a.policy:
        # The log is complete: every day, the newest too, is over.
        policy.write_text(f"[dp]\nenabled = true\nepsilon = {a.epsilon}\nhold_newest_day = false\n")
    kpolicy = work / "k.toml"
    kpolicy.write_text("")

    def publish(name, pol, state=True):
        out = work / name
        st = work / (name + "-state")
        for d in (out, st):
            subprocess.run(["rm", "-rf", str(d)], check=True)
        cmd = [a.bin, "run", str(log), "--out", str(out), "--key-file", str(key),
               "--policy", str(pol), "-q"]
        if state:
            cmd += ["--state", str(st)]
        return out, run(cmd)

    k_out, k_seconds = publish("k", kpolicy)
    # `(other)` is the k table's fold of small pages, not a page: the DP
    # release has no such row.
    exact = {k: v[0] for k, v in hive_pages(k_out, "visitors").items() if k[2] != "(other)"}
    errors, points, dp_seconds, notes = {1000: [], 100: []}, [], [], []
    for i in range(a.releases):
        out, seconds = publish(f"dp{i}", policy)
        dp_seconds.append(seconds)
        manifest = json.loads((out / "_manifest.json").read_text())
        notes.append([t for t in manifest["tables"] if t["name"] == "web_pages"])
        released = hive_pages(out, "visitors", "visitors_scale")
        for key_, true in exact.items():
            if true < 100:
                continue
            got = released.get(key_, (0, 0))[0]
            rel = abs(got - true) / true
            points.append((true, rel, key_ in released))
            for floor in errors:
                if true >= floor:
                    errors[floor].append(rel)
    note = notes[0][0]["dp"] if notes and notes[0] else {}
    dropped_rows = sum(t["dp"]["dropped"]["rows"] for t in notes[0]) if notes else 0
    result = {
        "lines": a.lines,
        "seed": a.seed,
        "epsilon_per_day": a.epsilon,
        "releases": a.releases,
        "pages_epsilon": note.get("epsilon"),
        "pages_delta": note.get("delta"),
        "threshold": note.get("threshold"),
        "visitors_scale": note.get("visitors_scale"),
        "max_rows": note.get("max_rows"),
        "max_requests": note.get("max_requests"),
        "pages_dropped_rows_per_release": dropped_rows,
        "pages_at_least_1000": len(errors[1000]) // max(a.releases, 1),
        "pages_at_least_100": len(errors[100]) // max(a.releases, 1),
        "median_rel_error_1000": statistics.median(errors[1000]) if errors[1000] else None,
        "median_rel_error_100": statistics.median(errors[100]) if errors[100] else None,
        "unpublished_share_100": sum(1 for p in points if not p[2]) / max(len(points), 1),
        "k_seconds": k_seconds,
        "dp_seconds": dp_seconds,
    }
    Path(a.out + "-results.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        f"# DP utility: `logveil gen --lines {a.lines} --seed {a.seed}`, ε = {a.epsilon} per day\n",
        "| pages (true daily visitors) | page-days | median relative error |",
        "|---|---:|---:|",
        f"| >= 1,000 | {result['pages_at_least_1000']} | {result['median_rel_error_1000']:.3f} |",
        f"| >= 100 | {result['pages_at_least_100']} | {result['median_rel_error_100']:.3f} |",
        "",
        f"web_pages ({note.get('mechanism')}): ε {note.get('epsilon'):.3f}, δ {note.get('delta'):.2e}, threshold "
        f"{note.get('threshold')}, visitors scale {note.get('visitors_scale'):.2f}, "
        f"max_rows {note.get('max_rows')}, max_requests {note.get('max_requests')}; "
        f"{result['unpublished_share_100']:.1%} of the >= 100 page-days unpublished; "
        f"{a.releases} releases pooled.",
        "",
        f"One run each: k mode {k_seconds:.2f} s, DP mode "
        + ", ".join(f"{s:.2f}" for s in dp_seconds) + " s (with a state in both).",
        "",
    ]
    Path(a.out + "-results.md").write_text("\n".join(md))
    print("\n".join(md))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no chart", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    pub = [(t, r) for t, r, p in points if p]
    unp = [(t, r) for t, r, p in points if not p]
    if pub:
        ax.scatter(*zip(*pub), s=6, alpha=0.5, label="published")
    if unp:
        ax.scatter(*zip(*unp), s=6, alpha=0.5, color="tab:red", label="not published (error 1)")
    ax.set_xscale("log")
    ax.set_xlabel("true daily visitors of the page")
    ax.set_ylabel("relative error of published visitors")
    ax.axhline(0.05, color="grey", lw=0.6, ls="--")
    ax.axhline(0.20, color="grey", lw=0.6, ls=":")
    ax.set_title(f"DP web_pages, ε = {a.epsilon}/day, {a.releases} releases, "
                 f"{a.lines:,} generated lines")
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out + ".png", dpi=110)


if __name__ == "__main__":
    main()
