"""One rank of test_sync_accumulation.py, started by mpirun.mpich.

    accumulation_worker.py <module.mlir> <cache-dir> <out-dir> <case.json>

Initializes MPI, builds the whole step's data from the case's seed (every
rank the same), calls @step on this rank's slice of dimension 0 of each
micro-batch and writes its outputs to <out-dir>/rank<r>.npz. The test
compiled the module into <cache-dir>.
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from norm_mlir.compiler import compile_mlir  # noqa: E402

import mpi_world  # noqa: E402

from accumulation_case import make_inputs, output_names  # noqa: E402


def main():
    ir_path, cache_dir, out_dir, case_path = sys.argv[1:5]
    mpi, rank, size = mpi_world.init()
    case = json.loads(Path(case_path).read_text())
    k = case["k"]
    inputs = make_inputs(case)
    rows = case["shape"][0] // size
    for i in list(range(k)) + list(range(k + 2, 2 * k + 2)):
        inputs[i] = np.ascontiguousarray(
            inputs[i][rank * rows:(rank + 1) * rows])
    module = compile_mlir(Path(ir_path).read_text(), mpi=True, openmp=False,
                          cache_dir=cache_dir)
    outputs = module.step(*inputs)
    np.savez(Path(out_dir) / f"rank{rank}.npz", size=size,
             **dict(zip(output_names(k), outputs)))
    mpi.MPI_Finalize()


if __name__ == "__main__":
    main()
