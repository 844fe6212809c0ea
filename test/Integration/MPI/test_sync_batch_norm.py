"""SyncBatchNorm under MPI: a training batch norm (forward and backward;
batch_norm_training or InPlace-ABN) whose batch is split along dimension 0
over a shard grid of 2 and 4 processes equals single-process batch
normalization over the whole batch.

Each case is compiled once (`compile_mlir(mpi=True)`, norm-lower-to-cpu
{mpi=1}, linked with MPICH), then run with `mpirun.mpich -np <ranks>`; every
rank writes its outputs, which are checked against numpy in float64: the
normalized output and input gradient of each rank's slice, and the
statistics, running statistics and parameter gradients on every rank.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from norm_mlir.compiler import compile_mlir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mpi_testing import max_rel_error, run_ranks  # noqa: E402
from sync_bn_case import make_inputs, module_text, reference  # noqa: E402

CASES = {
    # NCL, channels on axis 1, data far from zero (variance cancellation).
    "ncl": dict(shape=[16, 3, 5], axis=1, eps=1e-5, momentum=0.1, seed=0,
                shift=100.0),
    # The same with the OpenMP lowering (the default of mpi=1).
    "ncl_openmp": dict(shape=[16, 3, 5], axis=1, eps=1e-5, momentum=0.1,
                       seed=2, shift=100.0, openmp=True),
    # NHWC with a fused ReLU (its backward masks dy).
    "nhwc_relu": dict(shape=[8, 3, 2, 6], axis=3, eps=1e-3, momentum=0.25,
                      seed=1, shift=1.0, activation="relu"),
    # InPlace-ABN Sync: y overwrites x and the backward reads y alone.
    "inplace_abn_leaky_relu": dict(op="inplace_abn", shape=[16, 4, 3, 3],
                                   axis=1, eps=1e-5, momentum=0.1, seed=3,
                                   shift=20.0, activation="leaky_relu(0.01)"),
    "inplace_abn_elu_nhwc": dict(op="inplace_abn", shape=[8, 2, 3, 5], axis=3,
                                 eps=1e-4, momentum=0.2, seed=4, shift=0.5,
                                 activation="elu(1.0)"),
}

# float32 against float64: relative to each output's magnitude.
RTOL = 2e-4


@pytest.mark.parametrize("ranks", [2, 4])
@pytest.mark.parametrize("name", sorted(CASES))
def test_sync_batch_norm_matches_whole_batch(name, ranks, tmp_path):
    case = CASES[name]
    ir = module_text(case, ranks)
    (tmp_path / "module.mlir").write_text(ir)
    (tmp_path / "case.json").write_text(json.dumps(case))
    cache = tmp_path / "cache"
    # Compile here once; the ranks find the library in the cache.
    compiled = compile_mlir(ir, mpi=True, openmp=case.get("openmp", False),
                            cache_dir=cache)
    local_rows = case["shape"][0] // ranks
    assert compiled.signatures["sync_bn"].args[0].shape[0] == local_rows

    outs = run_ranks("sync_bn_worker.py", ranks, tmp_path,
                     str(tmp_path / "case.json"))

    expected = reference(case, *make_inputs(case))
    errors = {}
    for key in ("y", "dx"):  # sharded: concatenate the ranks' slices
        errors[key] = max_rel_error(
            np.concatenate([o[key] for o in outs], axis=0), expected[key])
    for key in ("saved_mean", "saved_rstd", "running_mean", "running_var",
                "dweight", "dbias"):  # replicated: every rank has all
        errors[key] = max(max_rel_error(o[key], expected[key]) for o in outs)
    print(f"{name} np={ranks} max relative errors:",
          {k: f"{v:.2e}" for k, v in errors.items()})
    bad = {k: v for k, v in errors.items() if v > RTOL}
    assert not bad, f"errors above {RTOL}: {bad}"
