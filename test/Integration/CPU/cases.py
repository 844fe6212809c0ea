"""MLIR generators and numerical cases for the CPU integration tests.

A `Case` describes one call of one norm op: element type, static or dynamic
shapes, activation, residual form, statistics results and op attributes. It
knows how to

  * write itself as a `func.func` with `llvm.emit_c_interface` whose
    arguments are the op's tensor operands and whose results are all the op's
    results (`Case.mlir`),
  * make deterministic inputs (`Case.inputs`, seeded by the case id),
  * compute the float64 reference (`Case.reference`, with reference.py).

Several cases are compiled as one module (see conftest.py): `module_text`
joins their functions.
"""

import re
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

import reference as ref

try:
    import ml_dtypes

    BF16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes ships with the runtime
    BF16 = None

#: numpy dtype of each MLIR element type used by the tests.
NP_DTYPE = {
    "f64": np.dtype(np.float64),
    "f32": np.dtype(np.float32),
    "f16": np.dtype(np.float16),
    "bf16": BF16,
    "ui8": np.dtype(np.uint8),
    "i8": np.dtype(np.int8),
}

#: Unit roundoff of each float type (half an ulp, relative).
UNIT_ROUNDOFF = {"f64": 2.0**-53, "f32": 2.0**-24, "f16": 2.0**-11,
                 "bf16": 2.0**-8}

#: Relative tolerance of a result of each element type. Each element must
#: satisfy |got - ref| <= rtol * (|ref| + scale), `scale` being the
#: magnitude of the whole result (for normalized outputs: the largest
#: pre-activation value), i.e. a relative tolerance plus an absolute one
#: relative to the output scale.
#:  * f32: 1e-5 (~170 ulps): reductions of up to ~10^3 terms and the
#:    polynomial approximations of erf/tanh/exp stay well below this.
#:  * f16 (11-bit significand, u = 2^-11) and bf16 (8 bits, u = 2^-8):
#:    2u, i.e. one rounding of the result to the element type plus one
#:    rounding of an intermediate of the input type (the residual sum, which
#:    the op defines as a value of the input type); arithmetic done in f32 in
#:    between adds ~1e-6, nothing at this scale.
#:  * f64: 1e-12 (libm-accurate activations, f64 reductions of <= 10^4
#:    terms).
RTOL = {"f64": 1e-12, "f32": 1e-5, "f16": 2 * UNIT_ROUNDOFF["f16"],
        "bf16": 2 * UNIT_ROUNDOFF["bf16"]}

#: Every activation (with non-default parameters for the parametric ones).
ACTIVATIONS = ("none", "relu", "leaky_relu", "leaky_relu(0.2)", "elu",
               "elu(0.5)", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh",
               "relu6", "hardsigmoid", "hardswish", "mish")
#: Residual forms: none, a residual operand, and the operand plus the
#: `residual_sum` result.
RESIDUAL_FORMS = ("nores", "res", "ressum")
FLOAT_TYPES = ("f32", "f16", "bf16", "f64")


def stats_elem(elem: str) -> str:
    """Element type of statistics results: f32 for f16/bf16, else `elem`."""
    return "f32" if elem in ("f16", "bf16") else elem


def tensor_type(shape, elem: str, dynamic: bool = False) -> str:
    """`tensor<4x?xf32>`; with `dynamic` every size is `?`."""
    dims = ["?" if dynamic or d is None else str(d) for d in shape]
    return "tensor<" + "".join(d + "x" for d in dims) + elem + ">"


def kept_type(shape, axes, elem: str, dynamic: bool) -> str:
    """The type of keep-dims statistics: `axes` set to 1, others `?` if
    `dynamic`."""
    dims = [1 if i in axes else (None if dynamic else d)
            for i, d in enumerate(shape)]
    return tensor_type(dims, elem)


def _fmt_float(value: float) -> str:
    text = repr(float(value))
    if "." in text or "inf" in text or "nan" in text:
        return text
    mantissa, _, exponent = text.partition("e")
    return mantissa + ".0" + ("e" + exponent if exponent else "")


def _mlir_activation(act: str) -> str:
    """` activation = leaky_relu(0.2)`, or nothing for `none`."""
    if act == "none":
        return ""
    kind, alpha = ref.parse_activation(act)
    if "(" in act:
        return f" activation = {kind}({_fmt_float(alpha)})"
    return f" activation = {kind}"


def _symbol(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


@dataclass
class Func:
    """A `func.func` under construction: arguments, body and results."""

    name: str
    args: List[Tuple[str, str]] = field(default_factory=list)  # (ssa, type)
    arrays: List[np.ndarray] = field(default_factory=list)
    body: List[str] = field(default_factory=list)
    results: List[Tuple[str, str, str]] = field(default_factory=list)

    def arg(self, array: np.ndarray, type_: str) -> str:
        name = f"%a{len(self.args)}"
        self.args.append((name, type_))
        self.arrays.append(array)
        return name

    def text(self) -> str:
        args = ", ".join(f"{n}: {t}" for n, t in self.args)
        rtypes = ", ".join(t for _, t, _ in self.results)
        rvals = ", ".join(v for v, _, _ in self.results)
        body = "\n".join("  " + line for line in self.body)
        return (f"func.func @{self.name}({args}) -> ({rtypes})\n"
                f"    attributes {{llvm.emit_c_interface}} {{\n{body}\n"
                f"  return {rvals} : {rtypes}\n}}\n")


@dataclass(frozen=True)
class Case:
    """One call of one op; `params` holds the op-specific attributes."""

    op: str
    elem: str = "f32"
    dynamic: bool = False
    act: str = "none"
    residual: str = "nores"
    stats: bool = False
    params: Tuple[Tuple[str, object], ...] = ()
    tag: str = ""

    # -- naming ----------------------------------------------------------

    @property
    def p(self) -> Dict[str, object]:
        return dict(self.params)

    @property
    def id(self) -> str:
        parts = [self.op, self.elem, "dyn" if self.dynamic else "static"]
        if self.op in ACTIVATION_OPS:
            parts += [self.act, self.residual] + (["stats"] if self.stats
                                                 else [])
        parts += [f"{k}={_param_text(v)}" for k, v in self.params]
        if self.tag:
            parts.append(self.tag)
        return "-".join(parts)

    @property
    def fname(self) -> str:
        return _symbol(self.id)

    @property
    def seed(self) -> int:
        return zlib.crc32(self.id.encode())

    # -- generation --------------------------------------------------------

    def build(self, data: Optional[Dict[str, np.ndarray]] = None):
        """(Func, input names) with inputs made from `data` or the seed.

        `data` overrides generated inputs by name (edge-case tests feed
        their own values through it).
        """
        rng = np.random.default_rng(self.seed)
        return BUILDERS[self.op](self, rng, data or {})

    def mlir(self) -> str:
        return self.build()[0].text()

    def inputs(self, data=None) -> Dict[str, np.ndarray]:
        func, names = self.build(data)
        return dict(zip(names, func.arrays))

    def result_names(self) -> List[str]:
        return [k for _, _, k in self.build()[0].results]

    def reference(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        return REFERENCES[self.op](self, inputs)


def _param_text(v) -> str:
    if isinstance(v, (list, tuple)):
        return "_".join(str(x) for x in v)
    return str(v)


def module_text(cases) -> str:
    """One module with the function of every case (deduplicated)."""
    seen, funcs = set(), []
    for case in cases:
        if case.fname in seen:
            continue
        seen.add(case.fname)
        funcs.append(case.mlir())
    return "module {\n" + "\n".join(funcs) + "}\n"


#===------------------------------------------------------------------------===#
# Input generation helpers.
#===------------------------------------------------------------------------===#


def cast(values, elem: str) -> np.ndarray:
    """`values` rounded to the element type `elem` (C-contiguous)."""
    return np.ascontiguousarray(np.asarray(values).astype(NP_DTYPE[elem]))


def _normal(rng, shape, elem, loc=0.0, scale=1.0):
    return cast(rng.normal(loc, scale, size=shape), elem)


def _uniform(rng, shape, elem, lo, hi):
    return cast(rng.uniform(lo, hi, size=shape), elem)


def _pick(data, name, make):
    return data[name] if name in data else make()


#===------------------------------------------------------------------------===#
# Activation normalizations.
#===------------------------------------------------------------------------===#

ACTIVATION_OPS = ("layer_norm", "rms_norm", "batch_norm_inference",
                  "batch_norm_training", "inplace_abn", "group_norm")


def _common_prefix(case: Case, rng, data, shape):
    """Input and the optional residual (as `(ssa, array)` pairs)."""
    x = _pick(data, "input", lambda: _normal(rng, shape, case.elem, 0.3, 1.5))
    res = None
    if case.residual != "nores":
        res = _pick(data, "residual",
                    lambda: _normal(rng, shape, case.elem, 0.0, 1.0))
    return x, res


def _weight_bias(case, rng, data, shape, elem):
    p = case.p
    w = b = None
    if p.get("weight", True):
        w = _pick(data, "weight",
                  lambda: _normal(rng, shape, elem, 1.0, 0.3))
    if p.get("bias", True) and case.op != "rms_norm":
        b = _pick(data, "bias", lambda: _normal(rng, shape, elem, 0.0, 0.5))
    return w, b


def _eps_attr(case, default):
    """` epsilon = ...` when the case sets one (`default` is the op's)."""
    eps = case.p.get("epsilon")
    return f" epsilon = {_fmt_float(eps)}" if eps is not None else ""


def _epsilon(case, default):
    return case.p.get("epsilon", default)


def _operand_names(func, names, pairs):
    """Adds optional operands; returns `{name: ssa}` for those present."""
    ssa = {}
    for name, (array, type_) in pairs:
        if array is None:
            continue
        ssa[name] = func.arg(array, type_)
        names.append(name)
    return ssa


def _opt(ssa, key, kw, type_):
    return f" {kw}({ssa[key]} : {type_})" if key in ssa else ""


def build_layer_norm(case: Case, rng, data):
    p = case.p
    shape = p.get("shape", (4, 6, 37))
    axes = p.get("axes", (len(shape) - 1,))
    dyn = case.dynamic
    t = tensor_type(shape, case.elem, dyn)
    pshape = tuple(shape[a] for a in axes)
    pt = tensor_type(pshape, case.elem, dyn)
    st = kept_type(shape, axes, stats_elem(case.elem), dyn)
    x, res = _common_prefix(case, rng, data, shape)
    w, b = _weight_bias(case, rng, data, pshape, case.elem)
    func, names = Func(case.fname), []
    ssa = _operand_names(func, names, [("input", (x, t)), ("weight", (w, pt)),
                                       ("bias", (b, pt)),
                                       ("residual", (res, t))])
    results = [("%y", t, "output")]
    if case.stats:
        results += [("%mean", st, "mean"), ("%rstd", st, "rstd")]
    if case.residual == "ressum":
        results.append(("%rsum", t, "residual_sum"))
    lhs = ", ".join(v for v, _, _ in results)
    axes_text = ", ".join(str(a) for a in axes)
    line = (f"{lhs} = norm.layer_norm {ssa['input']}"
            f"{_opt(ssa, 'weight', 'weight', pt)}{_opt(ssa, 'bias', 'bias', pt)}"
            f"{_opt(ssa, 'residual', 'residual', t)} axes = [{axes_text}]"
            f"{_eps_attr(case, 1e-5)}{_mlir_activation(case.act)} : {t}")
    if case.stats:
        line += f" stats({st}, {st})"
    if case.residual == "ressum":
        line += f" residual_sum({t})"
    func.body.append(line)
    func.results = results
    return func, names


def ref_layer_norm(case, a):
    p = case.p
    shape = a["input"].shape
    axes = p.get("axes", (len(shape) - 1,))
    return ref.layer_norm(a["input"], a.get("weight"), a.get("bias"),
                          a.get("residual"), axes=axes,
                          epsilon=_epsilon(case, 1e-5), act=case.act,
                          sum_dtype=NP_DTYPE[case.elem])


def build_rms_norm(case: Case, rng, data):
    p = case.p
    shape = p.get("shape", (4, 6, 37))
    axes = p.get("axes", (len(shape) - 1,))
    dyn = case.dynamic
    t = tensor_type(shape, case.elem, dyn)
    pshape = tuple(shape[a] for a in axes)
    pt = tensor_type(pshape, case.elem, dyn)
    st = kept_type(shape, axes, stats_elem(case.elem), dyn)
    x, res = _common_prefix(case, rng, data, shape)
    w, _ = _weight_bias(case, rng, data, pshape, case.elem)
    func, names = Func(case.fname), []
    ssa = _operand_names(func, names, [("input", (x, t)), ("weight", (w, pt)),
                                       ("residual", (res, t))])
    results = [("%y", t, "output")]
    if case.stats:
        results.append(("%rstd", st, "rstd"))
    if case.residual == "ressum":
        results.append(("%rsum", t, "residual_sum"))
    lhs = ", ".join(v for v, _, _ in results)
    offset = p.get("weight_offset")
    line = (f"{lhs} = norm.rms_norm {ssa['input']}"
            f"{_opt(ssa, 'weight', 'weight', pt)}"
            f"{_opt(ssa, 'residual', 'residual', t)}"
            f" axes = [{', '.join(str(x) for x in axes)}]"
            f"{_eps_attr(case, 1e-6)}"
            + (f" weight_offset = {_fmt_float(offset)}" if offset is not None
               else "")
            + f"{_mlir_activation(case.act)} : {t}")
    if case.stats:
        line += f" rstd({st})"
    if case.residual == "ressum":
        line += f" residual_sum({t})"
    func.body.append(line)
    func.results = results
    return func, names


def ref_rms_norm(case, a):
    p = case.p
    shape = a["input"].shape
    return ref.rms_norm(a["input"], a.get("weight"), a.get("residual"),
                        axes=p.get("axes", (len(shape) - 1,)),
                        epsilon=_epsilon(case, 1e-6),
                        weight_offset=p.get("weight_offset", 0.0),
                        act=case.act, sum_dtype=NP_DTYPE[case.elem])


def _batch_norm_like(case: Case, rng, data, training: bool):
    p = case.p
    shape = p.get("shape", (3, 5, 4, 7))
    axis = p.get("feature_axis", 1)
    dyn = case.dynamic
    c = shape[axis]
    t = tensor_type(shape, case.elem, dyn)
    run_elem = p.get("running_elem", case.elem)
    ct = tensor_type((c,), case.elem, dyn)
    rt = tensor_type((c,), run_elem, dyn)
    st = tensor_type((c,), stats_elem(case.elem), dyn)
    x, res = _common_prefix(case, rng, data, shape)
    rm = _pick(data, "running_mean",
               lambda: _normal(rng, (c,), run_elem, 0.0, 0.5))
    rv = _pick(data, "running_var",
               lambda: _uniform(rng, (c,), run_elem, 0.5, 2.0))
    w, b = _weight_bias(case, rng, data, (c,), case.elem)
    func, names = Func(case.fname), []
    ssa = _operand_names(func, names, [
        ("input", (x, t)), ("running_mean", (rm, rt)),
        ("running_var", (rv, rt)), ("weight", (w, ct)), ("bias", (b, ct)),
        ("residual", (res, t))])
    results = [("%y", t, "output")]
    if training:
        results += [("%sm", st, "saved_mean"), ("%sr", st, "saved_rstd"),
                    ("%rm", rt, "new_running_mean"),
                    ("%rv", rt, "new_running_var")]
    if case.residual == "ressum":
        results.append(("%rsum", t, "residual_sum"))
    lhs = ", ".join(v for v, _, _ in results)
    line = (f"{lhs} = norm.{case.op} {ssa['input']}"
            f" mean({ssa['running_mean']} : {rt})"
            f" var({ssa['running_var']} : {rt})"
            f"{_opt(ssa, 'weight', 'weight', ct)}{_opt(ssa, 'bias', 'bias', ct)}"
            f"{_opt(ssa, 'residual', 'residual', t)}")
    if "feature_axis" in p:
        line += f" feature_axis = {axis}"
    line += _eps_attr(case, 1e-5)
    if training and "momentum" in p:
        line += f" momentum = {_fmt_float(p['momentum'])}"
    line += f"{_mlir_activation(case.act)} : {t}"
    if training:
        line += f" stats({st}, {st})"
    if case.residual == "ressum":
        line += f" residual_sum({t})"
    func.body.append(line)
    func.results = results
    return func, names


def build_batch_norm_inference(case, rng, data):
    return _batch_norm_like(case, rng, data, training=False)


def build_batch_norm_training(case, rng, data):
    return _batch_norm_like(case, rng, data, training=True)


def ref_batch_norm_inference(case, a):
    return ref.batch_norm_inference(
        a["input"], a["running_mean"], a["running_var"], a.get("weight"),
        a.get("bias"), a.get("residual"),
        feature_axis=case.p.get("feature_axis", 1),
        epsilon=_epsilon(case, 1e-5), act=case.act,
        sum_dtype=NP_DTYPE[case.elem])


def ref_batch_norm_training(case, a):
    fn = ref.inplace_abn if case.op == "inplace_abn" else \
        ref.batch_norm_training
    kwargs = {} if case.op == "inplace_abn" else {
        "residual": a.get("residual"), "sum_dtype": NP_DTYPE[case.elem]}
    return fn(a["input"], a["running_mean"], a["running_var"],
              a.get("weight"), a.get("bias"),
              feature_axis=case.p.get("feature_axis", 1),
              epsilon=_epsilon(case, 1e-5),
              momentum=case.p.get("momentum", 0.1), act=case.act, **kwargs)


def build_group_norm(case: Case, rng, data):
    p = case.p
    shape = p.get("shape", (2, 6, 5, 7))
    axis = p.get("channel_axis", 1)
    groups = p.get("groups", 3)
    dyn = case.dynamic
    c = shape[axis]
    t = tensor_type(shape, case.elem, dyn)
    ct = tensor_type((c,), case.elem, dyn)
    st = "tensor<" + ("?" if dyn else str(shape[0])) + \
        f"x{groups}x{stats_elem(case.elem)}>"
    x, res = _common_prefix(case, rng, data, shape)
    w, b = _weight_bias(case, rng, data, (c,), case.elem)
    func, names = Func(case.fname), []
    ssa = _operand_names(func, names, [("input", (x, t)), ("weight", (w, ct)),
                                       ("bias", (b, ct)),
                                       ("residual", (res, t))])
    results = [("%y", t, "output")]
    if case.stats:
        results += [("%mean", st, "mean"), ("%rstd", st, "rstd")]
    if case.residual == "ressum":
        results.append(("%rsum", t, "residual_sum"))
    lhs = ", ".join(v for v, _, _ in results)
    line = (f"{lhs} = norm.group_norm {ssa['input']}"
            f"{_opt(ssa, 'weight', 'weight', ct)}{_opt(ssa, 'bias', 'bias', ct)}"
            f"{_opt(ssa, 'residual', 'residual', t)} groups = {groups}")
    if "channel_axis" in p:
        line += f" channel_axis = {axis}"
    line += f"{_eps_attr(case, 1e-5)}{_mlir_activation(case.act)} : {t}"
    if case.stats:
        line += f" stats({st}, {st})"
    if case.residual == "ressum":
        line += f" residual_sum({t})"
    func.body.append(line)
    func.results = results
    return func, names


def ref_group_norm(case, a):
    p = case.p
    return ref.group_norm(a["input"], a.get("weight"), a.get("bias"),
                          a.get("residual"), num_groups=p.get("groups", 3),
                          channel_axis=p.get("channel_axis", 1),
                          epsilon=_epsilon(case, 1e-5), act=case.act,
                          sum_dtype=NP_DTYPE[case.elem])


#===------------------------------------------------------------------------===#
# Weight and data normalizations.
#===------------------------------------------------------------------------===#


def build_spectral_norm(case: Case, rng, data):
    p = case.p
    shape = p.get("shape", (6, 3, 3, 2))
    dim = p.get("dim", 0)
    dyn = case.dynamic
    h = shape[dim]
    wt = tensor_type(shape, case.elem, dyn)
    ut = tensor_type((h,), case.elem, dyn)
    sigma_t = f"tensor<{stats_elem(case.elem)}>"
    w = _pick(data, "weight", lambda: _normal(rng, shape, case.elem))
    u = _pick(data, "u", lambda: cast(
        ref._normalize(rng.normal(size=h), 1e-12), case.elem))
    func, names = Func(case.fname), ["weight", "u"]
    a_w = func.arg(w, wt)
    a_u = func.arg(u, ut)
    attrs = ""
    if "dim" in p:
        attrs += f" dim = {dim}"
    if "power_iterations" in p:
        attrs += f" power_iterations = {p['power_iterations']}"
    attrs += _eps_attr(case, 1e-12)
    func.body.append(f"%o, %u2, %s = norm.spectral_norm {a_w}, {a_u}{attrs}"
                     f" : {wt}, {ut} -> {sigma_t}")
    func.results = [("%o", wt, "output"), ("%u2", ut, "new_u"),
                    ("%s", sigma_t, "sigma")]
    return func, names


def ref_spectral_norm(case, a):
    p = case.p
    return ref.spectral_norm(a["weight"], a["u"], dim=p.get("dim", 0),
                             power_iterations=p.get("power_iterations", 1),
                             epsilon=_epsilon(case, 1e-12))


def _reduced(shape, axes):
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _data_shapes(case):
    p = case.p
    shape = p.get("shape", (37, 6))
    axes = tuple(p.get("axes", (0,)))
    dyn = case.dynamic
    return (shape, axes, tensor_type(shape, case.elem, dyn),
            tensor_type(_reduced(shape, axes), case.elem, dyn))


def build_moments(case: Case, rng, data):
    shape, axes, t, rt = _data_shapes(case)
    x = _pick(data, "input",
              lambda: _normal(rng, shape, case.elem, 2.0, 3.0))
    func = Func(case.fname)
    a = func.arg(x, t)
    attrs = ""
    if "correction" in case.p:
        attrs = f" correction = {case.p['correction']}"
    func.body.append(f"%m, %s = norm.moments {a} axes = "
                     f"[{', '.join(map(str, axes))}]{attrs} : {t} -> {rt}")
    func.results = [("%m", rt, "mean"), ("%s", rt, "std")]
    return func, ["input"]


def ref_moments(case, a):
    return ref.moments(a["input"], axes=case.p.get("axes", (0,)),
                       correction=case.p.get("correction", 0))


def build_min_max(case: Case, rng, data):
    shape, axes, t, rt = _data_shapes(case)
    x = _pick(data, "input",
              lambda: _normal(rng, shape, case.elem, 2.0, 3.0))
    func = Func(case.fname)
    a = func.arg(x, t)
    func.body.append(f"%lo, %hi = norm.min_max {a} axes = "
                     f"[{', '.join(map(str, axes))}] : {t} -> {rt}")
    func.results = [("%lo", rt, "min"), ("%hi", rt, "max")]
    return func, ["input"]


def ref_min_max(case, a):
    return ref.min_max(a["input"], axes=case.p.get("axes", (0,)))


def build_standardize(case: Case, rng, data):
    shape, axes, t, rt = _data_shapes(case)
    rshape = _reduced(shape, axes)
    x = _pick(data, "input",
              lambda: _normal(rng, shape, case.elem, 2.0, 3.0))
    m = _pick(data, "mean", lambda: _normal(rng, rshape, case.elem, 2.0, 1.0))
    s = _pick(data, "std", lambda: _uniform(rng, rshape, case.elem, 0.5, 4.0))
    func = Func(case.fname)
    ax, am, as_ = func.arg(x, t), func.arg(m, rt), func.arg(s, rt)
    func.body.append(f"%y = norm.standardize {ax}, {am}, {as_} axes = "
                     f"[{', '.join(map(str, axes))}] : {t}, {rt}")
    func.results = [("%y", t, "output")]
    return func, ["input", "mean", "std"]


def ref_standardize(case, a):
    return ref.standardize(a["input"], a["mean"], a["std"],
                           axes=case.p.get("axes", (0,)))


def build_min_max_scale(case: Case, rng, data):
    shape, axes, t, rt = _data_shapes(case)
    rshape = _reduced(shape, axes)
    x = _pick(data, "input",
              lambda: _normal(rng, shape, case.elem, 2.0, 3.0))
    lo = _pick(data, "min", lambda: _normal(rng, rshape, case.elem, -2.0, 1.0))
    hi = _pick(data, "max", lambda: cast(
        lo.astype(np.float64) + rng.uniform(1.0, 6.0, size=rshape),
        case.elem))
    func = Func(case.fname)
    ax, al, ah = func.arg(x, t), func.arg(lo, rt), func.arg(hi, rt)
    attrs = ""
    if "range_min" in case.p:
        attrs += f" range_min = {_fmt_float(case.p['range_min'])}"
    if "range_max" in case.p:
        attrs += f" range_max = {_fmt_float(case.p['range_max'])}"
    func.body.append(f"%y = norm.min_max_scale {ax}, {al}, {ah} axes = "
                     f"[{', '.join(map(str, axes))}]{attrs} : {t}, {rt}")
    func.results = [("%y", t, "output")]
    return func, ["input", "min", "max"]


def ref_min_max_scale(case, a):
    p = case.p
    return ref.min_max_scale(a["input"], a["min"], a["max"],
                             axes=p.get("axes", (0,)),
                             range_min=p.get("range_min", 0.0),
                             range_max=p.get("range_max", 1.0))


def build_image_normalize(case: Case, rng, data):
    """`case.elem` is the output type; `params['pixel']` the input type."""
    p = case.p
    layout = p.get("layout", "nchw")
    shape = p.get("shape", (2, 3, 5, 7) if layout == "nchw" else (2, 5, 7, 3))
    pixel = p.get("pixel", "ui8")
    dyn = case.dynamic
    c = shape[-1] if layout == "nhwc" else shape[-3]
    it = tensor_type(shape, pixel, dyn)
    ot = tensor_type(shape, case.elem, dyn)
    ct = tensor_type((c,), case.elem, dyn)
    if pixel in ("ui8", "i8"):
        img = _pick(data, "input", lambda: rng.integers(
            0, 256, size=shape).astype(np.uint8).view(NP_DTYPE[pixel]))
    else:
        img = _pick(data, "input",
                    lambda: _uniform(rng, shape, pixel, 0.0, 255.0))
    mean = _pick(data, "mean", lambda: _uniform(rng, (c,), case.elem, 0.3, 0.6))
    std = _pick(data, "std", lambda: _uniform(rng, (c,), case.elem, 0.2, 0.3))
    func = Func(case.fname)
    ai, am, as_ = func.arg(img, it), func.arg(mean, ct), func.arg(std, ct)
    attrs = ""
    if "layout" in p:
        attrs += f" layout = {layout}"
    if "scale" in p:
        attrs += f" scale = {_fmt_float(p['scale'])}"
    func.body.append(f"%y = norm.image_normalize {ai}, {am}, {as_}{attrs} : "
                     f"{it}, {ct} -> {ot}")
    func.results = [("%y", ot, "output")]
    return func, ["input", "mean", "std"]


def ref_image_normalize(case, a):
    p = case.p
    return ref.image_normalize(a["input"], a["mean"], a["std"],
                               layout=p.get("layout", "nchw"),
                               scale=p.get("scale", 1.0))


BUILDERS = {
    "layer_norm": build_layer_norm,
    "rms_norm": build_rms_norm,
    "batch_norm_inference": build_batch_norm_inference,
    "batch_norm_training": build_batch_norm_training,
    "inplace_abn": build_batch_norm_training,
    "group_norm": build_group_norm,
    "spectral_norm": build_spectral_norm,
    "moments": build_moments,
    "min_max": build_min_max,
    "standardize": build_standardize,
    "min_max_scale": build_min_max_scale,
    "image_normalize": build_image_normalize,
}

REFERENCES = {
    "layer_norm": ref_layer_norm,
    "rms_norm": ref_rms_norm,
    "batch_norm_inference": ref_batch_norm_inference,
    "batch_norm_training": ref_batch_norm_training,
    "inplace_abn": ref_batch_norm_training,
    "group_norm": ref_group_norm,
    "spectral_norm": ref_spectral_norm,
    "moments": ref_moments,
    "min_max": ref_min_max,
    "standardize": ref_standardize,
    "min_max_scale": ref_min_max_scale,
    "image_normalize": ref_image_normalize,
}


def make_case(op, elem="f32", dynamic=False, act="none", residual="nores",
              stats=False, tag="", **params) -> Case:
    """A Case with `params` as keyword arguments (sorted for stable ids)."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                          for k, v in params.items()))
    return Case(op, elem, dynamic, act, residual, stats, frozen, tag)
