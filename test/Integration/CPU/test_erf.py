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

from unary_math import (compile_unary, lowered_unary, needs_norm_opt, pad64,
                        random_finite_f32)
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
