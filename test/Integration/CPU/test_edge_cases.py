"""Numerical edge cases of the CPU lowering, each its own test.

These compile with the runtime's default clang flags (the code users get).

Conditioning term. A normalization computes `x - mean` with a mean rounded
to the element type: even a correctly rounded mean is off by up to
u * |mean| (u: unit roundoff), and a sum of K terms adds about sqrt(K)
roundings of the partial sums. The normalized value is then off by that
error times rstd. The tests where this matters add

    atol = 2 * (1 + sqrt(K)) * u * max_rows(max|x_row| * rstd_row) * max|w|

to the tolerance of checks.py (rtol * (|ref| + scale)). For ordinary data
(|x| <= a few std) this is ~1e-6 in f32 and changes nothing; for rows with
mean 1e4 and std 1e-2 (max|x| * rstd ~ 1e6) it is ~1 in f32: no fp32
algorithm that rounds the mean to fp32 can do better than ~u * 1e6 = 0.06
there. A one-pass variance (E[x^2] - E[x]^2) errs by ~u * (max|x| * rstd)^2
instead, and fails these tests by orders of magnitude (or returns NaN).
"""

import math

import numpy as np
import pytest

import cases as C
import reference as ref
import norm_mlir
from checks import assert_close, check_results, result_elem
from norm_opt_helpers import OPT, needs_norm_opt

#: Runtime default clang flags (no override).
CFLAGS = None


def cond_atol(elem, k, x_times_rstd, wmax=1.0):
    """The conditioning term of the module docstring."""
    return (2.0 * (1.0 + math.sqrt(k)) * C.UNIT_ROUNDOFF[elem]
            * float(x_times_rstd) * wmax)


def _run(runner, case, data=None, group=None):
    func, inputs, got, _ = runner.call(
        case, group if group is not None else group_of(case), data=data,
        cflags=CFLAGS)
    return func, inputs, dict(zip((k for _, _, k in func.results), got))


def _as_list(func, got):
    return [got[k] for _, _, k in func.results]


#===------------------------------------------------------------------------===#
# Case lists (module level, so that conftest precompiles them together).
#===------------------------------------------------------------------------===#

#: Reduction sizes around the vector widths (4/8/16 lanes) and large odd ones.
SIZES = (1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 37, 1023, 1025)

SIZE_CASES = []
for _k in SIZES:
    SIZE_CASES += [
        C.make_case("layer_norm", "f32", act="silu", stats=True,
                    residual="ressum", shape=(5, _k)),
        C.make_case("rms_norm", "f32", stats=True, shape=(5, _k)),
        C.make_case("moments", "f32", shape=(_k, 3), correction=0),
        C.make_case("group_norm", "f32", stats=True, shape=(2, 4, _k),
                    groups=2),
        C.make_case("batch_norm_training", "f32", shape=(max(_k, 2), 3)),
        C.make_case("standardize", "f32", shape=(3, _k), axes=(1,)),
        C.make_case("min_max", "f32", shape=(3, _k), axes=(1,)),
    ]
SIZE_CASES += [C.make_case("layer_norm", "bf16", stats=True, shape=(3, 1023)),
               C.make_case("rms_norm", "f16", stats=True, shape=(3, 1025))]
# Narrow floats whose rows split into vectors of 16 and a remainder of 9
# (25, 41) or 1 (49): the residual sum (and min_max's min and max) is
# computed in the element type, and LLVM aborted on `fadd <9 x bfloat>`
# when the remainder was vectorized.
for _k in (25, 41, 49):
    for _elem in ("bf16", "f16"):
        SIZE_CASES += [
            C.make_case("rms_norm", _elem, residual="ressum", shape=(3, _k)),
            C.make_case("layer_norm", _elem, act="gelu", stats=True,
                        residual="res", shape=(3, _k)),
        ]
SIZE_CASES += [
    C.make_case("batch_norm_training", "bf16", shape=(2, 16, 7, 7)),
    C.make_case("batch_norm_training", "bf16", residual="res",
                shape=(1, 16, 5, 5)),
    C.make_case("min_max", "bf16", shape=(3, 25), axes=(1,)),
]

#: Dynamic functions called with several shapes (one compilation each).
DYN_CASES = [
    C.make_case("layer_norm", "f32", True, act="gelu_tanh", stats=True,
                residual="ressum"),
    C.make_case("rms_norm", "f32", True, stats=True, residual="ressum",
                weight_offset=1.0),
    C.make_case("group_norm", "f32", True, stats=True, shape=(2, 6, 5, 7)),
    C.make_case("batch_norm_training", "f32", True),
    C.make_case("moments", "f32", True, shape=(4, 5), axes=(0,)),
    C.make_case("image_normalize", "f32", True, layout="nhwc",
                scale=0.00392156862745098),
]
DYN_SHAPES = {
    "layer_norm": [(1, 1, 1), (2, 3, 37), (1, 5, 1023), (7, 1, 8)],
    "rms_norm": [(1, 1, 1), (2, 3, 37), (1, 5, 1023), (7, 1, 8)],
    "group_norm": [(1, 6, 1, 1), (2, 6, 5, 7), (3, 6, 37, 1), (1, 6, 33, 2)],
    "batch_norm_training": [(2, 1, 1, 1), (3, 5, 4, 7), (9, 2, 37, 1),
                            (2, 3, 1, 1)],
    "moments": [(1, 1), (37, 5), (1023, 2), (2, 17)],
    "image_normalize": [(1, 1, 1, 3), (2, 5, 7, 3), (1, 37, 9, 4)],
}

#: (mean, std) of the cancellation rows and the reduction size.
CANCEL = [(1e2, 1.0, 64), (1e3, 1.0, 1023), (1e4, 1e-2, 64),
          (1e4, 1e-2, 1023)]
CANCEL_CASES = []
for _elem in ("f32", "f64"):
    for _, _, _k in CANCEL:
        CANCEL_CASES += [
            C.make_case("layer_norm", _elem, stats=True, shape=(6, _k),
                        tag="cancel"),
            C.make_case("group_norm", _elem, stats=True, shape=(2, 4, _k),
                        groups=2, tag="cancel"),
            C.make_case("batch_norm_training", _elem, shape=(_k, 3),
                        tag="cancel"),
            # NCHW and NHWC: statistics split per batch entry, then added up.
            C.make_case("batch_norm_training", _elem, shape=(_k, 3, 2, 2),
                        tag="cancel"),
            C.make_case("batch_norm_training", _elem, shape=(_k, 2, 2, 3),
                        feature_axis=3, tag="cancel"),
            C.make_case("moments", _elem, shape=(_k, 3), correction=1,
                        tag="cancel"),
        ]
CANCEL_CASES = list(dict.fromkeys(CANCEL_CASES))

#: Batch norms (split per batch entry) whose first element of each channel
#: is an outlier: a shift by that element cancels in `S2 - S1^2 / n`.
OUTLIER_CASES = [
    C.make_case("batch_norm_training", "f32", shape=(8, 3, 64, 64),
                tag="outlier"),
    C.make_case("batch_norm_training", "f32", shape=(8, 64, 64, 3),
                feature_axis=3, tag="outlier"),
]

#: Channels-last batch norms whose batch entries exceed 256 KiB: the
#: statistics take each entry as chunks of its pixels, each chunk a partial
#: (ActivationNormToLinalg.cpp, getStatisticsChunks), merged as the batch
#: entries are. [2, 96, 96, 16]: 3 chunks of 3072 pixels in f32, 6 with a
#: residual (both read) and in f64, 2 in f16/bf16; [2, 80, 80, 24]: 4 in
#: f32. Static only: the sizes decide the chunks.
CHUNK_CASES = [
    C.make_case("batch_norm_training", elem, False, "relu", form,
                shape=shape, feature_axis=3, momentum=0.25, tag="chunks")
    for elem in ("f32", "f16", "bf16", "f64")
    for form in C.RESIDUAL_FORMS
    for shape in ((2, 96, 96, 16), (2, 80, 80, 24))
    if elem == "f32" or shape[1] == 96
]

#: Group norms whose groups exceed 2 MiB (the SD VAE decoder's): the
#: statistics take each group as chunks of at most 256 KiB (input and
#: residual; ActivationNormToLinalg.cpp, buildGroupStatistics), merged with
#: Chan's formula. [1, 12, 512, 512] in 2 groups of 1.5M elements: 12
#: chunks in f16/bf16, 24 in f32, 48 in f64; twice as many with a residual
#: read beside the input ("res"; "ressum" sums them first, its statistics
#: read the sum alone).
GROUP_CHUNK_CASES = [
    C.make_case("group_norm", elem, False, "silu", form, stats=True,
                shape=(1, 12, 512, 512), groups=2, tag="chunks")
    for elem in ("f32", "f16", "bf16", "f64")
    for form in C.RESIDUAL_FORMS
]

CONST_CASES = [
    C.make_case("layer_norm", "f32", stats=True, shape=(4, 37), tag="const"),
    C.make_case("layer_norm", "bf16", stats=True, shape=(4, 37),
                tag="const"),
    C.make_case("rms_norm", "f32", stats=True, shape=(4, 37), tag="const"),
    C.make_case("group_norm", "f32", stats=True, shape=(4, 4, 9), groups=2,
                tag="const"),
    C.make_case("batch_norm_training", "f32", shape=(4, 37), tag="const"),
    C.make_case("moments", "f32", shape=(37, 4), correction=1, tag="const"),
    C.make_case("standardize", "f32", shape=(37, 4), tag="const"),
    C.make_case("min_max_scale", "f32", shape=(37, 4), tag="const"),
    C.make_case("min_max_scale", "f32", shape=(37, 4), range_min=-1.0,
                range_max=1.0, tag="const"),
]

#: Reduction size 1 (group_norm: one channel per group, 1x1 spatial).
SIZE1_CASES = [
    C.make_case("layer_norm", "f32", act="gelu_tanh", stats=True,
                shape=(6, 1), tag="k1"),
    C.make_case("rms_norm", "f32", stats=True, shape=(6, 1), tag="k1"),
    C.make_case("group_norm", "f32", stats=True, shape=(3, 4, 1, 1),
                groups=4, tag="k1"),
    C.make_case("moments", "f32", shape=(1, 5), tag="k1"),
    C.make_case("min_max", "f32", shape=(1, 5), tag="k1"),
]

BN_STEP_CASES = [
    C.make_case("batch_norm_training", "f32", momentum=0.3, tag="steps"),
    C.make_case("batch_norm_training", "bf16", momentum=0.3,
                running_elem="f32", tag="steps"),
    C.make_case("inplace_abn", "f32", act="leaky_relu(0.2)", momentum=0.3,
                tag="steps"),
]

SPECTRAL_CASES = [
    C.make_case("spectral_norm", "f32", shape=(8, 12), power_iterations=60,
                tag="svd"),
    C.make_case("spectral_norm", "f64", shape=(4, 2, 3, 3), dim=1,
                power_iterations=60, tag="svd"),
    C.make_case("spectral_norm", "f32", shape=(8, 12), tag="carry"),
    C.make_case("spectral_norm", "f32", True, shape=(8, 12), tag="carry"),
]

IMAGE_CASES = [
    C.make_case("image_normalize", "f32", shape=(2, 3, 4, 32), pixel="ui8",
                scale=0.00392156862745098, tag="u8"),
    C.make_case("image_normalize", "f32", shape=(3, 8, 32), pixel="i8",
                scale=0.00392156862745098, tag="u8"),
    C.make_case("image_normalize", "f16", shape=(2, 4, 32, 3), pixel="ui8",
                layout="nhwc", scale=0.00392156862745098, tag="u8"),
    C.make_case("image_normalize", "bf16", True, shape=(4, 32, 3),
                pixel="i8", layout="nhwc", tag="u8"),
]

ALL_CASES = (SIZE_CASES + DYN_CASES + CANCEL_CASES + OUTLIER_CASES
             + CHUNK_CASES + GROUP_CHUNK_CASES + CONST_CASES
             + SIZE1_CASES + BN_STEP_CASES + SPECTRAL_CASES + IMAGE_CASES)
_GROUPS = {}
for _c in ALL_CASES:
    _GROUPS.setdefault((_c.op, _c.elem), []).append(_c)


def group_of(case):
    return _GROUPS[(case.op, case.elem)]


#===------------------------------------------------------------------------===#
# Sizes around the vector width.
#===------------------------------------------------------------------------===#


@pytest.mark.parametrize("case", SIZE_CASES, ids=lambda c: c.id)
def test_reduction_sizes(runner, case):
    func, inputs, got = _run(runner, case)
    check_results(case, func, _as_list(func, got), case.reference(inputs))


@pytest.mark.parametrize("case", CHUNK_CASES, ids=lambda c: c.id)
def test_batch_norm_statistics_in_chunks(runner, case):
    func, inputs, got = _run(runner, case)
    check_results(case, func, _as_list(func, got), case.reference(inputs))


@pytest.mark.parametrize("case", GROUP_CHUNK_CASES, ids=lambda c: c.id)
def test_group_norm_statistics_in_chunks(runner, case):
    # A ramp down the rows: the chunks (runs of rows) have means from -2 to
    # 2, so the merge's term between them is more than half the variance.
    shape = case.p["shape"]
    rng = np.random.default_rng(case.seed)
    ramp = np.linspace(-2.0, 2.0, shape[2])[None, None, :, None]
    x = C.cast(rng.normal(0.3, 1.0, size=shape) + ramp, case.elem)
    func, inputs, got = _run(runner, case, {"input": x})
    check_results(case, func, _as_list(func, got), case.reference(inputs))


#===------------------------------------------------------------------------===#
# Dynamic dims: one compiled function, several shapes.
#===------------------------------------------------------------------------===#


def _dyn_data(case, shape, rng):
    """Inputs of `case` (a dynamic case) for the runtime shape `shape`."""
    e = case.elem
    x = C.cast(rng.normal(0.3, 1.5, size=shape), e)
    if case.op in ("layer_norm", "rms_norm"):
        data = {"input": x, "weight": C.cast(rng.normal(1, .3, shape[-1:]), e),
                "residual": C.cast(rng.normal(size=shape), e)}
        if case.op == "layer_norm":
            data["bias"] = C.cast(rng.normal(0, .5, shape[-1:]), e)
        return data
    if case.op == "group_norm":
        c = shape[1]
        return {"input": x, "weight": C.cast(rng.normal(1, .3, c), e),
                "bias": C.cast(rng.normal(0, .5, c), e)}
    if case.op == "batch_norm_training":
        c = shape[1]
        return {"input": x, "running_mean": C.cast(rng.normal(0, .5, c), e),
                "running_var": C.cast(rng.uniform(.5, 2, c), e),
                "weight": C.cast(rng.normal(1, .3, c), e),
                "bias": C.cast(rng.normal(0, .5, c), e)}
    if case.op == "moments":
        return {"input": x}
    if case.op == "image_normalize":
        c = shape[-1]
        return {"input": rng.integers(0, 256, size=shape).astype(np.uint8),
                "mean": C.cast(rng.uniform(.3, .6, c), e),
                "std": C.cast(rng.uniform(.2, .3, c), e)}
    raise AssertionError(case.op)


@pytest.mark.parametrize("case", DYN_CASES, ids=lambda c: c.id)
def test_dynamic_shapes(runner, case):
    rng = np.random.default_rng(case.seed)
    for shape in DYN_SHAPES[case.op]:
        data = _dyn_data(case, shape, rng)
        func, inputs, got = _run(runner, case, data)
        want = case.reference(inputs)
        try:
            check_results(case, func, _as_list(func, got), want)
        except AssertionError as err:
            raise AssertionError(f"runtime shape {shape}: {err}") from None


#===------------------------------------------------------------------------===#
# Catastrophic cancellation: rows with a large mean and a small spread.
#===------------------------------------------------------------------------===#


CANCEL_PARAMS = [(case, mean, std) for case in CANCEL_CASES
                 for mean, std, k in CANCEL
                 if k in (case.p["shape"][-1], case.p["shape"][0])]


@pytest.mark.parametrize(
    "case,mean,std", CANCEL_PARAMS,
    ids=[f"{c.id}-mean={m:g}-std={s:g}" for c, m, s in CANCEL_PARAMS])
def test_cancellation(runner, case, mean, std):
    rng = np.random.default_rng(case.seed + int(mean))
    shape = case.p["shape"]
    e = case.elem
    x = C.cast(mean + std * rng.standard_normal(shape), e)
    data = {"input": x}
    func, inputs, got = _run(runner, case, data)
    want = case.reference(inputs)
    xs = x.astype(np.float64)
    atol = {}
    if case.op == "layer_norm":
        k = shape[-1]
        xr = np.abs(xs).max(axis=-1, keepdims=True) * want["rstd"]
        wmax = np.abs(inputs["weight"].astype(np.float64)).max()
        atol["output"] = cond_atol(e, k, xr.max(), wmax)
        atol["rstd"] = cond_atol(e, k, xr.max()) ** 2 * want["rstd"].max()
    elif case.op == "group_norm":
        n, c = shape[:2]
        g = case.p["groups"]
        k = (c // g) * math.prod(shape[2:])
        xmax = np.abs(xs.reshape(n, g, -1)).max(axis=-1)
        xr = xmax * want["rstd"]
        wmax = np.abs(inputs["weight"].astype(np.float64)).max()
        atol["output"] = cond_atol(e, k, xr.max(), wmax)
        atol["rstd"] = cond_atol(e, k, xr.max()) ** 2 * want["rstd"].max()
    elif case.op == "batch_norm_training":
        axis = case.p.get("feature_axis", 1)
        others = tuple(d for d in range(len(shape)) if d != axis)
        k = math.prod(shape) // shape[axis]
        xr = np.abs(xs).max(axis=others) * want["saved_rstd"]
        wmax = np.abs(inputs["weight"].astype(np.float64)).max()
        atol["output"] = cond_atol(e, k, xr.max(), wmax)
        rel = cond_atol(e, k, xr.max()) ** 2
        atol["saved_rstd"] = rel * want["saved_rstd"].max()
        atol["new_running_var"] = 0.1 * rel * (std**2) * 2
    elif case.op == "moments":
        k = shape[0]
        xr = (np.abs(xs).max(axis=0) / want["std"]).max()
        atol["std"] = cond_atol(e, k, xr) ** 2 * want["std"].max()
    check_results(case, func, _as_list(func, got), want, atol=atol)


def _one_pass_layer_norm_f32(x):
    """fp32 `E[x^2] - E[x]^2` layer norm (what the tolerance must reject)."""
    x = x.astype(np.float32)
    k = np.float32(x.shape[-1])
    mean = x.sum(axis=-1, keepdims=True, dtype=np.float32) / k
    sq = (x * x).sum(axis=-1, keepdims=True, dtype=np.float32) / k
    var = np.maximum(sq - mean * mean, np.float32(0))
    return (x - mean) / np.sqrt(var + np.float32(1e-5))


@pytest.mark.parametrize("mean,std,k", CANCEL,
                         ids=[f"mean={m:g}-std={s:g}-k={k}"
                              for m, s, k in CANCEL])
def test_cancellation_tolerance_rejects_one_pass(mean, std, k):
    """The tolerance of test_cancellation is tight enough to reject a
    one-pass variance in f32 (pure numpy; nothing compiled)."""
    rng = np.random.default_rng(k)
    x = (mean + std * rng.standard_normal((6, k))).astype(np.float32)
    want = ref.layer_norm(x, axes=(1,))
    xr = np.abs(x.astype(np.float64)).max(axis=-1, keepdims=True)
    atol = cond_atol("f32", k, (xr * want["rstd"]).max())
    with pytest.raises(AssertionError):
        assert_close("one-pass", _one_pass_layer_norm_f32(x),
                     want["output"], C.RTOL["f32"], atol=atol)


@pytest.mark.parametrize("case", OUTLIER_CASES, ids=lambda c: c.id)
def test_batch_norm_outlier_first(runner, case):
    """Mean 1e3, std 1, and the first element of every channel (batch
    entry 0, pixel 0) at mean + 1e4 * std: the variance is dominated by
    the outliers, and shifting by the first element would lose ~n * u of it
    (n = 32768: ~2e-3); tolerances of test_cancellation."""
    mean, std = 1e3, 1.0
    rng = np.random.default_rng(case.seed)
    shape = case.p["shape"]
    axis = case.p.get("feature_axis", 1)
    x = mean + std * rng.standard_normal(shape)
    first = [0] * len(shape)
    first[axis] = slice(None)
    x[tuple(first)] = mean + 1e4 * std
    x = C.cast(x, case.elem)
    func, inputs, got = _run(runner, case, {"input": x})
    want = case.reference(inputs)
    others = tuple(d for d in range(len(shape)) if d != axis)
    k = math.prod(shape) // shape[axis]
    xr = np.abs(x.astype(np.float64)).max(axis=others) * want["saved_rstd"]
    wmax = np.abs(inputs["weight"].astype(np.float64)).max()
    rel = cond_atol(case.elem, k, xr.max()) ** 2
    atol = {"output": cond_atol(case.elem, k, xr.max(), wmax),
            "saved_rstd": rel * want["saved_rstd"].max(),
            "new_running_var": 0.1 * rel * (std**2) * 2}
    check_results(case, func, _as_list(func, got), want, atol=atol)
    # The variance itself to ~30 u (two passes per slice: ~5 u here; sums
    # shifted by the first element: ~1e-5 to ~1e-3 with the summation
    # order, within rtol of check_results at best).
    for name in ("saved_rstd", "new_running_var"):
        g = got[name].astype(np.float64)
        w = want[name].astype(np.float64)
        err = np.abs(g - w).max() / np.abs(w).max()
        assert err <= 2e-6, f"{name}: relative error {err:.3g} > 2e-6"


#===------------------------------------------------------------------------===#
# Constant rows: zero variance gives the bias (no NaN).
#===------------------------------------------------------------------------===#

#: Constants: exactly summable ones (the mean is exact) and 0.1, whose
#: partial sums round (conditioning term with |x| * rstd = 0.1/sqrt(eps)).
CONSTANTS = (0.0, 3.0, -1.5, 0.1)


def _const_data(case, value):
    shape = case.p["shape"]
    x = np.full(shape, value)
    if case.op == "standardize":
        data = {"input": C.cast(np.full(shape, value) + np.arange(
            shape[1]) * [0, 1, 0, 1], case.elem),
                "mean": C.cast([value, 1.0, value, 2.0], case.elem),
                "std": C.cast([0.0, 2.0, 0.0, 0.5], case.elem)}
        return data
    if case.op == "min_max_scale":
        return {"input": C.cast(np.linspace(-3, 3, math.prod(shape))
                                .reshape(shape), case.elem),
                "min": C.cast([value, -1.0, value, 0.5], case.elem),
                "max": C.cast([value, 2.0, value, 0.5], case.elem)}
    if case.op == "moments":
        x[:, 1] = np.linspace(0, 1, shape[0])  # one varying column
    return {"input": C.cast(x, case.elem)}


CONST_PARAMS = [(c, v) for c in CONST_CASES for v in CONSTANTS]


@pytest.mark.parametrize("case,value", CONST_PARAMS,
                         ids=[f"{c.id}-{v:g}" for c, v in CONST_PARAMS])
def test_constant_rows(runner, case, value):
    func, inputs, got = _run(runner, case, _const_data(case, value))
    want = case.reference(inputs)
    for name, arr in got.items():
        assert np.isfinite(np.asarray(arr).astype(np.float64)).all(), (
            f"[{case.id}] {name} has NaN/inf for constant {value}: {arr}")
    atol = {}
    if case.op in ("layer_norm", "group_norm", "batch_norm_training"):
        eps = 1e-5
        elem = case.elem
        red = {"layer_norm": case.p["shape"][-1],
               "group_norm": 2 * 9, "batch_norm_training": 4}[case.op]
        # If the mean is off by rounding, x - mean is ~u|c| and is scaled by
        # rstd = 1/sqrt(eps) (0 in the f32 computation for bf16 inputs).
        stats_elem = C.stats_elem(elem)
        w = np.abs(inputs["weight"].astype(np.float64)).max()
        atol["output"] = cond_atol(stats_elem, red,
                                   abs(value) / math.sqrt(eps), w)
        if case.op == "layer_norm" or case.op == "group_norm":
            want_out = want["output"]
            bias = inputs["bias"].astype(np.float64)
            expect = np.broadcast_to(
                bias.reshape([-1] + [1] * (want_out.ndim - 2))
                if case.op == "group_norm" else bias, want_out.shape)
            assert np.allclose(want_out, expect), "reference: output != bias"
    # rms_norm needs no extra term: x * rsqrt(x^2 + eps) has no cancellation.
    check_results(case, func, _as_list(func, got), want, atol=atol)


#===------------------------------------------------------------------------===#
# Reduction size 1.
#===------------------------------------------------------------------------===#


@pytest.mark.parametrize("case", SIZE1_CASES, ids=lambda c: c.id)
def test_reduction_size_one(runner, case):
    func, inputs, got = _run(runner, case)
    want = case.reference(inputs)
    check_results(case, func, _as_list(func, got), want)
    if case.op in ("layer_norm", "group_norm"):
        # One element per row: x - mean == 0, so the output is act(bias).
        assert_close("rstd == 1/sqrt(eps)", got["rstd"],
                     np.full(got["rstd"].shape, 1 / math.sqrt(1e-5)), 1e-5)


#===------------------------------------------------------------------------===#
# batch_norm_training over several steps, running statistics carried.
#===------------------------------------------------------------------------===#


@pytest.mark.parametrize("case", BN_STEP_CASES, ids=lambda c: c.id)
def test_batch_norm_running_stats_steps(runner, case):
    rng = np.random.default_rng(case.seed)
    shape = (3, 5, 4, 7)
    run_elem = case.p.get("running_elem", case.elem)
    base = {"running_mean": C.cast(np.zeros(5), run_elem),
            "running_var": C.cast(np.ones(5), run_elem),
            "weight": C.cast(rng.normal(1, .3, 5), case.elem),
            "bias": C.cast(rng.normal(0, .5, 5), case.elem)}
    ref_mean = base["running_mean"].astype(np.float64)
    ref_var = base["running_var"].astype(np.float64)
    state = dict(base)
    for step in range(3):
        # Batches with a different mean/spread per channel and step.
        loc = rng.normal(0, 2, (1, 5, 1, 1))
        x = C.cast(loc + rng.uniform(0.5, 3) * rng.standard_normal(shape),
                   case.elem)
        func, inputs, got = _run(runner, case, {**state, "input": x})
        want = case.reference({**inputs, "running_mean": ref_mean,
                               "running_var": ref_var})
        try:
            check_results(case, func, _as_list(func, got), want)
        except AssertionError as err:
            raise AssertionError(f"step {step}: {err}") from None
        ref_mean, ref_var = want["new_running_mean"], want["new_running_var"]
        state["running_mean"] = np.ascontiguousarray(got["new_running_mean"])
        state["running_var"] = np.ascontiguousarray(got["new_running_var"])


#===------------------------------------------------------------------------===#
# spectral_norm.
#===------------------------------------------------------------------------===#


def _matrix_with_singular_values(rng, rows, cols, values):
    u, _ = np.linalg.qr(rng.standard_normal((rows, rows)))
    v, _ = np.linalg.qr(rng.standard_normal((cols, cols)))
    s = np.zeros((rows, cols))
    for i, value in enumerate(values):
        s[i, i] = value
    return u @ s @ v.T


def _spectral_weight(case, rng):
    shape = case.p["shape"]
    dim = case.p.get("dim", 0)
    moved = list(shape)
    moved.insert(0, moved.pop(dim))
    rows, cols = moved[0], math.prod(moved[1:])
    values = [5.0, 2.0] + list(np.linspace(1.5, 0.1, min(rows, cols) - 2))
    m = _matrix_with_singular_values(rng, rows, cols, values)
    w = np.moveaxis(m.reshape(moved), 0, dim)
    return C.cast(w, case.elem)


@pytest.mark.parametrize("case", [c for c in SPECTRAL_CASES
                                  if c.tag == "svd"], ids=lambda c: c.id)
def test_spectral_norm_matches_svd(runner, case):
    rng = np.random.default_rng(case.seed)
    w = _spectral_weight(case, rng)
    h = w.shape[case.p.get("dim", 0)]
    u = C.cast(ref._normalize(rng.standard_normal(h), 1e-12), case.elem)
    func, inputs, got = _run(runner, case, {"weight": w, "u": u})
    wm = ref.weight_matrix(w, case.p.get("dim", 0))
    sigma1 = np.linalg.svd(wm, compute_uv=False)[0]
    # Power iteration converges like (s2/s1)^(2k) = 0.4^120: exact here.
    rtol = C.RTOL[result_elem(func.results[2][1])]
    assert_close("sigma vs SVD", got["sigma"], sigma1, rtol,
                 context=f"[{case.id}]")
    assert_close("output vs W/sigma_svd", got["output"],
                 w.astype(np.float64) / sigma1, C.RTOL[case.elem],
                 context=f"[{case.id}]")
    left = np.linalg.svd(wm)[0][:, 0]
    u_got = np.asarray(got["new_u"]).astype(np.float64)
    assert_close("|new_u . u_svd|", abs(u_got @ left), 1.0,
                 C.RTOL[case.elem], context=f"[{case.id}]")


@pytest.mark.parametrize("case", [c for c in SPECTRAL_CASES
                                  if c.tag == "carry"], ids=lambda c: c.id)
def test_spectral_norm_carried_u(runner, case):
    """power_iterations = 1, new_u fed back: follows the reference step by
    step and converges to the SVD."""
    rng = np.random.default_rng(case.seed)
    w = _spectral_weight(case, rng)
    u = C.cast(ref._normalize(rng.standard_normal(w.shape[0]), 1e-12),
               case.elem)
    chain_u = u.astype(np.float64)  # the reference stepping on its own
    for step in range(40):
        func, inputs, got = _run(runner, case, {"weight": w, "u": u})
        # Each step against the reference from the same u...
        want = case.reference({"weight": w, "u": u})
        try:
            check_results(case, func, _as_list(func, got), want)
        except AssertionError as err:
            raise AssertionError(f"step {step}: {err}") from None
        u = np.ascontiguousarray(got["new_u"])
        chain_u = ref.spectral_norm(w, chain_u)["new_u"]
    # ...and the carried u against the reference's own chain (the power
    # iteration contracts, so rounding differences do not accumulate).
    assert_close("new_u after 40 steps vs reference chain", u, chain_u,
                 C.RTOL[case.elem], context=f"[{case.id}]")
    sigma1 = np.linalg.svd(w.astype(np.float64), compute_uv=False)[0]
    assert_close("sigma after 40 carried steps vs SVD", got["sigma"], sigma1,
                 C.RTOL[case.elem], context=f"[{case.id}]")


#===------------------------------------------------------------------------===#
# image_normalize from 8-bit pixels (values >= 128 must read as unsigned).
#===------------------------------------------------------------------------===#


@pytest.mark.parametrize("case", IMAGE_CASES, ids=lambda c: c.id)
def test_image_normalize_u8(runner, case):
    shape = case.p["shape"]
    pixels = (np.arange(math.prod(shape)) * 37 % 256).astype(np.uint8)
    pixels[:4] = [0, 127, 128, 255]
    pixel_type = C.NP_DTYPE[case.p["pixel"]]
    img = pixels.reshape(shape).view(pixel_type)
    func, inputs, got = _run(runner, case, {"input": img})
    want = case.reference(inputs)
    check_results(case, func, _as_list(func, got), want)


@needs_norm_opt
def test_relu_signed_zero_and_nan_like_torch():
    """A fused ReLU keeps what torch.relu keeps: NaN stays NaN, -0.0 stays
    -0.0 (torch.relu(-0.0) is -0.0 on CPU), negatives become +0.0. The
    batch norm is the identity here (mean 0, var 1, epsilon 1e-30, which
    leaves var + epsilon = 1 in f32, weight 1,
    bias -0.0, which keeps the sign of zeros), so the output is relu(x)."""
    n = 64
    ir = f"""
func.func @f(%x: tensor<{n}x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
             %w: tensor<16xf32>, %b: tensor<16xf32>, %out: tensor<{n}x16xf32>)
    -> tensor<{n}x16xf32> attributes {{llvm.emit_c_interface}} {{
  %y = norm.batch_norm_inference %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) weight(%w : tensor<16xf32>) bias(%b : tensor<16xf32>) feature_axis = 1 epsilon = 1.0e-30 activation = relu : tensor<{n}x16xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<{n}x16xf32>, tensor<{n}x16xf32>) -> tensor<{n}x16xf32>
  return %r : tensor<{n}x16xf32>
}}"""
    x = np.random.default_rng(5).standard_normal((n, 16)).astype(np.float32)
    x[0, :4] = [-0.0, np.nan, -1.0, 0.0]
    x[1, :3] = [np.inf, -np.inf, -np.nan]
    one, zero = np.ones(16, np.float32), np.zeros(16, np.float32)
    mod = norm_mlir.compile_mlir(ir, opt=OPT)
    y = mod["f"](x, zero, one, one, np.full(16, -0.0, np.float32),
                 np.empty_like(x))
    expected = np.where(x < 0, np.float32(0.0), x)  # NaN and -0.0 kept
    assert np.array_equal(np.isnan(y), np.isnan(x))
    finite = ~np.isnan(x)
    assert np.array_equal(y[finite], expected[finite])
    assert np.array_equal(np.signbit(y[finite]), np.signbit(expected[finite]))
    assert np.signbit(y[0, 0]) and not np.signbit(y[0, 2])


@needs_norm_opt
def test_group_norm_dynamic_channels_not_divisible_raises():
    """A dynamic channel count is checked when the code runs: with groups
    that divide it the result is right; with groups that do not, the call
    fails with a message (before, C / G rounded down and the last channels
    were silently dropped): RuntimeCheckError from the package, whose
    pipeline has norm-recoverable-checks (without it the process aborts,
    python/tests/test_runtime.py)."""
    ir = """
func.func @f(%x: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> attributes {llvm.emit_c_interface} {
  %y = norm.group_norm %x groups = 3 : tensor<2x?x4xf32>
  return %y : tensor<2x?x4xf32>
}"""
    mod = norm_mlir.compile_mlir(ir, opt=OPT)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    y = mod["f"](x)
    xs = x.reshape(2, 3, -1).astype(np.float64)
    ref = (xs - xs.mean(-1, keepdims=True)) / np.sqrt(
        xs.var(-1, keepdims=True) + 1e-5)
    assert float(np.abs(y - ref.reshape(x.shape)).max()) < 1e-5
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="group normalization: the channel count must be "
                             "a multiple of the 3 groups"):
        mod["f"](rng.standard_normal((2, 4, 4)).astype(np.float32))


@needs_norm_opt
def test_batch_norm_training_dynamic_batch_of_one_and_empty():
    """Training batch norm with a dynamic batch, as PyTorch: one value per
    channel fails (RuntimeCheckError; the unbiased running variance would
    be 0 / 0), an empty batch keeps the running statistics, two values
    update them like the reference."""
    ir = """
func.func @f(%x: tensor<?x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) attributes {llvm.emit_c_interface} {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<?x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return %y, %rm, %rv : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
}"""
    mod = norm_mlir.compile_mlir(ir, opt=OPT)
    rng = np.random.default_rng(11)
    mean = rng.standard_normal(4).astype(np.float32)
    var = (rng.random(4) + 0.5).astype(np.float32)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="more than one value per channel"):
        mod["f"](rng.standard_normal((1, 4)).astype(np.float32), mean, var)
    y, new_mean, new_var = mod["f"](np.zeros((0, 4), np.float32), mean, var)
    assert y.shape == (0, 4)
    assert np.array_equal(new_mean, mean) and np.array_equal(new_var, var)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    y, new_mean, new_var = mod["f"](x, mean, var)
    expected = ref.batch_norm_training(x, mean, var, feature_axis=1,
                                       epsilon=1e-5, momentum=0.1)
    np.testing.assert_allclose(y, expected["output"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new_mean, expected["new_running_mean"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_var, expected["new_running_var"],
                               rtol=1e-5, atol=1e-6)


@needs_norm_opt
def test_reversed_and_wrapped_reads_around_layer_norm():
    """Elementwise ops that read reversed (`767 - d1`) or wrapped
    (`d1 mod 8`) around a LayerNorm: norm-tile-and-fuse-rows cannot tile
    through such maps (upstream slices them from a tile's first and last
    iterations) and leaves them whole; the rest is tiled as usual."""
    ir = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#rev = affine_map<(d0, d1) -> (d0, 767 - d1)>
#wrap = affine_map<(d0, d1) -> (d0, d1 mod 8)>
func.func @f(%x: tensor<64x768xf32>, %s: tensor<64x8xf32>, %w: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<64x768xf32> attributes {llvm.emit_c_interface} {
  %e = tensor.empty() : tensor<64x768xf32>
  %r = linalg.generic {indexing_maps = [#rev, #wrap, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<64x768xf32>, tensor<64x8xf32>) outs(%e : tensor<64x768xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<64x768xf32>
  %y = norm.layer_norm %r weight(%w : tensor<768xf32>) bias(%b : tensor<768xf32>) axes = [1] : tensor<64x768xf32>
  %z = linalg.generic {indexing_maps = [#rev, #id], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<64x768xf32>) outs(%e : tensor<64x768xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<64x768xf32>
  return %z : tensor<64x768xf32>
}"""
    mod = norm_mlir.compile_mlir(ir, opt=OPT)
    rng = np.random.default_rng(12)
    x, w, b = (rng.standard_normal(shape).astype(np.float32)
               for shape in ((64, 768), 768, 768))
    s = rng.standard_normal((64, 8)).astype(np.float32)
    r = x[:, ::-1].astype(np.float64) + np.tile(s, (1, 96))
    y = ref.layer_norm(r, w, b, axes=(1,), epsilon=1e-5)["output"]
    np.testing.assert_allclose(mod["f"](x, s, w, b), y[:, ::-1], rtol=1e-5,
                               atol=1e-5)


@needs_norm_opt
def test_tosa_softmax_with_dynamic_kept_dimension():
    """A TOSA softmax whose keep-dims reductions have the reduced dimension
    typed `?` (valid TOSA; a frontend that leaves shapes to inference):
    MLIR 22's tosa-to-linalg segfaulted on it; norm-lower-to-cpu infers the
    shapes first (tosa-infer-shapes), then computes a softmax."""
    ir = """
func.func @f(%x: tensor<?x8x?xf32>) -> tensor<?x8x?xf32> attributes {llvm.emit_c_interface} {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %max = tosa.reduce_max %x {axis = 2 : i32} : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %d = tosa.sub %x, %max : (tensor<?x8x?xf32>, tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %e = tosa.exp %d : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %s = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %r = tosa.reciprocal %s : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<?x8x?xf32>, tensor<?x8x?xf32>, tensor<1xi8>) -> tensor<?x8x?xf32>
  return %y : tensor<?x8x?xf32>
}"""
    mod = norm_mlir.compile_mlir(ir, opt=OPT)
    rng = np.random.default_rng(13)
    for shape in ((3, 8, 5), (1, 8, 40)):
        x = (rng.standard_normal(shape) * 4).astype(np.float32)
        e = np.exp(x.astype(np.float64) - x.max(axis=2, keepdims=True))
        want = e / e.sum(axis=2, keepdims=True)
        np.testing.assert_allclose(mod["f"](x), want, rtol=1e-5, atol=1e-6,
                                   err_msg=f"shape {shape}")
