"""Gradient accumulation of a SyncBatchNorm under MPI: a step over k
micro-batches, each split along dimension 0 over 2 and 4 processes
(accumulation_case.py), equals batch normalization of the whole batch (all
micro-batches of all processes) and its gradients, in float64 numpy.

It needs batch_stats_merge's sharding model, the micro-batch form of the
backward ops over a split batch (local grad_input from the given sums), the
arith/math glue on tensors lowered to linalg before sharding propagation,
and a rank-0 last operand (the count) not throwing away the split of the
others (ShardingUtils.cpp, getUpstreamShardingOption).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from norm_mlir.compiler import compile_mlir

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from mpi_testing import max_rel_error, run_ranks  # noqa: E402
from accumulation_case import (REPLICATED_OUTPUTS,  # noqa: E402
                               make_inputs, module_text, output_names,
                               reference)


CASES = {
    # NCHW, data far from zero: the merge of the micro-batches' statistics
    # must not cancel.
    "batch_norm_relu": dict(op="batch_norm_training", shape=[8, 3, 4, 4],
                            axis=1, k=2, activation="relu", seed=0,
                            shift=50.0),
    # InPlace-ABN (the backward from y), NHWC, three micro-batches.
    "inplace_abn_leaky_relu_nhwc": dict(op="inplace_abn", shape=[8, 2, 3, 4],
                                        axis=3, k=3,
                                        activation="leaky_relu(0.1)", seed=1,
                                        shift=0.5),
}

# float32 against float64, relative to each output's magnitude.
RTOL = 2e-4


@pytest.mark.parametrize("ranks", [2, 4])
@pytest.mark.parametrize("name", sorted(CASES))
def test_accumulation_matches_whole_batch(name, ranks, tmp_path):
    case = CASES[name]
    ir = module_text(case, ranks)
    (tmp_path / "module.mlir").write_text(ir)
    (tmp_path / "case.json").write_text(json.dumps(case))
    cache = tmp_path / "cache"
    compiled = compile_mlir(ir, mpi=True, openmp=False, cache_dir=cache)
    assert compiled.signatures["step"].args[0].shape[0] == \
        case["shape"][0] // ranks

    outs = run_ranks("accumulation_worker.py", ranks, tmp_path,
                     str(tmp_path / "case.json"))

    expected = reference(case, make_inputs(case))
    errors = {}
    for key in output_names(case["k"]):
        if key in REPLICATED_OUTPUTS:  # every rank has all of it
            errors[key] = max(max_rel_error(o[key], expected[key])
                              for o in outs)
        else:  # the ranks' slices
            errors[key] = max_rel_error(
                np.concatenate([o[key] for o in outs]), expected[key])
    print(f"{name} np={ranks} max relative errors:",
          {k: f"{v:.2e}" for k, v in errors.items()})
    bad = {k: v for k, v in errors.items() if v > RTOL}
    assert not bad, f"errors above {RTOL}: {bad}"
