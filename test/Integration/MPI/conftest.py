"""MPI tests: shard-annotated modules (SyncBatchNorm) compiled for one
process with `norm-lower-to-cpu{mpi=1}`, linked with MPICH and run under
`mpirun.mpich` with several ranks on this machine.

Skipped when MPICH (`mpirun.mpich`, `libmpich.so`: the Debian packages
`mpich libmpich-dev`, see scripts/setup.sh) is missing.
"""

import ctypes.util
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "python"))

MPIRUN = shutil.which("mpirun.mpich")


def pytest_collection_modifyitems(config, items):
    if MPIRUN and ctypes.util.find_library("mpich"):
        return
    skip = pytest.mark.skip(
        reason="needs MPICH: mpirun.mpich and libmpich (apt-get install "
               "mpich libmpich-dev)")
    for item in items:
        item.add_marker(skip)
