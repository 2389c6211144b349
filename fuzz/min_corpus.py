#!/usr/bin/env python3
"""Pick a small committed corpus out of a large fuzzing corpus.

libFuzzer's own `-merge=1` keeps every input that brings a new feature and
`-set_cover_merge=1` still keeps a few hundred; this does a size-weighted
greedy set cover over the per-input features that libFuzzer writes to a
merge control file, keeps the hand-written seeds (descriptive names under corpus/), and
stops at a file and byte budget.

    B=target/x86_64-unknown-linux-gnu/release
    rm -rf work/tmp work/ctl.txt && mkdir -p work/tmp
    $B/parse_line -set_cover_merge=1 -use_counters=0 \
        -merge_control_file=work/ctl.txt work/tmp corpus/parse_line work/parse_line
    python3 min_corpus.py work/ctl.txt work/min_parse_line 125 320000
    rm -rf corpus/parse_line && cp -r work/min_parse_line corpus/parse_line

Run from fuzz/ (the control file holds paths relative to where the merge
ran). `-use_counters=0` makes the features plain edges, so the cover is
about which code runs, not how often.
"""
import os
import re
import shutil
import sys

ctl, out = sys.argv[1], sys.argv[2]
max_files, max_bytes = int(sys.argv[3]), int(sys.argv[4])
lines = open(ctl).read().split("\n")
n = int(lines[0])
files = lines[2 : 2 + n]
ft = {}
for line in lines[2 + n :]:
    p = line.split()
    if p and p[0] == "FT":
        ft[int(p[1])] = set(map(int, p[2:]))
size = {i: os.path.getsize(files[i]) for i in ft}
universe = set().union(*ft.values())
covered, chosen = set(), []
for i in ft:
    # Hand-written seeds have descriptive names; fuzzer finds are SHA-1s.
    if files[i].startswith("corpus/") and not re.fullmatch(r"[0-9a-f]{40}", os.path.basename(files[i])):
        chosen.append(i)
        covered |= ft[i]
used = sum(size[i] for i in chosen)
while covered != universe:
    rest = [i for i in ft if i not in chosen]
    best = max(rest, key=lambda i: len(ft[i] - covered) / (size[i] + 64))
    if not ft[best] - covered:
        break
    if len(chosen) + 1 > max_files or used + size[best] > max_bytes:
        break
    chosen.append(best)
    covered |= ft[best]
    used += size[best]
os.makedirs(out, exist_ok=True)
for i in chosen:
    shutil.copy(files[i], os.path.join(out, os.path.basename(files[i])))
print(f"{len(chosen)} files, {used} bytes, {len(covered)} of {len(universe)} features")
