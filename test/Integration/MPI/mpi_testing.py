"""What the MPI tests share: a compiled module run by a worker script under
`mpirun.mpich`, each rank's outputs read back, and the error measure of
float32 results against float64 references."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MPIRUN = shutil.which("mpirun.mpich")


def max_rel_error(actual, expected) -> float:
    """The largest absolute difference relative to the expected values'
    magnitude (at least 1)."""
    expected = np.asarray(expected, np.float64)
    scale = max(1.0, float(np.max(np.abs(expected))))
    return float(np.max(np.abs(np.asarray(actual, np.float64) - expected))
                 ) / scale


def run_ranks(worker: str, ranks: int, tmp_path: Path, *extra: str):
    """Runs `worker` (a script beside this file) on `ranks` processes with
    the arguments <tmp_path>/module.mlir, <tmp_path>/cache, <tmp_path> and
    `extra`; returns the rank<r>.npz files it wrote, one per rank (each
    holds `size`, checked to be `ranks`)."""
    proc = subprocess.run(
        [MPIRUN, "-np", str(ranks), sys.executable, str(HERE / worker),
         str(tmp_path / "module.mlir"), str(tmp_path / "cache"),
         str(tmp_path), *extra],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outs = [np.load(tmp_path / f"rank{r}.npz") for r in range(ranks)]
    assert all(int(o["size"]) == ranks for o in outs)
    return outs
