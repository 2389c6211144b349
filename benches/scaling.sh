#!/usr/bin/env bash
# What two threads can give on this machine, against what they give.
#
#   benches/scaling.sh LOG [ROUNDS]     (BIN=path/to/logveil, default target/release/logveil)
#
# Splits LOG into its two halves of lines, then times ROUNDS alternating
# rounds of three runs (all with every table written, outputs in a temp dir
# beside the log):
#   j1      logveil -j 1 on LOG
#   halves  logveil -j 1 on each half, both at once (two processes)
#   j2      logveil -j 2 on LOG
# and prints each round and the medians of j1/halves ("ideal": two threads
# that share nothing, not even a merge at the end) and j1/j2 ("scaling").
# The halves do the same work as j2 without its merge and with an output of
# their own each, so `ideal` is what the machine gives two independent
# workers on this log: where it is below 1.8, so is any design that splits
# the lines. Put LOG on a RAM disk (/dev/shm) so no run reads the disk.
set -euo pipefail

log=${1:?usage: benches/scaling.sh LOG [ROUNDS]}
rounds=${2:-11}
bin=${BIN:-target/release/logveil}
[ -x "$bin" ] || { echo "no logveil at $bin: cargo build --release, or set BIN" >&2; exit 2; }

work=$(mktemp -d "$(dirname "$log")/scaling.XXXX")
trap 'rm -rf "$work"' EXIT
"$bin" keygen --out "$work/key" >/dev/null 2>&1
lines=$(wc -l <"$log")
head -n $((lines / 2)) "$log" >"$work/a.log"
tail -n +$((lines / 2 + 1)) "$log" >"$work/b.log"

run() { # INPUT JOBS
    local out
    out=$(mktemp -d "$work/o.XXXX")
    "$bin" run "$1" --out "$out/o" --key-file "$work/key" -q -j "$2"
    rm -rf "$out"
}
now() { date +%s%N; }

echo "round  j1 s  halves s  j2 s  ideal  scaling"
for i in $(seq "$rounds"); do
    t0=$(now); run "$log" 1
    t1=$(now); run "$work/a.log" 1 & run "$work/b.log" 1; wait
    t2=$(now); run "$log" 2
    t3=$(now)
    awk -v i="$i" -v a=$((t1 - t0)) -v h=$((t2 - t1)) -v b=$((t3 - t2)) \
        'BEGIN { printf "%5d  %.3f  %.3f  %.3f  %.2f  %.2f\n", i, a/1e9, h/1e9, b/1e9, a/h, a/b }'
done | tee "$work/rounds"
awk '{ ideal[NR] = $5; scaling[NR] = $6; n = NR }
     function median(x, n,   i, j, t) {
         for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
         return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
     }
     END { printf "median ideal %.2f, scaling %.2f (%d rounds)\n", median(ideal, n), median(scaling, n), n }' "$work/rounds"
