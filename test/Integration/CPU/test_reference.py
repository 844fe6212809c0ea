"""Self-checks of the numpy reference (no compilation; always runs).

The references are the yardstick of every other test here, so they are
checked against identities of the ops and independent formulations:
known activation values, unit mean/variance of normalized rows, group norm
against layer norm, batch norm training against inference with the batch
statistics, spectral norm against the SVD, moments against numpy.
"""

import math

import numpy as np
import pytest

import reference as ref

RNG = np.random.default_rng(1234)


@pytest.mark.parametrize("spec,x,want", [
    ("relu", -2.0, 0.0),
    ("leaky_relu", -2.0, -0.02),
    ("leaky_relu(0.2)", -2.0, -0.4),
    ("elu", -1.0, math.exp(-1.0) - 1.0),
    ("elu(0.5)", -1.0, 0.5 * (math.exp(-1.0) - 1.0)),
    ("gelu", 1.0, 0.8413447460685429),  # x * Phi(x)
    ("gelu", -3.0, -3.0 * 0.0013498980316300946),  # Phi(-3)
    ("gelu_tanh", 1.0, 0.8411919906082768),
    ("silu", 1.0, 0.7310585786300049),
    ("sigmoid", -40.0, 4.248354255291589e-18),
    ("tanh", 0.5, math.tanh(0.5)),
    ("none", -7.0, -7.0),
    ("relu6", 7.5, 6.0),
    ("relu6", -1.0, 0.0),
    ("hardsigmoid", 1.5, 0.75),
    ("hardsigmoid", -4.0, 0.0),
    ("hardswish", -1.0, -1.0 / 3.0),
    ("hardswish", 4.0, 4.0),
    ("mish", 1.0, math.tanh(math.log1p(math.e))),
    ("mish", -30.0, -30.0 * math.tanh(math.log1p(math.exp(-30.0)))),
])
def test_activation_values(spec, x, want):
    got = float(ref.activation(np.array([x]), spec)[0])
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("spec", ["none", "leaky_relu", "leaky_relu(0.2)",
                                  "elu", "elu(0.5)"])
def test_invertible_activations(spec):
    x = RNG.normal(size=100) * 3
    back = ref.invert_activation(ref.activation(x, spec), spec)
    np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-12)


def test_layer_norm_rows_are_standardized():
    x = RNG.normal(3.0, 2.0, size=(5, 7, 33))
    out = ref.layer_norm(x, axes=(2,), epsilon=1e-12)
    y = out["output"]
    np.testing.assert_allclose(y.mean(axis=2), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=2), 1.0, rtol=1e-9)
    np.testing.assert_allclose(out["mean"][..., 0], x.mean(axis=2))
    np.testing.assert_allclose(out["rstd"][..., 0],
                               1 / np.sqrt(x.var(axis=2) + 1e-12))


def test_layer_norm_residual_is_rounded_to_input_type():
    x = RNG.normal(size=(4, 9)).astype(np.float16)
    r = RNG.normal(size=(4, 9)).astype(np.float16)
    out = ref.layer_norm(x, residual=r, axes=(1,), sum_dtype=np.float16)
    np.testing.assert_array_equal(out["residual_sum"],
                                  (x + r).astype(np.float64))


def test_rms_norm_weight_offset():
    x = RNG.normal(size=(3, 16))
    w = RNG.normal(size=16)
    y = ref.rms_norm(x, w, axes=(1,), weight_offset=1.0, epsilon=0.0)
    want = x / np.sqrt((x**2).mean(axis=1, keepdims=True)) * (1 + w)
    np.testing.assert_allclose(y["output"], want, rtol=1e-12)


def test_group_norm_matches_layer_norm_per_group():
    x = RNG.normal(size=(2, 6, 4, 5))
    got = ref.group_norm(x, num_groups=3)["output"]
    want = ref.layer_norm(x.reshape(2, 3, -1), axes=(2,))["output"]
    np.testing.assert_allclose(got, want.reshape(x.shape), rtol=1e-12)


def test_group_norm_nhwc_is_nchw_transposed():
    x = RNG.normal(size=(2, 6, 4, 5))
    w, b = RNG.normal(size=6), RNG.normal(size=6)
    nchw = ref.group_norm(x, w, b, num_groups=2, act="silu")
    nhwc = ref.group_norm(np.moveaxis(x, 1, 3), w, b, num_groups=2,
                          channel_axis=3, act="silu")
    np.testing.assert_allclose(np.moveaxis(nhwc["output"], 3, 1),
                               nchw["output"], rtol=1e-12)
    np.testing.assert_allclose(nhwc["mean"], nchw["mean"], rtol=1e-12)
    assert nchw["mean"].shape == (2, 2)


def test_instance_norm_is_group_norm_with_groups_equal_channels():
    x = RNG.normal(size=(2, 4, 3, 3))
    got = ref.group_norm(x, num_groups=4)["output"]
    m = x.mean(axis=(2, 3), keepdims=True)
    v = x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-5), rtol=1e-12)


def test_batch_norm_training_vs_inference_and_running_update():
    x = RNG.normal(1.0, 2.0, size=(4, 3, 5, 2))
    w, b = RNG.normal(size=3), RNG.normal(size=3)
    rm, rv = RNG.normal(size=3), RNG.uniform(1, 2, size=3)
    t = ref.batch_norm_training(x, rm, rv, w, b, momentum=0.2, act="elu")
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    inf = ref.batch_norm_inference(x, mean, var, w, b, act="elu")
    np.testing.assert_allclose(t["output"], inf["output"], rtol=1e-12)
    np.testing.assert_allclose(t["new_running_mean"], 0.8 * rm + 0.2 * mean)
    np.testing.assert_allclose(t["new_running_var"],
                               0.8 * rv + 0.2 * x.var(axis=(0, 2, 3), ddof=1))
    nhwc = ref.batch_norm_training(np.moveaxis(x, 1, 3), rm, rv, w, b,
                                   feature_axis=3, momentum=0.2, act="elu")
    np.testing.assert_allclose(np.moveaxis(nhwc["output"], 3, 1),
                               t["output"], rtol=1e-12)


def test_spectral_norm_converges_to_svd():
    w = RNG.normal(size=(6, 2, 5))
    u = RNG.normal(size=6)
    out = ref.spectral_norm(w, u, power_iterations=500)
    s = np.linalg.svd(w.reshape(6, -1), compute_uv=False)
    assert float(out["sigma"]) == pytest.approx(s[0], rel=1e-9)
    out1 = ref.spectral_norm(w, u[:2], dim=1, power_iterations=500)
    s1 = np.linalg.svd(np.moveaxis(w, 1, 0).reshape(2, -1),
                       compute_uv=False)
    assert float(out1["sigma"]) == pytest.approx(s1[0], rel=1e-9)
    np.testing.assert_allclose(out1["output"], w / s1[0], rtol=1e-9)


def test_moments_and_scalers():
    x = RNG.normal(size=(20, 3, 4))
    m = ref.moments(x, axes=(0, 2), correction=1)
    np.testing.assert_allclose(m["std"], x.std(axis=(0, 2), ddof=1))
    z = ref.standardize(x, m["mean"], m["std"], axes=(0, 2))["output"]
    np.testing.assert_allclose(z.std(axis=(0, 2), ddof=1), 1.0)
    lo, hi = ref.min_max(x, axes=(0,)).values()
    y = ref.min_max_scale(x, lo, hi, axes=(0,), range_min=-1,
                          range_max=1)["output"]
    np.testing.assert_allclose(y.min(axis=0), -1.0, atol=1e-12)
    np.testing.assert_allclose(y.max(axis=0), 1.0, atol=1e-12)


def test_zero_spread_scalers():
    x = np.array([[1.0, 5.0], [1.0, 7.0]])
    assert np.array_equal(
        ref.standardize(x, np.array([1.0, 6.0]), np.array([0.0, 1.0]),
                        axes=(0,))["output"], [[0.0, -1.0], [0.0, 1.0]])
    y = ref.min_max_scale(x, np.array([1.0, 5.0]), np.array([1.0, 7.0]),
                          axes=(0,), range_min=2.0, range_max=3.0)["output"]
    assert np.array_equal(y, [[2.0, 2.0], [2.0, 3.0]])


def test_image_normalize_reads_bytes_as_unsigned():
    img = np.array([0, 127, 128, 255], dtype=np.uint8).reshape(1, 1, 4)
    mean, std = np.array([0.5]), np.array([0.25])
    a = ref.image_normalize(img, mean, std, scale=1 / 255)["output"]
    b = ref.image_normalize(img.view(np.int8), mean, std,
                            scale=1 / 255)["output"]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.ravel(), (np.array([0, 127, 128, 255]) / 255
                                           - 0.5) / 0.25)
