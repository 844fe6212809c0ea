"""One rank of test_data_parallel_norms.py, started by mpirun.mpich.

    data_parallel_worker.py <module.mlir> <cache-dir> <out-dir>

Initializes MPI, builds the whole batch (every rank the same), calls @step on
this rank's slice of dimension 0 of the batch inputs and writes its outputs
to <out-dir>/rank<r>.npz. The test compiled the module into <cache-dir>.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from norm_mlir.compiler import compile_mlir  # noqa: E402

import mpi_world  # noqa: E402

from data_parallel_case import (OUTPUTS, SPLIT_INPUTS,  # noqa: E402
                                make_inputs)


def main():
    ir_path, cache_dir, out_dir = sys.argv[1:4]
    mpi, rank, size = mpi_world.init()
    inputs = make_inputs()
    for i in range(SPLIT_INPUTS):
        rows = inputs[i].shape[0] // size
        inputs[i] = np.ascontiguousarray(
            inputs[i][rank * rows:(rank + 1) * rows])
    module = compile_mlir(Path(ir_path).read_text(), mpi=True, openmp=False,
                          cache_dir=cache_dir)
    outputs = module.step(*inputs)
    np.savez(Path(out_dir) / f"rank{rank}.npz", size=size,
             **dict(zip(OUTPUTS, outputs)))
    mpi.MPI_Finalize()


if __name__ == "__main__":
    main()
