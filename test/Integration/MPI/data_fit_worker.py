"""One rank of test_data_parallel_fit.py, started by mpirun.mpich.

    data_fit_worker.py <module.mlir> <cache-dir> <out-dir>

Calls @fit on this rank's rows (data_fit_case.SPLITS) and writes its
outputs to <out-dir>/rank<r>.npz. The test compiled the module into
<cache-dir>.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from norm_mlir.compiler import compile_mlir  # noqa: E402

import mpi_world  # noqa: E402

from data_fit_case import (REPLICATED, SPLIT, make_inputs,  # noqa: E402
                           rank_parts)


def main():
    ir_path, cache_dir, out_dir = sys.argv[1:4]
    mpi, rank, size = mpi_world.init()
    module = compile_mlir(Path(ir_path).read_text(), mpi=True, openmp=False,
                          cache_dir=cache_dir)
    outputs = module.fit(*rank_parts(make_inputs(), size, rank))
    # np.savez keeps no bf16: those as f32 (exact).
    outputs = [o.astype(np.float32) if o.dtype.name == "bfloat16" else o
               for o in outputs]
    np.savez(Path(out_dir) / f"rank{rank}.npz", size=size,
             **dict(zip(REPLICATED + SPLIT, outputs)))
    mpi.MPI_Finalize()


if __name__ == "__main__":
    main()
