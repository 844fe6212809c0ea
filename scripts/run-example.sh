#!/usr/bin/env bash
# Sets up and builds norm-mlir (scripts/setup.sh), then runs norm-opt on the
# bundled example: it parses and verifies examples/transformer_block.mlir
# (a pre-norm transformer MLP block and a conv -> batch_norm -> relu block),
# prints it, lowers it to the LLVM dialect with norm-lower-to-cpu, then
# compiles it to a shared library, runs it on random data and checks the
# results against numpy (examples/run_example.py).
#
# Usage: scripts/run-example.sh [example.mlir]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NORM_BUILD_DIR:-$ROOT/build}"
EXAMPLE="${1:-$ROOT/examples/transformer_block.mlir}"

bash "$ROOT/scripts/setup.sh"

echo "== norm-opt $EXAMPLE (verified, pretty-printed)"
"$BUILD/bin/norm-opt" "$EXAMPLE"

echo "== norm-opt $EXAMPLE --norm-lower-to-cpu (functions in the LLVM dialect)"
"$BUILD/bin/norm-opt" "$EXAMPLE" --norm-lower-to-cpu \
  | grep -oE '^ *llvm\.func @[A-Za-z0-9_]+'

echo "== compile, run and check against numpy"
NORM_BUILD_DIR="$BUILD" python3 "$ROOT/examples/run_example.py" "$EXAMPLE"
