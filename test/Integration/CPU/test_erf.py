"""erf as `norm-lower-to-cpu` computes it, against math.erf, on data.

`norm-approximate-math` replaces f32 `math.erf` by a clamped rational
approximation of its own (x * P(x^2) / Q(x^2) on [-4, 4]) and f16/bf16 erf by
the same in f32. GELU (erf form) uses it. Checked here on a dense sweep of
[-6, 6], on random bit patterns covering every f32 exponent, and on the
special values:

* f32: |erf(x) - math.erf(x)| <= 4e-7 absolute (the approximation's own
  error is 3.4e-7 at its worst, near |x| = 3.9; one f32 ulp of 1.0 is
  1.2e-7): a wrong coefficient or a lost clamp is off by far more.
* NaN gives NaN, +-inf gives +-1, and erf is odd.
* bf16: within one bf16 rounding (2^-8 relative) plus the f32 error.
* GELU through `norm.layer_norm ... activation = gelu` is covered with the
  other activations by test_ops_numerics.py (tolerance 1e-5 there).

The lowered IR must hold no call of libm's erff, only arithmetic (FMAs),
which LLVM's loop vectorizer vectorizes.
"""

import math

import numpy as np

import norm_mlir
from unary_math import (OPT, compile_unary, lower, lowered_unary,
                        needs_norm_opt, pad64, random_finite_f32)
from norm_mlir import memref
from norm_mlir.memref import bf16_to_f32

pytestmark = needs_norm_opt

_erf64 = np.vectorize(math.erf, otypes=[np.float64])


def _inputs(rng):
    sweep = np.linspace(-6.0, 6.0, 1 << 20, dtype=np.float32)
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, 3.9, -3.9, 4.0,
                        -4.0, 4.0001, 1e30, -1e30], np.float32)
    return pad64(np.concatenate([sweep, random_finite_f32(rng, 1 << 18),
                                 special]))


def _compile(n, elem):
    return compile_unary("math.erf", n, elem)


def test_erf_f32_accuracy():
    x = _inputs(np.random.default_rng(7))
    y = _compile(x.size, "f32")["f"](x, np.empty_like(x))
    err = np.abs(y.astype(np.float64) - _erf64(x.astype(np.float64)))
    worst = int(err.argmax())
    assert err[worst] <= 4e-7, (float(x[worst]), float(err[worst]))
    # Odd function, exactly (the approximation is odd by construction).
    assert np.array_equal(y[: 1 << 20], -y[: 1 << 20][::-1])


def test_erf_f32_special_values():
    x = np.array([np.nan, np.inf, -np.inf, -np.nan] + [0.5] * 12, np.float32)
    y = _compile(x.size, "f32")["f"](x, np.empty_like(x))
    assert np.isnan(y[0]) and np.isnan(y[3]), y[:4]
    assert y[1] == 1.0 and y[2] == -1.0, y[:4]


def test_erf_bf16():
    bf16 = memref.numpy_dtype("bf16")
    x32 = np.linspace(-5.0, 5.0, 4096, dtype=np.float32)
    xb = memref.as_contiguous(x32, bf16)
    x = bf16_to_f32(xb)
    y = _compile(x.size, "bf16")["f"](xb, np.zeros(x.size, bf16))
    got = bf16_to_f32(y)
    ref = _erf64(x.astype(np.float64))
    assert np.all(np.abs(got - ref) <= 2.0**-8 * np.abs(ref) + 4e-7)


def test_erf_is_vectorized_without_libm():
    lowered = lowered_unary("math.erf")
    assert "erff" not in lowered and "math.erf" not in lowered
    assert "llvm.intr.fma" in lowered


def _scaled_erf_ir(n, scale):
    """@f(x, out) = erf(x * scale) elementwise: GELU's erf(x / sqrt(2)),
    whose constant scale norm-approximate-math folds into the clamp and the
    coefficients."""
    return f"""
func.func @f(%x: tensor<{n}xf32>, %out: tensor<{n}xf32>) -> tensor<{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %r = linalg.generic {{indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                        iterator_types = ["parallel"]}}
      ins(%x : tensor<{n}xf32>) outs(%out : tensor<{n}xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant {scale!r} : f32
    %s = arith.mulf %a, %c : f32
    %e = math.erf %s : f32
    linalg.yield %e : f32
  }} -> tensor<{n}xf32>
  return %r : tensor<{n}xf32>
}}"""


def test_erf_of_scaled_f32_accuracy():
    # The scale as the f32 constant holds it; the reference multiplies
    # exactly (the folded form never rounds x * scale).
    scale = float(np.float32(1.0 / math.sqrt(2.0)))
    with np.errstate(over="ignore"):
        x = _inputs(np.random.default_rng(11)) * np.float32(math.sqrt(2.0))
    x[~np.isfinite(x)] = 0.0
    text = _scaled_erf_ir(x.size, scale)
    lowered = lower(text)
    # Folded: x is not multiplied before the clamp (no fmul by the scale).
    assert "7.07106769E-1" not in lowered, "the scale was not folded"
    y = norm_mlir.compile_mlir(text, opt=OPT)["f"](x, np.empty_like(x))
    err = np.abs(y.astype(np.float64) -
                 _erf64(x.astype(np.float64) * scale))
    worst = int(err.argmax())
    assert err[worst] <= 4e-7, (float(x[worst]), float(err[worst]))
    # Saturates at exactly +-1 beyond the clamp (so GELU(x) of a large
    # negative x is 0, not -x times an ulp).
    assert np.all(y[x >= 6.0] == 1.0) and np.all(y[x <= -6.0] == -1.0)
    z = np.array([np.nan, np.inf, -np.inf, 0.0] * 16, np.float32)
    yz = norm_mlir.compile_mlir(_scaled_erf_ir(z.size, scale),
                                opt=OPT)["f"](z, np.empty_like(z))
    assert np.isnan(yz[0]) and yz[1] == 1.0 and yz[2] == -1.0 and yz[3] == 0
