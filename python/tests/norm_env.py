"""Shared by the builder/data tests: skip without a norm-opt that has the
CPU pipeline, and compile into a per-session cache directory."""

import subprocess
from pathlib import Path

import pytest

from norm_mlir import compiler


def _norm_opt():
    path = compiler.find_opt()
    if "norm-opt" not in Path(path).name or not Path(path).exists():
        return None
    help_text = subprocess.run([path, "--help"], capture_output=True,
                               text=True).stdout
    return path if "norm-lower-to-cpu" in help_text else None


NORM_OPT = _norm_opt()

requires_norm_opt = pytest.mark.skipif(
    NORM_OPT is None,
    reason="needs norm-opt with --norm-lower-to-cpu (set NORM_BUILD_DIR)")


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """Compile into a fresh cache unless NORM_MLIR_CACHE is set."""
    mp = pytest.MonkeyPatch()
    import os
    if not os.environ.get("NORM_MLIR_CACHE"):
        mp.setenv("NORM_MLIR_CACHE", str(tmp_path_factory.mktemp("norm_cache")))
    yield
    mp.undo()
