#!/usr/bin/env bash
# The benchmark matrix: builds the release binary, then runs benches/matrix.py
# (logveil, plain and strict DuckDB, chDB, GoAccess, wc -l over every cell).
# Not part of CI. See benches/README.md.
#
#   benches/matrix.sh                                  # all cells, 1,000,000 lines each
#   LINES=100000 CELLS="default targets-1m" benches/matrix.sh
set -euo pipefail
export LC_ALL=C
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/.." && pwd)
/usr/bin/time -v true >/dev/null 2>&1 || { echo "matrix.sh: needs GNU time (apt-get install -y time)" >&2; exit 1; }
python3 -c 'import duckdb' 2>/dev/null || { echo "matrix.sh: needs the python duckdb module (pip install duckdb)" >&2; exit 1; }
if [[ -z ${BIN:-} ]]; then
    echo "matrix.sh: cargo build --release --bin logveil" >&2
    (cd -- "$root" && cargo build --release -q --bin logveil)
    export BIN=${CARGO_TARGET_DIR:-$root/target}/release/logveil
fi
exec python3 "$here/matrix.py"
