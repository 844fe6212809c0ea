"""Helpers of the CPU tests that drive norm-opt's default pipeline
themselves: the tool, a skip mark for when it is missing, the lowered IR of
a module, and arrays placed at a chosen offset from a 64-byte boundary."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402

OPT = norm_mlir.find_opt()

#: Mark for the test modules: they need norm-opt (its pipeline).
needs_norm_opt = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")


def lower(text, **options):
    """`text` through norm-opt's default pipeline (with `options`, e.g.
    **{"host-avx512": False}), as LLVM-dialect text."""
    return subprocess.run(
        [OPT, f"--pass-pipeline={norm_mlir.norm_pipeline(**options)}"],
        input=text,
        capture_output=True, text=True, check=True).stdout


def placed(array, offset):
    """A C-contiguous copy of `array` whose data start `offset` bytes past a
    64-byte boundary."""
    raw = np.zeros(array.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(
        array.shape)
    copy[...] = array
    # (numpy gives empty arrays a data pointer of its own.)
    assert array.size == 0 or copy.ctypes.data % 64 == offset
    return copy
