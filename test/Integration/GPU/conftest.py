"""GPU tests: the kernels of test/GPU/kernels.mlir, compiled ahead of time
(scripts/gpu-check.sh build), run on a GPU and compared with PyTorch.

Tests marked `cuda` need a CUDA device, PyTorch with CUDA and the compiled
bundle ($NORM_GPU_BUNDLE, default build-gpu/gpu-bundle); they are skipped
otherwise (CI has no GPU). No MLIR or LLVM is needed to run them.
With NORM_GPU_SIMT=1 they run on the CPU instead, the SIMT interpreter as
the device (simt_device.py): PyTorch and norm-opt are needed then.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "python"))

import simt_device  # noqa: E402

LIBRARY_NAME = "libnorm_gpu_kernels.so"


def pytest_configure(config):
    config.addinivalue_line("markers",
                            "cuda: needs a CUDA GPU and the compiled bundle")


def bundle_dir() -> Path:
    return Path(os.environ.get("NORM_GPU_BUNDLE",
                               REPO / "build-gpu" / "gpu-bundle"))


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _torch_and_norm_opt() -> str:
    """Why NORM_GPU_SIMT=1 cannot run, or the empty string."""
    if importlib.util.find_spec("torch") is None:
        return "NORM_GPU_SIMT=1 needs PyTorch"
    from norm_mlir import find_opt
    if Path(find_opt()).name != "norm-opt":
        return "NORM_GPU_SIMT=1 needs norm-opt"
    return ""


def pytest_collection_modifyitems(config, items):
    if simt_device.ENABLED:
        reason = _torch_and_norm_opt()
        for item in items:
            # Only test_gpu_ops.py's tests take the interpreter as gpu_lib.
            if "cuda" in item.keywords and (
                    reason or "gpu_lib" not in item.fixturenames):
                item.add_marker(pytest.mark.skip(
                    reason=reason or "not a gpu_lib test: needs a GPU"))
        return
    if _cuda_available() and (bundle_dir() / LIBRARY_NAME).is_file():
        return
    reason = ("no CUDA device (torch.cuda.is_available() is false)"
              if not _cuda_available() else
              f"no compiled bundle at {bundle_dir()} "
              "(run scripts/gpu-check.sh build)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def gpu_lib():
    if simt_device.ENABLED:
        from norm_mlir import find_opt
        return simt_device.SimtLibrary(find_opt())
    from norm_mlir.gpu import GpuLibrary
    return GpuLibrary(bundle_dir() / LIBRARY_NAME)
