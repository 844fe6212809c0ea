#!/usr/bin/env bash
# Installs a norm-mlir build into a temporary prefix, builds the external
# project test/Install/consumer against the installed CMake package, runs it,
# and runs the installed norm-opt and plugin.
#
# Usage: scripts/test-install.sh [build-dir]   (default: build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
CACHE="$BUILD/CMakeCache.txt"
[[ -f "$CACHE" ]] || { echo "error: $BUILD is not a configured build" >&2; exit 1; }
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$CACHE"; }
CXX="$(cache_get CMAKE_CXX_COMPILER)"
MLIR_DIR="$(cache_get MLIR_DIR)"
LLVM_BIN="$(dirname "$MLIR_DIR")/../../bin"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/norm-install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== install $BUILD into $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" \
  || { cat "$WORK/install.log"; fail "cmake --install"; }
for f in bin/norm-opt bin/norm-lsp-server lib/NormPlugin.so \
         lib/cmake/norm/NormConfig.cmake lib/cmake/norm/NormTargets.cmake \
         include/norm/InitAllNorm.h include/norm/Config.h \
         include/norm/Dialect/Norm/IR/NormOps.h \
         include/norm/Dialect/Norm/IR/NormOps.h.inc \
         include/norm/Dialect/Norm/IR/NormOps.td; do
  [[ -e "$PREFIX/$f" ]] || fail "$f is not installed"
done

echo "== configure and build the consumer"
cmake -G Ninja -S "$ROOT/test/Install/consumer" -B "$WORK/consumer" \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DMLIR_DIR="$MLIR_DIR" -DCMAKE_BUILD_TYPE=Release >"$WORK/configure.log" \
  || { cat "$WORK/configure.log"; fail "configuring the consumer"; }
cmake --build "$WORK/consumer" >"$WORK/build.log" \
  || { cat "$WORK/build.log"; fail "building the consumer"; }

echo "== run the consumer"
"$WORK/consumer/norm-consumer" >"$WORK/consumer.out" \
  || { cat "$WORK/consumer.out"; fail "the consumer exited with $?"; }
cat "$WORK/consumer.out"
grep -q 'norm.rms_norm %arg0 weight(%arg1 : tensor<16xf32>) axes = \[1\] : tensor<2x16xf32>' \
  "$WORK/consumer.out" || fail "the consumer did not print the norm op"
grep -q '^norm-mlir [0-9.]*: 1 norm op(s)$' "$WORK/consumer.out" \
  || fail "the consumer did not count the norm op"
grep -q '^convert-norm-to-linalg registered$' "$WORK/consumer.out" \
  || fail "the consumer did not see the norm passes"

echo "== run the installed norm-opt and plugin"
"$PREFIX/bin/norm-opt" --version | grep -q 'norm-mlir version' \
  || fail "installed norm-opt --version"
"$PREFIX/bin/norm-opt" "$ROOT/test/Tools/Inputs/valid.mlir" \
  --convert-norm-to-linalg | grep -q linalg.generic \
  || fail "installed norm-opt --convert-norm-to-linalg"
# Debian's mlir-opt is not instrumented: a sanitizer build's plugin needs the
# ASan runtime preloaded (it also provides the UBSan handlers).
PRELOAD=()
if [[ "$(cache_get NORM_ENABLE_SANITIZERS)" =~ ^(ON|1|TRUE|YES)$ ]]; then
  PRELOAD=(env "LD_PRELOAD=$("$CXX" -print-file-name=libclang_rt.asan-x86_64.so)")
fi
"${PRELOAD[@]}" "$LLVM_BIN/mlir-opt" "$ROOT/test/Tools/Inputs/valid.mlir" \
  --load-dialect-plugin="$PREFIX/lib/NormPlugin.so" \
  --load-pass-plugin="$PREFIX/lib/NormPlugin.so" \
  --pass-pipeline='builtin.module(convert-norm-to-linalg)' \
  | grep -q linalg.generic || fail "mlir-opt with the installed plugin"

echo "PASS: installed package works"
