"""norm_mlir.builder (IR text of every op) and norm_mlir.ops (compiled and
run on numpy), checked against numpy references written from the op
definitions in NormOps.td."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from norm_mlir import builder, memref, ops
from norm_mlir.builder import FunctionBuilder, TensorType, module_text

from norm_env import NORM_OPT, _session_cache, requires_norm_opt  # noqa: F401

RNG = np.random.default_rng(0)
_erf = np.vectorize(math.erf)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def act(x, kind):
    if kind in (None, "none"):
        return x
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    if kind == "silu":
        return x / (1 + np.exp(-x))
    if kind.startswith("leaky_relu"):
        slope = float(kind[11:-1]) if "(" in kind else 0.01
        return np.where(x >= 0, x, slope * x)
    raise NotImplementedError(kind)


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=tol, atol=tol)


# -- IR text ---------------------------------------------------------------


def _all_ops_module(dyn):
    """One function per op (all options on), static or dynamic shapes."""
    T = lambda shape, dt="f32": TensorType([None if dyn else d for d in shape], dt)  # noqa: E731
    fns = []

    fb = FunctionBuilder("ln")
    x, w, b, r = (fb.arg(T([2, 3, 8])), fb.arg(T([8])), fb.arg(T([8])),
                  fb.arg(T([2, 3, 8])))
    fb.ret(*fb.layer_norm(x, [-1], weight=w, bias=b, residual=r, eps=1e-6,
                          activation="gelu", stats=True, residual_sum=True))
    fns.append(fb)

    fb = FunctionBuilder("rms")
    x, w = fb.arg(T([4, 8], "f16")), fb.arg(T([8], "f16"))
    fb.ret(*fb.rms_norm(x, weight=w, weight_offset=1.0, rstd=True,
                        activation=("leaky_relu", 0.2)))
    fns.append(fb)

    for name in ("batch_norm_inference", "batch_norm_training", "inplace_abn"):
        fb = FunctionBuilder(name)
        x, m, v = fb.arg(T([2, 5, 3, 4])), fb.arg(T([4])), fb.arg(T([4]))
        kw = {} if name == "batch_norm_inference" else {"momentum": 0.2}
        res = getattr(fb, name)(x, m, v, feature_axis=-1, eps=1e-3,
                                activation="elu(0.5)", **kw)
        fb.ret(*(res if isinstance(res, tuple) else [res]))
        fns.append(fb)

    fb = FunctionBuilder("gn")
    x = fb.arg(T([2, 6, 5]))
    fb.ret(*fb.group_norm(x, 3, stats=True, activation="silu"))
    fns.append(fb)

    fb = FunctionBuilder("sn")
    w, u = fb.arg(T([6, 4, 2])), fb.arg(T([4]))
    fb.ret(*fb.spectral_norm(w, u, dim=1, power_iterations=3, eps=1e-8))
    fns.append(fb)

    fb = FunctionBuilder("data")
    x = fb.arg(T([5, 3, 4], "f64"))
    mean, std = fb.moments(x, [0, 2], correction=1)
    lo, hi = fb.min_max(x, [0, 2])
    fb.ret(fb.standardize(x, mean, std, [0, 2]),
           fb.min_max_scale(x, lo, hi, [0, 2], range_min=-1, range_max=2))
    fns.append(fb)

    fb = FunctionBuilder("img")
    x, m, s = fb.arg(T([2, 4, 4, 3], "ui8")), fb.arg(T([3])), fb.arg(T([3]))
    fb.ret(fb.image_normalize(x, m, s, layout="nhwc", scale=1 / 255,
                              out_dtype="f16"))
    fns.append(fb)
    return module_text(fns)


def test_text_layer_norm():
    fb = FunctionBuilder("f")
    x = fb.arg(TensorType([None, 16], np.float32))
    w = fb.arg(TensorType([16], "f32"))
    y, mean, rstd = fb.layer_norm(x, [1], weight=w, eps=1e-5, activation="gelu",
                                  stats=True)
    assert mean.type == TensorType([None, 1], "f32")
    fb.ret(y)
    text = fb.text()
    assert ("norm.layer_norm %arg0 weight(%arg1 : tensor<16xf32>) axes = [1] "
            "epsilon = 1.0e-05 activation = gelu : tensor<?x16xf32> "
            "stats(tensor<?x1xf32>, tensor<?x1xf32>)") in text
    assert "llvm.emit_c_interface" in text
    assert "bufferization.materialize_in_destination" in text
    assert [str(a.type) for a in fb.args] == [
        "tensor<?x16xf32>", "tensor<16xf32>", "tensor<?x16xf32>"]


def test_result_types():
    fb = FunctionBuilder("f")
    x = fb.arg(TensorType([2, 8, None], "bf16"))
    m = fb.arg(TensorType([8], "f32"))
    outs = fb.batch_norm_training(x, m, m)
    assert [str(o.type) for o in outs] == [
        "tensor<2x8x?xbf16>", "tensor<8xf32>", "tensor<8xf32>",
        "tensor<8xf32>", "tensor<8xf32>"]
    _, gm, _ = fb.group_norm(x, 4, stats=True)
    assert str(gm.type) == "tensor<2x4xf32>"
    assert str(fb.moments(fb.arg(TensorType([3, 4, 5], "f64")), [0, 2])[0].type) \
        == "tensor<4xf64>"
    assert str(fb.spectral_norm(x, m)[2].type) == "tensor<f32>"


def test_bad_arguments():
    fb = FunctionBuilder("f")
    x = fb.arg(TensorType([4, 8], "f32"))
    with pytest.raises(ValueError, match="activation"):
        fb.layer_norm(x, activation="swish")
    with pytest.raises(ValueError, match="axes"):
        fb.layer_norm(x, [2])
    with pytest.raises(ValueError, match="residual"):
        fb.layer_norm(x, residual_sum=True)
    with pytest.raises(TypeError):
        TensorType([4], np.int64)
    assert builder.format_float(1e-5) == "1.0e-05"
    assert builder.format_float(2) == "2.0"


@requires_norm_opt
@pytest.mark.parametrize("dyn", [False, True], ids=["static", "dynamic"])
def test_every_op_verifies(dyn):
    """norm-opt parses and verifies the builder's text of every op."""
    text = _all_ops_module(dyn)
    for op in ("layer_norm", "rms_norm", "batch_norm_inference",
               "batch_norm_training", "inplace_abn", "group_norm",
               "spectral_norm", "moments", "min_max", "standardize",
               "min_max_scale", "image_normalize"):
        assert f"norm.{op} " in text
    proc = subprocess.run([NORM_OPT, "-"], input=text, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr + text


# -- Compiled numerics -------------------------------------------------------


def ref_layer_norm(x, w, b, axes, eps, activation=None):
    m = x.mean(axis=tuple(axes), keepdims=True, dtype=np.float64)
    v = ((x - m) ** 2).mean(axis=tuple(axes), keepdims=True)
    y = (x - m) / np.sqrt(v + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return act(y, activation), m, 1 / np.sqrt(v + eps)


def ref_rms_norm(x, w, axes, eps):
    ms = (x.astype(np.float64) ** 2).mean(axis=tuple(axes), keepdims=True)
    y = x / np.sqrt(ms + eps)
    return (y if w is None else y * w), 1 / np.sqrt(ms + eps)


@requires_norm_opt
def test_layer_norm_numpy():
    x, w, b = rand(3, 5, 16), rand(16), rand(16)
    y, mean, rstd = ops.layer_norm(x, w, b, axes=[-1], eps=1e-5,
                                   activation="gelu", return_stats=True)
    ry, rm, rr = ref_layer_norm(x, w, b, [2], 1e-5, "gelu")
    close(y, ry)
    close(mean, rm)
    close(rstd, rr)
    assert y.dtype == np.float32 and mean.shape == (3, 5, 1)
    # A new batch size (compiled with that dimension dynamic).
    close(ops.layer_norm(x[:1], w, b, activation="gelu"), ry[:1])


@requires_norm_opt
def test_layer_norm_residual_f64():
    x, r = rand(4, 6, dtype=np.float64), rand(4, 6, dtype=np.float64)
    y, s = ops.layer_norm(x, residual=r, axes=[1], return_residual_sum=True)
    close(s, x + r, 1e-12)
    close(y, ref_layer_norm(x + r, None, None, [1], 1e-5)[0], 1e-9)


@requires_norm_opt
def test_rms_norm():
    x, w = rand(4, 32), rand(32)
    y, rstd = ops.rms_norm(x, w, eps=1e-6, weight_offset=1.0,
                           activation="relu", return_rstd=True)
    rs = 1 / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + 1e-6)
    close(rstd, rs)
    close(y, np.maximum(x * rs * (w + 1.0), 0))


@requires_norm_opt
def test_batch_norm_inference_nhwc():
    x, m, v, w, b = rand(2, 3, 3, 4), rand(4), np.abs(rand(4)) + 0.5, rand(4), rand(4)
    y = ops.batch_norm_inference(x, m, v, w, b, feature_axis=3, eps=1e-3)
    close(y, (x - m) / np.sqrt(v + 1e-3) * w + b)


@requires_norm_opt
@pytest.mark.parametrize("name", ["batch_norm_training", "inplace_abn"])
def test_batch_norm_training(name):
    x, rm, rv = rand(6, 4, 5), rand(4), np.abs(rand(4)) + 0.5
    y, sm, sr, nrm, nrv = getattr(ops, name)(x, rm, rv, momentum=0.2,
                                              activation="leaky_relu(0.1)")
    xd = x.astype(np.float64)
    mean = xd.mean(axis=(0, 2))
    var = xd.var(axis=(0, 2))
    n = x.size / 4
    ref = (xd - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    close(y, act(ref, "leaky_relu(0.1)"))
    close(sm, mean)
    close(sr, 1 / np.sqrt(var + 1e-5))
    close(nrm, 0.8 * rm + 0.2 * mean)
    close(nrv, 0.8 * rv + 0.2 * var * n / (n - 1))


@requires_norm_opt
def test_group_norm():
    x, w, b = rand(2, 6, 5, 3), rand(6), rand(6)
    y, mean, rstd = ops.group_norm(x, 3, w, b, return_stats=True, eps=1e-5)
    g = x.astype(np.float64).reshape(2, 3, -1)
    gm, gv = g.mean(-1), g.var(-1)
    ref = ((g - gm[..., None]) / np.sqrt(gv[..., None] + 1e-5)).reshape(x.shape)
    close(y, ref * w[:, None, None] + b[:, None, None])
    close(mean, gm)
    close(rstd, 1 / np.sqrt(gv + 1e-5))


@requires_norm_opt
def test_spectral_norm():
    w, u = rand(6, 3, 2), rand(6)
    u = u / np.linalg.norm(u)
    wn, u2, sigma = ops.spectral_norm(w, u, power_iterations=2)
    W = w.reshape(6, -1).astype(np.float64)
    uu = u.astype(np.float64)
    for _ in range(2):
        v = W.T @ uu
        v /= max(np.linalg.norm(v), 1e-12)
        uu = W @ v
        uu /= max(np.linalg.norm(uu), 1e-12)
    s = uu @ (W @ v)
    assert sigma.shape == ()
    close(sigma, s)
    close(u2, uu)
    close(wn, w / s)


@requires_norm_opt
def test_data_ops():
    x = rand(50, 3, 4, dtype=np.float64) * 3 + 1
    mean, std = ops.moments(x, [0, 2], correction=1)
    close(mean, x.mean(axis=(0, 2)), 1e-10)
    close(std, x.std(axis=(0, 2), ddof=1), 1e-10)
    y = ops.standardize(x, mean, std, [0, 2])
    close(y, (x - mean[:, None]) / std[:, None], 1e-10)
    lo, hi = ops.min_max(x, [0, 2])
    close(lo, x.min(axis=(0, 2)), 0)
    close(hi, x.max(axis=(0, 2)), 0)
    z = ops.min_max_scale(x, lo, hi, [0, 2], range_min=-1, range_max=2)
    close(z, (x - lo[:, None]) / (hi - lo)[:, None] * 3 - 1, 1e-10)


@requires_norm_opt
def test_image_normalize_u8():
    img = RNG.integers(0, 256, (2, 3, 4, 5), dtype=np.uint8)
    m = np.array([0.485, 0.456, 0.406], np.float32)
    s = np.array([0.229, 0.224, 0.225], np.float32)
    y = ops.image_normalize(img, m, s, scale=1 / 255)
    close(y, (img / 255.0 - m[:, None, None]) / s[:, None, None])
    hwc = np.ascontiguousarray(img[0].transpose(1, 2, 0))
    y2 = ops.image_normalize(hwc, m, s, layout="nhwc", scale=1 / 255)
    close(y2, y[0].transpose(1, 2, 0))


# -- Zero copy ---------------------------------------------------------------


class DLPackTensor:
    """A foreign CPU tensor that only speaks DLPack (as torch.Tensor does)."""

    def __init__(self, array):
        self._array = array

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


class CudaTensor(DLPackTensor):
    def __dlpack_device__(self):
        return (2, 0)


@requires_norm_opt
def test_output_written_in_place():
    x, w = rand(8, 16), rand(16)
    out = np.full_like(x, np.nan)
    y = ops.layer_norm(x, w, out=out)
    assert y is out
    close(out, ref_layer_norm(x, w, None, [1], 1e-5)[0])
    with pytest.raises(ValueError, match="shape"):
        ops.layer_norm(x, w, out=np.empty((8, 15), np.float32))


@requires_norm_opt
def test_shapes_verified_per_call():
    """Each op is compiled once with dynamic shapes, which cannot check a
    call's shapes; the verifier runs on the call's static shapes first."""
    x = rand(2, 4, 5)
    with pytest.raises(ValueError, match=r"'num_groups' \(3\) to divide the "
                       r"channel count \(4\)"):
        ops.group_norm(x, 3)
    with pytest.raises(ValueError, match="'weight' to have shape 8, got 7"):
        ops.layer_norm(rand(4, 8), rand(7))
    with pytest.raises(ValueError, match="'running_mean' to have shape 4, "
                       "got 3"):
        ops.batch_norm_inference(x, rand(3), rand(3))
    # The same op with valid shapes still runs (one compilation for both).
    y = ops.group_norm(x, 2)
    xs = x.reshape(2, 2, 10).astype(np.float64)
    ref = (xs - xs.mean(-1, keepdims=True)) / np.sqrt(
        xs.var(-1, keepdims=True) + 1e-5)
    close(y, ref.reshape(x.shape))


@requires_norm_opt
def test_inputs_not_copied():
    x = rand(8, 16)
    # Contiguous inputs of the right dtype are passed as they are.
    assert memref.as_contiguous(x, x.dtype) is x
    desc = memref.to_descriptor(x)
    assert desc.aligned == x.ctypes.data
    # inplace_abn overwriting its input: only possible through x's memory.
    xc = x.copy()
    rm, rv = np.zeros(16, np.float32), np.ones(16, np.float32)
    y, *_ = ops.inplace_abn(x.reshape(8, 16, 1), rm, rv,
                            out=(x.reshape(8, 16, 1),))
    assert np.shares_memory(y, x)
    ref = (xc - xc.mean(0)) / np.sqrt(xc.var(0) + 1e-5)
    close(x, ref)


@requires_norm_opt
def test_dlpack_tensors():
    base_x, w = rand(4, 16), rand(16)
    x = DLPackTensor(base_x)
    view = ops.as_array(x)
    assert np.shares_memory(view, base_x)  # read without a copy
    out_base = np.zeros_like(base_x)
    y = ops.layer_norm(x, DLPackTensor(w), out=DLPackTensor(out_base))
    assert isinstance(y, DLPackTensor)
    close(out_base, ref_layer_norm(base_x, w, None, [1], 1e-5)[0])
    with pytest.raises(TypeError, match="device"):
        ops.layer_norm(CudaTensor(base_x))


@requires_norm_opt
def test_memory_cache():
    previous = ops.set_shape_policy("dynamic")
    try:
        x = rand(2, 8)
        ops.layer_norm(x, activation="relu")
        n = len(ops._modules)
        ops.layer_norm(rand(5, 8), activation="relu")
        assert len(ops._modules) == n  # same rank/dtype/options: no recompile
    finally:
        ops.set_shape_policy(previous)


@requires_norm_opt
def test_outputs_cache_line_aligned():
    """New outputs start on a cache line (the compiled stores are aligned
    non-temporal ones there), whatever numpy's allocator gives."""
    for rows in (1, 3, 7):
        y, mean, rstd = ops.layer_norm(rand(rows, 5), return_stats=True)
        assert all(a.ctypes.data % ops.OUTPUT_ALIGNMENT == 0
                   for a in (y, mean, rstd))
        assert y.flags.c_contiguous and y.shape == (rows, 5)


def _rms_norm_types():
    """The input types of the rms_norm functions compiled so far."""
    return [types[0] for _, types in ops.specializations("rms_norm")]


@requires_norm_opt
def test_shape_policy_automatic():
    """The first call compiles its sizes; a dimension that then varies is
    compiled dynamic, once; the results are right for every variant."""
    ops.clear_memory_cache()
    assert ops.set_shape_policy("automatic") == "automatic"
    w = rand(24)
    calls = [(3, 24), (3, 24), (5, 24), (9, 24)]
    for shape in calls:
        x = rand(*shape)
        close(ops.rms_norm(x, w, eps=1e-6),
              ref_rms_norm(x, w, [1], 1e-6)[0])
    assert _rms_norm_types() == ["tensor<3x24xf32>", "tensor<?x24xf32>"]
    # Another row length: that dimension becomes dynamic too.
    x, w2 = rand(4, 40), rand(40)
    close(ops.rms_norm(x, w2, eps=1e-6), ref_rms_norm(x, w2, [1], 1e-6)[0])
    assert _rms_norm_types()[2:] == ["tensor<?x?xf32>"]
    # Other options are another op: a first call of its own, listed apart
    # from a function of the same types.
    ops.rms_norm(rand(6, 24), w, eps=1e-6, activation="relu")
    ops.rms_norm(rand(6, 24), w, eps=1e-3, activation="relu")
    assert _rms_norm_types()[3:] == ["tensor<6x24xf32>"] * 2
    assert ops.specializations("rms_norm")[-1][1] == ("tensor<6x24xf32>",
                                                      "tensor<24xf32>")


@requires_norm_opt
@pytest.mark.parametrize("policy,types", [
    ("static", ["tensor<3x24xf32>", "tensor<5x24xf32>"]),
    ("dynamic", ["tensor<?x?xf32>"])])
def test_shape_policy(policy, types):
    ops.clear_memory_cache()
    previous = ops.set_shape_policy(policy)
    try:
        w = rand(24)
        for rows in (3, 5, 3):
            x = rand(rows, 24)
            close(ops.rms_norm(x, w, eps=1e-6),
                  ref_rms_norm(x, w, [1], 1e-6)[0])
        assert _rms_norm_types() == types
    finally:
        ops.set_shape_policy(previous)
    with pytest.raises(ValueError, match="shape policy 'any'"):
        ops.set_shape_policy("any")


@requires_norm_opt
def test_shape_policy_environment(tmp_path):
    """NORM_MLIR_OPS_SHAPES is read by the first op, in any case; a wrong
    value fails that op, not the import of the package."""
    script = ("import numpy as np, norm_mlir\n"
              "from norm_mlir import ops\n"
              "try:\n"
              "    ops.rms_norm(np.ones((2, 3), np.float32))\n"
              "    print(ops.shape_policy())\n"
              "except ValueError as e:\n"
              "    print('error:', e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path),
               NORM_OPT=NORM_OPT)
    for value, expected in [
            ("Static", "static"),
            ("sometimes", "error: NORM_MLIR_OPS_SHAPES 'sometimes': one of "
                          "automatic, dynamic, static")]:
        env["NORM_MLIR_OPS_SHAPES"] = value
        out = subprocess.run([sys.executable, "-c", script], env=env,
                             capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected, out.stdout


@requires_norm_opt
@pytest.mark.parametrize("dtype,tol", [(np.float16, 4e-3),
                                       (memref.bfloat16 or np.float16, 3e-2)],
                         ids=["f16", "bf16"])
def test_low_precision(dtype, tol):
    x = rand(4, 64)
    y, mean, rstd = ops.layer_norm(x.astype(dtype), return_stats=True)
    assert y.dtype == dtype and mean.dtype == np.float32  # f32 statistics
    close(y, ref_layer_norm(x, None, None, [1], 1e-5)[0], tol)


@requires_norm_opt
def test_output_overlapping_an_input_goes_through_a_temporary():
    """An `out` that shares memory with an input gets the results of the
    unaliased inputs, as numpy's ufuncs do: rows shifted by one, and the
    exact alias too (the pre-norm residual stream updated in place:
    layer_norm writes x + r in its statistics pass and reads r again to
    normalize, so writing the sum over r directly gave y wrong by 1.1)."""
    big = rand(5, 6)
    src = big[:4].copy()
    want = ops.layer_norm(src)
    assert ops.layer_norm(big[:4], out=big[1:]) is not None
    close(big[1:], want)
    x = rand(4, 6)
    want = ops.layer_norm(x.copy())
    assert ops.layer_norm(x, out=x) is x
    close(x, want)
    x, r = rand(4, 6), rand(4, 6)
    want_y, want_sum = ops.layer_norm(x.copy(), residual=r.copy(),
                                      return_residual_sum=True)
    y, total = ops.layer_norm(x, residual=r, return_residual_sum=True,
                              out=(None, r))
    assert total is r
    close(y, want_y)
    close(r, want_sum)
