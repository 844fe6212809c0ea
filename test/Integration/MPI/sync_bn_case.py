"""SyncBatchNorm test cases: the shard-annotated module, the inputs (the
same on every rank, from a seed) and the numpy reference over the whole
batch (float64)."""

import numpy as np


def _tensor(shape, elem="f32"):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{elem}>"


def module_text(case, ranks):
    """A module whose @sync_bn runs norm.batch_norm_training and
    norm.batch_norm_grad (or, with `op` "inplace_abn", norm.inplace_abn and
    norm.inplace_abn_grad from its output: InPlace-ABN Sync) on a batch
    split along dimension 0 over a 1-D grid of `ranks` processes (global
    view: shapes of the whole batch)."""
    shape, axis = case["shape"], case["axis"]
    act = f" activation = {case['activation']}" if case.get("activation") else ""
    t, c = _tensor(shape), _tensor([shape[axis]])
    if case.get("op") == "inplace_abn":
        forward = "norm.inplace_abn"
        backward = f"""norm.inplace_abn_grad %dys, %ys
        rstd(%rstd : {c})"""
    else:
        forward = "norm.batch_norm_training"
        backward = f"""norm.batch_norm_grad %dys, %xs mean(%mean : {c})
        rstd(%rstd : {c})"""
    return f"""
module attributes {{dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}} {{
  shard.grid @batch(shape = {ranks}) {{sym_visibility = "private"}}
  func.func @sync_bn(%x: {t}, %dy: {t}, %rm: {c}, %rv: {c}, %w: {c}, %b: {c})
      -> ({t}, {c}, {c}, {c}, {c}, {t}, {c}, {c})
      attributes {{llvm.emit_c_interface}} {{
    %split = shard.sharding @batch split_axes = [[0]] : !shard.sharding
    %xs = shard.shard %x to %split : {t}
    %dys = shard.shard %dy to %split : {t}
    %y, %mean, %rstd, %nrm, %nrv = {forward} %xs
        mean(%rm : {c}) var(%rv : {c}) weight(%w : {c}) bias(%b : {c})
        feature_axis = {axis} epsilon = {case['eps']:e} momentum = {case['momentum']:e}{act}
        : {t} stats({c}, {c})
    %ys = shard.shard %y to %split : {t}
    %dx, %dw, %db = {backward} weight(%w : {c}) bias(%b : {c})
        feature_axis = {axis}{act} : {t} grad_weight({c}) grad_bias({c})
    %dxs = shard.shard %dx to %split : {t}
    return %ys, %mean, %rstd, %nrm, %nrv, %dxs, %dw, %db
        : {t}, {c}, {c}, {c}, {c}, {t}, {c}, {c}
  }}
}}
"""


def make_inputs(case):
    """x (offset by `shift`, to exercise the variance's cancellation), dy,
    running mean and variance, weight, bias; float32."""
    rng = np.random.default_rng(case["seed"])
    shape, axis = case["shape"], case["axis"]
    channels = shape[axis]
    f32 = np.float32
    x = (case["shift"] + rng.standard_normal(shape) * 2.0).astype(f32)
    dy = rng.standard_normal(shape).astype(f32)
    rm = rng.standard_normal(channels).astype(f32)
    rv = rng.uniform(0.5, 2.0, channels).astype(f32)
    w = rng.uniform(0.5, 1.5, channels).astype(f32)
    b = rng.standard_normal(channels).astype(f32)
    return x, dy, rm, rv, w, b


def reference(case, x, dy, rm, rv, w, b):
    """Single-process batch normalization over the whole batch, float64."""
    axis, eps, momentum = case["axis"], case["eps"], case["momentum"]
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    reduce = tuple(d for d in range(x.ndim) if d != axis)
    bshape = [1] * x.ndim
    bshape[axis] = -1
    n = x.size // x.shape[axis]
    mean = x.mean(axis=reduce)
    var = x.var(axis=reduce)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean.reshape(bshape)) * rstd.reshape(bshape)
    pre = xhat * w.reshape(bshape) + b.reshape(bshape)
    kind, _, alpha = (case.get("activation") or "none").partition("(")
    alpha = float(alpha.rstrip(")")) if alpha else None
    if kind == "relu":
        y, slope = np.maximum(pre, 0.0), (pre > 0).astype(np.float64)
    elif kind == "leaky_relu":
        y = np.where(pre > 0, pre, alpha * pre)
        slope = np.where(pre > 0, 1.0, alpha)
    elif kind == "elu":
        y = np.where(pre > 0, pre, alpha * np.expm1(pre))
        slope = np.where(pre > 0, 1.0, alpha * np.exp(pre))
    else:
        assert kind == "none", kind
        y, slope = pre, 1.0
    dpre = dy * slope
    dbias = dpre.sum(axis=reduce)
    dweight = (dpre * xhat).sum(axis=reduce)
    dx = (rstd * w).reshape(bshape) * (
        dpre - (dbias / n).reshape(bshape) - xhat * (dweight / n).reshape(bshape))
    return {
        "y": y, "saved_mean": mean, "saved_rstd": rstd,
        "running_mean": (1 - momentum) * rm + momentum * mean,
        "running_var": (1 - momentum) * rv + momentum * var * n / (n - 1),
        "dx": dx, "dweight": dweight, "dbias": dbias,
    }
