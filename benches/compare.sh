#!/usr/bin/env bash
# logveil against DuckDB and GoAccess on one generated Combined log: wall
# time, throughput and peak RSS of each, and whether they agree on the counts.
# Not part of CI. See benches/README.md.
#
#   benches/compare.sh                      # 1,000,000 lines, 1 and 2 threads
#   LINES=200000 THREADS="1 2 4" REPS=3 KEEP=1 benches/compare.sh
#
# Environment: LINES (1000000), THREADS (thread counts, "1 2"), REPS (runs of
# each tool, best wall time kept; 3), WORK (working directory; default a new
# temporary one, removed at exit unless KEEP=1; a WORK you name is kept),
# DUCKDB (auto | python | cli | none), DUCKDB_CLI (path of the duckdb CLI),
# GOACCESS (path of goaccess, or none).
#
# Exit status: 0 when the tools agree, 3 when a check found a mismatch (the
# table is printed all the same), 1 on any other failure.
set -euo pipefail
export LC_ALL=C # decimal point in $EPOCHREALTIME, English month names for GoAccess

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/.." && pwd)
helper=$here/compare.py

LINES=${LINES:-1000000}
THREADS=${THREADS:-1 2}
REPS=${REPS:-3}
KEEP=${KEEP:-0}
DUCKDB=${DUCKDB:-auto}
SEED=1

die() {
    echo "compare.sh: $*" >&2
    exit 1
}
say() { printf '\n== %s\n' "$*" >&2; }

[[ $LINES =~ ^[1-9][0-9]*$ ]] || die "LINES must be a positive integer, not '$LINES'"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, not '$REPS'"
read -r -a threads <<<"${THREADS//,/ }"
((${#threads[@]} > 0)) || die "THREADS is empty"
for n in "${threads[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "THREADS must list positive integers, not '$n'"
done
if ! /usr/bin/time -v true >/dev/null 2>&1; then
    die "needs GNU time at /usr/bin/time (apt-get install -y time)"
fi
command -v python3 >/dev/null || die "needs python3"
command -v cargo >/dev/null || die "needs cargo"

work_given=
if [[ -n ${WORK:-} ]]; then
    work_given=1
    mkdir -p -- "$WORK"
    WORK=$(cd -- "$WORK" && pwd)
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/logveil-compare.XXXXXX")
    if [[ $KEEP == 1 ]]; then
        echo "compare.sh: KEEP=1, leaving $WORK in place" >&2
    else
        trap 'rm -rf -- "$WORK"' EXIT
    fi
fi
log=$WORK/access.log
out=$WORK/out
results=$WORK/results.tsv
rm -rf -- "$out"
mkdir -p -- "$out"
: >"$results"

# ---------------------------------------------------------------- setup

say "building logveil (cargo build --release -q)"
(cd -- "$root" && cargo build --release -q)
bin=${CARGO_TARGET_DIR:-$root/target}/release/logveil
[[ $bin == /* ]] || bin=$root/$bin
[[ -x $bin ]] || die "no logveil binary at $bin"

say "generating $LINES lines (logveil gen --seed $SEED)"
"$bin" gen --lines "$LINES" --seed "$SEED" --out "$log" --force
bytes=$(stat -c %s -- "$log")

key=$WORK/veil.key
rm -f -- "$key"
"$bin" keygen --out "$key" 2>/dev/null
# What makes logveil's visitor counts comparable with count(DISTINCT ip):
# one visitor per whole address (no IP generalisation), one key epoch per
# UTC day. These are the defaults today; spelt out so they stay in force.
policy=$WORK/policy.toml
cat >"$policy" <<'EOF'
[keys]
epoch = "day"

[ip]
ipv4_prefix = 32
ipv6_prefix = 128

[visitors]
identity = "ip"
EOF
"$bin" policy show --policy "$policy" >/dev/null || die "logveil refused the comparison policy"

# DuckDB: the python module or the CLI.
duckdb_mode=none duckdb_label=''
have_py_duckdb() { python3 -c 'import duckdb' 2>/dev/null; }
duckdb_cli=${DUCKDB_CLI:-$(command -v duckdb || true)}
case $DUCKDB in
auto)
    if have_py_duckdb; then
        duckdb_mode=python
    elif [[ -n $duckdb_cli ]]; then duckdb_mode=cli; fi
    ;;
python)
    have_py_duckdb || die "DUCKDB=python but the python duckdb module is missing"
    duckdb_mode=python
    ;;
cli)
    [[ -n $duckdb_cli && -x $duckdb_cli ]] || die "DUCKDB=cli but no duckdb CLI (set DUCKDB_CLI)"
    duckdb_mode=cli
    ;;
none) ;;
*) die "DUCKDB must be auto, python, cli or none" ;;
esac
case $duckdb_mode in
python) duckdb_label="duckdb (python $(python3 -c 'import duckdb; print(duckdb.__version__)'))" ;;
cli) duckdb_label="duckdb (cli $("$duckdb_cli" --version | awk '{print $1}'))" ;;
none)
    if [[ $DUCKDB == none ]]; then
        echo "compare.sh: DuckDB skipped (DUCKDB=none)" >&2
    else
        echo "compare.sh: DuckDB skipped: neither the python duckdb module nor a duckdb CLI (pip install duckdb)" >&2
    fi
    ;;
esac

# GoAccess, if installed: --jobs where this version has it, and
# 4xx responses counted in unique visitors so that they match a plain
# count(DISTINCT ...).
goaccess=${GOACCESS:-$(command -v goaccess || true)}
[[ $goaccess == none ]] && goaccess=
ga_label='' ga_jobs=0 ga_4xx=0
if [[ -n $goaccess && -x $goaccess ]]; then
    ga_help=$("$goaccess" --help 2>&1 || true)
    grep -q -- '--jobs' <<<"$ga_help" && ga_jobs=1
    grep -q -- '--4xx-to-unique-count' <<<"$ga_help" && ga_4xx=1
    ga_label="goaccess $("$goaccess" --version 2>&1 | sed -n 's/^GoAccess - \([0-9][0-9.]*[0-9]\).*/\1/p' | head -n 1)"
else
    [[ -n $goaccess ]] && echo "compare.sh: GoAccess skipped: $goaccess is not executable" >&2
    [[ -z $goaccess ]] && echo "compare.sh: GoAccess skipped: not installed or GOACCESS=none (apt-get install -y goaccess)" >&2
    goaccess=
fi

# ---------------------------------------------------------------- runs

# measure TOOL THREADS OUTDIR OKFUNC CMD...: runs CMD under /usr/bin/time -v
# with OUTDIR fresh, checks its exit code with OKFUNC, appends
# "tool threads wall_s rss_kib cpu_percent" to results.tsv. The wall time
# comes from $EPOCHREALTIME (µs), peak RSS and CPU share from time -v.
measure() {
    local tool=$1 nthreads=$2 dir=$3 ok=$4
    shift 4
    rm -rf -- "$dir"
    mkdir -p -- "$dir"
    local rc=0 t0 t1
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$dir.time" "$@" >"$dir.stdout" 2>"$dir.stderr" || rc=$?
    t1=$EPOCHREALTIME
    if ! "$ok" "$rc" "$dir"; then
        echo "compare.sh: $tool (threads $nthreads) failed with exit code $rc:" >&2
        tail -n 20 -- "$dir.stderr" >&2
        exit 1
    fi
    local rss
    rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$dir.time")
    [[ -n $rss ]] || die "no peak RSS in $dir.time"
    local cpu
    cpu=$(sed -n 's/^[[:space:]]*Percent of CPU this job got: \([0-9]*\)%.*/\1/p' "$dir.time")
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$nthreads" "$wall" "$rss" "${cpu:-?}" >>"$results"
    printf '   %-9s threads %-3s %8.3f s  %8d KiB  %4s%% CPU\n' "$tool" "$nthreads" "$wall" "$rss" "${cpu:-?}" >&2
}
# shellcheck disable=SC2317 # called through measure's OKFUNC
ok_zero() { [[ $1 == 0 ]]; }
# shellcheck disable=SC2317
ok_logveil() {
    [[ $1 == 0 ]] && return 0
    [[ $1 == 2 ]] && python3 "$helper" manifest-ok "$2" >/dev/null
}

for n in "${threads[@]}"; do
    if [[ $duckdb_mode != none ]]; then
        python3 "$helper" sql --log "$log" --out "$out/duckdb-t$n" --threads "$n" >"$WORK/duckdb-t$n.sql"
    fi
done
if [[ -n $goaccess ]]; then
    ga_flags=(--log-format=COMBINED --no-global-config --no-progress)
    ((ga_4xx)) && ga_flags+=(--4xx-to-unique-count)
    if ((ga_jobs)); then ga_threads=("${threads[@]}"); else ga_threads=(1); fi
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "warming the page cache (cat $log > /dev/null)"
cat -- "$log" >/dev/null

for ((rep = 1; rep <= REPS; rep++)); do
    say "run $rep of $REPS"
    measure wc 1 "$out/wc" ok_zero wc -l -- "$log"
    for n in "${threads[@]}"; do
        measure logveil "$n" "$out/logveil-j$n" ok_logveil \
            "$bin" run "$log" --out "$out/logveil-j$n" -q -j "$n" --key-file "$key" --policy "$policy"
    done
    for n in "${threads[@]}"; do
        case $duckdb_mode in
        python) measure duckdb "$n" "$out/duckdb-t$n" ok_zero python3 "$helper" run-sql "$WORK/duckdb-t$n.sql" ;;
        cli) measure duckdb "$n" "$out/duckdb-t$n" ok_zero \
            "$duckdb_cli" -batch -bail -init /dev/null :memory: -f "$WORK/duckdb-t$n.sql" ;;
        esac
    done
    if [[ -n $goaccess ]]; then
        for n in "${ga_threads[@]}"; do
            jobs=()
            ((ga_jobs)) && jobs=(--jobs="$n")
            measure goaccess "$n" "$out/goaccess-j$n" ok_zero \
                "$goaccess" "$log" "${ga_flags[@]}" "${jobs[@]}" -o "$out/goaccess-j$n/report.json"
        done
    fi
done
lines=$(awk '{ print $1; exit }' "$out/wc.stdout")

# ---------------------------------------------------------------- report

say "agreement checks"
check_rc=0
python3 "$helper" check --out "$out" --log "$log" --lines "$lines" --ga-4xx "$ga_4xx" || check_rc=$?
((check_rc == 0 || check_rc == 3)) || die "the agreement checks failed to run"

labels=(--label "wc=wc -l (floor)" --label "logveil=logveil $("$bin" --version | awk '{print $2}')")
[[ -n $duckdb_label ]] && labels+=(--label "duckdb=$duckdb_label")
[[ -n $ga_label ]] && labels+=(--label "goaccess=$ga_label$( ((ga_jobs)) || echo ' (no --jobs)')")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "logveil compare: $(nproc) CPUs (${cpu:-unknown CPU}), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "input: logveil gen --lines $LINES --seed $SEED (page cache warm)"
echo "load average before the runs: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$helper" table --results "$results" --lines "$lines" --bytes "$bytes" "${labels[@]}"
if [[ $KEEP == 1 || -n $work_given ]]; then
    echo "outputs kept in $WORK"
fi
exit "$check_rc"
