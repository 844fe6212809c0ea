"""Gradient accumulation of a SyncBatchNorm: a training step of batch norm
over `k` micro-batches, each split along dimension 0 over a shard grid (the
global view of the shard dialect), for test_sync_accumulation.py.

@step, as in docs/training.md ("Gradient accumulation"): batch_stats per
micro-batch (all-reduced over the processes), batch_stats_merge, each
micro-batch normalized with the merged statistics; a first backward pass per
micro-batch (batch_norm_grad, or inplace_abn_grad from y) whose parameter
gradients are summed, then the micro-batch form of the backward with those
sums and the whole batch's count. The sums of gradients and `var + eps` are
written with arith/math on tensors, as a hand-written step would be.
"""

import numpy as np

#: Outputs of @step: per micro-batch y and dx (split with the batch), then
#: mean, var, grad_weight, grad_bias (the whole batch's, replicated).
REPLICATED_OUTPUTS = ["mean", "var", "dw", "db"]
EPSILON = 1e-5


def output_names(k):
    return ([f"y{i}" for i in range(k)] + [f"dx{i}" for i in range(k)]
            + REPLICATED_OUTPUTS)


def _tensor(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def module_text(case, ranks):
    """@step of `case` over a 1-D grid of `ranks` processes."""
    k, axis, act = case["k"], case["axis"], case["activation"]
    T, C, N = _tensor(case["shape"]), _tensor([case["shape"][axis]]), \
        "tensor<f32>"
    fa, a = f" feature_axis = {axis}", f" activation = {act}"
    wb = f" weight(%w : {C}) bias(%b : {C})"
    args = ([f"%x{i}: {T}" for i in range(k)] + [f"%w: {C}", f"%b: {C}"]
            + [f"%dy{i}: {T}" for i in range(k)])
    lines = ["%split = shard.sharding @batch split_axes = [[0]] "
             ": !shard.sharding"]
    for i in range(k):
        lines += [f"%x{i}s = shard.shard %x{i} to %split : {T}",
                  f"%dy{i}s = shard.shard %dy{i} to %split : {T}",
                  f"%n{i}, %m{i}, %q{i} = norm.batch_stats %x{i}s{fa} : {T} "
                  f"-> {N}, {C}"]
    cur = "0"
    for i in range(1, k):
        new = f"0to{i}"
        var = f" var({C})" if i == k - 1 else ""
        lines.append(f"%n{new}, %m{new}, %q{new}{', %var' if var else ''} = "
                     f"norm.batch_stats_merge %n{cur}, %m{cur}, %q{cur}, "
                     f"%n{i}, %m{i}, %q{i} : {N}, {C}{var}")
        cur = new
    lines += [f"%eps = arith.constant dense<{EPSILON:e}> : {C}",
              f"%ve = arith.addf %var, %eps : {C}",
              f"%rstd = math.rsqrt %ve : {C}"]
    stats = f"mean(%m{cur} : {C})"
    for i in range(k):
        lines.append(f"%y{i} = norm.batch_norm_inference %x{i}s {stats} "
                     f"var(%var : {C}){wb}{fa}{a} : {T}")

    def grad(i):
        if case["op"] == "inplace_abn":
            return f"norm.inplace_abn_grad %dy{i}s, %y{i} rstd(%rstd : {C}){wb}"
        return (f"norm.batch_norm_grad %dy{i}s, %x{i}s {stats} "
                f"rstd(%rstd : {C}){wb}")

    for i in range(k):
        lines.append(f"%p{i}, %pw{i}, %pb{i} = {grad(i)}{fa}{a} : {T} "
                     f"grad_weight({C}) grad_bias({C})")
    dw, db = "%pw0", "%pb0"
    for i in range(1, k):
        lines += [f"%dw{i} = arith.addf {dw}, %pw{i} : {C}",
                  f"%db{i} = arith.addf {db}, %pb{i} : {C}"]
        dw, db = f"%dw{i}", f"%db{i}"
    for i in range(k):
        lines.append(f"%dx{i} = {grad(i)} batch_grad_sums({db}, {dw} : {C}, "
                     f"{C}) count(%n{cur} : {N}){fa}{a} : {T}")
    outs = []
    for name in [f"%y{i}" for i in range(k)] + [f"%dx{i}" for i in range(k)]:
        lines.append(f"{name}s = shard.shard {name} to %split : {T}")
        outs.append(f"{name}s")
    outs += [f"%m{cur}", "%var", dw, db]
    types = ", ".join([T] * (2 * k) + [C] * 4)
    body = "\n    ".join(lines)
    return f"""
module attributes {{dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}} {{
  shard.grid @batch(shape = {ranks}) {{sym_visibility = "private"}}
  func.func @step({', '.join(args)}) -> ({types})
      attributes {{llvm.emit_c_interface}} {{
    {body}
    return {', '.join(outs)} : {types}
  }}
}}
"""


def make_inputs(case):
    """The whole step's data: k micro-batches x, w, b, k micro-batches dy
    (float32; x around case["shift"])."""
    rng = np.random.default_rng(case["seed"])
    k, shape = case["k"], case["shape"]
    channels = shape[case["axis"]]
    xs = [(rng.standard_normal(shape) * 2.0 + case["shift"]).astype(np.float32)
          for _ in range(k)]
    w = rng.uniform(0.5, 1.5, channels).astype(np.float32)
    b = rng.standard_normal(channels).astype(np.float32)
    dys = [rng.standard_normal(shape).astype(np.float32) for _ in range(k)]
    return xs + [w, b] + dys


def _activation(pre, spec):
    """(act(pre), act'(pre)) for relu and leaky_relu(slope)."""
    if spec == "relu":
        return np.maximum(pre, 0.0), (pre > 0).astype(np.float64)
    slope = float(spec[len("leaky_relu("):-1])
    return np.where(pre > 0, pre, slope * pre), np.where(pre > 0, 1.0, slope)


def reference(case, inputs):
    """Batch normalization of the whole batch (every micro-batch together)
    and its gradients, in float64 from the definition: xhat = (x - mean) *
    rstd over every dimension but the channel, y = act(xhat * w + b),
    dpre = dy * act'(pre), db = sum(dpre), dw = sum(dpre * xhat),
    dx = rstd * w * (dpre - db / n - xhat * dw / n)."""
    k, axis = case["k"], case["axis"]
    xs, (w, b), dys = inputs[:k], inputs[k:k + 2], inputs[k + 2:]
    x = np.concatenate(xs).astype(np.float64)
    dy = np.concatenate(dys).astype(np.float64)
    dims = tuple(d for d in range(x.ndim) if d != axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean, var = x.mean(axis=dims), x.var(axis=dims)
    rstd = 1.0 / np.sqrt(var + EPSILON)
    xhat = (x - mean.reshape(shape)) * rstd.reshape(shape)
    w64, b64 = w.astype(np.float64).reshape(shape), \
        b.astype(np.float64).reshape(shape)
    y, slope = _activation(xhat * w64 + b64, case["activation"])
    dpre = dy * slope
    n = x.size / x.shape[axis]
    db, dw = dpre.sum(axis=dims), (dpre * xhat).sum(axis=dims)
    dx = rstd.reshape(shape) * w64 * (dpre - db.reshape(shape) / n
                                      - xhat * dw.reshape(shape) / n)
    out = dict(mean=mean, var=var, dw=dw, db=db)
    for i, (yi, dxi) in enumerate(zip(np.split(y, k), np.split(dx, k))):
        out[f"y{i}"], out[f"dx{i}"] = yi, dxi
    return out
