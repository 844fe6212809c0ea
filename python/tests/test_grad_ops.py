"""norm_mlir.builder / norm_mlir.ops for the backward ops and the
micro-batch statistics, against numpy references written from the
definitions in docs/training.md (float64), themselves checked against
central finite differences of the compiled forward ops."""

import subprocess

import numpy as np
import pytest

from norm_mlir import ops
from norm_mlir.builder import FunctionBuilder, TensorType, module_text

from norm_env import NORM_OPT, _session_cache, requires_norm_opt  # noqa: F401

RNG = np.random.default_rng(7)


def rand(*shape, dtype=np.float32, offset=0.0):
    return (RNG.standard_normal(shape) + offset).astype(dtype)


def f64(a):
    return np.asarray(a, np.float64)


def close(a, b, tol=1e-4):
    b = f64(b)
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(f64(a), b, rtol=tol, atol=tol * scale)


def act_and_derivative(pre, act):
    kind, _, alpha = (act or "none").partition("(")
    alpha = float(alpha.rstrip(")")) if alpha else 0.01
    if kind == "relu":
        return np.maximum(pre, 0), (pre > 0).astype(float)
    if kind == "leaky_relu":
        return np.where(pre > 0, pre, alpha * pre), np.where(pre > 0, 1, alpha)
    if kind == "silu":
        sig = 1 / (1 + np.exp(-pre))
        return pre * sig, sig * (1 + pre * (1 - sig))
    assert kind == "none", act
    return pre, np.ones_like(pre)


def ref_grad(s, dy, R, P, w, b, act, eps, centred=True):
    """grad_input, grad_weight, grad_bias of act(xhat * w + b), xhat the
    normalization of `s` over the axes R (mean-free with `centred` False);
    the parameters broadcast along the axes P (1-D ones are reshaped to the
    one axis not in P)."""
    s, dy = f64(s), f64(dy)
    if len(P) == s.ndim - 1:
        shape = [1] * s.ndim
        shape[next(a for a in range(s.ndim) if a not in P)] = -1
        w = None if w is None else f64(w).reshape(shape)
        b = None if b is None else f64(b).reshape(shape)
    mean = s.mean(R, keepdims=True) if centred else 0.0
    var = ((s - mean) ** 2).mean(R, keepdims=True)
    rstd = 1 / np.sqrt(var + eps)
    xhat = (s - mean) * rstd
    w = 1.0 if w is None else f64(w)
    pre = xhat * w + (0.0 if b is None else f64(b))
    dpre = dy * act_and_derivative(pre, act)[1]
    dxhat = dpre * w
    dx = dxhat - xhat * (dxhat * xhat).mean(R, keepdims=True)
    if centred:
        dx = dx - dxhat.mean(R, keepdims=True)
    return dx * rstd, (dpre * xhat).sum(P), dpre.sum(P)


# -- IR text ---------------------------------------------------------------


def _grad_ops_module(dyn):
    T = lambda shape, dt="f32": TensorType(  # noqa: E731
        [None if dyn else d for d in shape], dt)
    fns = []
    fb = FunctionBuilder("lng")
    dy, x, r, dsum = (fb.arg(T([2, 3, 8])) for _ in range(4))
    m, rs, w, b = (fb.arg(T([2, 3, 1])), fb.arg(T([2, 3, 1])), fb.arg(T([8])),
                   fb.arg(T([8])))
    fb.ret(*fb.layer_norm_grad(dy, x, m, rs, [-1], weight=w, bias=b,
                               residual=r, residual_sum_grad=dsum,
                               activation="gelu", grad_weight=True,
                               grad_bias=True))
    fns.append(fb)

    fb = FunctionBuilder("rmsg")
    dy, x, rs = fb.arg(T([4, 8], "bf16")), fb.arg(T([4, 8], "bf16")), fb.arg(
        T([4, 1]))
    w = fb.arg(T([8], "bf16"))
    fb.ret(*fb.rms_norm_grad(dy, x, rs, weight=w, weight_offset=1.0,
                             grad_weight=True, activation="silu"))
    fns.append(fb)

    fb = FunctionBuilder("bng")
    dy, x = fb.arg(T([2, 5, 4])), fb.arg(T([2, 5, 4]))
    m, rs, w, sd, sdx, n = (fb.arg(T([4])), fb.arg(T([4])), fb.arg(T([4])),
                            fb.arg(T([4])), fb.arg(T([4])), fb.arg(T([])))
    fb.ret(*fb.batch_norm_grad(dy, x, m, rs, weight=w,
                               batch_grad_sums=(sd, sdx), count=n,
                               feature_axis=-1, activation="relu",
                               grad_weight=True))
    fns.append(fb)

    fb = FunctionBuilder("gng")
    dy, x, m, rs = (fb.arg(T([2, 6, 5])), fb.arg(T([2, 6, 5])),
                    fb.arg(T([2, 3])), fb.arg(T([2, 3])))
    fb.ret(*fb.group_norm_grad(dy, x, m, rs, 3, grad_weight=True,
                               grad_bias=True))
    fns.append(fb)

    fb = FunctionBuilder("abng")
    dy, y, rs, w, b = (fb.arg(T([2, 4, 3])), fb.arg(T([2, 4, 3])),
                       fb.arg(T([4])), fb.arg(T([4])), fb.arg(T([4])))
    sd, sdx, n = fb.arg(T([4])), fb.arg(T([4])), fb.arg(T([]))
    fb.ret(*fb.inplace_abn_grad(dy, y, rs, weight=w, bias=b,
                                batch_grad_sums=(sd, sdx), count=n,
                                activation="elu(0.5)", grad_bias=True))
    fns.append(fb)

    fb = FunctionBuilder("stats")
    xa, xb = fb.arg(T([2, 4, 3], "f16")), fb.arg(T([3, 4, 3], "f16"))
    a = fb.batch_stats(xa)
    b = fb.batch_stats(xb)
    fb.ret(*fb.batch_stats_merge(a, b, var=True))
    fns.append(fb)
    return module_text(fns)


def test_bad_grad_arguments():
    fb = FunctionBuilder("f")
    n32, n64 = fb.arg(TensorType([], "f32")), fb.arg(TensorType([], "f64"))
    m = fb.arg(TensorType([4], "f32"))
    with pytest.raises(ValueError, match="same types"):
        fb.batch_stats_merge((n32, m, m), (n64, m, m))
    dy, y, r = fb.arg(TensorType([2, 4])), fb.arg(TensorType([2, 4])), fb.arg(
        TensorType([4]))
    with pytest.raises(ValueError, match="go together"):
        fb.inplace_abn_grad(dy, y, r, batch_grad_sums=(r, r))
    with pytest.raises(ValueError, match="no grad_bias"):
        fb._grad_results(dy, None, None, [4], False, True, has_bias=False)


@requires_norm_opt
@pytest.mark.parametrize("dyn", [False, True], ids=["static", "dynamic"])
def test_every_grad_op_verifies(dyn):
    text = _grad_ops_module(dyn)
    for op in ("layer_norm_grad", "rms_norm_grad", "batch_norm_grad",
               "group_norm_grad", "inplace_abn_grad", "batch_stats",
               "batch_stats_merge"):
        assert f"norm.{op} " in text
    proc = subprocess.run([NORM_OPT, "-"], input=text, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr + text


# -- Compiled numerics -------------------------------------------------------


@requires_norm_opt
def test_layer_norm_grad():
    x, dy, w, b = rand(3, 4, 8), rand(3, 4, 8), rand(8), rand(8)
    _, mean, rstd = ops.layer_norm(x, w, b, activation="silu",
                                   return_stats=True)
    dx, dw, db = ops.layer_norm_grad(dy, x, mean, rstd, w, b,
                                     activation="silu")
    ex, ew, eb = ref_grad(x, dy, (2,), (0, 1), w, b, "silu", 1e-5)
    close(dx, ex)
    close(dw, ew)
    close(db, eb)
    # No parameters: no parameter gradients unless asked for (a weight of
    # ones then).
    dx, dw, db = ops.layer_norm_grad(dy, x, mean, rstd, grad_weight=True)
    ex, ew, _ = ref_grad(x, dy, (2,), (0, 1), None, None, None, 1e-5)
    assert db is None
    close(dx, ex)
    close(dw, ew)


@requires_norm_opt
def test_rms_norm_grad_residual():
    x, r, dy, w = rand(5, 16), rand(5, 16), rand(5, 16), rand(16)
    _, rstd, _ = ops.rms_norm(x, w, residual=r, weight_offset=1.0,
                              return_rstd=True, return_residual_sum=True)
    dx, dw = ops.rms_norm_grad(dy, x, rstd, w, residual=r, weight_offset=1.0)
    ex, ew, _ = ref_grad(f64(x) + r, dy, (1,), (0,), f64(w) + 1.0, None,
                         None, 1e-6, centred=False)
    close(dx, ex)
    close(dw, ew)


@requires_norm_opt
def test_batch_norm_grad_nhwc_and_micro_batch():
    x, dy = rand(4, 3, 2, 5, offset=2.0), rand(4, 3, 2, 5)
    w, b = rand(5), rand(5)
    rm, rv = np.zeros(5, np.float32), np.ones(5, np.float32)
    _, mean, rstd, _, _ = ops.batch_norm_training(
        x, rm, rv, w, b, feature_axis=3, activation="relu")
    dx, dw, db = ops.batch_norm_grad(dy, x, mean, rstd, w, b, feature_axis=3,
                                     activation="relu")
    ex, ew, eb = ref_grad(x, dy, (0, 1, 2), (0, 1, 2), w, b, "relu", 1e-5)
    close(dx, ex)
    close(dw, ew)
    close(db, eb)
    # Gradient accumulation: two micro-batches with the whole batch's
    # statistics; the summed parameter gradients feed the micro-batch form.
    parts = [slice(0, 1), slice(1, 4)]
    sums = [ops.batch_norm_grad(dy[p], x[p], mean, rstd, w, b, feature_axis=3,
                                activation="relu")[1:] for p in parts]
    sum_dw, sum_db = sum(s[0] for s in sums), sum(s[1] for s in sums)
    close(sum_dw, ew)
    close(sum_db, eb)
    count = x.size // 5  # a number is read in the statistics dtype
    for p in parts:
        dxp, dwp, dbp = ops.batch_norm_grad(
            dy[p], x[p], mean, rstd, w, b, feature_axis=3, activation="relu",
            batch_grad_sums=(sum_db, sum_dw), count=count, grad_weight=False,
            grad_bias=False)
        assert dwp is None and dbp is None
        close(dxp, ex[p])


@requires_norm_opt
def test_group_norm_grad():
    x, dy, w, b = rand(2, 6, 5), rand(2, 6, 5), rand(6), rand(6)
    _, mean, rstd = ops.group_norm(x, 3, w, b, activation="silu",
                                   return_stats=True)
    dx, dw, db = ops.group_norm_grad(dy, x, mean, rstd, 3, w, b,
                                     activation="silu")
    view = lambda a: f64(a).reshape(2, 3, 2, 5)  # noqa: E731
    ex, ew, eb = ref_grad(view(x), view(dy), (2, 3), (0, 3),
                          f64(w).reshape(1, 3, 2, 1),
                          f64(b).reshape(1, 3, 2, 1), "silu", 1e-5)
    close(dx, ex.reshape(2, 6, 5))
    close(dw, ew.reshape(6))
    close(db, eb.reshape(6))


@requires_norm_opt
def test_inplace_abn_grad_in_place_and_micro_batch():
    x, dy = rand(6, 4, 5, offset=1.0), rand(6, 4, 5)
    w = (RNG.random(4) + 0.5).astype(np.float32)
    b = rand(4)
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)
    y, _, rstd, _, _ = ops.inplace_abn(x.copy(), rm, rv, w, b,
                                       activation="leaky_relu(0.1)")
    ex, ew, eb = ref_grad(x, dy, (0, 2), (0, 2), w, b, "leaky_relu(0.1)",
                          1e-5)
    g = dy.copy()
    dx, dw, db = ops.inplace_abn_grad(g, y, rstd, w, b,
                                      activation="leaky_relu(0.1)", out=g)
    assert dx is g  # grad_input written over dy
    close(dx, ex)
    close(dw, ew)
    close(db, eb)
    # Without out=, the inputs are left as they were (the function's
    # arguments are bufferization.writable = false): the in-place lowering
    # writes the result array instead.
    dy_before, y_before = dy.copy(), y.copy()
    ops.inplace_abn_grad(dy, y, rstd, w, b, activation="leaky_relu(0.1)")
    np.testing.assert_array_equal(dy, dy_before)
    np.testing.assert_array_equal(y, y_before)
    x_before = x.copy()
    ops.inplace_abn(x, rm, rv, w, b, activation="leaky_relu(0.1)")
    np.testing.assert_array_equal(x, x_before)
    # The micro-batch form: half the batch, from its y alone.
    dxp, dwp, dbp = ops.inplace_abn_grad(
        dy[:3], y[:3], rstd, w, b, activation="leaky_relu(0.1)",
        batch_grad_sums=(eb.astype(np.float32), ew.astype(np.float32)),
        count=np.array(30.0, np.float32))
    close(dxp, ex[:3])
    np.testing.assert_array_equal(dy, dy_before)  # was overwritten: see above
    # grad_bias stays this half's own sum of dpre (dy where y > 0, else
    # 0.1 dy).
    close(dbp, np.where(y[:3] > 0, f64(dy[:3]), 0.1 * f64(dy[:3])).sum((0, 2)))


@requires_norm_opt
def test_batch_stats_merge_matches_union():
    a, b = rand(3, 4, 5, offset=100.0), rand(2, 4, 5, offset=100.0)
    na, ma, qa = ops.batch_stats(a)
    nb, mb, qb = ops.batch_stats(b)
    assert float(na) == 15.0 and ma.shape == (4,)
    n, mean, m2, var = ops.batch_stats_merge((na, ma, qa),
                                             (float(nb), mb, qb),
                                             return_var=True)
    union = f64(np.concatenate([a, b]))
    assert float(n) == 25.0
    close(mean, union.mean((0, 2)), 1e-6)
    close(m2, ((union - union.mean((0, 2))[:, None]) ** 2).sum((0, 2)), 1e-4)
    close(var, union.var((0, 2)), 1e-4)


# -- The references against finite differences --------------------------------


@requires_norm_opt
@pytest.mark.parametrize("op", ["layer_norm", "group_norm", "batch_norm"])
def test_reference_matches_finite_differences(op):
    """ref_grad against central differences of the compiled forward ops in
    float64: the references above are not just the lowering's formulas."""
    x, dy = rand(2, 4, 3, dtype=np.float64), rand(2, 4, 3, dtype=np.float64)
    w, b = rand(4, dtype=np.float64), rand(4, dtype=np.float64)
    if op == "layer_norm":
        w, b = rand(3, dtype=np.float64), rand(3, dtype=np.float64)
        def loss(x, w, b):
            return (ops.layer_norm(x, w, b, activation="silu") * dy).sum()
        want = ref_grad(x, dy, (2,), (0, 1), w, b, "silu", 1e-5)
    elif op == "group_norm":
        def loss(x, w, b):
            return (ops.group_norm(x, 2, w, b, activation="silu") * dy).sum()
        v = lambda a: a.reshape(2, 2, 2, 3)  # noqa: E731
        dx, dw, db = ref_grad(v(x), v(dy), (2, 3), (0, 3),
                              w.reshape(1, 2, 2, 1), b.reshape(1, 2, 2, 1),
                              "silu", 1e-5)
        want = (dx.reshape(2, 4, 3), dw.reshape(4), db.reshape(4))
    else:
        rm, rv = np.zeros(4), np.ones(4)
        def loss(x, w, b):
            return (ops.batch_norm_training(x, rm, rv, w, b,
                                            activation="relu")[0] * dy).sum()
        want = ref_grad(x, dy, (0, 2), (0, 2), w, b, "relu", 1e-5)
    h = 1e-6
    for index, arg in enumerate((x, w, b)):
        grad = np.zeros_like(arg)
        for i in np.ndindex(arg.shape):
            args = [x, w, b]
            plus, minus = arg.copy(), arg.copy()
            plus[i] += h
            minus[i] -= h
            args[index] = plus
            up = loss(*args)
            args[index] = minus
            grad[i] = (up - loss(*args)) / (2 * h)
        close(grad, want[index], 1e-5)
