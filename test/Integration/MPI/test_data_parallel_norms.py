"""LayerNorm (and its backward), GroupNorm, inference BatchNorm and a
SpectralNorm of a replicated weight next to a SyncBatchNorm in one module,
the batch split along dimension 0 over 2 and 4 MPI processes, against the
same ops run by one process on the whole batch (compiled without the shard
annotations), and the LayerNorm against the numpy reference of its
definition.

The per-sample norms need no communication (ShardingModels.cpp): each rank's
slice of y, dx, GroupNorm's output and the inference BatchNorm's output must
be the single-process result's rows; grad_weight and grad_bias are sums over
the whole batch (all-reduced) and the SyncBatchNorm's output and running
statistics use the whole batch's statistics, on every rank.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from norm_mlir.compiler import compile_mlir

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from mpi_testing import max_rel_error, run_ranks  # noqa: E402
sys.path.insert(0, str(HERE.parents[1] / "Integration" / "CPU"))
from data_parallel_case import (OUTPUTS, SPLIT_OUTPUTS,  # noqa: E402
                                make_inputs, module_text)
import reference as ref  # noqa: E402


# float32 partial sums in another order: relative to each output's
# magnitude.
RTOL = 2e-4


@pytest.fixture(scope="module")
def single_process():
    """@step on the whole batch in one process (no shard dialect)."""
    module = compile_mlir(module_text(1, sharded=False), openmp=False)
    return dict(zip(OUTPUTS, module.step(*make_inputs())))


def test_single_process_layer_norm_matches_numpy(single_process):
    x, _, _, w, b = make_inputs()[:5]
    expected = ref.layer_norm(x, w, b, axes=[2], act="gelu")["output"]
    assert max_rel_error(single_process["y"], expected) < RTOL


@pytest.mark.parametrize("ranks", [2, 4])
def test_data_parallel_matches_single_process(ranks, single_process,
                                              tmp_path):
    ir = module_text(ranks)
    (tmp_path / "module.mlir").write_text(ir)
    cache = tmp_path / "cache"
    compiled = compile_mlir(ir, mpi=True, openmp=False, cache_dir=cache)
    assert compiled.signatures["step"].args[0].shape[0] == 16 // ranks

    outs = run_ranks("data_parallel_worker.py", ranks, tmp_path)

    errors = {}
    for key in OUTPUTS[:SPLIT_OUTPUTS]:  # sharded: the ranks' slices
        errors[key] = max_rel_error(
            np.concatenate([o[key] for o in outs], axis=0),
            single_process[key])
    for key in OUTPUTS[SPLIT_OUTPUTS:]:  # replicated: every rank has all
        errors[key] = max(max_rel_error(o[key], single_process[key])
                          for o in outs)
    print(f"np={ranks} max relative errors:",
          {k: f"{v:.2e}" for k, v in errors.items()})
    bad = {k: v for k, v in errors.items() if v > RTOL}
    assert not bad, f"errors above {RTOL}: {bad}"
