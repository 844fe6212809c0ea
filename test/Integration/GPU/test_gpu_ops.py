"""Every GPU kernel of test/GPU/kernels.mlir against PyTorch on the GPU."""

import math

import pytest

pytestmark = pytest.mark.cuda

# Rows: not a multiple of the rows per block, to cover the clamped last
# block; and one row.
ROWS = [1, 37, 300]

TOLERANCE = {"bf16": (3e-2, 3e-2), "f16": (5e-3, 5e-3), "f32": (1e-4, 1e-4)}


def _torch():
    import torch
    return torch


def _dtype(name):
    torch = _torch()
    return {"bf16": torch.bfloat16, "f16": torch.float16,
            "f32": torch.float32}[name]


def _act(y, name):
    torch = _torch()
    if name == "gelu":
        return torch.nn.functional.gelu(y)
    if name == "silu":
        return torch.nn.functional.silu(y)
    if name == "relu":
        return torch.relu(y)
    return y


def _layer_norm(x, w, b, eps, act=None, dims=1):
    torch = _torch()
    shape = x.shape[-dims:]
    y = torch.nn.functional.layer_norm(
        x.float(), shape, None if w is None else w.float(),
        None if b is None else b.float(), eps)
    return _act(y, act)


def _rms_norm(x, w, eps, offset=0.0, act=None):
    torch = _torch()
    xf = x.float()
    rstd = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    y = xf * rstd
    if w is not None:
        y = y * (w.float() + offset)
    return _act(y, act), rstd


def _check(actual, expected, dtype):
    torch = _torch()
    rtol, atol = TOLERANCE[dtype]
    torch.testing.assert_close(actual.float(), expected.float(), rtol=rtol,
                               atol=atol)


def _randn(*shape, dtype="f32"):
    torch = _torch()
    return torch.randn(*shape, device="cuda").mul_(2.0).add_(0.5).to(
        _dtype(dtype))


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("name,n,dtype,act,eps", [
    ("layer_norm_bf16_4096", 4096, "bf16", None, 1e-5),
    ("layer_norm_f16_768_gelu", 768, "f16", "gelu", 1e-5),
    ("layer_norm_bf16_6144_relu", 6144, "bf16", "relu", 1e-5),
])
def test_layer_norm(gpu_lib, rows, name, n, dtype, act, eps):
    x, w, b = _randn(rows, n, dtype=dtype), _randn(n, dtype=dtype), \
        _randn(n, dtype=dtype)
    y = _torch().empty_like(x)
    gpu_lib.call(name, x, w, b, y)
    gpu_lib.synchronize()
    _check(y, _layer_norm(x, w, b, eps, act).to(x.dtype), dtype)


@pytest.mark.parametrize("rows", ROWS)
def test_layer_norm_stats_ragged(gpu_lib, rows):
    torch = _torch()
    x, w, b = _randn(rows, 1000), _randn(1000), _randn(1000)
    y = torch.empty_like(x)
    mean = torch.empty(rows, 1, device="cuda")
    rstd = torch.empty(rows, 1, device="cuda")
    gpu_lib.call("layer_norm_f32_1000_stats", x, w, b, y, mean, rstd)
    gpu_lib.synchronize()
    _check(y, _layer_norm(x, w, b, 1e-3), "f32")
    _check(mean, x.mean(-1, keepdim=True), "f32")
    var = x.var(-1, correction=0, keepdim=True)
    _check(rstd, torch.rsqrt(var + 1e-3), "f32")


@pytest.mark.parametrize("rows", ROWS)
def test_layer_norm_3d_no_weight(gpu_lib, rows):
    x = _randn(rows, 16, 128, dtype="bf16")
    y = _torch().empty_like(x)
    gpu_lib.call("layer_norm_bf16_3d", x, y)
    gpu_lib.synchronize()
    _check(y, _layer_norm(x, None, None, 1e-5, dims=2).to(x.dtype), "bf16")


@pytest.mark.parametrize("rows", ROWS)
def test_rms_norm(gpu_lib, rows):
    x, w = _randn(rows, 4096, dtype="bf16"), _randn(4096, dtype="bf16")
    y = _torch().empty_like(x)
    gpu_lib.call("rms_norm_bf16_4096", x, w, y)
    gpu_lib.synchronize()
    _check(y, _rms_norm(x, w, 1e-6)[0].to(x.dtype), "bf16")


@pytest.mark.parametrize("rows", ROWS)
def test_add_rms_norm(gpu_lib, rows):
    torch = _torch()
    x, r = _randn(rows, 4096, dtype="bf16"), _randn(rows, 4096, dtype="bf16")
    w = _randn(4096, dtype="bf16")
    y, s = torch.empty_like(x), torch.empty_like(x)
    gpu_lib.call("add_rms_norm_bf16_4096", x, r, w, y, s)
    gpu_lib.synchronize()
    expected_sum = x + r  # in bf16, as the op specifies
    torch.testing.assert_close(s, expected_sum, rtol=0, atol=0)
    _check(y, _rms_norm(expected_sum, w, 1e-6)[0].to(x.dtype), "bf16")


@pytest.mark.parametrize("rows", ROWS)
def test_rms_norm_offset_rstd(gpu_lib, rows):
    torch = _torch()
    x, w = _randn(rows, 8192), _randn(8192)
    y, rstd = torch.empty_like(x), torch.empty(rows, 1, device="cuda")
    gpu_lib.call("rms_norm_f32_8192_offset", x, w, y, rstd)
    gpu_lib.synchronize()
    expected, expected_rstd = _rms_norm(x, w, 1e-6, offset=1.0)
    _check(y, expected, "f32")
    _check(rstd, expected_rstd, "f32")


@pytest.mark.parametrize("rows", ROWS + [4099])
def test_rms_norm_short_rows_silu(gpu_lib, rows):
    x, w = _randn(rows, 64, dtype="bf16"), _randn(64, dtype="bf16")
    y = _torch().empty_like(x)
    gpu_lib.call("rms_norm_bf16_64_silu", x, w, y)
    gpu_lib.synchronize()
    _check(y, _rms_norm(x, w, 1e-6, act="silu")[0].to(x.dtype), "bf16")


def test_zero_rows_and_stream(gpu_lib):
    """No launch for zero rows; on the caller's stream, asynchronously."""
    torch = _torch()
    x, w = _randn(0, 4096, dtype="bf16"), _randn(4096, dtype="bf16")
    gpu_lib.call("rms_norm_bf16_4096", x, w, torch.empty_like(x))
    gpu_lib.synchronize()
    stream = torch.cuda.Stream()
    x = _randn(64, 4096, dtype="bf16")
    y = torch.empty_like(x)
    with torch.cuda.stream(stream):
        gpu_lib.set_stream(stream.cuda_stream)
        try:
            gpu_lib.call("rms_norm_bf16_4096", x, w, y)
        finally:
            gpu_lib.set_stream(None)
    stream.synchronize()
    gpu_lib.check()
    _check(y, _rms_norm(x, w, 1e-6)[0].to(x.dtype), "bf16")
    assert not math.isnan(float(y.float().sum()))
