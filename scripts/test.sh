#!/usr/bin/env bash
# Builds norm-mlir if needed and runs every test through ctest: the lit suite,
# the installed CMake package (scripts/test-install.sh) and the Python tests.
# Arguments go to ctest (e.g. -L lit, -R install, -j2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NORM_BUILD_DIR:-$ROOT/build}"

if [[ -f "$BUILD/build.ninja" ]]; then
  ninja -C "$BUILD" ${NORM_BUILD_JOBS:+-j "$NORM_BUILD_JOBS"}
else
  NORM_SKIP_DEPS="${NORM_SKIP_DEPS:-0}" bash "$ROOT/scripts/setup.sh"
fi
ctest --test-dir "$BUILD" --output-on-failure "$@"
