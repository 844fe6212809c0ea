#!/usr/bin/env bash
# Fuzzes norm-mlir in-process with libFuzzer + ASan + UBSan (tools/norm-fuzz).
#
#   scripts/fuzz.sh [seconds]      (default 600)
#
# Configures a separate build directory (build-fuzz, or $NORM_FUZZ_BUILD_DIR)
# with -DNORM_BUILD_FUZZER=ON, builds norm-fuzz, makes a seed corpus from
# test/**/*.mlir split at `// -----`, runs libFuzzer for the given time and
# prints the number of inputs executed. Crashing inputs are kept in
# $BUILD/fuzz-findings (crash-*, leak-*, timeout-*, oom-*); the grown corpus in
# $BUILD/fuzz-corpus. Extra libFuzzer flags: NORM_FUZZ_FLAGS, e.g.
# NORM_FUZZ_FLAGS="-fork=2 -ignore_crashes=1" to go on after a crash.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-600}"
BUILD="${NORM_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
LLVM="${NORM_LLVM_DIR:-/usr/lib/llvm-22}"

if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DMLIR_DIR="$LLVM/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM/bin/lit" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-gline-tables-only \
    -DNORM_BUILD_FUZZER=ON
fi
ninja -C "$BUILD" ${NORM_BUILD_JOBS:+-j "$NORM_BUILD_JOBS"} norm-fuzz

# Seed corpus: every `// -----` chunk of every lit test, prefixed with a
# selector byte (0x80 + i) that rotates through the fuzzer's pass sets;
# chunks over 64 KiB and XFAIL tests (known upstream crashers) are left out.
SEEDS="$BUILD/fuzz-seeds"
CORPUS="$BUILD/fuzz-corpus"
FINDINGS="$BUILD/fuzz-findings"
rm -rf "$SEEDS"
mkdir -p "$SEEDS" "$CORPUS" "$FINDINGS"
python3 - "$ROOT/test" "$SEEDS" <<'PY'
import pathlib, re, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for path in sorted(root.rglob("*.mlir")):
    text = path.read_bytes()
    if b"XFAIL:" in text:  # known crashers (upstream bugs): test/Regression
        continue
    for chunk in re.split(rb"^// -----[ \t]*$", text, flags=re.M):
        # Larger chunks (imported models) exceed -max_len and would be cut.
        if not chunk.strip() or len(chunk) > 65536:
            continue
        data = bytes([0x80 + n % 64]) + chunk
        (out / f"seed-{n:05d}").write_bytes(data)
        n += 1
print(f"fuzz.sh: {n} seed inputs from {root}")
PY
# A dictionary of the tokens of the lit tests (op names, keywords, types), so
# that mutations keep more inputs parseable.
python3 - "$ROOT/test" "$BUILD/fuzz.dict" <<'PY'
import pathlib, re, sys
words = set()
pat = re.compile(rb"[a-z_]+\.[a-z_.]+|[a-z_]{2,}(?= ?=)|tensor<[0-9x?]*[a-z0-9]+>|"
                 rb"#[a-z_.]+<|f16|bf16|f32|f64|i1|i32|i64|->|:|\(|\)|\{|\}")
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.mlir")):
    for m in pat.finditer(path.read_bytes()):
        words.add(m.group(0))
with open(sys.argv[2], "w") as out:
    for w in sorted(words):
        out.write('"' + "".join(chr(c) if 32 <= c < 127 and c not in b'"\\'
                                else "\\x%02X" % c for c in w) + '"\n')
print(f"fuzz.sh: {len(words)} dictionary entries")
PY

LOG="$BUILD/fuzz.log"
# detect_leaks=0: libMLIR.so is not instrumented and keeps process-lifetime
# allocations (uniqued storage, registries) that LeakSanitizer would report.
# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs when the
# code instantiating it is built with ASan, but the uninstrumented libMLIR
# writes to them without unpoisoning (false use-after-poison reports).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allow_user_poisoning=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
set +e
"$BUILD/bin/norm-fuzz" "$CORPUS" "$SEEDS" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=30 -rss_limit_mb=4096 \
  -max_len=65536 -dict="$BUILD/fuzz.dict" -artifact_prefix="$FINDINGS/" \
  -print_final_stats=1 \
  ${NORM_FUZZ_FLAGS:-} 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$LOG" | grep -Eo '[0-9]+$' | tail -1 || true)
# -fork=N mode prints no final stats: take the last "#<count>" status line.
: "${execs:=$(grep -Eo '^#[0-9]+' "$LOG" | tr -d '#' | tail -1 || true)}"
echo "fuzz.sh: executed inputs: ${execs:-unknown}; findings in $FINDINGS:"
ls -1 "$FINDINGS"
exit "$status"
