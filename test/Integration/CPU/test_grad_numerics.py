"""Backward ops compiled for CPU against float64 gradients.

Each case compiles one function that runs a forward norm op (returning its
statistics) and the matching backward op on the forward's saved values:

    layer_norm        -> layer_norm_grad
    rms_norm          -> rms_norm_grad
    batch_norm_training -> batch_norm_grad
    group_norm        -> group_norm_grad
    inplace_abn       -> inplace_abn_grad (from the output y, not from x)

with the loss L = sum(dy * y) (+ sum(ds * residual_sum) in the residual_sum
form), so dx = dL/dx, dw = dL/dweight, db = dL/dbias; in the residual forms
dL/dresidual = dx by construction (checked by finite differences).

References (all float64, from the inputs as rounded to the element type):

  * `grad_reference`: the analytic formulas (docs/training.md), written here
    in numpy independently of the lowering;
  * `fd_gradient`: central finite differences of the forward references of
    reference.py. The analytic reference is itself checked against them
    (test_reference_matches_finite_differences), and every small f32 case
    compares the compiled gradient with finite differences directly.

Tolerances, per element |got - ref| <= rtol * (|ref| + scale), with `scale`
the largest |ref| of the result (checks.assert_close):

  * f32: 1e-4. The gradient of x is rstd * (dxhat - mean(dxhat) -
    xhat * mean(dxhat * xhat)), a difference of terms of the size of the
    result; f32 sums of <= 10^3 terms and the f32 statistics of the forward
    stay below 1e-5 of that scale; the rest is headroom for the libm/poly
    approximations of erf, tanh, exp in the activation derivatives.
  * bf16 (u = 2^-8): 2u for grad_input (one rounding of the result, plus the
    rounding of the forward's f32 statistics path); grad_weight/grad_bias
    are f32 parameters accumulated in f32 from bf16 data: 1e-4.
  * finite differences (f32 cases): 1e-3 (the f32 result against an
    O(h^2) float64 difference quotient with h = 1e-5).

bf16 inplace_abn is compared with the gradient defined from the stored
output (x recovered as act^-1(y)); the recovery error that bf16 storage
adds near the saturation of elu is a property of InPlace-ABN, measured by
test_inplace_abn_bf16_recovery_error (docs/training.md).
"""

import itertools
import math
import os
import zlib
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np
import pytest

import norm_mlir
import reference as ref
from cases import NP_DTYPE, UNIT_ROUNDOFF
from checks import assert_close

#: Relative tolerances (see the module docstring).
RTOL = {"f32": 1e-4, "bf16": 2 * UNIT_ROUNDOFF["bf16"], "f64": 1e-10}
RTOL_PARAM = {"f32": 1e-4, "bf16": 1e-4, "f64": 1e-10}
RTOL_FD = 1e-3

ACTIVATIONS = ("none", "relu", "leaky_relu", "leaky_relu(0.2)", "elu",
               "elu(0.5)", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh",
               "relu6", "hardsigmoid", "hardswish", "mish")
ABN_ACTIVATIONS = ("none", "leaky_relu", "leaky_relu(0.2)", "elu", "elu(0.5)")
FORMS = ("nores", "res", "ressum")
#: (weight, bias) presence, cycled through the cases.
AFFINE = ((True, True), (True, False), (False, False), (False, True))


#===------------------------------------------------------------------------===#
# Activation derivatives (float64).
#===------------------------------------------------------------------------===#


def activation_derivative(x, spec):
    """act'(x); the left derivative at the kinks of relu/leaky_relu/elu."""
    kind, alpha = ref.parse_activation(spec)
    x = np.asarray(x, dtype=np.float64)
    one = np.ones_like(x)
    if kind == "none":
        return one
    if kind == "relu":
        return np.where(x > 0, 1.0, 0.0)
    if kind == "leaky_relu":
        return np.where(x > 0, 1.0, alpha)
    if kind == "elu":
        return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    if kind == "gelu":
        cdf = 0.5 * (1.0 + ref.erf(x / math.sqrt(2.0)))
        return cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    if kind == "gelu_tanh":
        c = math.sqrt(2.0 / math.pi)
        t = np.tanh(c * (x + 0.044715 * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (
            1 + 3 * 0.044715 * x * x)
    if kind == "silu":
        s = ref.sigmoid(x)
        return s * (1 + x * (1 - s))
    if kind == "sigmoid":
        s = ref.sigmoid(x)
        return s * (1 - s)
    if kind == "tanh":
        return 1.0 - np.tanh(x) ** 2
    # Zero at the kinks of relu6 and hardsigmoid, as hardtanh_backward and
    # hardsigmoid_backward; hardswish_backward (PyTorch 2.15) 0 at -3 and 1
    # at 3.
    if kind == "relu6":
        return np.where((x > 0) & (x < 6), 1.0, 0.0)
    if kind == "hardsigmoid":
        return np.where((x > -3) & (x < 3), 1.0 / 6.0, 0.0)
    if kind == "hardswish":
        return np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0))
    if kind == "mish":
        t = np.tanh(np.logaddexp(0.0, x))
        return t + x * ref.sigmoid(x) * (1 - t * t)
    raise ValueError(spec)


#===------------------------------------------------------------------------===#
# Cases.
#===------------------------------------------------------------------------===#


@dataclass(frozen=True)
class GradCase:
    op: str
    elem: str = "f32"
    dynamic: bool = False
    act: str = "none"
    form: str = "nores"
    weight: bool = True
    bias: bool = True
    params: Tuple = ()

    @property
    def p(self) -> Dict:
        return dict(self.params)

    @property
    def id(self) -> str:
        extra = "-".join(f"{k}{v}" for k, v in self.params)
        return (f"{self.op}-{self.elem}-{'dyn' if self.dynamic else 'static'}"
                f"-{self.act}-{self.form}-w{int(self.weight)}b{int(self.bias)}"
                + (f"-{extra}" if extra else ""))

    @property
    def fname(self) -> str:
        return "g_" + "".join(c if c.isalnum() else "_" for c in self.id)

    @property
    def seed(self) -> int:
        return zlib.crc32(self.id.encode())

    @property
    def shape(self):
        return self.p["shape"]


def make(op, elem, dynamic, act, form, affine, **params):
    weight, bias = affine
    if op == "rms_norm":
        bias = False
        if not weight:
            params.pop("weight_offset", None)
    return GradCase(op, elem, dynamic, act, form, weight, bias,
                    tuple(sorted(params.items())))


VARIANTS = {
    "layer_norm": [dict(shape=(4, 6, 16), axes=(2,)),
                   dict(shape=(3, 5, 8), axes=(1, 2), epsilon=1e-3),
                   dict(shape=(2, 37), axes=(1,)),
                   # LayerNorm2d: over the channels of NCHW.
                   dict(shape=(2, 6, 4, 5), axes=(1,))],
    "rms_norm": [dict(shape=(4, 6, 16), axes=(2,)),
                 dict(shape=(3, 5, 8), axes=(1, 2), weight_offset=1.0),
                 dict(shape=(2, 37), axes=(1,), epsilon=1e-5),
                 dict(shape=(3, 4, 5, 2), axes=(1, 2))],
    "batch_norm_training": [dict(shape=(6, 4, 5), feature_axis=1),
                            dict(shape=(3, 4, 7, 5), feature_axis=3),
                            dict(shape=(33, 5), feature_axis=1,
                                 epsilon=1e-3)],
    "group_norm": [dict(shape=(2, 6, 5), groups=3, channel_axis=1),
                   dict(shape=(2, 4, 3, 8), groups=2, channel_axis=3),
                   dict(shape=(3, 8, 7), groups=8, channel_axis=1),
                   dict(shape=(2, 6, 4), groups=1, channel_axis=1)],
    "inplace_abn": [dict(shape=(6, 4, 5), feature_axis=1),
                    dict(shape=(3, 4, 7, 5), feature_axis=3),
                    dict(shape=(33, 5), feature_axis=1)],
}


def all_cases():
    cases = []
    for op, variants in VARIANTS.items():
        acts = ABN_ACTIVATIONS if op == "inplace_abn" else ACTIVATIONS
        forms = ("nores",) if op == "inplace_abn" else FORMS
        # f32: every activation with every residual form; affine forms,
        # variants and static/dynamic shapes cycle.
        for i, (act, form) in enumerate(itertools.product(acts, forms)):
            cases.append(make(op, "f32", i % 3 == 2, act, form,
                              AFFINE[i % len(AFFINE)],
                              **variants[i % len(variants)]))
        # bf16: every activation once, the rest cycling.
        for i, act in enumerate(acts):
            cases.append(make(op, "bf16", i % 2 == 1, act,
                              forms[i % len(forms)],
                              AFFINE[(i + 1) % len(AFFINE)],
                              **variants[i % len(variants)]))
        # f64: a tight check of the formulas, one per variant.
        for i, variant in enumerate(variants):
            cases.append(make(op, "f64", i == 1, acts[(3 * i + 4) % len(acts)],
                              forms[i % len(forms)], AFFINE[0], **variant))
    return cases


CASES = all_cases()


#===------------------------------------------------------------------------===#
# MLIR.
#===------------------------------------------------------------------------===#


def fmt_float(value):
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        m, e = text.split("e")
        return f"{m}.0e{e}"
    return text


def mlir_activation(act):
    if act == "none":
        return ""
    kind, alpha = ref.parse_activation(act)
    return (f" activation = {kind}({fmt_float(alpha)})" if "(" in act
            else f" activation = {kind}")


def ttype(shape, elem, dynamic=False):
    dims = "".join(("?" if dynamic and d != 1 else str(d)) + "x"
                   for d in shape)
    return f"tensor<{dims}{elem}>"


def stats_elem(elem):
    return "f32" if elem in ("f16", "bf16") else elem


def param_shape(case):
    p, shape = case.p, case.shape
    if case.op in ("layer_norm", "rms_norm"):
        return tuple(shape[a] for a in p["axes"])
    if case.op == "group_norm":
        return (shape[p["channel_axis"]],)
    return (shape[p["feature_axis"]],)


def stats_shape(case):
    p, shape = case.p, case.shape
    if case.op in ("layer_norm", "rms_norm"):
        return tuple(1 if i in p["axes"] else d for i, d in enumerate(shape))
    if case.op == "group_norm":
        return (shape[0], p["groups"])
    return (shape[p["feature_axis"]],)


def make_inputs(case):
    """Named float64-exact inputs in the case's element type."""
    rng = np.random.default_rng(case.seed)
    dt = NP_DTYPE[case.elem]
    pdt = NP_DTYPE[stats_elem(case.elem)]
    shape, pshape = case.shape, param_shape(case)
    channel_shape = [1] * len(shape)
    if case.op not in ("layer_norm", "rms_norm"):
        axis = case.p.get("feature_axis", case.p.get("channel_axis"))
        channel_shape[axis] = shape[axis]
    offsets = rng.normal(0.0, 1.0, channel_shape)
    inputs = {"x": (rng.normal(0.3, 1.5, shape) + offsets).astype(dt)}
    if case.form != "nores":
        inputs["residual"] = rng.normal(0.0, 0.7, shape).astype(dt)
    if case.op in ("batch_norm_training", "inplace_abn"):
        inputs["running_mean"] = rng.normal(0, 1, pshape).astype(pdt)
        inputs["running_var"] = rng.uniform(0.5, 2, pshape).astype(pdt)
    if case.weight:
        sign = np.where(rng.random(pshape) < 0.25, -1.0, 1.0)
        inputs["weight"] = (sign * rng.uniform(0.5, 1.5, pshape)).astype(pdt)
    if case.bias:
        inputs["bias"] = rng.normal(0.0, 0.5, pshape).astype(pdt)
    inputs["dy"] = rng.normal(0.0, 1.0, shape).astype(dt)
    if case.form == "ressum":
        inputs["ds"] = rng.normal(0.0, 1.0, shape).astype(dt)
    return inputs


def case_mlir(case):
    """The function text and its argument names (in order)."""
    p, elem, dyn = case.p, case.elem, case.dynamic
    T = ttype(case.shape, elem, dyn)
    P = ttype(param_shape(case), stats_elem(elem), dyn)
    S = ttype(stats_shape(case), stats_elem(elem), dyn)
    names = list(make_inputs(case))
    types = {n: (P if n in ("weight", "bias", "running_mean", "running_var")
                 else T) for n in names}
    args = ", ".join(f"%{n}: {types[n]}" for n in names)

    def opt(name, kw=None):
        return (f" {kw or name}(%{name} : {types[name]})"
                if name in names else "")

    act = mlir_activation(case.act)
    eps = (f" epsilon = {fmt_float(p['epsilon'])}" if "epsilon" in p else "")
    res = opt("residual")
    ressum = f" residual_sum({T})" if case.form == "ressum" else ""
    dsum = opt("ds", "residual_sum_grad")
    wb = opt("weight") + opt("bias")
    gw = f" grad_weight({P})" if case.weight else ""
    gb = f" grad_bias({P})" if case.bias else ""
    grads = ["%dx"] + (["%dw"] if case.weight else []) + (
        ["%db"] if case.bias else [])
    rtypes = [T] + [P] * (len(grads) - 1)
    op = case.op
    sumres = ", %sum" if case.form == "ressum" else ""
    if op == "layer_norm":
        axes = ", ".join(map(str, p["axes"]))
        fwd = (f"%y, %mean, %rstd{sumres} = norm.layer_norm %x{wb}{res} "
               f"axes = [{axes}]{eps}{act} : {T} stats({S}, {S}){ressum}")
        bwd = (f"norm.layer_norm_grad %dy, %x{res} mean(%mean : {S}) "
               f"rstd(%rstd : {S}){wb}{dsum} axes = [{axes}]{act} : {T}"
               f"{gw}{gb}")
    elif op == "rms_norm":
        axes = ", ".join(map(str, p["axes"]))
        off = (f" weight_offset = {fmt_float(p['weight_offset'])}"
               if "weight_offset" in p else "")
        fwd = (f"%y, %rstd{sumres} = norm.rms_norm %x{wb}{res} "
               f"axes = [{axes}]{eps}{off}{act} : {T} rstd({S}){ressum}")
        bwd = (f"norm.rms_norm_grad %dy, %x{res} rstd(%rstd : {S}){wb}{dsum} "
               f"axes = [{axes}]{off}{act} : {T}{gw}")
    elif op == "batch_norm_training":
        fa = f" feature_axis = {p['feature_axis']}"
        fwd = (f"%y, %mean, %rstd, %rm, %rv{sumres} = norm.batch_norm_training "
               f"%x mean(%running_mean : {P}) var(%running_var : {P}){wb}{res}"
               f"{fa}{eps}{act} : {T} stats({S}, {S}){ressum}")
        bwd = (f"norm.batch_norm_grad %dy, %x{res} mean(%mean : {S}) "
               f"rstd(%rstd : {S}){wb}{dsum}{fa}{act} : {T}{gw}{gb}")
    elif op == "group_norm":
        ca = f" channel_axis = {p['channel_axis']}"
        fwd = (f"%y, %mean, %rstd{sumres} = norm.group_norm %x{wb}{res} "
               f"groups = {p['groups']}{ca}{eps}{act} : {T} stats({S}, {S})"
               f"{ressum}")
        bwd = (f"norm.group_norm_grad %dy, %x{res} mean(%mean : {S}) "
               f"rstd(%rstd : {S}){wb}{dsum} groups = {p['groups']}{ca}{act}"
               f" : {T}{gw}{gb}")
    elif op == "inplace_abn":
        fa = f" feature_axis = {p['feature_axis']}"
        fwd = (f"%y, %mean, %rstd, %rm, %rv = norm.inplace_abn %x "
               f"mean(%running_mean : {P}) var(%running_var : {P}){wb}"
               f"{fa}{eps}{act} : {T} stats({S}, {S})")
        bwd = (f"norm.inplace_abn_grad %dy, %y rstd(%rstd : {S}){wb}{fa}{act}"
               f" : {T}{gw}{gb}")
    else:
        raise ValueError(op)
    text = (f"func.func @{case.fname}({args}) -> ({', '.join(rtypes)})\n"
            f"    attributes {{llvm.emit_c_interface}} {{\n"
            f"  {fwd}\n  {', '.join(grads)} = {bwd}\n"
            f"  return {', '.join(grads)} : {', '.join(rtypes)}\n}}\n")
    return text, names


#===------------------------------------------------------------------------===#
# References.
#===------------------------------------------------------------------------===#


def f64(a):
    return None if a is None else np.asarray(a).astype(np.float64)


def forward(case, inputs):
    """The float64 forward of reference.py: (y, residual_sum or None)."""
    p = case.p
    kw = {"act": case.act}
    if "epsilon" in p:
        kw["epsilon"] = p["epsilon"]
    g = inputs.get
    sum_dtype = NP_DTYPE[case.elem] if case.elem != "f64" else None
    op = case.op
    if op == "layer_norm":
        out = ref.layer_norm(g("x"), g("weight"), g("bias"), g("residual"),
                             axes=p["axes"], sum_dtype=sum_dtype, **kw)
    elif op == "rms_norm":
        out = ref.rms_norm(g("x"), g("weight"), g("residual"), axes=p["axes"],
                           weight_offset=p.get("weight_offset", 0.0),
                           sum_dtype=sum_dtype, **kw)
    elif op == "batch_norm_training":
        out = ref.batch_norm_training(
            g("x"), g("running_mean"), g("running_var"), g("weight"),
            g("bias"), g("residual"), feature_axis=p["feature_axis"],
            sum_dtype=sum_dtype, **kw)
    elif op == "group_norm":
        out = ref.group_norm(g("x"), g("weight"), g("bias"), g("residual"),
                             num_groups=p["groups"],
                             channel_axis=p["channel_axis"],
                             sum_dtype=sum_dtype, **kw)
    else:
        out = ref.inplace_abn(g("x"), g("running_mean"), g("running_var"),
                              g("weight"), g("bias"),
                              feature_axis=p["feature_axis"], **kw)
        out["residual_sum"] = None
    return out["output"], out["residual_sum"]


def loss(case, inputs):
    y, rsum = forward(case, inputs)
    value = float(np.sum(f64(inputs["dy"]) * y))
    if "ds" in inputs:
        value += float(np.sum(f64(inputs["ds"]) * rsum))
    return value


def fd_gradient(case, inputs, name, h=1e-5):
    """Central differences of `loss` with respect to input `name`."""
    base = {k: f64(v) for k, v in inputs.items()}
    # Differences through the rounded residual sum are not defined: take
    # them in float64 (the cases using them are f32 or f64).
    case64 = GradCase(case.op, "f64", case.dynamic, case.act, case.form,
                      case.weight, case.bias, case.params)
    grad = np.zeros_like(base[name])
    flat = grad.reshape(-1)
    for i in range(flat.size):
        plus = dict(base)
        minus = dict(base)
        plus[name] = base[name].copy()
        minus[name] = base[name].copy()
        step = h * max(1.0, abs(base[name].reshape(-1)[i]))
        plus[name].reshape(-1)[i] += step
        minus[name].reshape(-1)[i] -= step
        flat[i] = (loss(case64, plus) - loss(case64, minus)) / (2 * step)
    return grad


def _views(case, inputs):
    """The op in a common view: (s, dy, ds, R, P, w, b, to_input, to_param).

    `s` is the normalized tensor, R the axes normalized over, P the axes
    weight and bias broadcast along, w/b broadcastable to `s`; `to_input`
    maps a view-shaped array back to the input shape, `to_param` a
    P-reduced one to the parameter shape.
    """
    p, op = case.p, case.op
    sum_dtype = NP_DTYPE[case.elem] if case.elem != "f64" else None
    s = f64(inputs["x"])
    if "residual" in inputs:
        s = s + f64(inputs["residual"])
        if sum_dtype is not None:
            s = s.astype(sum_dtype).astype(np.float64)
    dy = f64(inputs["dy"])
    ds = f64(inputs.get("ds"))
    w, b = f64(inputs.get("weight")), f64(inputs.get("bias"))
    rank = s.ndim
    if op in ("layer_norm", "rms_norm"):
        R = tuple(p["axes"])
        P = tuple(a for a in range(rank) if a not in R)
        shape = tuple(d if a in R else 1 for a, d in enumerate(s.shape))
        w = None if w is None else w.reshape(shape)
        b = None if b is None else b.reshape(shape)
        return s, dy, ds, R, P, w, b, (lambda a: a), (lambda a: a)
    if op in ("batch_norm_training", "inplace_abn"):
        axis = p["feature_axis"]
        R = tuple(a for a in range(rank) if a != axis)
        shape = [1] * rank
        shape[axis] = s.shape[axis]
        w = None if w is None else w.reshape(shape)
        b = None if b is None else b.reshape(shape)
        return s, dy, ds, R, R, w, b, (lambda a: a), (lambda a: a)
    # group_norm: [N, G, C/G, spatial].
    axis, g = p["channel_axis"], p["groups"]

    def to_view(a):
        moved = np.moveaxis(a, axis, 1)
        return moved.reshape(moved.shape[0], g, moved.shape[1] // g, -1)

    moved_shape = np.moveaxis(s, axis, 1).shape

    def to_input(a):
        return np.moveaxis(a.reshape(moved_shape), 1, axis)

    c = s.shape[axis]
    w = None if w is None else w.reshape(1, g, c // g, 1)
    b = None if b is None else b.reshape(1, g, c // g, 1)
    return (to_view(s), to_view(dy), None if ds is None else to_view(ds),
            (2, 3), (0, 3), w, b, to_input, lambda a: a.reshape(c))


def grad_reference(case, inputs, y_stored=None):
    """Analytic float64 gradients {dx, dw, db} (docs/training.md).

    With `y_stored` (inplace_abn), xhat is recovered from that output by
    inverting the activation, as the op defines.
    """
    p = case.p
    s, dy, ds, R, P, w, b, to_input, to_param = _views(case, inputs)
    eps = p.get("epsilon", 1e-6 if case.op == "rms_norm" else 1e-5)
    centred = case.op != "rms_norm"
    mean = s.mean(axis=R, keepdims=True) if centred else 0.0
    var = ((s - mean) ** 2).mean(axis=R, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (s - mean) * rstd
    wp = None if w is None else w + p.get("weight_offset", 0.0)
    if y_stored is not None:
        pre = ref.invert_activation(y_stored, case.act)
        xhat = pre - (b if b is not None else 0.0)
        if wp is not None:
            xhat = xhat / wp
    pre = xhat * (wp if wp is not None else 1.0) + (b if b is not None
                                                    else 0.0)
    dpre = dy * activation_derivative(pre, case.act)
    dxhat = dpre * (wp if wp is not None else 1.0)
    dx = dxhat - xhat * (dxhat * xhat).mean(axis=R, keepdims=True)
    if centred:
        dx = dx - dxhat.mean(axis=R, keepdims=True)
    dx = dx * rstd
    if ds is not None:
        dx = dx + ds
    out = {"dx": to_input(dx)}
    if case.weight:
        out["dw"] = to_param(np.sum(dpre * xhat, axis=P))
    if case.bias:
        out["db"] = to_param(np.sum(dpre, axis=P))
    return out


#===------------------------------------------------------------------------===#
# Compilation and tests.
#===------------------------------------------------------------------------===#

_MODULES = {}


def group_key(case):
    return (case.op, case.elem)


def compiled(case):
    """The compiled module of `case`'s group (same op and element type)."""
    key = group_key(case)
    if key not in _MODULES:
        text = "".join(case_mlir(c)[0] for c in CASES if group_key(c) == key)
        try:
            # The runner fixture has checked that this is a norm-opt with
            # the pipeline (see conftest.py).
            _MODULES[key] = norm_mlir.compile_mlir(
                text, opt=norm_mlir.find_opt(),
                pipeline=os.environ.get("NORM_TEST_PIPELINE"))
        except norm_mlir.CompileError as err:
            _MODULES[key] = err
    mod = _MODULES[key]
    if isinstance(mod, Exception):
        pytest.fail(f"compilation of {key} failed:\n{str(mod)[:6000]}",
                    pytrace=False)
    return mod


def run(case, inputs):
    _, names = case_mlir(case)
    fn = compiled(case)[case.fname]
    args = [inputs[n].copy() for n in names]  # inplace_abn overwrites x
    out = fn(*args)
    if not isinstance(out, tuple):
        out = (out,)
    keys = ["dx"] + (["dw"] if case.weight else []) + (
        ["db"] if case.bias else [])
    return dict(zip(keys, out))


def stored_output(case, inputs):
    """The output y as the op stores it (rounded to the element type)."""
    y, _ = forward(case, inputs)
    return y.astype(NP_DTYPE[case.elem]).astype(np.float64)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_grad(runner, case):
    inputs = make_inputs(case)
    got = run(case, inputs)
    y_stored = None
    if case.op == "inplace_abn" and case.elem == "bf16":
        y_stored = stored_output(case, inputs)
    want = grad_reference(case, inputs, y_stored)
    for name, value in got.items():
        assert np.asarray(value).dtype == (
            NP_DTYPE[case.elem] if name == "dx"
            else NP_DTYPE[stats_elem(case.elem)])
        rtol = RTOL[case.elem] if name == "dx" else RTOL_PARAM[case.elem]
        assert_close(name, value, want[name], rtol, context=f"[{case.id}]")


FD_CASES = [c for c in CASES if c.elem == "f32" and not c.dynamic
            and math.prod(c.shape) <= 240][::2]


@pytest.mark.parametrize("case", FD_CASES, ids=lambda c: c.id)
def test_grad_finite_differences(runner, case):
    """The compiled gradient against finite differences of the forward."""
    inputs = make_inputs(case)
    got = run(case, inputs)
    for name, key in (("x", "dx"), ("weight", "dw"), ("bias", "db"),
                      ("residual", "dx")):
        if name not in inputs or key not in got:
            continue
        assert_close(f"d{name}", got[key], fd_gradient(case, inputs, name),
                     RTOL_FD, context=f"[{case.id}] vs finite differences")


REF_CASES = [c for c in CASES if c.elem == "f64" or (
    c.elem == "f32" and c.form == "ressum" and math.prod(c.shape) <= 240)]


@pytest.mark.parametrize("case", REF_CASES, ids=lambda c: c.id)
def test_reference_matches_finite_differences(case):
    """The analytic numpy reference against finite differences (no compile)."""
    inputs = make_inputs(case)
    want = grad_reference(case, inputs)
    for name, key in (("x", "dx"), ("weight", "dw"), ("bias", "db")):
        if name in inputs and key in want:
            assert_close(f"d{name}", want[key],
                         fd_gradient(case, inputs, name), 1e-6,
                         context=f"[{case.id}]")


def test_inplace_abn_bf16_recovery_error(runner):
    """bf16 InPlace-ABN: the gradient from the stored output stays within
    a few percent of the true gradient (from x) of the output's scale.

    Documents the precision cost of recovering x from a rounded y; elu
    near saturation amplifies the rounding of y by 1 / (y + alpha).
    """
    case = next(c for c in CASES if c.op == "inplace_abn" and
                c.elem == "bf16" and c.act == "elu")
    inputs = make_inputs(case)
    got = run(case, inputs)
    want = grad_reference(case, inputs)
    assert_close("dx", got["dx"], want["dx"], 0.05, context=f"[{case.id}]")


#===------------------------------------------------------------------------===#
# PyTorch autograd, where torch is installed.
#===------------------------------------------------------------------------===#

TORCH_CASES = [c for c in CASES if c.elem == "f32" and c.form != "ressum"
               and c.op != "rms_norm"][::3]


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: c.id)
def test_grad_matches_torch(runner, case):
    torch = pytest.importorskip(
        "torch", reason="torch is not installed: no autograd reference "
        "(the finite-difference checks above still run)")
    F = torch.nn.functional
    inputs = make_inputs(case)
    got = run(case, inputs)
    t = {k: torch.tensor(f64(v), requires_grad=k in (
        "x", "weight", "bias", "residual")) for k, v in inputs.items()}
    s = t["x"] + t["residual"] if "residual" in t else t["x"]
    p, op = case.p, case.op
    w, b = t.get("weight"), t.get("bias")
    eps = p.get("epsilon", 1e-5)
    if op == "layer_norm":
        # Over the trailing dimensions, where F.layer_norm normalizes.
        axes = tuple(p["axes"])
        last = tuple(range(s.ndim - len(axes), s.ndim))
        moved = torch.movedim(s, axes, last)
        pre = torch.movedim(
            F.layer_norm(moved, moved.shape[last[0]:], w, b, eps), last, axes)
    elif op == "group_norm":
        axis = p["channel_axis"]
        moved = torch.movedim(s, axis, 1)
        pre = torch.movedim(F.group_norm(moved, p["groups"], w, b, eps), 1,
                            axis)
    else:
        axis = p["feature_axis"]
        moved = torch.movedim(s, axis, 1)
        pre = torch.movedim(
            F.batch_norm(moved, t["running_mean"].clone(),
                         t["running_var"].clone(), w, b, True, 0.1, eps),
            1, axis)
    kind, alpha = ref.parse_activation(case.act)
    y = {"none": lambda v: v, "relu": F.relu,
         "leaky_relu": lambda v: F.leaky_relu(v, alpha),
         "elu": lambda v: F.elu(v, alpha), "gelu": F.gelu,
         "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"),
         "silu": F.silu, "sigmoid": torch.sigmoid,
         "tanh": torch.tanh, "relu6": F.relu6, "hardsigmoid": F.hardsigmoid,
         "hardswish": F.hardswish, "mish": F.mish}[kind](pre)
    (y * t["dy"]).sum().backward()
    for name, key in (("x", "dx"), ("weight", "dw"), ("bias", "db"),
                      ("residual", "dx")):
        if name in t and key in got:
            assert_close(f"d{name}", got[key], t[name].grad.numpy(),
                         RTOL["f32"], context=f"[{case.id}] vs torch")


#===------------------------------------------------------------------------===#
# Gradient accumulation: batch statistics merged over micro-batches.
#===------------------------------------------------------------------------===#


def accumulation_mlir(name, micro_shape, k, elem, act, feature_axis=1,
                      op="batch_norm_training"):
    """A training step of batch norm over `k` micro-batches.

    Forward: batch_stats per micro-batch, merged with batch_stats_merge;
    each micro-batch normalized with the merged statistics
    (batch_norm_inference). Backward: a first batch_norm_grad per
    micro-batch gives its grad_weight/grad_bias; their sums are the
    parameter gradients and feed the micro-batch form of batch_norm_grad.
    With `op` "inplace_abn" the backward is inplace_abn_grad, from each
    micro-batch's output y and rstd alone.
    """
    T = ttype(micro_shape, elem)
    C = ttype((micro_shape[feature_axis],), stats_elem(elem))
    N = f"tensor<{stats_elem(elem)}>"
    a = mlir_activation(act)
    fa = f" feature_axis = {feature_axis}"
    args = [f"%x{i}: {T}" for i in range(k)] + [f"%w: {C}", f"%b: {C}"] + [
        f"%dy{i}: {T}" for i in range(k)]
    body = []
    for i in range(k):
        body.append(f"%n{i}, %m{i}, %q{i} = norm.batch_stats %x{i}{fa} : {T} "
                    f"-> {N}, {C}")
    cur = "0"
    for i in range(1, k):
        new = f"0to{i}"
        var = f" var({C})" if i == k - 1 else ""
        outs = f"%n{new}, %m{new}, %q{new}" + (", %var" if var else "")
        body.append(f"{outs} = norm.batch_stats_merge %n{cur}, %m{cur}, "
                    f"%q{cur}, %n{i}, %m{i}, %q{i} : {N}, {C}{var}")
        cur = new
    body += [f"%eps = arith.constant dense<1.0e-05> : {C}",
             f"%ve = arith.addf %var, %eps : {C}",
             f"%rstd = math.rsqrt %ve : {C}"]
    wb = f" weight(%w : {C}) bias(%b : {C})"
    stats = f"mean(%m{cur} : {C})"
    for i in range(k):
        body.append(f"%y{i} = norm.batch_norm_inference %x{i} {stats} "
                    f"var(%var : {C}){wb}{fa}{a} : {T}")
    if op == "inplace_abn":
        def grad(i):
            return (f"norm.inplace_abn_grad %dy{i}, %y{i} rstd(%rstd : {C})"
                    f"{wb}")
    else:
        def grad(i):
            return (f"norm.batch_norm_grad %dy{i}, %x{i} {stats} "
                    f"rstd(%rstd : {C}){wb}")
    for i in range(k):
        body.append(f"%p{i}, %pw{i}, %pb{i} = {grad(i)}{fa}{a} : {T} "
                    f"grad_weight({C}) grad_bias({C})")
    body += [f"%dw1 = arith.addf %pw0, %pw1 : {C}",
             f"%db1 = arith.addf %pb0, %pb1 : {C}"]
    for i in range(2, k):
        body += [f"%dw{i} = arith.addf %dw{i - 1}, %pw{i} : {C}",
                 f"%db{i} = arith.addf %db{i - 1}, %pb{i} : {C}"]
    dw, db = f"%dw{k - 1}", f"%db{k - 1}"
    for i in range(k):
        body.append(f"%dx{i} = {grad(i)} batch_grad_sums({db}, {dw} : {C}, "
                    f"{C}) count(%n{cur} : {N}){fa}{a} : {T}")
    results = ([(f"%y{i}", T) for i in range(k)] + [(f"%m{cur}", C),
                                                    ("%var", C)]
               + [(f"%dx{i}", T) for i in range(k)] + [(dw, C), (db, C)])
    return (f"func.func @{name}({', '.join(args)}) -> "
            f"({', '.join(t for _, t in results)})\n"
            f"    attributes {{llvm.emit_c_interface}} {{\n"
            + "".join(f"  {line}\n" for line in body)
            + f"  return {', '.join(v for v, _ in results)} : "
            f"{', '.join(t for _, t in results)}\n}}\n")


ACCUMULATION_CASES = [
    # (micro-batch shape, micro-batches, element type, activation, offset,
    #  op)
    ((2, 4, 5), 3, "f32", "relu", 0.0, "batch_norm_training"),
    ((3, 6, 2, 2), 4, "f32", "silu", 0.0, "batch_norm_training"),
    # A large mean: the merged variance must not cancel (Chan's update).
    ((4, 3, 8), 2, "f32", "none", 300.0, "batch_norm_training"),
    ((2, 4, 5), 3, "bf16", "leaky_relu(0.2)", 0.0, "batch_norm_training"),
    # InPlace-ABN: the backward from y (its micro-batch form).
    ((2, 4, 5), 3, "f32", "leaky_relu(0.2)", 0.0, "inplace_abn"),
    ((3, 6, 2, 2), 2, "f32", "elu(0.5)", 40.0, "inplace_abn"),
    ((2, 4, 5), 2, "f64", "elu", 0.0, "inplace_abn"),
]


@pytest.mark.parametrize(
    "spec", ACCUMULATION_CASES,
    ids=lambda s: f"{s[5]}-{s[2]}-{s[3]}-k{s[1]}-off{s[4]}")
def test_gradient_accumulation_matches_full_batch(runner, spec):
    micro, k, elem, act, offset, op = spec
    name = "accumulate"
    text = accumulation_mlir(name, micro, k, elem, act, op=op)
    fn = norm_mlir.compile_mlir(
        text, opt=norm_mlir.find_opt(),
        pipeline=os.environ.get("NORM_TEST_PIPELINE"))[name]
    full_shape = (micro[0] * k,) + tuple(micro[1:])
    case = make(op, elem, False, act, "nores", (True, True),
                shape=full_shape, feature_axis=1)
    inputs = make_inputs(case)
    dt = NP_DTYPE[elem]
    inputs["x"] = (f64(inputs["x"]) + offset).astype(dt)
    # Copies: inplace_abn_grad writes dx over the buffer of dy.
    xs = [part.copy() for part in np.split(inputs["x"], k)]
    dys = [part.copy() for part in np.split(inputs["dy"], k)]
    out = fn(*xs, inputs["weight"], inputs["bias"], *dys)
    ys, (mean, var), dxs, (dw, db) = (out[:k], out[k:k + 2],
                                     out[k + 2:2 * k + 2], out[2 * k + 2:])
    want = ref.batch_norm_training(inputs["x"], inputs["running_mean"],
                                   inputs["running_var"], inputs["weight"],
                                   inputs["bias"], act=act)
    grads = grad_reference(case, inputs)
    rtol = RTOL[elem]
    full_var = 1.0 / want["saved_rstd"] ** 2 - 1e-5
    assert_close("mean", mean, want["saved_mean"], rtol,
                 scale=float(np.sqrt(full_var.max())) + abs(offset))
    assert_close("var", var, full_var, 1e-4 if elem == "f32" else rtol)
    assert_close("output", np.concatenate(ys), want["output"], rtol,
                 scale=float(np.max(np.abs(want["preact"]))))
    assert_close("dx", np.concatenate(dxs), grads["dx"], rtol)
    assert_close("dw", dw, grads["dw"], RTOL_PARAM[elem])
    assert_close("db", db, grads["db"], RTOL_PARAM[elem])
