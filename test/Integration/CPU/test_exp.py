"""exp as `norm-lower-to-cpu` computes it, against numpy's exp in f64.

`norm-approximate-math` replaces f32 `math.exp` by an approximation of its
own (x clamped to [-88, 88.8], n = floor(x * log2 e), Cody-Waite reduction
r = x - n ln2 in [0, ln 2), a degree-5 polynomial, scaling by 2^n through
the exponent bits, or on AVX-512 hosts for vector<16xf32> by one vscalefps)
and f16/bf16 exp by the same in f32. SiLU, sigmoid and ELU use it. Checked
here, in scalar form and in vector form with and without AVX-512, on a dense
sweep of [-87.3, 88.7], on random bit patterns covering every f32 exponent,
and on the special values:

* f32: relative error <= 3e-7 (2.5 f32 ulp of 1.0; the approximation's own
  is 1.7e-7 at its worst) wherever exp(x) is a normal f32, i.e. for x in
  [ln FLT_MIN, ln FLT_MAX] = [-87.34, 88.72]: a wrong coefficient or a
  misplaced exponent is off by far more. exp(0) is exactly 1.
* Outside that range no garbage: below ln FLT_MIN the result is 0 or (right
  at the boundary; with vscalefps down to -103.97) a correctly rounded
  subnormal, never more than FLT_MIN;
  above ln FLT_MAX it is +inf. exp(-inf) = 0, exp(+inf) = +inf, NaN gives
  NaN. The result is monotone over the sweep.
* bf16: within one bf16 rounding (2^-8 relative) plus the f32 error.
* SiLU through `norm.group_norm ... activation = silu` is covered with the
  other activations by test_ops_numerics.py.

The lowered IR must hold no call of libm's expf, only arithmetic (FMAs),
which LLVM's loop vectorizer vectorizes.
"""

import numpy as np
import pytest

from unary_math import (compile_unary, lowered_unary, needs_norm_opt, pad64,
                        random_finite_f32)
from norm_mlir import memref
from norm_mlir.memref import bf16_to_f32

pytestmark = needs_norm_opt

_FLT_MIN = float(np.finfo(np.float32).tiny)
# The f32 bounds of the inputs whose exp is a normal f32.
_LO = float(np.nextafter(np.float32(np.log(_FLT_MIN)), np.float32(0)))
_HI = float(np.nextafter(np.float32(np.log(np.finfo(np.float32).max)),
                         np.float32(0)))


def _sweep():
    return np.linspace(-90.0, 90.0, 1 << 21, dtype=np.float32)


def _inputs(rng):
    near_zero = np.linspace(-1.0, 1.0, 1 << 18, dtype=np.float32)
    patterns = random_finite_f32(rng, 1 << 18)
    # Every f32 around the ends of the normal range and around k * ln 2,
    # where n = floor(x * log2 e) changes.
    ends = np.concatenate([
        np.arange(-64, 64, dtype=np.int32) + np.float32(v).view(np.int32)
        for v in (_LO, _HI, -88.0, 88.8)]).view(np.float32)
    steps = np.concatenate([
        np.arange(-8, 8, dtype=np.int32) + np.float32(k * np.log(2)).view(
            np.int32) for k in range(-126, 128) if k != 0]).view(np.float32)
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 1.0, -1.0,
                        1e30, -1e30, 3.4e38, -3.4e38], np.float32)
    return pad64(np.concatenate([_sweep(), near_zero, patterns, ends, steps,
                                 special]))


#: The forms of the f32 approximation: scalar code vectorized by LLVM, and
#: vector<16xf32> code (a norm's fused activation loop) with and without
#: AVX-512's vscalefps (used when the host has AVX-512F).
FORMS = {"scalar": {}, "vector": {"vector": True},
         "vector-no-avx512": {"vector": True, "host-avx512": False}}


def _host_has_avx512f():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f " in f.read().replace("\n", " ")
    except OSError:
        return False


def _compile(n, elem, **form):
    return compile_unary("math.exp", n, elem, **form)


def _run_f32(x, form="scalar"):
    return _compile(x.size, "f32", **FORMS[form])["f"](x, np.empty_like(x))


@pytest.mark.parametrize("form", FORMS)
def test_exp_f32_accuracy(form):
    x = _inputs(np.random.default_rng(7))
    y = _run_f32(x, form)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    with np.errstate(over="ignore"):
        ref = np.exp(x64)
    normal = (x >= _LO) & (x <= _HI)
    assert normal.sum() > 1 << 21
    rel = np.abs(y64[normal] / ref[normal] - 1.0)
    worst = int(rel.argmax())
    assert rel[worst] <= 3e-7, (float(x[normal][worst]), float(rel[worst]))
    # Below the normal range: 0, or a subnormal within one FLT_MIN rounding.
    low = x < _LO
    assert np.all((y64[low] >= 0.0) & (y64[low] <= _FLT_MIN)), \
        x[low][(y64[low] < 0.0) | (y64[low] > _FLT_MIN)][:8]
    # The shifted exponent flushes to 0 from x < -87.34 on; vscalefps
    # rounds to subnormals, which reach 0 below ln(2^-150) = -103.97.
    scalef = form == "vector" and _host_has_avx512f()
    assert np.all(y[x < (-104.0 if scalef else -87.7)] == 0.0)
    # Above it: +inf (the true value overflows f32).
    assert np.all(np.isposinf(y[x > _HI])), x[(x > _HI) & ~np.isposinf(y)][:8]
    # exp(0) = 1 exactly (r = 0 and the polynomial's constant is 1).
    assert np.all(y[x == 0.0] == 1.0)


@pytest.mark.parametrize("form", FORMS)
def test_exp_f32_monotone(form):
    x = _sweep()
    y = _run_f32(x, form)
    assert np.all(y[1:] >= y[:-1])


@pytest.mark.parametrize("form", FORMS)
def test_exp_f32_special_values(form):
    x = np.array([np.nan, np.inf, -np.inf, -np.nan, np.float32(3.4e38),
                  np.float32(-3.4e38)] + [0.5] * 10, np.float32)
    y = _run_f32(x, form)
    assert np.isnan(y[0]) and np.isnan(y[3]), y[:6]
    assert np.isposinf(y[1]) and y[2] == 0.0, y[:6]
    assert np.isposinf(y[4]) and y[5] == 0.0, y[:6]


@pytest.mark.parametrize("form", FORMS)
def test_exp_of_negation_is_bitwise_exp_of_negated(form):
    """exp(-x) (SiLU's, sigmoid's) folds the negation into the
    approximation's constants: bitwise the result of exp on -x."""
    x = _inputs(np.random.default_rng(11))
    fn = compile_unary("math.exp", x.size, "f32", negate=True, **FORMS[form])
    folded = fn["f"](x, np.empty_like(x))
    plain = _run_f32(-x, form)
    assert np.array_equal(folded.view(np.uint32), plain.view(np.uint32)), \
        x[folded.view(np.uint32) != plain.view(np.uint32)][:8]


def test_exp_bf16():
    bf16 = memref.numpy_dtype("bf16")
    x32 = np.linspace(-80.0, 80.0, 4096, dtype=np.float32)
    xb = memref.as_contiguous(x32, bf16)
    x = bf16_to_f32(xb)
    y = _compile(x.size, "bf16")["f"](xb, np.zeros(x.size, bf16))
    got = bf16_to_f32(y).astype(np.float64)
    ref = np.exp(x.astype(np.float64))
    assert np.all(np.abs(got - ref) <= (2.0**-8 + 3e-7) * ref)


def test_exp_is_vectorized_without_libm():
    lowered = lowered_unary("math.exp")
    assert "expf" not in lowered and "math.exp" not in lowered
    assert "llvm.intr.exp" not in lowered
    assert "llvm.intr.fma" in lowered and "llvm.intr.floor" in lowered


def test_exp_vector_uses_vscalef_only_with_avx512():
    """On an AVX-512 host the vector form scales by 2^n with vscalefps
    (x86vector.avx512.mask.scalef); `host-avx512=0` keeps the exponent
    bits built by a shift."""
    scalef = "llvm.x86.avx512.mask.scalef.ps.512"
    assert (scalef in lowered_unary("math.exp", vector=True)) == \
        _host_has_avx512f()
    without = lowered_unary("math.exp", vector=True,
                            **{"host-avx512": False})
    assert scalef not in without and "llvm.shl" in without
