#!/usr/bin/env bash
# Installs what the benchmarks need and builds their native parts.
#
#  1. apt: libdnnl-dev (oneDNN, the C++ peer) when missing.
#  2. A Python venv ($NORM_BENCH_VENV, default benchmarks/.venv) with numpy,
#     ml_dtypes, matplotlib, onnx, onnxruntime, iree-base-compiler,
#     iree-base-runtime and torch (the CPU wheel from download.pytorch.org,
#     else PyPI's default wheel, unless torch is already importable;
#     NORM_BENCH_TORCH_SITE=<site-packages of another venv> links an existing
#     torch instead of downloading one).
#  3. benchmarks/build/: libcopy.so (roofline copies) and onednn_bench.
#
# Every step is best effort: a peer that cannot be installed is reported as
# n/a by run.py instead of stopping the run. Idempotent.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${NORM_BENCH_VENV:-$HERE/.venv}"
OUT="$HERE/build"
CC="${NORM_BENCH_CC:-clang-22}"
CXX="${NORM_BENCH_CXX:-clang++-22}"
LLVM_LIB=/usr/lib/llvm-22/lib

log() { echo "[bench-setup] $*" >&2; }

# -- 1. oneDNN ------------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' libdnnl-dev 2>/dev/null | grep -q 'ok installed'; then
  sudo=()
  ((EUID != 0)) && sudo=(sudo)
  log "apt-get install libdnnl-dev"
  { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive \
      "${sudo[@]}" apt-get install -y -q --no-install-recommends libdnnl-dev; } \
    || log "warning: libdnnl-dev not installed; oneDNN will be n/a"
fi

# -- 2. Python venv ---------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV" || log "warning: python3 -m venv failed"
fi
PY="$VENV/bin/python"
pip_install() {
  "$PY" -m pip install -q --disable-pip-version-check "$@" \
    || log "warning: pip install $* failed"
}
if [[ -x "$PY" ]]; then
  pkgs=()
  for spec in numpy:numpy ml_dtypes:ml_dtypes matplotlib:matplotlib onnx:onnx \
              onnxruntime:onnxruntime iree.compiler:iree-base-compiler \
              iree.runtime:iree-base-runtime; do
    "$PY" -c "import ${spec%%:*}" 2>/dev/null || pkgs+=("${spec#*:}")
  done
  if ((${#pkgs[@]})); then
    log "pip install ${pkgs[*]}"
    for p in "${pkgs[@]}"; do pip_install "$p"; done
  fi
  if ! "$PY" -c 'import torch' 2>/dev/null; then
    if [[ -n "${NORM_BENCH_TORCH_SITE:-}" ]]; then
      site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
      log "linking torch from $NORM_BENCH_TORCH_SITE"
      echo "$NORM_BENCH_TORCH_SITE" > "$site/zz_norm_bench_torch.pth"
    else
      log "pip install torch (CPU wheel; PyPI's default wheel if that index is unreachable)"
      "$PY" -m pip install -q --disable-pip-version-check --retries 1 --timeout 20 \
          torch --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
        || pip_install torch
    fi
  fi
fi

# -- 3. Native parts --------------------------------------------------------------
mkdir -p "$OUT"
log "building $OUT/libcopy.so"
"$CC" -O3 -march=native -fopenmp -fPIC -shared "$HERE/roofline/copy.c" \
  -o "$OUT/libcopy.so" -L"$LLVM_LIB" -Wl,-rpath,"$LLVM_LIB" -lomp \
  || log "warning: libcopy.so failed to build; roofline columns will be n/a"
if [[ -f /usr/include/oneapi/dnnl/dnnl.hpp || -f /usr/include/dnnl.hpp ]]; then
  log "building $OUT/onednn_bench"
  "$CXX" -O2 -std=c++17 "$HERE/peers/onednn_bench.cpp" -o "$OUT/onednn_bench" -ldnnl \
    || log "warning: onednn_bench failed to build; oneDNN will be n/a"
fi
log "done (python: $PY)"
