"""One rank of test_sync_batch_norm.py, started by mpirun.mpich.

    sync_bn_worker.py <module.mlir> <cache-dir> <out-dir> <case.json>

Initializes MPI, builds the whole batch from the case's seed (every rank
the same), calls the compiled function on this rank's slice of dimension 0
and writes its outputs to <out-dir>/rank<r>.npz. The module is already
compiled into <cache-dir> by the test, so no rank compiles.
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from norm_mlir.compiler import compile_mlir  # noqa: E402

import mpi_world  # noqa: E402

from sync_bn_case import make_inputs  # noqa: E402


def main():
    ir_path, cache_dir, out_dir, case_path = sys.argv[1:5]
    mpi, rank, size = mpi_world.init()
    case = json.loads(Path(case_path).read_text())
    x, dy, rm, rv, w, b = make_inputs(case)
    rows = x.shape[0] // size
    part = slice(rank * rows, (rank + 1) * rows)
    module = compile_mlir(Path(ir_path).read_text(), mpi=True,
                          openmp=case.get("openmp", False),
                          cache_dir=cache_dir)
    outputs = module.sync_bn(np.ascontiguousarray(x[part]),
                             np.ascontiguousarray(dy[part]), rm, rv, w, b)
    names = ["y", "saved_mean", "saved_rstd", "running_mean", "running_var",
             "dx", "dweight", "dbias"]
    np.savez(Path(out_dir) / f"rank{rank}.npz",
             size=size, **dict(zip(names, outputs)))
    mpi.MPI_Finalize()


if __name__ == "__main__":
    main()
