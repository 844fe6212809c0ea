"""One rank of test_sync_batch_norm.py, started by mpirun.mpich.

    sync_bn_worker.py <module.mlir> <cache-dir> <out-dir> <case.json>

Initializes MPI, builds the whole batch from the case's seed (every rank
the same), calls the compiled function on this rank's slice of dimension 0
and writes its outputs to <out-dir>/rank<r>.npz. The module is already
compiled into <cache-dir> by the test, so no rank compiles.
"""

import ctypes
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from norm_mlir.compiler import compile_mlir  # noqa: E402

from sync_bn_case import make_inputs  # noqa: E402

# MPICH's ABI: MPI_Comm is an int, MPI_COMM_WORLD 0x44000000.
MPI_COMM_WORLD = ctypes.c_int(0x44000000)


def main():
    ir_path, cache_dir, out_dir, case_path = sys.argv[1:5]
    mpi = ctypes.CDLL("libmpich.so.12", mode=ctypes.RTLD_GLOBAL)
    if mpi.MPI_Init(None, None) != 0:
        raise SystemExit("MPI_Init failed")
    rank, size = ctypes.c_int(), ctypes.c_int()
    mpi.MPI_Comm_rank(MPI_COMM_WORLD, ctypes.byref(rank))
    mpi.MPI_Comm_size(MPI_COMM_WORLD, ctypes.byref(size))
    case = json.loads(Path(case_path).read_text())
    x, dy, rm, rv, w, b = make_inputs(case)
    rows = x.shape[0] // size.value
    part = slice(rank.value * rows, (rank.value + 1) * rows)
    module = compile_mlir(Path(ir_path).read_text(), mpi=True,
                          openmp=case.get("openmp", False),
                          cache_dir=cache_dir)
    outputs = module.sync_bn(np.ascontiguousarray(x[part]),
                             np.ascontiguousarray(dy[part]), rm, rv, w, b)
    names = ["y", "saved_mean", "saved_rstd", "running_mean", "running_var",
             "dx", "dweight", "dbias"]
    np.savez(Path(out_dir) / f"rank{rank.value}.npz",
             size=size.value, **dict(zip(names, outputs)))
    mpi.MPI_Finalize()


if __name__ == "__main__":
    main()
