"""Statistics of long reductions and of data far from zero, against float64
numpy (found by a helper audit, 2026-11-28).

A serial f32 sum of n values near m rounds to about n * u * m: the mean of a
constant row of 2^20 values of 1e4 came out 9997.1 (rstd 0.35 for 316.2,
y = +-1 for 0), LayerNorm rows at 1e6 with std 1 gave rstd 0.0067 for 1,
and `moments` of 2^20 samples of N(1e4, 100) gave mean 10049, std 111.
The lowerings now sum x - k around each row's (channel's, feature's) first
element k, so the partial sums stay of the order of the spread; `moments`
(a fit) also accumulates in f64. Checked through `norm_mlir.ops` (the
default norm-lower-to-cpu pipeline, fast-math included), and with
fast-math=0 for LayerNorm (without reassociation one accumulator takes the
whole row).

Tolerances, in units of the data's spread: the mean within 4 f32 ulps of
the offset (it is returned in f32, so it cannot be closer) plus 1e-5;
rstd within 2e-5 relative; a constant row normalizes to exactly 0.
"""

import numpy as np
import pytest

from norm_mlir import compiler, ops
from norm_mlir.builder import FunctionBuilder, TensorType
from unary_math import needs_norm_opt

pytestmark = needs_norm_opt

ULP = float(np.finfo(np.float32).eps)


def _f64(a):
    return np.asarray(a, np.float64)


def _layer_norm_with_stats(x, fast_math):
    """norm.layer_norm over the last axis of `x` with its statistics,
    compiled by norm-lower-to-cpu with or without fast-math."""
    fb = FunctionBuilder("ln")
    v = fb.arg(TensorType(list(x.shape)))
    fb.ret(*fb.layer_norm(v, stats=True), destination=False)
    pipeline = compiler.norm_pipeline(True, **{"fast-math": fast_math})
    return compiler.compile_mlir(fb.module_text(), pipeline=pipeline,
                                 opt=compiler.find_opt()).ln(x)


@pytest.mark.parametrize("fast_math", [True, False], ids=["fast", "strict"])
@pytest.mark.parametrize("k", [1 << 18, 1 << 20])
def test_constant_long_row_normalizes_to_zero(k, fast_math):
    x = np.full((2, k), 1e4, np.float32)
    y, mean, rstd = _layer_norm_with_stats(x, fast_math)
    assert np.all(mean == np.float32(1e4))
    np.testing.assert_allclose(rstd, 1 / np.sqrt(1e-5), rtol=2e-5)
    assert np.max(np.abs(y)) == 0.0


@pytest.mark.parametrize("k, offset, spread", [
    (1 << 18, 1e4, 1.0), (1 << 20, 1e3, 10.0), (1000003, 1e6, 1.0)])
def test_layer_norm_long_rows_far_from_zero(k, offset, spread):
    rng = np.random.default_rng(k)
    x = (offset + spread * rng.standard_normal((2, k))).astype(np.float32)
    y, mean, rstd = ops.layer_norm(x, return_stats=True)
    want_mean = _f64(x).mean(1)
    want_rstd = 1 / np.sqrt(_f64(x).var(1) + 1e-5)
    mean_error = np.max(np.abs(_f64(mean).ravel() - want_mean))
    assert mean_error <= 4 * ULP * offset + 1e-5 * spread, mean_error
    np.testing.assert_allclose(_f64(rstd).ravel(), want_rstd, rtol=2e-5)


def test_group_norm_large_groups_far_from_zero():
    """2^17 elements a group at 300 with std 0.01: the f32 inputs themselves
    hold the spread to 0.3 %; the statistics must not lose more."""
    rng = np.random.default_rng(1)
    x = (300 + 0.01 * rng.standard_normal((2, 4, 256, 256))).astype(np.float32)
    y, mean, rstd = ops.group_norm(x, 2, return_stats=True)
    xg = _f64(x).reshape(2, 2, -1)
    want_mean, want_var = xg.mean(2), xg.var(2)
    assert np.max(np.abs(_f64(mean) - want_mean)) <= 4 * ULP * 300 + 1e-7
    np.testing.assert_allclose(_f64(rstd), 1 / np.sqrt(want_var + 1e-5),
                               rtol=2e-5)
    want_y = (xg - want_mean[..., None]) / np.sqrt(want_var + 1e-5)[..., None]
    np.testing.assert_allclose(_f64(y).reshape(2, 2, -1), want_y, atol=2e-3)


def test_moments_million_samples_match_float64():
    rng = np.random.default_rng(2)
    t = (1e4 + 100 * rng.standard_normal((1 << 20, 2))).astype(np.float32)
    mean, std = ops.moments(t, [0])
    # f64 accumulation: the f32 rounding of the float64 result.
    np.testing.assert_allclose(mean, _f64(t).mean(0), rtol=ULP)
    np.testing.assert_allclose(std, _f64(t).std(0), rtol=ULP)
    mean, std = ops.moments(t, [0], correction=1)
    np.testing.assert_allclose(std, _f64(t).std(0, ddof=1), rtol=ULP)


def test_moments_correction_beyond_count_is_inf():
    """numpy's ddof > n: the variance's denominator clamps at 0 (inf), not
    a negative count (NaN)."""
    t = np.arange(6, dtype=np.float32).reshape(3, 2)
    _, std = ops.moments(t, [0], correction=5)
    assert np.all(np.isinf(std)) and np.all(std > 0)


def test_moments_infinite_first_sample():
    """The shift skips an infinite first sample (inf - inf is NaN): the mean
    is inf as numpy's, wherever the inf is."""
    for row in (0, 2):
        t = np.ones((4, 2), np.float32)
        t[row, 0] = np.inf
        mean, _ = ops.moments(t, [0])
        assert mean[0] == np.inf and mean[1] == 1.0, (row, mean)


def test_constant_rows_with_bert_epsilon():
    """eps = 1e-12 (BERT's): rstd is 1e6, so the mean of a constant row
    must be the constant exactly; a rounded sum / n (3.3333 - 2.4e-7) gave
    |y| up to 0.43. Around the first element the sum is exactly 0."""
    for c, k in ((3.3333, 7), (3.3333, 1000), (0.1, 1000)):
        x = np.full((2, k), c, np.float32)
        y, mean, _ = ops.layer_norm(x, eps=1e-12, return_stats=True)
        assert np.all(mean == x[:, :1]) and np.max(np.abs(y)) == 0.0, (c, k)
    x = np.full((2, 6, 4, 4), 3.3333, np.float32)
    assert np.max(np.abs(ops.group_norm(x, 1, eps=1e-12))) == 0.0
