#!/usr/bin/env bash
# Sets up, builds and runs the CPU benchmarks (docs/benchmarks.md):
#   bash scripts/bench.sh [run.py arguments, e.g. --quick or --threads 1]
#
#  1. benchmarks/setup.sh: libdnnl-dev, a Python venv with the peers
#     (NORM_BENCH_VENV, default benchmarks/.venv), libcopy.so, onednn_bench.
#  2. norm-opt: $NORM_OPT if set, else $NORM_BUILD_DIR (default build/) is
#     built with scripts/setup.sh (first time) or `ninja norm-opt`.
#  3. benchmarks/run.py with the venv's python: a table on stdout and
#     benchmarks/results/<timestamp>.{json,csv,png}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NORM_BUILD_DIR:-$ROOT/build}"
VENV="${NORM_BENCH_VENV:-$ROOT/benchmarks/.venv}"

bash "$ROOT/benchmarks/setup.sh"

if [[ -z "${NORM_OPT:-}" ]]; then
  if [[ -f "$BUILD/build.ninja" ]]; then
    ninja -C "$BUILD" ${NORM_BUILD_JOBS:+-j "$NORM_BUILD_JOBS"} norm-opt
  else
    NORM_BUILD_DIR="$BUILD" bash "$ROOT/scripts/setup.sh"
  fi
  export NORM_OPT="$BUILD/bin/norm-opt"
fi

PY="$VENV/bin/python"
[[ -x "$PY" ]] || PY=python3
exec "$PY" "$ROOT/benchmarks/run.py" "$@"
