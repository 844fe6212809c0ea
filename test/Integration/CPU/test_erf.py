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
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402
from norm_mlir import memref  # noqa: E402
from norm_mlir.memref import bf16_to_f32  # noqa: E402

OPT = norm_mlir.find_opt()

pytestmark = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")

_erf64 = np.vectorize(math.erf, otypes=[np.float64])


def _erf_ir(n, elem):
    return f"""
func.func @f(%x: tensor<{n}x{elem}>, %out: tensor<{n}x{elem}>) -> tensor<{n}x{elem}>
    attributes {{llvm.emit_c_interface}} {{
  %r = linalg.generic {{indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                        iterator_types = ["parallel"]}}
      ins(%x : tensor<{n}x{elem}>) outs(%out : tensor<{n}x{elem}>) {{
  ^bb0(%a: {elem}, %o: {elem}):
    %e = math.erf %a : {elem}
    linalg.yield %e : {elem}
  }} -> tensor<{n}x{elem}>
  return %r : tensor<{n}x{elem}>
}}"""


def _inputs(rng):
    sweep = np.linspace(-6.0, 6.0, 1 << 20, dtype=np.float32)
    # Random bit patterns: every exponent, both signs (NaN/inf patterns out).
    bits = rng.integers(0, 1 << 32, size=1 << 18, dtype=np.uint64)
    patterns = bits.astype(np.uint32).view(np.float32)
    patterns = patterns[np.isfinite(patterns)]
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, 3.9, -3.9, 4.0,
                        -4.0, 4.0001, 1e30, -1e30], np.float32)
    x = np.concatenate([sweep, patterns, special])
    pad = (-x.size) % 64
    return np.concatenate([x, np.zeros(pad, np.float32)])


def _compile(n, elem):
    return norm_mlir.compile_mlir(_erf_ir(n, elem), opt=OPT)


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
    lowered = subprocess.run(
        [OPT, f"--pass-pipeline={norm_mlir.norm_pipeline()}"],
        input=_erf_ir(1024, "f32"), capture_output=True, text=True,
        check=True).stdout
    assert "erff" not in lowered and "math.erf" not in lowered
    assert "llvm.intr.fma" in lowered
