#!/usr/bin/env python3
"""logveil on Apache Spark: partials as tasks, an exact merge per day, one publish.

1. Every input (a log file or a host's log directory) is folded into private
   partials by `logveil partial`, one Spark task each, into a shared work
   directory (`WORK/shards/shard-NNNNN/`). A retried task simply rewrites its
   shard: `partial` replaces its --out as a whole.
2. The driver checks that every shard's `_partials.json` has the same format,
   key fingerprint and settings hash (publish would refuse them anyway, but
   after the heavy merge).
3. Spark SQL merges the shards' rows per day exactly: a GROUP BY of the key
   columns, sums of the counters, the union of the `visitors` pseudonyms
   (the only heavy step: the shuffle) and the per-bucket sum of the
   response-time sketches. Session rows are kept as they are (a union):
   sessions of one visitor from several shards are coalesced within the
   session gap by `logveil publish` when it imports the day, as when it
   merges shards itself. Each day becomes ONE merged partial directory,
   same columns and types, in `WORK/merged/partials/day=YYYY-MM-DD/`, with a
   `_partials.json` that sums the shards' run accounting.
4. `logveil publish WORK/merged --out OUT` runs once, on the driver: every
   disclosure decision (k thresholds, folding into `(other)`, rounding) is
   made by the Rust code, which publishes each day from its merged partial
   (days in parallel on the driver's cores).

Columns the merge does not know are summed: any column that is neither a key
nor one of the three list columns is a counter in the partial format, so
counters added to the format later merge without a change here.

The work directory holds pseudonyms (personal data): it is created 0700 and
must not be shared beyond the cluster's own storage. See scale-out/README.md.
"""

import argparse
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys

FORMAT = 3
KEYS = ["table", "time", "site", "label", "status", "browser", "os", "device", "is_bot"]
SKETCH = ("latency_buckets", "latency_counts")
VISITORS = "visitors"
# Only in partials of the differential-privacy mode, which this job refuses.
COUNTED = "visitor_requests"
PARTIALS_JSON = "_partials.json"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("inputs", nargs="+", help="log files or host directories, one Spark task each")
    p.add_argument("--key-file", required=True, help="logveil key file, readable on every worker")
    p.add_argument("--policy", help="policy file, readable on every worker and the driver")
    p.add_argument("--work", required=True, help="shared work directory (private: pseudonyms)")
    p.add_argument("--out", required=True, help="the published output directory")
    p.add_argument("--logveil", default="logveil",
                   help="the logveil binary: a path on every worker, a name on PATH, or the "
                        "name of a file shipped with spark-submit --files")
    p.add_argument("--master", help="Spark master (default: what spark-submit or the "
                                    "environment says, else local[*])")
    p.add_argument("--remote", help="Spark Connect URL (sc://host:15002) instead of a master")
    p.add_argument("--task-threads", type=int, default=1,
                   help="threads of each `logveil partial` task (-j); match spark.task.cpus")
    p.add_argument("--partial-args", default="",
                   help="more options for every `logveil partial`, one shell-quoted string "
                        "(e.g. \"--report-timezone Europe/Berlin --site www.example.org\")")
    p.add_argument("--publish-args", default="", help="more options for `logveil publish`")
    p.add_argument("--day-partitions", type=int, default=0,
                   help="shuffle partitions of the merge (default: Spark's)")
    return p.parse_args(argv)


def local_file(name, program=False):
    """A path usable in this process: the name itself, a program on PATH, or
    the copy Spark shipped with --files."""
    if os.path.exists(name):
        return os.path.abspath(name)
    found = program and shutil.which(name)
    if found:
        return found
    from pyspark import SparkFiles

    shipped = SparkFiles.get(os.path.basename(name))
    if not os.path.exists(shipped):
        raise FileNotFoundError(f"{name} is neither a path, on PATH, nor shipped with --files")
    # Spark fetches files 0711 or so: the binary must run, and logveil
    # refuses a key file others may read.
    os.chmod(shipped, stat.S_IRWXU if program else stat.S_IRUSR | stat.S_IWUSR)
    return shipped


def run_partial(job):
    """One Spark task: `logveil partial` over one input into its shard."""
    index, source, cfg = job
    out = os.path.join(cfg["work"], "shards", f"shard-{index:05d}")
    cmd = [local_file(cfg["logveil"], program=True), "partial", source, "--out", out,
           "--key-file", local_file(cfg["key_file"]), "-q", "-j", str(cfg["task_threads"])]
    if cfg["policy"]:
        cmd += ["--policy", local_file(cfg["policy"])]
    cmd += shlex.split(cfg["partial_args"])
    r = subprocess.run(cmd, capture_output=True, text=True)
    # 2: written, but an input was partly unreadable (the manifest says
    # which); 1: nothing written, the job cannot be exact.
    if r.returncode not in (0, 2):
        raise RuntimeError(f"logveil partial of input {index} exited {r.returncode}: "
                           f"{r.stderr.strip()[-2000:]}")
    return index, out, r.returncode


def check_alike(metas):
    """The shards' manifests must agree, as publish requires."""
    first = metas[0]
    for i, m in enumerate(metas, 1):
        if m.get("what") != "logveil partials":
            sys.exit(f"shard {i}: not a directory of logveil partials")
        if m["format"] != FORMAT:
            sys.exit(f"shard {i}: partial format {m['format']}, this job merges format {FORMAT}")
        for field in ("key_fingerprint", "settings_hash"):
            if m[field] != first[field]:
                sys.exit(f"shards 1 and {i} differ in {field}: they cannot be merged")


def merged_meta(metas, days):
    """The merged directory's `_partials.json`: the first shard's, with every
    day, and the shards' run accounting added up (inputs, problems and
    ignored files listed, totals summed) for the published manifest."""
    meta = json.loads(json.dumps(metas[0]))
    meta["days"] = sorted(days)
    runs = [m["run"] for m in metas]
    run = meta["run"]
    for field in ("inputs", "problems", "ignored"):
        run[field] = [x for r in runs for x in (r.get(field) or [])]
    totals = {}
    for r in runs:
        for name, value in (r.get("totals") or {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
    run["totals"] = totals
    run["complete"] = all(r.get("complete") is True for r in runs)
    run["elapsed_seconds"] = sum(r.get("elapsed_seconds") or 0 for r in runs)
    run["days"]["published"] = sorted(days)
    run["shards"] = len(metas)
    return meta


def merge_rows(spark, files):
    """Every shard's rows, merged exactly per day and key."""
    from pyspark.sql import functions as F

    rows = spark.read.parquet(*files).withColumn(
        "day", F.regexp_extract(F.col("_metadata.file_path"), r"day=(\d{4}-\d{2}-\d{2})", 1))
    if COUNTED in rows.columns:
        # A list column would be summed as a counter below, and publish
        # could not release such days anyway: it keeps no budget ledger.
        sys.exit("the shards count each visitor's requests (the differential-privacy mode): "
                 "this job merges k-mode partials only, and a differential-privacy release "
                 "needs the budget ledger of a state; run `logveil run --state` instead")
    columns = rows.columns[:-1]
    measures = [c for c in columns if c not in KEYS and c not in SKETCH and c != VISITORS]
    # The sketch: counts per bucket index, summed over the group's rows.
    sketch = F.expr(
        "aggregate(flatten(collect_list(arrays_zip(latency_buckets, latency_counts))),"
        " cast(map() as map<int, bigint>),"
        " (acc, x) -> map_zip_with(acc, map(x.latency_buckets, x.latency_counts),"
        " (k, a, b) -> coalesce(a, 0L) + coalesce(b, 0L)))")
    merged = rows.groupBy("day", *KEYS).agg(
        *[F.sum(m).alias(m) for m in measures],
        F.array_sort(F.map_entries(sketch)).alias("_sketch"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list(VISITORS)))).alias(VISITORS),
    )
    merged = merged.withColumn(SKETCH[0], F.expr("transform(_sketch, e -> e.key)")) \
        .withColumn(SKETCH[1], F.expr("transform(_sketch, e -> e.value)"))
    # Same column order and types as the shards' files.
    return merged.select("day", *[F.col(c).cast(rows.schema[c].dataType) for c in columns])


def union_sessions(spark, files):
    """Every shard's sessions, as they are: publish coalesces a visitor's
    sessions from several shards within the gap when it imports the day."""
    from pyspark.sql import functions as F

    return spark.read.parquet(*files).withColumn(
        "day", F.regexp_extract(F.col("_metadata.file_path"), r"day=(\d{4}-\d{2}-\d{2})", 1))


def write_per_day(frame, tmp, merged, name, days, empty_schema, spark):
    """Writes `frame` as one file per day (all of a day's rows go to one task),
    then moves each into `merged/partials/day=D/name`."""
    frame.repartition("day").write.mode("overwrite").partitionBy("day").parquet(tmp)
    for day in days:
        src_dir = os.path.join(tmp, f"day={day}")
        dst_dir = os.path.join(merged, "partials", f"day={day}")
        os.makedirs(dst_dir, mode=0o700, exist_ok=True)
        parts = sorted(f for f in os.listdir(src_dir) if f.endswith(".parquet")) \
            if os.path.isdir(src_dir) else []
        if len(parts) > 1:
            sys.exit(f"day {day}: {len(parts)} files for {name}, expected one")
        dst = os.path.join(dst_dir, name)
        if parts:
            shutil.move(os.path.join(src_dir, parts[0]), dst)
        else:
            # A day with rows but no sessions (or the reverse) still needs
            # both files: an empty one with the schema.
            spark.createDataFrame([], empty_schema).coalesce(1).write.parquet(dst + ".tmp")
            one = [f for f in os.listdir(dst + ".tmp") if f.endswith(".parquet")][0]
            shutil.move(os.path.join(dst + ".tmp", one), dst)
            shutil.rmtree(dst + ".tmp")
        os.chmod(dst, 0o600)
    shutil.rmtree(tmp)


def session(args):
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName("logveil")
    if args.remote:
        b = b.remote(args.remote)
    elif args.master:
        b = b.master(args.master)
    # Only zstd is read by logveil's Parquet reader.
    b = b.config("spark.sql.parquet.compression.codec", "zstd")
    if args.day_partitions:
        b = b.config("spark.sql.shuffle.partitions", str(args.day_partitions))
    return b.getOrCreate()


def main(argv):
    args = parse_args(argv)
    os.umask(0o077)  # shards, merged partials and Spark's temporary files: private
    work = os.path.abspath(args.work)
    os.makedirs(work, mode=0o700, exist_ok=True)
    os.chmod(work, 0o700)
    spark = session(args)
    # Paths the driver has are given to the tasks whole (a local run, a
    # shared file system); other names are looked up on each worker.
    def here(p):
        return os.path.abspath(p) if p and os.path.exists(p) else p

    cfg = {
        "work": work, "logveil": here(args.logveil), "key_file": here(args.key_file),
        "policy": here(args.policy), "task_threads": args.task_threads,
        "partial_args": args.partial_args,
    }
    # Resolved while Spark runs: a binary shipped with --files is found
    # through the SparkContext.
    logveil = local_file(args.logveil, program=True)
    jobs = [(i, os.path.abspath(src) if os.path.exists(src) else src, cfg)
            for i, src in enumerate(args.inputs)]
    if args.remote:
        # Spark Connect has no RDDs: one row per input, a Python UDF per row.
        from pyspark.sql import functions as F, types as T

        schema = T.StructType([T.StructField("i", T.IntegerType()),
                               T.StructField("out", T.StringType()),
                               T.StructField("rc", T.IntegerType())])
        udf = F.udf(lambda i, s: run_partial((i, s, cfg)), schema)
        df = spark.createDataFrame([(i, s) for i, s, _ in jobs], "i int, s string")
        done = [tuple(r[0]) for r in df.repartition(len(jobs)).select(udf("i", "s")).collect()]
    else:
        sc = spark.sparkContext
        done = sc.parallelize(jobs, len(jobs)).map(run_partial).collect()
    done.sort()
    shards = [out for _, out, _ in done]
    metas = []
    for out in shards:
        with open(os.path.join(out, PARTIALS_JSON)) as f:
            metas.append(json.load(f))
    check_alike(metas)
    days = sorted({d for m in metas for d in m["days"]})
    if not days:
        sys.exit("no input gave a day of web logs: nothing to merge")

    merged = os.path.join(work, "merged")
    shutil.rmtree(merged, ignore_errors=True)
    os.makedirs(os.path.join(merged, "partials"), mode=0o700)
    day_files = [os.path.join(s, "partials", f"day={d}") for s, m in zip(shards, metas)
                 for d in m["days"]]
    rows = merge_rows(spark, [os.path.join(d, "rows.parquet") for d in day_files])
    sessions = union_sessions(spark, [os.path.join(d, "sessions.parquet") for d in day_files])
    rows_schema = rows.drop("day").schema
    sessions_schema = sessions.drop("day").schema
    write_per_day(rows, os.path.join(work, "tmp-rows"), merged, "rows.parquet", days,
                  rows_schema, spark)
    write_per_day(sessions, os.path.join(work, "tmp-sessions"), merged, "sessions.parquet",
                  days, sessions_schema, spark)
    with open(os.path.join(merged, PARTIALS_JSON), "w") as f:
        json.dump(merged_meta(metas, days), f, indent=1)

    # Before Spark stops: it deletes the files shipped with --files.
    cmd = [logveil, "publish", merged, "--out", args.out, "-q"]
    if args.policy:
        cmd += ["--policy", local_file(args.policy)]
    cmd += shlex.split(args.publish_args)
    r = subprocess.run(cmd)
    spark.stop()
    if r.returncode != 0:
        sys.exit(f"logveil publish exited {r.returncode}")
    worst = max(rc for _, _, rc in done)
    print(f"logveil_spark: {len(shards)} shards, {len(days)} days merged and published"
          + ("; some inputs were only partly read (see the manifest)" if worst else ""))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
