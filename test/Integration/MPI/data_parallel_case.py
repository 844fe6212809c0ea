"""Data-parallel norm ops under MPI: one training step's norm ops on a batch
split along dimension 0 (the global view of the shard dialect), and the same
ops without annotations for a single process.

@step: LayerNorm + GELU with its backward (grad_weight/grad_bias summed over
the processes), GroupNorm + SiLU, then a training BatchNorm of its output
(SyncBatchNorm) and an inference BatchNorm of the LayerNorm's output with
the channels on the last axis; and the SpectralNorm of a (replicated)
weight, which every process computes whole.
"""

import numpy as np

#: (name, shape) of @step's arguments; the first three are split with the
#: batch when sharded.
INPUTS = [("x", (16, 5, 12)), ("dy", (16, 5, 12)), ("g", (8, 6, 3, 3)),
          ("w", (12,)), ("b", (12,)), ("gw", (6,)), ("gb", (6,)),
          ("rm", (6,)), ("rv", (6,)), ("im", (12,)), ("iv", (12,)),
          ("sw", (6, 4)), ("su", (6,))]
SPLIT_INPUTS = 3

#: @step's results; the first five are split with the batch.
OUTPUTS = ["y", "dx", "gy", "by", "iy", "dw", "db", "new_rm", "new_rv",
           "sn_w"]
SPLIT_OUTPUTS = 5


def _tensor(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def module_text(ranks, sharded=True):
    """@step, with the batch split over a 1-D grid of `ranks` processes when
    `sharded`, else plain (for one process)."""
    t = {name: _tensor(shape) for name, shape in INPUTS}
    stats = _tensor((16, 5, 1))
    args = ", ".join(f"%{name}: {t[name]}" for name, _ in INPUTS)
    results = ", ".join(t[n] for n in ("x", "x", "g", "g", "x", "w", "w",
                                       "rm", "rm", "sw"))
    lines = []
    if sharded:
        lines.append("%split = shard.sharding @batch split_axes = [[0]] "
                     ": !shard.sharding")
        for name in ("x", "dy", "g"):
            lines.append(f"%{name}s = shard.shard %{name} to %split "
                         f": {t[name]}")
    s = (lambda name: f"%{name}s") if sharded else (lambda name: f"%{name}")
    lines += [
        f"%y, %mean, %rstd = norm.layer_norm {s('x')} weight(%w : {t['w']}) "
        f"bias(%b : {t['b']}) axes = [2] activation = gelu : {t['x']} "
        f"stats({stats}, {stats})",
        f"%dx, %dw, %db = norm.layer_norm_grad {s('dy')}, {s('x')} "
        f"mean(%mean : {stats}) rstd(%rstd : {stats}) weight(%w : {t['w']}) "
        f"bias(%b : {t['b']}) axes = [2] activation = gelu : {t['x']} "
        f"grad_weight({t['w']}) grad_bias({t['b']})",
        f"%gy = norm.group_norm {s('g')} weight(%gw : {t['gw']}) "
        f"bias(%gb : {t['gb']}) groups = 3 activation = silu : {t['g']}",
        f"%by, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %gy "
        f"mean(%rm : {t['rm']}) var(%rv : {t['rv']}) momentum = 0.1 "
        f": {t['g']} stats({t['rm']}, {t['rm']})",
        f"%iy = norm.batch_norm_inference %y mean(%im : {t['im']}) "
        f"var(%iv : {t['iv']}) feature_axis = 2 : {t['x']}",
        f"%snw, %snu, %sigma = norm.spectral_norm %sw, %su "
        f"power_iterations = 3 : {t['sw']}, {t['su']} -> tensor<f32>",
    ]
    outs = ["%y", "%dx", "%gy", "%by", "%iy"]
    if sharded:
        for i, name in enumerate(outs):
            shape = t["g"] if name in ("%gy", "%by") else t["x"]
            lines.append(f"{name}s = shard.shard {name} to %split : {shape}")
            outs[i] = f"{name}s"
    outs += ["%dw", "%db", "%nrm", "%nrv", "%snw"]
    lines.append(f"return {', '.join(outs)} : {results}")
    body = "\n    ".join(lines)
    grid = (f'shard.grid @batch(shape = {ranks}) {{sym_visibility = '
            f'"private"}}' if sharded else "")
    attrs = ('attributes {dlti.map = #dlti.map<"MPI:Implementation" = '
             '"MPICH">} ' if sharded else "")
    return f"""
module {attrs}{{
  {grid}
  func.func @step({args}) -> ({results}) attributes {{llvm.emit_c_interface}} {{
    {body}
  }}
}}
"""


def make_inputs(seed=0):
    """The whole batch and the parameters, float32 (variances positive)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for name, shape in INPUTS:
        a = rng.standard_normal(shape) * 2.0 + 0.5
        if name in ("rv", "iv"):
            a = rng.uniform(0.5, 2.0, shape)
        arrays.append(a.astype(np.float32))
    return arrays
