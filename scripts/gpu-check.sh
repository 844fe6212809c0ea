#!/usr/bin/env bash
# GPU check of norm-mlir, in two halves (the GPU machine has no LLVM/MLIR):
#
#   scripts/gpu-check.sh build    here: builds norm-opt and the CUDA runtime
#                                 in $BUILD_DIR (default build-gpu), compiles
#                                 test/GPU/kernels.mlir for $CHIP (default
#                                 sm_90a) into $BUILD_DIR/gpu-bundle: the host
#                                 library (cubins inside), its manifest and
#                                 libnorm_cuda_runtime.so (< 1 MiB; no libMLIR)
#   scripts/gpu-check.sh device   on the GPU machine, in the repository root,
#                                 with the bundle carried: the GPU tests
#                                 (pytest, test/Integration/GPU) then the
#                                 benchmark (benchmarks/gpu/bench_norm.py:
#                                 LayerNorm, RMSNorm, residual+RMSNorm,
#                                 GroupNorm+SiLU, BatchNorm inference and
#                                 training; $BENCH_CASES, $BENCH_NO_COMPILE);
#                                 results to $OUT (or build-gpu/results)
#                                 (NORM_GPU_OTHER_BUNDLES="dir ...": the
#                                 same benchmark on other bundles, A/B,
#                                 on $NORM_GPU_OTHER_CASES or $BENCH_CASES;
#                                 NORM_GPU_PROFILE=0: no Nsight Compute;
#                                 NORM_GPU_PROFILE_CASES=regex;
#                                 NORM_GPU_PROFILE_CANDIDATES="name ...")
#                                 Candidates: kernels built with other
#                                 options ($NORM_GPU_CANDIDATES, below)
#                                 inside the bundle, GPU-tested and
#                                 benchmarked (A/B) in the same call
#   scripts/gpu-check.sh variant NAME 'OPTIONS'
#                                 here, after build: the kernels again with
#                                 extra norm-lower-to-nvvm options (e.g.
#                                 'blocks-per-sm=8') into
#                                 $BUILD_DIR/gpu-bundle-NAME
#   scripts/gpu-check.sh report F here: puts the benchmark table F (the
#                                 device run's benchmarks.md) into
#                                 docs/benchmarks.md
#   scripts/gpu-check.sh simt     here, no GPU: the GPU tests
#                                 (test_gpu_ops.py) on the SIMT interpreter
#                                 (test/Integration/GPU/simt_device.py) with
#                                 the default options and each candidate's,
#                                 PyTorch on the CPU as the reference: a
#                                 check of the tests and kernels before a
#                                 device call (about 4 min an option set;
#                                 PyTorch in $NORM_GPU_SIMT_PYTHON or
#                                 python3); then the benchmark's cases once
#                                 each (bench_norm.py --simt, about 4 min)
#   scripts/gpu-check.sh compare D here or there: each candidate of the
#                                 device run's results D against the
#                                 default, case by case, with its GPU
#                                 tests' outcome (benchmarks/gpu/
#                                 compare_bundles.py; `device` writes it
#                                 to $OUT/compare.md)
#
# One device call (the device tool), after `build`:
#   command: bash scripts/gpu-check.sh device
#   carry:   ["build-gpu/gpu-bundle"]      timeout_s: 480 (with two
#   candidates and Nsight Compute it took about 5 min; with three, an
#   estimated 6; what is done by a timeout still comes back, and the
#   profiles run last)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-gpu}"
BUNDLE="${NORM_GPU_BUNDLE:-$BUILD_DIR/gpu-bundle}"
CHIP="${CHIP:-sm_90a}"
# Candidate defaults, "name=norm-lower-to-nvvm options" (space-separated; the
# options themselves with commas for spaces): built into
# $BUNDLE/candidates/NAME by `build`, run by `device` after the default
# bundle (its GPU tests, then the benchmark on $NORM_GPU_CANDIDATE_CASES).
# A candidate that wins becomes the default in the pipeline, and leaves.
#   resident: one block a GroupNorm/BatchNorm set, the grid in one wave
#             (resident-sets; docs/gpu.md, "Resident sets"), not yet run.
#   unfused-grads: layer_norm_grad / rms_norm_grad with grad_weight and
#             grad_bias in a column reduction of their own (x and dy read
#             twice), against the default that sums them in the grad_input
#             kernel (docs/gpu.md, "Backward of LayerNorm / RMSNorm");
#             neither yet run on a GPU.
#   streaming: the two GroupNorm/BatchNorm kernels (cluster-size=0) with the
#             normalize kernel's output stored evict-first (st.global.cs,
#             streaming-stores), keeping in L2 the input it re-reads, and
#             the same for the backward's grad_input (docs/gpu.md,
#             "Streaming stores"), not yet run.
NORM_GPU_CANDIDATES="${NORM_GPU_CANDIDATES-resident=resident-sets=1 streaming=cluster-size=0,streaming-stores=1 unfused-grads=fuse-parameter-gradients=0}"
export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"

build() {
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
  fi
  ninja -C "$BUILD_DIR" -j"${JOBS:-2}" norm-opt norm_cuda_runtime
  compile_bundle "$BUNDLE" ""
  local candidate
  for candidate in $NORM_GPU_CANDIDATES; do
    compile_bundle "$BUNDLE/candidates/${candidate%%=*}" \
      "$(tr ',' ' ' <<<"${candidate#*=}")"
  done
  # The kernels as PTX and cubins too, for cuobjdump/ncu on the device.
  "$BUILD_DIR/bin/norm-opt" "$ROOT/test/GPU/kernels.mlir" \
    --norm-lower-to-nvvm="chip=$CHIP format=bin" \
    | python3 "$ROOT/scripts/extract-gpu-objects.py" --output-dir "$BUNDLE/cubin"
  local size
  size=$(du -sk "$BUNDLE" | cut -f1)
  echo "bundle: $BUNDLE ($size KiB; the device tool carries at most 64 MiB)"
  if (( size > 60 * 1024 )); then
    echo "error: the bundle is too large to carry" >&2
    exit 1
  fi
  ls -l "$BUNDLE"
  echo
  echo "device call: command='bash scripts/gpu-check.sh device'" \
       "carry=['${BUNDLE#"$ROOT"/}'] timeout_s=480"
}

# compile_bundle DIR OPTIONS: test/GPU/kernels.mlir with the extra
# norm-lower-to-nvvm OPTIONS into DIR (host library, manifest, runtime).
compile_bundle() {
  local dir="$1" options="$2"
  rm -rf "$dir"
  mkdir -p "$dir"
  PYTHONPATH="$ROOT/python" python3 - "$ROOT" "$BUILD_DIR" "$dir" "$CHIP" \
    "$options" <<'PY'
import sys
from pathlib import Path
from norm_mlir.gpu import compile_gpu_library
root, build, bundle = (Path(a) for a in sys.argv[1:4])
chip, options = sys.argv[4:6]
so = compile_gpu_library(root / "test/GPU/kernels.mlir",
                         bundle / "libnorm_gpu_kernels.so",
                         runtime_lib=build / "lib/libnorm_cuda_runtime.so",
                         chip=chip, norm_opt=str(build / "bin/norm-opt"),
                         pipeline_options=options)
print(f"built {so} for {chip}" + (f" with '{options}'" if options else ""))
PY
}

variant() {
  compile_bundle "$BUILD_DIR/gpu-bundle-$1" "$2"
}

device() {
  local out="${OUT:-$ROOT/build-gpu/results}"
  mkdir -p "$out"
  export NORM_GPU_BUNDLE="$BUNDLE" PYTHONUNBUFFERED=1
  local t0=$SECONDS status=0
  {
    nvidia-smi -L || true
    nvidia-smi --query-gpu=driver_version,clocks.max.sm,clocks.max.mem \
      --format=csv || true
    python3 -c 'import torch; print("torch", torch.__version__,
      torch.cuda.get_device_name(0))' || true
    # Registers, shared and local memory (spills) of every kernel.
    for cubin in "$BUNDLE"/cubin/*.cubin; do
      cuobjdump --dump-resource-usage "$cubin" | grep -E 'Function|REG' || true
    done
  } 2>&1 | tee "$out/device.txt"
  # Correctness first: every kernel against PyTorch on the GPU.
  gpu_tests "$BUNDLE" "$out/gpu-tests.txt" || status=1
  echo "tests done at $((SECONDS - t0)) s"
  # Then speed, against eager and torch.compile and a copy in the same run.
  # torch.compile costs tens of seconds a case: it runs after the first pass
  # and stops starting cases after $BENCH_COMPILE_DEADLINE seconds.
  # BENCH_CASES=regex (e.g. 'GroupNorm|BatchNorm'), BENCH_NO_COMPILE=1.
  local args=(--bundle "$BUNDLE" --output "$out/benchmarks.md"
              --compile-deadline "${BENCH_COMPILE_DEADLINE:-150}")
  [[ -n "${BENCH_CASES:-}" ]] && args+=(--cases "$BENCH_CASES")
  [[ -n "${BENCH_NO_COMPILE:-}" ]] && args+=(--no-compile)
  python3 "$ROOT/benchmarks/gpu/bench_norm.py" "${args[@]}" \
    2>&1 | tee "$out/bench-log.txt" || status=1
  echo "benchmark done at $((SECONDS - t0)) s"
  # A/B: other bundles (NORM_GPU_OTHER_BUNDLES, space-separated: built from
  # another commit, or by `variant`), same cases, no torch.compile, same
  # machine; each into benchmarks-<bundle folder>.md.
  # Candidates built into the bundle: correctness first, then A/B.
  local candidate
  for candidate in $(candidates); do
    gpu_tests "$candidate" "$out/gpu-tests-$(basename "$candidate").txt" \
      || status=1
    bench_ab "$candidate" \
      "${NORM_GPU_CANDIDATE_CASES:-GroupNorm|BatchNorm training|BatchNorm backward|LayerNorm backward}" "$out" \
      || status=1
    echo "candidate $(basename "$candidate") done at $((SECONDS - t0)) s"
  done
  local other
  for other in ${NORM_GPU_OTHER_BUNDLES:-}; do
    bench_ab "$other" "${NORM_GPU_OTHER_CASES:-${BENCH_CASES:-}}" "$out" \
      || status=1
  done
  # The candidates against the default, case by case (also `compare DIR`),
  # before the profiles, which a timeout may cut.
  python3 "$ROOT/benchmarks/gpu/compare_bundles.py" "$out" \
    | tee "$out/compare.md" || true
  # Last, when asked and time allows: Nsight Compute's speed of light,
  # launch statistics and occupancy of each kernel (NORM_GPU_PROFILE=1),
  # and of the GroupNorm kernels of the candidates that change them
  # ($NORM_GPU_PROFILE_CANDIDATES).
  if [[ "${NORM_GPU_PROFILE:-1}" != 0 ]]; then
    local ncu
    ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null \
      | head -1 || true)
    if [[ -n "$ncu" ]]; then
      local pcases="${NORM_GPU_PROFILE_CASES:-${BENCH_CASES:-}}"
      profile "$ncu" "$BUNDLE" "$pcases" "$out/ncu.csv" \
        "${NORM_GPU_PROFILE_TIMEOUT:-120}"
      for candidate in $(candidates); do
        [[ " ${NORM_GPU_PROFILE_CANDIDATES-resident streaming} " == \
           *" $(basename "$candidate") "* ]] || continue
        profile "$ncu" "$candidate" "GroupNorm" \
          "$out/ncu-$(basename "$candidate").csv" 60
      done
    else
      echo "no ncu found"
    fi
  fi
  echo "results in $out ($((SECONDS - t0)) s)"
  return $status
}

# The candidate bundles built into $BUNDLE (folders without spaces).
candidates() {
  local dir
  for dir in "$BUNDLE"/candidates/*/; do
    [[ -f "$dir/libnorm_gpu_kernels.so" ]] && echo "${dir%/}"
  done
  return 0
}

# gpu_tests BUNDLE LOG: every kernel of BUNDLE against PyTorch on the GPU
# (the `cuda` tests; the rest of test/Integration/GPU runs in CI).
gpu_tests() {
  NORM_GPU_BUNDLE="$1" python3 -m pytest -q -p no:cacheprovider -rs \
    --timeout=120 -m cuda "$ROOT/test/Integration/GPU" 2>&1 | tee "$2"
}

# bench_ab BUNDLE CASES OUT: the benchmark on BUNDLE (the cases matching
# CASES, all when empty; no torch.compile) into OUT/benchmarks-<folder>.md.
bench_ab() {
  local args=(--bundle "$1" --no-compile
              --output "$3/benchmarks-$(basename "$1").md")
  [[ -n "$2" ]] && args+=(--cases "$2")
  python3 "$ROOT/benchmarks/gpu/bench_norm.py" "${args[@]}" \
    2>&1 | tee -a "$3/bench-log.txt"
}

# profile NCU BUNDLE CASES CSV TIMEOUT: Nsight Compute on the benchmark
# kernels of BUNDLE (the cases matching CASES, all when empty) into CSV.
profile() {
  local ncu="$1" bundle="$2" cases="$3" csv="$4" limit="$5"
  local pargs=(--bundle "$bundle")
  [[ -n "$cases" ]] && pargs+=(--cases "$cases")
  timeout "$limit" "$ncu" --clock-control none \
    --csv --page details --section SpeedOfLight --section LaunchStats \
    --section Occupancy --section MemoryWorkloadAnalysis \
    python3 "$ROOT/benchmarks/gpu/profile_kernels.py" "${pargs[@]}" \
    > "$csv" 2>&1 || echo "ncu failed or timed out ($csv)"
}

simt() {
  local python="${NORM_GPU_SIMT_PYTHON:-python3}" status=0 candidate
  if [[ -z "${NORM_OPT:-}" && -x "$BUILD_DIR/bin/norm-opt" ]]; then
    export NORM_OPT="$BUILD_DIR/bin/norm-opt"
  fi
  if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "no PyTorch in $python (set NORM_GPU_SIMT_PYTHON)" >&2
    return 1
  fi
  for candidate in default= $NORM_GPU_CANDIDATES; do
    local name="${candidate%%=*}" options="chip=$CHIP ${candidate#*=}"
    options="${options//,/ }"
    echo "== $name: $options"
    NORM_GPU_SIMT=1 NORM_GPU_SIMT_OPTIONS="$options" "$python" -m pytest -q \
      -p no:cacheprovider -rs -m cuda \
      "$ROOT/test/Integration/GPU/test_gpu_ops.py" || status=1
  done
  # The benchmark's cases (arguments, references), each kernel run once.
  echo "== benchmark cases: chip=$CHIP"
  NORM_GPU_SIMT_OPTIONS="chip=$CHIP" "$python" \
    "$ROOT/benchmarks/gpu/bench_norm.py" --simt || status=1
  return $status
}

report() {
  local table="$1" doc="$ROOT/docs/benchmarks.md"
  local begin="<!-- gpu-check:begin -->" end="<!-- gpu-check:end -->"
  [[ -f "$doc" ]] || printf '# Benchmarks\n' > "$doc"
  if ! grep -qF "$begin" "$doc"; then
    printf '\n## GPU (scripts/gpu-check.sh)\n\n%s\n%s\n' "$begin" "$end" >> "$doc"
  fi
  python3 - "$doc" "$table" "$begin" "$end" <<'PY'
import sys
doc, table, begin, end = sys.argv[1:]
text = open(doc).read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + open(table).read() + end + tail)
PY
  echo "updated $doc"
}

case "${1:-build}" in
  build) build ;;
  device) device ;;
  variant) variant "${2:?usage: gpu-check.sh variant NAME OPTIONS}" "${3:-}" ;;
  simt) simt ;;
  report) report "${2:?usage: gpu-check.sh report benchmarks.md}" ;;
  compare) python3 "$ROOT/benchmarks/gpu/compare_bundles.py" \
             "${2:?usage: gpu-check.sh compare RESULTS_DIR}" ;;
  *) echo "usage: $0 build|device|simt|variant NAME OPTIONS|report FILE|compare DIR" >&2
     exit 2 ;;
esac
