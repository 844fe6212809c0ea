"""Float64 numpy references of the norm dialect ops.

Written from the op definitions in include/norm/Dialect/Norm/IR/NormOps.td
(and the activation semantics in NormAttrs.td), not from any lowering. Every
function takes numpy arrays (of any float dtype; integers for images), works
in float64 and returns float64 arrays in a dict keyed by the op's result
names. Activation-normalization ops also return ``preact``: the normalized,
scaled and shifted value before the activation, whose magnitude the tests use
as the output scale of their tolerances.

The only rounding modelled is the one the op semantics prescribe: a
`residual` sum is a value of the input type (``sum_dtype``), so it is rounded
to that type before it is normalized and returned as `residual_sum`.
"""

import math

import numpy as np

#===------------------------------------------------------------------------===#
# Activations.
#===------------------------------------------------------------------------===#

#: Default parameters (NormAttrs.td: leaky_relu 0.01, elu 1.0).
DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}

#: Activations accepted by norm.inplace_abn (invertible ones).
INVERTIBLE = ("none", "leaky_relu", "elu")

_erf = np.vectorize(math.erf, otypes=[np.float64])


def parse_activation(spec):
    """`"leaky_relu(0.2)"` -> `("leaky_relu", 0.2)`; `"gelu"` -> `("gelu", None)`."""
    if spec is None:
        return "none", None
    if "(" in spec:
        kind, rest = spec.split("(", 1)
        return kind, float(rest.rstrip(")"))
    return spec, DEFAULT_ALPHA.get(spec)


def erf(x):
    """Elementwise erf in float64 (math.erf; scipy is not required)."""
    x = np.asarray(x, dtype=np.float64)
    return _erf(x) if x.size else x.copy()


def activation(x, spec):
    """Applies the activation `spec` (e.g. "gelu", "elu(0.5)") to `x`."""
    x = np.asarray(x, dtype=np.float64)
    kind, alpha = parse_activation(spec)
    if kind == "none":
        return x.copy()
    # np.where rather than np.maximum/np.minimum, whose max(-0.0, 0.0) is
    # +0.0: torch's activations keep -0.0 (and propagate NaN).
    if kind == "relu":
        return np.where(x < 0.0, 0.0, x)
    if kind == "leaky_relu":
        return np.where(x >= 0.0, x, alpha * x)
    if kind == "elu":
        return np.where(x > 0.0, x, alpha * np.expm1(np.where(x > 0.0, 0.0, x)))
    if kind == "gelu":
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if kind == "gelu_tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    if kind == "silu":
        return x * sigmoid(x)
    if kind == "sigmoid":
        return sigmoid(x)
    if kind == "tanh":
        return np.tanh(x)
    if kind == "relu6":
        return np.where(np.isnan(x), x, np.clip(x, 0.0, 6.0))
    if kind == "hardsigmoid":
        return np.where(np.isnan(x), x, np.clip(x + 3.0, 0.0, 6.0) / 6.0)
    if kind == "hardswish":
        return x * activation(x, "hardsigmoid")
    if kind == "mish":
        # tanh(softplus(x)), softplus = log1p(exp(x)) without overflow.
        softplus = np.logaddexp(0.0, x)
        return x * np.tanh(softplus)
    raise ValueError(f"unknown activation {spec!r}")


def sigmoid(x):
    """Numerically stable logistic function."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


#===------------------------------------------------------------------------===#
# Helpers.
#===------------------------------------------------------------------------===#


def f64(a):
    return None if a is None else np.asarray(a).astype(np.float64)


def _with_residual(x, residual, sum_dtype):
    """`x + residual` rounded to the input type (the op's residual stream)."""
    x = f64(x)
    if residual is None:
        return x, None
    s = x + f64(residual)
    if sum_dtype is not None:
        s = s.astype(sum_dtype).astype(np.float64)
    return s, s


def _param_shape(shape, axes):
    """The shape that parameters over `axes` broadcast with: their sizes
    there, 1 elsewhere."""
    return tuple(d if i in axes else 1 for i, d in enumerate(shape))


def _affine(xhat, weight, bias, shape):
    """`xhat * weight + bias` with rank-1/normalized-shape params reshaped."""
    y = xhat
    if weight is not None:
        y = y * f64(weight).reshape(shape)
    if bias is not None:
        y = y + f64(bias).reshape(shape)
    return y


def _channel_shape(rank, axis, channels):
    shape = [1] * rank
    shape[axis] = channels
    return shape


#===------------------------------------------------------------------------===#
# Activation normalizations.
#===------------------------------------------------------------------------===#


def layer_norm(x, weight=None, bias=None, residual=None, *, axes,
               epsilon=1e-5, act=None, sum_dtype=None):
    """norm.layer_norm: normalizes over the adjacent `axes` (biased var)."""
    s, rsum = _with_residual(x, residual, sum_dtype)
    axes = tuple(axes)
    mean = s.mean(axis=axes, keepdims=True)
    var = ((s - mean) ** 2).mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(var + epsilon)
    pre = _affine((s - mean) * rstd, weight, bias, _param_shape(s.shape, axes))
    return {"output": activation(pre, act), "mean": mean, "rstd": rstd,
            "residual_sum": rsum, "preact": pre}


def rms_norm(x, weight=None, residual=None, *, axes, epsilon=1e-6,
             weight_offset=0.0, act=None, sum_dtype=None):
    """norm.rms_norm: `x * rsqrt(E[x^2] + eps) * (weight + weight_offset)`.

    Without `weight` no scale is applied (the verifier rejects a
    `weight_offset` without a `weight`).
    """
    s, rsum = _with_residual(x, residual, sum_dtype)
    axes = tuple(axes)
    rstd = 1.0 / np.sqrt((s**2).mean(axis=axes, keepdims=True) + epsilon)
    pre = s * rstd
    if weight is not None:
        pre = pre * (f64(weight) + weight_offset).reshape(
            _param_shape(s.shape, axes))
    return {"output": activation(pre, act), "rstd": rstd,
            "residual_sum": rsum, "preact": pre}


def batch_norm_inference(x, running_mean, running_var, weight=None,
                         bias=None, residual=None, *, feature_axis=1,
                         epsilon=1e-5, act=None, sum_dtype=None):
    """norm.batch_norm_inference: per-channel running statistics."""
    s, rsum = _with_residual(x, residual, sum_dtype)
    shape = _channel_shape(s.ndim, feature_axis, s.shape[feature_axis])
    rm = f64(running_mean).reshape(shape)
    rv = f64(running_var).reshape(shape)
    pre = _affine((s - rm) / np.sqrt(rv + epsilon), weight, bias, shape)
    return {"output": activation(pre, act), "residual_sum": rsum,
            "preact": pre}


def batch_norm_training(x, running_mean, running_var, weight=None, bias=None,
                        residual=None, *, feature_axis=1, epsilon=1e-5,
                        momentum=0.1, act=None, sum_dtype=None):
    """norm.batch_norm_training: batch statistics and running updates.

    `new_running_var` uses the unbiased variance `var * n / (n - 1)` (n: the
    element count of a channel), as PyTorch does.
    """
    s, rsum = _with_residual(x, residual, sum_dtype)
    channels = s.shape[feature_axis]
    red = tuple(a for a in range(s.ndim) if a != feature_axis)
    n = s.size // channels
    mean = s.mean(axis=red)
    shape = _channel_shape(s.ndim, feature_axis, channels)
    var = ((s - mean.reshape(shape)) ** 2).mean(axis=red)
    rstd = 1.0 / np.sqrt(var + epsilon)
    xhat = (s - mean.reshape(shape)) * rstd.reshape(shape)
    pre = _affine(xhat, weight, bias, shape)
    unbiased = var * n / (n - 1) if n > 1 else np.full_like(var, np.inf)
    return {
        "output": activation(pre, act),
        "saved_mean": mean,
        "saved_rstd": rstd,
        "new_running_mean": (1 - momentum) * f64(running_mean)
        + momentum * mean,
        "new_running_var": (1 - momentum) * f64(running_var)
        + momentum * unbiased,
        "residual_sum": rsum,
        "preact": pre,
    }


def inplace_abn(x, running_mean, running_var, weight=None, bias=None, *,
                feature_axis=1, epsilon=1e-5, momentum=0.1, act=None):
    """norm.inplace_abn: batch_norm_training with an invertible activation."""
    kind, alpha = parse_activation(act)
    if kind not in INVERTIBLE or (kind != "none" and not alpha > 0):
        raise ValueError(f"inplace_abn needs an invertible activation: {act}")
    out = batch_norm_training(x, running_mean, running_var, weight, bias,
                              feature_axis=feature_axis, epsilon=epsilon,
                              momentum=momentum, act=act)
    del out["residual_sum"]
    return out


def invert_activation(y, spec):
    """Inverse of an invertible activation (what InPlace-ABN's backward does)."""
    y = f64(y)
    kind, alpha = parse_activation(spec)
    if kind == "none":
        return y
    if kind == "leaky_relu":
        return np.where(y >= 0.0, y, y / alpha)
    if kind == "elu":
        return np.where(y > 0.0, y, np.log1p(np.maximum(y / alpha, -1.0)))
    raise ValueError(f"{spec} is not invertible")


def group_norm(x, weight=None, bias=None, residual=None, *, num_groups,
               channel_axis=1, epsilon=1e-5, act=None, sum_dtype=None):
    """norm.group_norm: statistics per (sample, group); stats shape [N, G]."""
    s, rsum = _with_residual(x, residual, sum_dtype)
    moved = np.moveaxis(s, channel_axis, 1)  # [N, C, spatial...]
    n, c = moved.shape[:2]
    g = num_groups
    grouped = moved.reshape(n, g, c // g, -1)
    mean = grouped.mean(axis=(2, 3))
    var = ((grouped - mean[:, :, None, None]) ** 2).mean(axis=(2, 3))
    rstd = 1.0 / np.sqrt(var + epsilon)
    xhat = (grouped - mean[:, :, None, None]) * rstd[:, :, None, None]
    xhat = np.moveaxis(xhat.reshape(moved.shape), 1, channel_axis)
    shape = _channel_shape(s.ndim, channel_axis, c)
    pre = _affine(xhat, weight, bias, shape)
    return {"output": activation(pre, act), "mean": mean, "rstd": rstd,
            "residual_sum": rsum, "preact": pre}


#===------------------------------------------------------------------------===#
# Weight normalization.
#===------------------------------------------------------------------------===#


def _normalize(a, epsilon):
    return a / max(np.linalg.norm(a), epsilon)


def weight_matrix(weight, dim=0):
    """The `[shape[dim], prod(other dims)]` matrix view of a weight."""
    w = np.moveaxis(f64(weight), dim, 0)
    return w.reshape(w.shape[0], -1)


def spectral_norm(weight, u, *, dim=0, power_iterations=1, epsilon=1e-12):
    """norm.spectral_norm: power iteration from `u`, as documented."""
    w = weight_matrix(weight, dim)
    u = f64(u)
    for _ in range(power_iterations):
        v = _normalize(w.T @ u, epsilon)
        u = _normalize(w @ v, epsilon)
    sigma = float(u @ (w @ v))
    return {"output": f64(weight) / sigma, "new_u": u,
            "sigma": np.array(sigma)}


#===------------------------------------------------------------------------===#
# Data normalization.
#===------------------------------------------------------------------------===#


def moments(x, *, axes, correction=0):
    """norm.moments: mean and std over `axes` (`correction` dof removed)."""
    x = f64(x)
    axes = tuple(axes)
    n = math.prod(x.shape[a] for a in axes)
    mean = x.mean(axis=axes)
    sq = ((x - x.mean(axis=axes, keepdims=True)) ** 2).sum(axis=axes)
    std = np.sqrt(sq / (n - correction)) if n > correction else \
        np.full_like(mean, np.nan)
    return {"mean": mean, "std": std}


def min_max(x, *, axes):
    """norm.min_max: minimum and maximum over `axes`."""
    x = f64(x)
    return {"min": x.min(axis=tuple(axes)), "max": x.max(axis=tuple(axes))}


def _expand(stat, axes, rank):
    """Reinserts the reduced `axes` (size 1) into a statistic."""
    return np.expand_dims(f64(stat), tuple(axes)) if rank else f64(stat)


def standardize(x, mean, std, *, axes):
    """norm.standardize: `(x - mean) / std`; a zero std leaves x - mean."""
    x = f64(x)
    m = _expand(mean, axes, x.ndim)
    s = _expand(std, axes, x.ndim)
    return {"output": (x - m) / np.where(s == 0.0, 1.0, s)}


def min_max_scale(x, lo, hi, *, axes, range_min=0.0, range_max=1.0):
    """norm.min_max_scale: to [range_min, range_max]; max == min: the width
    taken as 1 (scikit-learn's _handle_zeros_in_scale)."""
    x = f64(x)
    lo = _expand(lo, axes, x.ndim)
    hi = _expand(hi, axes, x.ndim)
    span = np.where(hi == lo, 1.0, hi - lo)
    return {"output": (x - lo) / span * (range_max - range_min) + range_min}


def image_normalize(x, mean, std, *, layout="nchw", scale=1.0):
    """norm.image_normalize: `(x * scale - mean[c]) / std[c]`.

    8-bit integer pixels are read as unsigned (torchvision's uint8 images).
    """
    x = np.asarray(x)
    if x.dtype.kind in "iu":
        x = x.view(np.uint8) if x.dtype.itemsize == 1 else x
    x = f64(x)
    axis = x.ndim - 1 if layout == "nhwc" else x.ndim - 3
    shape = _channel_shape(x.ndim, axis, x.shape[axis])
    return {"output": (x * scale - f64(mean).reshape(shape))
            / f64(std).reshape(shape)}
