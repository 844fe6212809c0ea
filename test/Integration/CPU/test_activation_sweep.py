"""Every fused activation on a dense sweep and at its special values.

test_ops_numerics.py checks the activations on normalized data, which
rarely reaches relu6's clamp at 6 or the kinks of hardswish at +-3. Here
each activation is applied by `norm.batch_norm_inference` with mean 0,
running variance 0.5 and epsilon 0.5 (so the normalization multiplies by
rsqrt(1), 1 up to rsqrt's rounding) to:

* a sweep of [-40, 40] with every kink (0, +-3, 6) and its f32 neighbours,
* huge values (+-1e10, +-1e21, +-1e30, +-3e38: mish's x * n / (n + 2)
  overflowed there under fast-math's reassociation before it selected x
  above 20),
* the special values NaN, +-inf and -0.0,

compared with reference.py (numpy from the definitions, as PyTorch
computes them: NaN propagates, -0.0 keeps its sign where torch's does, mish
of -inf is NaN). Tolerances: f32 |got - ref| <= 2e-6 (|ref| + 1) (the
normalization's 1 is within an ulp or two of 1; erf/tanh/exp are
polynomial approximations within ~3e-7); f16/bf16: one rounding of the
element type on top (2^-11 / 2^-8 relative, plus the same absolute slack).
"""

import numpy as np
import pytest

import norm_mlir
import reference as ref
from cases import ACTIVATIONS, NP_DTYPE
from norm_opt_helpers import OPT, needs_norm_opt

pytestmark = needs_norm_opt

KINKS = (0.0, -3.0, 3.0, 6.0)
SPECIALS = (np.nan, np.inf, -np.inf, -0.0, 0.0)
RTOL = {"f32": 2e-6, "f16": 2.0**-11 + 2e-6, "bf16": 2.0**-8 + 2e-6}


def _inputs():
    sweep = np.linspace(-40.0, 40.0, 8001, dtype=np.float32)
    near = [np.nextafter(np.float32(k), np.float32(d))
            for k in KINKS for d in (-np.inf, np.inf)]
    huge = [s * v for v in (1e10, 1e21, 1e30, 3e38) for s in (-1.0, 1.0)]
    return np.concatenate([np.array(SPECIALS, np.float32), sweep,
                           np.array(KINKS + tuple(near) + tuple(huge),
                                    np.float32)])


def _module(act, elem, n):
    t = f"tensor<{n}x1x{elem}>"
    return f"""
func.func @f(%x: {t}, %out: {t}) -> {t} attributes {{llvm.emit_c_interface}} {{
  %mean = arith.constant dense<0.0> : tensor<1x{elem}>
  %var = arith.constant dense<0.5> : tensor<1x{elem}>
  %y = norm.batch_norm_inference %x mean(%mean : tensor<1x{elem}>)
      var(%var : tensor<1x{elem}>) feature_axis = 1 epsilon = 0.5
      activation = {act} : {t}
  %r = bufferization.materialize_in_destination %y in %out : ({t}, {t}) -> {t}
  return %r : {t}
}}"""


@pytest.mark.parametrize("elem", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("act", [a for a in ACTIVATIONS if a != "none"])
def test_activation_sweep(act, elem):
    x32 = _inputs()
    with np.errstate(over="ignore"):  # huge f32 values are inf in f16
        x = x32.astype(NP_DTYPE[elem])
    n = x.size
    module = norm_mlir.compile_mlir(_module(act, elem, n), opt=OPT)
    y = module["f"](x.reshape(n, 1), np.empty((n, 1), x.dtype)).reshape(n)
    y64 = y.astype(np.float64)
    # The reference of the value the op received, rounded to the element
    # type like the op's result.
    with np.errstate(all="ignore"):
        want = ref.activation(x.astype(np.float64), act)
    want = want.astype(NP_DTYPE[elem]).astype(np.float64)
    nan_want, nan_got = np.isnan(want), np.isnan(y64)
    assert np.array_equal(nan_want, nan_got), (
        f"NaN at {x32[nan_want != nan_got][:8]}: got "
        f"{y64[nan_want != nan_got][:8]}, want {want[nan_want != nan_got][:8]}")
    inf = np.isinf(want)
    assert np.array_equal(y64[inf], want[inf]), (x32[inf], y64[inf])
    finite = ~nan_want & ~inf
    err = np.abs(y64[finite] - want[finite])
    bound = RTOL[elem] * (np.abs(want[finite]) + 1.0)
    worst = int(np.argmax(err / bound))
    assert err[worst] <= bound[worst], (
        f"{act} {elem}: x = {x32[finite][worst]!r}: got {y64[finite][worst]!r}"
        f", want {want[finite][worst]!r}")
    # The sign of zero (x = -0.0 is input 3), as torch's. Except gelu's: its
    # single FMA x/2 + x/2 * erf(x/sqrt(2)) (ActivationUtils.cpp) gives
    # -0 + +0 = +0.0, where torch's x/2 * (1 + erf) gives -0.0; keeping the
    # FMA (one operation less, no cancellation for x << 0) is deliberate.
    if want[3] == 0.0 and act != "gelu":
        assert np.signbit(y64[3]) == np.signbit(want[3]), (act, y64[3])


@pytest.mark.parametrize("act", ["hardsigmoid", "hardswish"])
def test_hard_activations_near_minus_three(act):
    """Relative accuracy where hardsigmoid leaves 0: x + 3 is exact there,
    x / 6 + 1/2 cancels (an FMA with a rounded 1/6 gave 25 % relative
    error at -3 + 2^-22, 1.5e-8 absolute). The batch norm multiplies by
    rsqrt(1) = 1 exactly, so the activation sees x itself. Without
    fast-math: with its `reassoc` (the default) LLVM folds (x * s + 3) / 6
    into x * (s / 6) + 1/2 again, and the error is back (docs/design.md)."""
    x = np.float32(-3.0) + np.float32(2.0**-22) * np.arange(1, 4097,
                                                            dtype=np.float32)
    n = x.size
    module = norm_mlir.compile_mlir(
        _module(act, "f32", n), opt=OPT,
        pipeline=norm_mlir.norm_pipeline(True, **{"fast-math": False}))
    y = module["f"](x.reshape(n, 1), np.empty((n, 1), np.float32)).reshape(n)
    want = ref.activation(x.astype(np.float64), act)
    rel = np.abs(y - want) / np.abs(want)
    assert rel.max() <= 4 * 2.0**-24, (act, x[np.argmax(rel)], rel.max())


def _grad_module(act, n):
    """grad_bias of layer_norm_grad for one constant row (x = 0, so the
    normalized value is 0 and the pre-activation is the bias) with dy = 1:
    act'(bias), elementwise."""
    t = f"tensor<1x{n}xf32>"
    v = f"tensor<{n}xf32>"
    return f"""
func.func @g(%dy: {t}, %x: {t}, %m: tensor<1x1xf32>, %r: tensor<1x1xf32>,
             %w: {v}, %b: {v}) -> {v} attributes {{llvm.emit_c_interface}} {{
  %dx, %dw, %db = norm.layer_norm_grad %dy, %x mean(%m : tensor<1x1xf32>)
      rstd(%r : tensor<1x1xf32>) weight(%w : {v}) bias(%b : {v}) axes = [1]
      activation = {act} : {t} grad_weight({v}) grad_bias({v})
  return %db : {v}
}}"""


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS if a != "none"])
def test_activation_derivative_sweep(act):
    """act' on the same sweep (f32), against test_grad_numerics.py's
    derivatives (PyTorch's conventions at the kinks: relu6 and hardsigmoid
    0 there, hardswish 0 at -3 and 1 at 3). Tolerance 1e-5 (|ref| + 1),
    cases.py's f32 tolerance: 1 + tanh cancels in f32 near saturation
    (gelu_tanh' at -4.87 is 3.5e-6 off with the polynomial tanh).
    NaN inputs and +-inf are left out (PyTorch's own backward kernels
    disagree with each other there), and for gelu_tanh |x| >= 1e10, where
    x^3 overflows f32 and the derivative is 0 * inf = NaN, as PyTorch's
    (the same order of products)."""
    from test_grad_numerics import activation_derivative
    x = _inputs()
    x = x[np.isfinite(x)]
    if act == "gelu_tanh":
        x = x[np.abs(x) < 1e10]
    n = x.size
    module = norm_mlir.compile_mlir(_grad_module(act, n), opt=OPT)
    one = np.ones((1, n), np.float32)
    got = module["g"](one, np.zeros((1, n), np.float32),
                      np.zeros((1, 1), np.float32), np.ones((1, 1), np.float32),
                      np.ones(n, np.float32), x).astype(np.float64)
    with np.errstate(all="ignore"):
        want = activation_derivative(x.astype(np.float64), act)
    assert not np.any(np.isnan(got)), x[np.isnan(got)][:8]
    err = np.abs(got - want)
    bound = 1e-5 * (np.abs(want) + 1.0)
    worst = int(np.argmax(err / bound))
    assert err[worst] <= bound[worst], (
        f"{act}': x = {x[worst]!r}: got {got[worst]!r}, want {want[worst]!r}")
