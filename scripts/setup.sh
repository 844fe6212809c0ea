#!/usr/bin/env bash
# Sets up a Debian 12 machine for norm-mlir and builds it into build/.
# Idempotent: installs only what is missing, reconfigures only when needed.
#
#  1. apt: LLVM/MLIR 22 (Debian's llvm-22 packages; on Debian 12 they come from
#     the bookworm-security suite of the stock deb.debian.org sources, so no
#     extra repository is configured), clang-22, lld-22, libomp, cmake, ninja,
#     MPICH (mpirun.mpich and libmpich for the SyncBatchNorm tests).
#  2. pip: the Python test dependencies (scripts/requirements.txt) for the
#     python3 on PATH.
#  3. cmake (clang-22, Ninja, Release) into build/ and build everything.
#
# Optional: NORM_WITH_TORCH=1 also makes a virtual environment with torch and
# torch-mlir from PyPI ($NORM_TORCH_VENV, default .venv-torch; several GB
# with torch's CUDA wheels) and points ctest's pytest-torch at it.
#
# Environment: NORM_BUILD_DIR (default build), NORM_BUILD_JOBS (ninja -j),
# NORM_SKIP_DEPS=1 (configure and build only), NORM_SETUP_FORCE_APT=1 (run
# apt-get update/install even when every package is present).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NORM_BUILD_DIR:-$ROOT/build}"
LLVM_PREFIX=/usr/lib/llvm-22
APT_PACKAGES=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
              lld-22 libomp-22-dev cmake ninja-build python3 python3-pip
              mpich libmpich-dev)

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] error: $*" >&2; exit 1; }

install_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
      || missing+=("$pkg")
  done
  if [[ "${NORM_SETUP_FORCE_APT:-0}" == 1 ]]; then
    missing=("${APT_PACKAGES[@]}")
  fi
  if ((${#missing[@]} == 0)); then
    log "apt packages present"
    return
  fi
  command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} by hand"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "run as root to install ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  if ! apt-cache show llvm-22-dev >/dev/null 2>&1; then
    die "no llvm-22-dev in the configured apt sources. Debian 12 has it in
bookworm-security (deb.debian.org/debian-security); elsewhere add LLVM's
repository (https://apt.llvm.org, llvm-toolchain-<codename>-22) and rerun."
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

install_python_packages() {
  local py
  py="$(command -v python3)" || die "no python3 on PATH"
  if "$py" -c 'import numpy, pytest, ml_dtypes' 2>/dev/null; then
    log "python packages present for $py"
    return
  fi
  log "pip install -r scripts/requirements.txt for $py"
  local pip=("$py" -m pip install -q --disable-pip-version-check
             -r "$ROOT/scripts/requirements.txt")
  local errlog
  errlog="$(mktemp)"
  if ! "${pip[@]}" 2>"$errlog"; then
    # Debian's own python3 is "externally managed" (PEP 668).
    if grep -q externally-managed "$errlog"; then
      "${pip[@]}" --break-system-packages
    else
      cat "$errlog" >&2
      rm -f "$errlog"
      die "pip install failed"
    fi
  fi
  rm -f "$errlog"
  "$py" -c 'import numpy, pytest, ml_dtypes' \
    || die "the python packages are still not importable by $py"
}

install_torch_venv() {
  local venv="${NORM_TORCH_VENV:-$ROOT/.venv-torch}"
  if ! "$venv/bin/python" -c 'import torch, torch_mlir, pytest, ml_dtypes' \
      2>/dev/null; then
    log "creating $venv with torch and torch-mlir (large download)"
    python3 -m venv "$venv" || die "python3 -m venv failed (apt install python3-venv)"
    "$venv/bin/pip" install -q --disable-pip-version-check torch torch-mlir \
      -r "$ROOT/scripts/requirements.txt" || die "pip install torch torch-mlir failed"
  fi
  TORCH_PYTHON="$venv/bin/python"
}

configure() {
  if [[ -f "$BUILD/build.ninja" ]] \
     && grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$ROOT\$" "$BUILD/CMakeCache.txt"; then
    log "$BUILD is configured"
    return
  fi
  log "configuring $BUILD"
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit"
}

build() {
  log "building $BUILD"
  local jobs=()
  [[ -n "${NORM_BUILD_JOBS:-}" ]] && jobs=(-j "$NORM_BUILD_JOBS")
  ninja -C "$BUILD" "${jobs[@]}"
}

if [[ "${NORM_SKIP_DEPS:-0}" != 1 ]]; then
  install_apt_packages
  install_python_packages
fi
TORCH_PYTHON=
if [[ "${NORM_WITH_TORCH:-0}" == 1 ]]; then
  install_torch_venv
fi
configure
if [[ -n "$TORCH_PYTHON" ]]; then
  cmake "$BUILD" -DNORM_TORCH_PYTHON="$TORCH_PYTHON" >/dev/null
fi
build
log "done: $BUILD/bin/norm-opt, $BUILD/lib/NormPlugin.so"
