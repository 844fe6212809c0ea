"""GPU tests: the kernels of test/GPU/kernels.mlir, compiled ahead of time
(scripts/gpu-check.sh build), run on a GPU and compared with PyTorch.

Tests marked `cuda` need a CUDA device, PyTorch with CUDA and the compiled
bundle ($NORM_GPU_BUNDLE, default build-gpu/gpu-bundle); they are skipped
otherwise (CI has no GPU). No MLIR or LLVM is needed to run them.
"""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "python"))

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


def pytest_collection_modifyitems(config, items):
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
    from norm_mlir.gpu import GpuLibrary
    return GpuLibrary(bundle_dir() / LIBRARY_NAME)
