"""Every GPU kernel of test/GPU/kernels.mlir against PyTorch on the GPU."""

import math

import pytest
from simt_device import DEVICE

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
    if name == "gelu_tanh":
        return torch.nn.functional.gelu(y, approximate="tanh")
    if name == "tanh":
        return torch.tanh(y)
    if name == "sigmoid":
        return torch.sigmoid(y)
    if name == "mish":
        return torch.nn.functional.mish(y)
    if name == "hardswish":
        return torch.nn.functional.hardswish(y)
    assert name is None, name
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


def _need_streams():
    if DEVICE != "cuda":
        pytest.skip("CUDA streams: no stream on the SIMT interpreter")


def _check(actual, expected, dtype):
    torch = _torch()
    rtol, atol = TOLERANCE[dtype]
    torch.testing.assert_close(actual.float(), expected.float(), rtol=rtol,
                               atol=atol)


def _randn(*shape, dtype="f32"):
    torch = _torch()
    return torch.randn(*shape, device=DEVICE).mul_(2.0).add_(0.5).to(
        _dtype(dtype))


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("name,n,dtype,act,eps", [
    ("layer_norm_bf16_4096", 4096, "bf16", None, 1e-5),
    ("layer_norm_f16_768_gelu", 768, "f16", "gelu", 1e-5),
    ("layer_norm_bf16_6144_relu", 6144, "bf16", "relu", 1e-5),
    ("layer_norm_f32_2048_gelu_tanh", 2048, "f32", "gelu_tanh", 1e-5),
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
    mean = torch.empty(rows, 1, device=DEVICE)
    rstd = torch.empty(rows, 1, device=DEVICE)
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
@pytest.mark.parametrize("name,n,dtype,act", [
    ("rms_norm_bf16_4096", 4096, "bf16", None),
    ("rms_norm_f16_256_tanh", 256, "f16", "tanh"),
    ("rms_norm_bf16_1024_mish", 1024, "bf16", "mish"),
])
def test_rms_norm(gpu_lib, rows, name, n, dtype, act):
    x, w = _randn(rows, n, dtype=dtype), _randn(n, dtype=dtype)
    y = _torch().empty_like(x)
    gpu_lib.call(name, x, w, y)
    gpu_lib.synchronize()
    _check(y, _rms_norm(x, w, 1e-6, act=act)[0].to(x.dtype), dtype)


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
    y, rstd = torch.empty_like(x), torch.empty(rows, 1, device=DEVICE)
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
    _need_streams()
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


# GroupNorm / BatchNorm (split reductions; static shapes, as compiled in
# kernels.mlir). Tolerances: TOLERANCE above (bf16 3e-2, f32 1e-4; f32
# statistics of bf16 inputs 1e-3), against PyTorch in f32.

def test_group_norm_silu_bf16(gpu_lib):
    """The benchmark's GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]."""
    torch = _torch()
    x = _randn(8, 512, 64, 64, dtype="bf16")
    w, b = _randn(512, dtype="bf16"), _randn(512, dtype="bf16")
    y = torch.empty_like(x)
    gpu_lib.call("group_norm_silu_bf16", x, w, b, y)
    gpu_lib.synchronize()
    expected = torch.nn.functional.silu(torch.nn.functional.group_norm(
        x.float(), 32, w.float(), b.float(), 1e-5))
    _check(y, expected.to(x.dtype), "bf16")


# f32 GroupNorm with statistics outputs: name, shape, groups, epsilon,
# offset of the input's mean, activation.
GROUP_NORM_F32 = [
    # Partial last chunk (sm_90a: a cluster of 4 blocks, the last one partly
    # masked), an offset mean.
    ("group_norm_f32_stats", (3, 96, 20, 20), 12, 1e-3, 50.0, None),
    # Single pass with one block a set (no cluster, also on sm_80).
    ("group_norm_small_f32", (2, 32, 8, 8), 8, 1e-5, 20.0, None),
    # Scalar accesses (rows of 49), 4-byte cp.async, a partly masked block.
    ("group_norm_odd_f32", (2, 8, 7, 7), 2, 1e-5, -3.0, None),
    # sm_90a: 512 sets in clusters of 4 (several waves), partial last
    # chunks, SiLU.
    ("group_norm_f32_512_sets", (64, 64, 20, 20), 8, 1e-5, 5.0, "silu"),
]


@pytest.mark.parametrize("name,shape,groups,eps,offset,act", GROUP_NORM_F32,
                         ids=[case[0] for case in GROUP_NORM_F32])
def test_group_norm_f32(gpu_lib, name, shape, groups, eps, offset, act):
    torch = _torch()
    x = _randn(*shape).add_(offset)
    channels = shape[1]
    w, b = _randn(channels), _randn(channels)
    y = torch.empty_like(x)
    mean = torch.empty(shape[0], groups, device=DEVICE)
    rstd = torch.empty(shape[0], groups, device=DEVICE)
    gpu_lib.call(name, x, w, b, y, mean, rstd)
    gpu_lib.synchronize()
    expected = _act(torch.nn.functional.group_norm(x, groups, w, b, eps), act)
    _check(y, expected, "f32")
    sets = x.view(shape[0], groups, -1)
    _check(mean, sets.mean(-1), "f32")
    _check(rstd, torch.rsqrt(sets.var(-1, correction=0) + eps), "f32")


# GroupNorm NHWC: name, shape [N, H, W, C], groups, dtype, activation,
# whether the kernel writes mean/rstd.
GROUP_NORM_NHWC = [
    ("group_norm_nhwc_silu_bf16", (2, 16, 16, 64), 8, "bf16", "silu", False),
    # 2 vectors a position; resident with the candidate bundle.
    ("group_norm_nhwc_bf16_256_sets", (8, 32, 32, 512), 32, "bf16", None,
     False),
    ("group_norm_nhwc_f32_stats", (3, 7, 7, 96), 32, "f32", None, True),
]


@pytest.mark.parametrize("name,shape,groups,dtype,act,stats", GROUP_NORM_NHWC,
                         ids=[case[0] for case in GROUP_NORM_NHWC])
def test_group_norm_nhwc(gpu_lib, name, shape, groups, dtype, act, stats):
    """Channels last: PyTorch's NCHW group_norm on the permuted input."""
    torch = _torch()
    x = _randn(*shape, dtype=dtype).add_(1.0)
    channels = shape[-1]
    w, b = _randn(channels, dtype=dtype), _randn(channels, dtype=dtype)
    y = torch.empty_like(x)
    args = [x, w, b, y]
    if stats:
        mean = torch.empty(shape[0], groups, device=DEVICE)
        rstd = torch.empty(shape[0], groups, device=DEVICE)
        args += [mean, rstd]
    gpu_lib.call(name, *args)
    gpu_lib.synchronize()
    nchw = x.float().permute(0, 3, 1, 2)
    expected = _act(torch.nn.functional.group_norm(
        nchw, groups, w.float(), b.float(), 1e-5), act).permute(0, 2, 3, 1)
    _check(y, expected.to(x.dtype), dtype)
    if stats:
        sets = nchw.reshape(shape[0], groups, -1)
        _check(mean, sets.mean(-1), "f32")
        _check(rstd, torch.rsqrt(sets.var(-1, correction=0) + 1e-5), "f32")


@pytest.mark.parametrize("dtype", ["f32", "bf16"])
def test_batch_norm_inference_relu(gpu_lib, dtype):
    torch = _torch()
    x = _randn(32, 64, 56, 56, dtype=dtype)
    m = _randn(64, dtype=dtype)
    v = torch.rand(64, device=DEVICE).add_(0.5).to(_dtype(dtype))
    w, b = _randn(64, dtype=dtype), _randn(64, dtype=dtype)
    y = torch.empty_like(x)
    gpu_lib.call(f"batch_norm_inference_relu_{dtype}", x, m, v, w, b, y)
    gpu_lib.synchronize()
    expected = torch.relu(torch.nn.functional.batch_norm(
        x.float(), m.float(), v.float(), w.float(), b.float(),
        training=False, eps=1e-5))
    _check(y, expected.to(x.dtype), dtype)


def test_batch_norm_inference_sigmoid_bf16(gpu_lib):
    torch = _torch()
    x = _randn(4, 24, 9, 9, dtype="bf16")
    m = _randn(24, dtype="bf16")
    v = torch.rand(24, device=DEVICE).add_(0.5).to(torch.bfloat16)
    w, b = _randn(24, dtype="bf16"), _randn(24, dtype="bf16")
    y = torch.empty_like(x)
    gpu_lib.call("batch_norm_inference_sigmoid_bf16", x, m, v, w, b, y)
    gpu_lib.synchronize()
    expected = torch.sigmoid(torch.nn.functional.batch_norm(
        x.float(), m.float(), v.float(), w.float(), b.float(),
        training=False, eps=1e-5))
    _check(y, expected.to(x.dtype), "bf16")


def test_batch_norm_inference_hardswish_f16(gpu_lib):
    """Weights scaled by 4: the outputs cross hardswish's kinks at +-3."""
    torch = _torch()
    x = _randn(4, 24, 9, 9, dtype="f16")
    m = _randn(24, dtype="f16")
    v = torch.rand(24, device=DEVICE).add_(0.5).to(torch.float16)
    w, b = _randn(24, dtype="f16").mul_(4), _randn(24, dtype="f16")
    y = torch.empty_like(x)
    gpu_lib.call("batch_norm_inference_hardswish_f16", x, m, v, w, b, y)
    gpu_lib.synchronize()
    expected = _act(torch.nn.functional.batch_norm(
        x.float(), m.float(), v.float(), w.float(), b.float(),
        training=False, eps=1e-5), "hardswish")
    _check(y, expected.to(x.dtype), "f16")


def _check_batch_norm_training(gpu_lib, name, shape, dtype, relu):
    """y, saved mean/rstd and the running statistics (momentum 0.1,
    unbiased variance) of the kernel `name` against PyTorch."""
    torch = _torch()
    channels = shape[1]
    x = _randn(*shape, dtype=dtype).add_(3.0)
    m = _randn(channels, dtype=dtype)
    v = torch.rand(channels, device=DEVICE).add_(0.5).to(_dtype(dtype))
    w, b = _randn(channels, dtype=dtype), _randn(channels, dtype=dtype)
    y = torch.empty_like(x)
    saved_mean = torch.empty(channels, device=DEVICE)
    saved_rstd = torch.empty(channels, device=DEVICE)
    new_m, new_v = torch.empty_like(m), torch.empty_like(v)
    gpu_lib.call(name, x, m, v, w, b, y, saved_mean, saved_rstd, new_m, new_v)
    gpu_lib.synchronize()
    ref_m, ref_v = m.float().clone(), v.float().clone()
    expected = torch.nn.functional.batch_norm(
        x.float(), ref_m, ref_v, w.float(), b.float(), training=True,
        momentum=0.1, eps=1e-5)
    if relu:
        expected = torch.relu(expected)
    _check(y, expected.to(x.dtype), dtype)
    xf = x.float()
    stat_tol = dict(rtol=1e-3, atol=1e-3) if dtype == "bf16" else \
        dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(saved_mean, xf.mean((0, 2, 3)), **stat_tol)
    torch.testing.assert_close(
        saved_rstd, torch.rsqrt(xf.var((0, 2, 3), correction=0) + 1e-5),
        **stat_tol)
    _check(new_m, ref_m.to(m.dtype), dtype)
    _check(new_v, ref_v.to(v.dtype), dtype)


@pytest.mark.parametrize("dtype", ["f32", "bf16"])
def test_batch_norm_training(gpu_lib, dtype):
    """Split reduction, two kernels; f32 with ReLU, bf16 without."""
    _check_batch_norm_training(gpu_lib, f"batch_norm_training_{dtype}",
                               (32, 64, 56, 56), dtype, relu=dtype == "f32")


def test_batch_norm_training_cluster_f32(gpu_lib):
    """Single pass: a channel over a cluster of 8 blocks (sm_90a bundles;
    two kernels for sm_80)."""
    _check_batch_norm_training(gpu_lib, "batch_norm_training_cluster_f32",
                               (8, 16, 32, 32), "f32", relu=True)


def test_batch_norm_training_256_f32(gpu_lib):
    """256 channels of 8 x 49 scalars: a cluster of 2 blocks a channel
    (sm_90a), one block a channel with resident-sets (a masked tail in each
    thread's values), two kernels for sm_80."""
    _check_batch_norm_training(gpu_lib, "batch_norm_training_256_f32",
                               (8, 256, 7, 7), "f32", relu=True)


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("name,shape,dtype,act", [
    ("inplace_abn_leaky_relu_f32", (8, 16, 32, 32), "f32", "leaky_relu"),
    ("inplace_abn_elu_nhwc_bf16", (4, 14, 14, 64), "bf16", "elu"),
])
def test_inplace_abn(gpu_lib, in_place, name, shape, dtype, act):
    """InPlace-ABN (batch_norm_training's kernels) against PyTorch's
    batch_norm + leaky_relu(0.01) / elu(1.0), written over its input or
    into another tensor; NHWC for the bf16 case."""
    torch = _torch()
    nhwc = name.endswith("nhwc_bf16")
    channels = shape[-1] if nhwc else shape[1]
    x = _randn(*shape, dtype=dtype).add_(1.0)
    m = _randn(channels)
    v = torch.rand(channels, device=DEVICE).add_(0.5)
    w, b = _randn(channels, dtype=dtype), _randn(channels, dtype=dtype)
    ref_m, ref_v = m.clone(), v.clone()
    xf = x.float().clone()  # x may be overwritten
    xf = xf.permute(0, 3, 1, 2) if nhwc else xf
    expected = torch.nn.functional.batch_norm(
        xf, ref_m, ref_v, w.float(), b.float(), training=True, momentum=0.1,
        eps=1e-5)
    expected = (torch.nn.functional.leaky_relu(expected, 0.01)
                if act == "leaky_relu" else
                torch.nn.functional.elu(expected, 1.0))
    if nhwc:
        expected = expected.permute(0, 2, 3, 1)
    flat = xf.transpose(0, 1).reshape(channels, -1)
    y = x if in_place else torch.empty_like(x)
    saved_mean = torch.empty(channels, device=DEVICE)
    saved_rstd = torch.empty(channels, device=DEVICE)
    new_m, new_v = torch.empty_like(m), torch.empty_like(v)
    gpu_lib.call(name, x, m, v, w, b, y, saved_mean, saved_rstd, new_m,
                 new_v)
    gpu_lib.synchronize()
    _check(y, expected.to(x.dtype), dtype)
    stat_tol = dict(rtol=1e-3, atol=1e-3) if dtype == "bf16" else \
        dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(saved_mean, flat.mean(1), **stat_tol)
    torch.testing.assert_close(
        saved_rstd, torch.rsqrt(flat.var(1, correction=0) + 1e-5),
        **stat_tol)
    torch.testing.assert_close(new_m, ref_m, **stat_tol)
    torch.testing.assert_close(new_v, ref_v, **stat_tol)


def test_group_norm_on_caller_stream(gpu_lib):
    """Workspace allocation and both kernels on the caller's stream."""
    _need_streams()
    torch = _torch()
    x = _randn(3, 96, 20, 20)
    w, b = _randn(96), _randn(96)
    y = torch.empty_like(x)
    mean = torch.empty(3, 12, device=DEVICE)
    rstd = torch.empty(3, 12, device=DEVICE)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        gpu_lib.set_stream(stream.cuda_stream)
        try:
            for _ in range(3):
                gpu_lib.call("group_norm_f32_stats", x, w, b, y, mean, rstd)
        finally:
            gpu_lib.set_stream(None)
    stream.synchronize()
    gpu_lib.check()
    _check(y, torch.nn.functional.group_norm(x, 12, w, b, 1e-3), "f32")


def test_batch_norm_training_nhwc_bf16(gpu_lib):
    """Channels last: per-channel statistics over N*H*W rows, ReLU."""
    torch = _torch()
    x = _randn(32, 56, 56, 64, dtype="bf16").add_(2.0)
    m = _randn(64)
    v = torch.rand(64, device=DEVICE).add_(0.5)
    w, b = _randn(64, dtype="bf16"), _randn(64, dtype="bf16")
    y = torch.empty_like(x)
    saved_mean = torch.empty(64, device=DEVICE)
    saved_rstd = torch.empty(64, device=DEVICE)
    new_m, new_v = torch.empty_like(m), torch.empty_like(v)
    gpu_lib.call("batch_norm_training_nhwc_bf16", x, m, v, w, b, y,
                 saved_mean, saved_rstd, new_m, new_v)
    gpu_lib.synchronize()
    ref_m, ref_v = m.clone(), v.clone()
    xf = x.float().permute(0, 3, 1, 2)
    expected = torch.relu(torch.nn.functional.batch_norm(
        xf, ref_m, ref_v, w.float(), b.float(), training=True, momentum=0.1,
        eps=1e-5)).permute(0, 2, 3, 1)
    _check(y, expected.to(x.dtype), "bf16")
    flat = x.float().reshape(-1, 64)
    torch.testing.assert_close(saved_mean, flat.mean(0), rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(
        saved_rstd, torch.rsqrt(flat.var(0, correction=0) + 1e-5), rtol=1e-3,
        atol=1e-3)
    torch.testing.assert_close(new_m, ref_m, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(new_v, ref_v, rtol=1e-3, atol=1e-3)


def test_batch_norm_inference_nhwc_f32(gpu_lib):
    """Channels last, 24 channels (lanes not a power of two)."""
    torch = _torch()
    x = _randn(8, 14, 14, 24)
    m = _randn(24)
    v = torch.rand(24, device=DEVICE).add_(0.5)
    w, b = _randn(24), _randn(24)
    y = torch.empty_like(x)
    gpu_lib.call("batch_norm_inference_nhwc_f32", x, m, v, w, b, y)
    gpu_lib.synchronize()
    expected = torch.nn.functional.batch_norm(
        x.permute(0, 3, 1, 2), m, v, w, b, training=False,
        eps=1e-5).permute(0, 2, 3, 1)
    _check(y, expected, "f32")


# -- Data normalization: statistics fitted by torch, applied by the kernel --

@pytest.mark.parametrize("samples", [1, 333])
def test_standardize(gpu_lib, samples):
    """Per-feature (x - mean) / std of a [samples, 24] table, statistics of
    another (training) table; two zero stds leave x - mean."""
    torch = _torch()
    train = torch.randn(1000, 24, device=DEVICE) * 100.0 + 1000.0
    mean, std = train.mean(0), train.std(0, correction=0)
    std[3] = std[17] = 0.0
    x = torch.randn(samples, 24, device=DEVICE) * 100.0 + 1000.0
    y = torch.empty_like(x)
    gpu_lib.call("standardize_f32_24", x, mean, std, y)
    gpu_lib.synchronize()
    expected = (x.double() - mean.double()) / torch.where(
        std == 0, torch.ones_like(std), std).double()
    _check(y, expected.float(), "f32")


def test_min_max_scale_middle_axis(gpu_lib):
    """Min-max over axis 1 of [6, 10, 40] bf16 to [-1, 1]; one feature with
    max == min (y = -1 + x - min)."""
    torch = _torch()
    x = _randn(6, 10, 40, dtype="bf16")
    lo, hi = x.amin(1), x.amax(1)
    hi[2, 5] = lo[2, 5]
    y = torch.empty_like(x)
    gpu_lib.call("min_max_scale_bf16_middle", x, lo, hi, y)
    gpu_lib.synchronize()
    xf, lo_f, hi_f = x.float(), lo.float()[:, None], hi.float()[:, None]
    span = hi_f - lo_f
    expected = torch.where(span == 0, xf - lo_f,
                           (xf - lo_f) / torch.where(span == 0, 1.0, span)
                           * 2.0) - 1.0
    _check(y, expected.to(x.dtype), "bf16")


@pytest.mark.parametrize("batch", [1, 3])
def test_image_normalize_u8_nchw(gpu_lib, batch):
    """torchvision's ToTensor + Normalize(ImageNet mean/std) on uint8."""
    torch = _torch()
    x = torch.randint(0, 256, (batch, 3, 50, 50), dtype=torch.uint8,
                      device=DEVICE)
    mean = torch.tensor([0.485, 0.456, 0.406], device=DEVICE)
    std = torch.tensor([0.229, 0.224, 0.225], device=DEVICE)
    y = torch.empty(x.shape, device=DEVICE)
    gpu_lib.call("image_normalize_u8_nchw", x, mean, std, y)
    gpu_lib.synchronize()
    expected = (x.float() / 255.0 - mean[:, None, None]) / std[:, None, None]
    _check(y, expected, "f32")


def test_image_normalize_f16_nhwc(gpu_lib):
    torch = _torch()
    x = torch.rand(4, 48, 48, 3, device=DEVICE).half()
    mean = torch.tensor([0.5, 0.4, 0.3], device=DEVICE).half()
    std = torch.tensor([0.25, 0.2, 0.3], device=DEVICE).half()
    y = torch.empty_like(x)
    gpu_lib.call("image_normalize_f16_nhwc", x, mean, std, y)
    gpu_lib.synchronize()
    expected = (x.float() - mean.float()) / std.float()
    _check(y, expected.half(), "f16")


@pytest.mark.parametrize("samples", [2, 333, 100000])
def test_moments(gpu_lib, samples):
    """Per-feature mean and sample std (correction 1) of a table with a
    large offset, against torch.std_mean in float64."""
    torch = _torch()
    x = torch.randn(samples, 24, device=DEVICE) * 20.0 + 3000.0
    mean = torch.empty(24, device=DEVICE)
    std = torch.empty(24, device=DEVICE)
    gpu_lib.call("moments_f32_24", x, mean, std)
    gpu_lib.synchronize()
    ref_std, ref_mean = torch.std_mean(x.double(), 0, correction=1)
    _check(mean, ref_mean.float(), "f32")
    _check(std, ref_std.float(), "f32")


def test_min_max_channels(gpu_lib):
    torch = _torch()
    x = _randn(5, 3, 30, 30, dtype="bf16")
    lo = torch.empty(3, device=DEVICE, dtype=torch.bfloat16)
    hi = torch.empty_like(lo)
    gpu_lib.call("min_max_bf16_channels", x, lo, hi)
    gpu_lib.synchronize()
    torch.testing.assert_close(lo, x.amin((0, 2, 3)), rtol=0, atol=0)
    torch.testing.assert_close(hi, x.amax((0, 2, 3)), rtol=0, atol=0)


# -- Backward: against torch.autograd --

def _check_grads(ours, leaves, scale):
    """grad_input against the first leaf's .grad at the f32 tolerance;
    grad_weight and grad_bias (sums over many elements) against the other
    two's at 1e-4 relative and 1e-4 * `scale` absolute."""
    torch = _torch()
    (dx, dw, db), (xr, wr, br) = ours, leaves
    _check(dx, xr.grad, "f32")
    torch.testing.assert_close(dw, wr.grad, rtol=1e-4, atol=1e-4 * scale)
    torch.testing.assert_close(db, br.grad, rtol=1e-4, atol=1e-4 * scale)


def _layer_norm_gelu_grads(gpu_lib, kernel, rows, n, in_place=False,
                           act="gelu"):
    """`kernel` (LayerNorm + GELU backward, all three results) on random
    [rows, n] data against torch.autograd; grad_input over dy in place."""
    torch = _torch()
    x, dy = _randn(rows, n), _randn(rows, n)
    w, b = _randn(n), _randn(n)
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    if rows:
        y = _act(torch.nn.functional.layer_norm(xr, (n,), wr, br, 1e-5), act)
        y.backward(dy)
    mean = x.mean(-1, keepdim=True)
    rstd = torch.rsqrt(x.var(-1, correction=0, keepdim=True) + 1e-5)
    dx = dy if in_place else torch.empty_like(x)
    dw, db = torch.empty_like(w), torch.empty_like(b)
    gpu_lib.call(kernel, dy, x, mean, rstd, w, b, dx, dw, db)
    gpu_lib.synchronize()
    if rows == 0:
        # The sums of nothing.
        assert not dw.any() and not db.any()
        return
    _check_grads((dx, dw, db), (xr, wr, br),
                 max(1.0, float(wr.grad.abs().max())))


@pytest.mark.parametrize("rows", ROWS)
def test_layer_norm_grad_gelu(gpu_lib, rows):
    _layer_norm_gelu_grads(gpu_lib, "layer_norm_grad_f32_768_gelu", rows, 768)


@pytest.mark.parametrize("rows", ROWS)
def test_layer_norm_grad_gelu_tanh(gpu_lib, rows):
    _layer_norm_gelu_grads(gpu_lib, "layer_norm_grad_f32_512_gelu_tanh", rows,
                           512, act="gelu_tanh")


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("rows", [0, 1, 50000])
def test_layer_norm_grad_fused_parameters(gpu_lib, rows, in_place):
    """grad_weight / grad_bias summed by the grad_input kernel (4 rows a
    block merged in shared memory, 528 blocks looping over 12500 row
    blocks), grad_input over dy in place; no rows: zero gradients."""
    _layer_norm_gelu_grads(gpu_lib, "layer_norm_grad_f32_256_gelu", rows, 256,
                           in_place)


def test_rms_norm_grad_offset_silu_tail(gpu_lib):
    """Fused RMSNorm backward, weight_offset and SiLU, a tail vector."""
    torch = _torch()
    x, dy, w = _randn(3000, 1028), _randn(3000, 1028), _randn(1028) * 0.3
    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    rstd = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)
    torch.nn.functional.silu(xr * torch.rsqrt(
        xr.pow(2).mean(-1, keepdim=True) + 1e-6) * (wr + 1.0)).backward(dy)
    dx, dw = torch.empty_like(x), torch.empty_like(w)
    gpu_lib.call("rms_norm_grad_offset_silu_f32_1028", dy, x, rstd, w, dx, dw)
    gpu_lib.synchronize()
    _check(dx, xr.grad, "f32")
    scale = max(1.0, float(wr.grad.abs().max()))
    torch.testing.assert_close(dw, wr.grad, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("sum_over", [None, "x", "residual"])
def test_group_norm_residual_sum(gpu_lib, sum_over):
    torch = _torch()
    x, res = _randn(2, 6, 5, 7), _randn(2, 6, 5, 7)
    w, b = _randn(6), _randn(6)
    total = x + res
    expected = torch.nn.functional.group_norm(total, 3, w, b, 1e-5)
    y = torch.empty_like(x)
    s = {None: torch.empty_like(x), "x": x, "residual": res}[sum_over]
    gpu_lib.call("group_norm_residual_sum_f32", x, res, w, b, y, s)
    gpu_lib.synchronize()
    _check(y, expected, "f32")
    torch.testing.assert_close(s, total, rtol=0, atol=0)


@pytest.mark.parametrize("rows", [1, 4096])
def test_rms_norm_grad_residual(gpu_lib, rows):
    """bf16 residual + RMSNorm backward: grad of x (= of the residual) with
    the residual_sum's gradient added, f32 grad_weight."""
    torch = _torch()
    x, res, dy, dsum = (_randn(rows, 4096, dtype="bf16") for _ in range(4))
    w = _randn(4096, dtype="bf16")
    s = (x + res).float().requires_grad_()
    wr = w.float().requires_grad_()
    y = s * torch.rsqrt(s.pow(2).mean(-1, keepdim=True) + 1e-6) * wr
    y.backward(dy.float())
    rstd = torch.rsqrt(s.detach().pow(2).mean(-1, keepdim=True) + 1e-6)
    dx, dw = torch.empty_like(x), torch.empty(4096, device=DEVICE)
    gpu_lib.call("rms_norm_grad_bf16_4096_residual", dy, x, res, rstd, w,
                 dsum, dx, dw)
    gpu_lib.synchronize()
    _check(dx, (s.grad + dsum.float()).to(torch.bfloat16), "bf16")
    scale = float(wr.grad.abs().max())
    torch.testing.assert_close(dw, wr.grad, rtol=1e-3, atol=1e-3 * scale)


def test_batch_norm_grad_relu(gpu_lib):
    torch = _torch()
    x, dy = _randn(8, 16, 12, 12), _randn(8, 16, 12, 12)
    w, b = _randn(16), _randn(16)
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    y = torch.relu(torch.nn.functional.batch_norm(
        xr, None, None, wr, br, training=True, eps=1e-5))
    y.backward(dy)
    mean = x.mean((0, 2, 3))
    rstd = torch.rsqrt(x.var((0, 2, 3), correction=0) + 1e-5)
    dx, dw, db = torch.empty_like(x), torch.empty_like(w), torch.empty_like(b)
    gpu_lib.call("batch_norm_grad_relu_f32", dy, x, mean, rstd, w, b, dx, dw,
                 db)
    gpu_lib.synchronize()
    _check_grads((dx, dw, db), (xr, wr, br), float(br.grad.abs().max()))


def test_batch_norm_grad_benchmark_shape(gpu_lib):
    """The benchmark's BatchNorm backward, f32 [32, 64, 56, 56] without an
    activation (channel sums over 100352 elements each)."""
    torch = _torch()
    x, dy = _randn(32, 64, 56, 56), _randn(32, 64, 56, 56)
    w, b = _randn(64), torch.zeros(64, device=DEVICE)
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    torch.nn.functional.batch_norm(xr, None, None, wr, br, training=True,
                                   eps=1e-5).backward(dy)
    mean = x.mean((0, 2, 3))
    rstd = torch.rsqrt(x.var((0, 2, 3), correction=0) + 1e-5)
    dx, dw, db = torch.empty_like(x), torch.empty_like(w), torch.empty_like(w)
    gpu_lib.call("batch_norm_grad_f32", dy, x, mean, rstd, w, dx, dw, db)
    gpu_lib.synchronize()
    # grad_bias (about 5e4 here, from dy's mean of 0.5) is far larger than
    # grad_weight: the absolute tolerance follows grad_weight's scale.
    _check_grads((dx, dw, db), (xr, wr, br), float(wr.grad.abs().max()))


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("name,shape,nhwc,act,bias_scale", [
    ("inplace_abn_grad_leaky_relu_f32", (8, 16, 12, 12), False,
     ("leaky_relu", 0.01), 1.0),
    # ELU(0.5), channels last (NHWC buffers, PyTorch's batch_norm on the
    # NCHW view of them). Biases near zero keep pre above about -6, where
    # y's f32 rounding moves log1p(y / 0.5) by 1e-5 at most (y -> -0.5 as
    # pre -> -inf).
    ("inplace_abn_grad_elu_nhwc_f32", (4, 6, 6, 32), True, ("elu", 0.5),
     0.25),
])
def test_inplace_abn_grad(gpu_lib, in_place, name, shape, nhwc, act,
                          bias_scale):
    """InPlace-ABN's backward from y against autograd through batch_norm +
    the activation on the input; grad_input written over grad_output or
    not."""
    torch = _torch()
    functional = torch.nn.functional
    x, dy = _randn(*shape), _randn(*shape)
    channels = shape[-1] if nhwc else shape[1]
    w = torch.rand(channels, device=DEVICE).add_(0.5)
    b = _randn(channels).mul_(bias_scale)
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    xn = xr.permute(0, 3, 1, 2) if nhwc else xr
    y = getattr(functional, act[0])(functional.batch_norm(
        xn, None, None, wr, br, training=True, eps=1e-5), act[1])
    y = y.permute(0, 2, 3, 1) if nhwc else y
    y.backward(dy)
    reduced = (0, 1, 2) if nhwc else (0, 2, 3)
    rstd = torch.rsqrt(x.var(reduced, correction=0) + 1e-5)
    y = y.detach().contiguous()
    dy_in = dy.clone()
    dx = dy_in if in_place else torch.empty_like(x)
    dw, db = torch.empty_like(w), torch.empty_like(b)
    gpu_lib.call(name, dy_in, y, rstd, w, b, dx, dw, db)
    gpu_lib.synchronize()
    _check_grads((dx, dw, db), (xr, wr, br), float(br.grad.abs().max()))


def test_inplace_abn_grad_micro_batch(gpu_lib):
    """InPlace-ABN's backward in micro-batch form (NHWC, in place): half a
    batch's grad_input from its y and the whole batch's rstd, sums and count
    against autograd over the whole batch; grad_bias is the half's sum."""
    torch = _torch()
    functional = torch.nn.functional
    x, dy = _randn(8, 6, 6, 32), _randn(8, 6, 6, 32)
    w = torch.rand(32, device=DEVICE).add_(0.5)
    b = _randn(32)
    xr = x.clone().requires_grad_()
    pre = functional.batch_norm(xr.permute(0, 3, 1, 2), None, None, w, b,
                                training=True, eps=1e-5).permute(0, 2, 3, 1)
    y = functional.leaky_relu(pre, 0.1)
    y.backward(dy)
    slope = torch.where(pre > 0, 1.0, 0.1).detach()
    xhat = (pre.detach() - b) / w
    sum_dpre = (dy * slope).sum((0, 1, 2))
    sum_dpre_xhat = (dy * slope * xhat).sum((0, 1, 2))
    rstd = torch.rsqrt(x.var((0, 1, 2), correction=0) + 1e-5)
    y = y.detach()[:4].contiguous()
    dx = dy[:4].clone()  # grad_input over grad_output
    db = torch.empty_like(b)
    gpu_lib.call("inplace_abn_grad_micro_batch_nhwc_f32", dx, y, rstd, w, b,
                 sum_dpre, sum_dpre_xhat,
                 torch.tensor(288.0, device=DEVICE), dx, db)
    gpu_lib.synchronize()
    _check(dx, xr.grad[:4], "f32")
    torch.testing.assert_close(db, (dy[:4] * slope[:4]).sum((0, 1, 2)),
                               rtol=1e-4, atol=1e-3)


def test_group_norm_grad_silu(gpu_lib):
    torch = _torch()
    x, dy = _randn(2, 8, 6, 6), _randn(2, 8, 6, 6)
    w, b = _randn(8), _randn(8)
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    y = torch.nn.functional.silu(
        torch.nn.functional.group_norm(xr, 4, wr, br, 1e-5))
    y.backward(dy)
    xg = x.reshape(2, 4, -1)
    mean = xg.mean(-1)
    rstd = torch.rsqrt(xg.var(-1, correction=0) + 1e-5)
    dx, dw, db = torch.empty_like(x), torch.empty_like(w), torch.empty_like(b)
    gpu_lib.call("group_norm_grad_silu_f32", dy, x, mean, rstd, w, b, dx, dw,
                 db)
    gpu_lib.synchronize()
    _check_grads((dx, dw, db), (xr, wr, br), float(br.grad.abs().max()))


@pytest.mark.parametrize("name,shape,dtype,iterations,dim", [
    ("spectral_norm_f32", (64, 3, 3, 3), "f32", 2, 0),
    ("spectral_norm_bf16_linear", (300, 1000), "bf16", 1, 0),
    ("spectral_norm_dim1_f32", (16, 32, 3, 3), "f32", 4, 1),
])
def test_spectral_norm(gpu_lib, name, shape, dtype, iterations, dim):
    """The power iteration of torch.nn.utils.spectral_norm, written in
    float64 torch ops from the same u."""
    torch = _torch()
    w, u = _randn(*shape, dtype=dtype), _randn(shape[dim], dtype=dtype)
    out, new_u = torch.empty_like(w), torch.empty_like(u)
    sigma = torch.empty((), device=DEVICE)
    gpu_lib.call(name, w, u, out, new_u, sigma)
    gpu_lib.synchronize()
    wm = w.double().movedim(dim, 0).reshape(shape[dim], -1)
    uu = u.double()
    for _ in range(iterations):
        v = torch.nn.functional.normalize(wm.t() @ uu, dim=0, eps=1e-12)
        uu = torch.nn.functional.normalize(wm @ v, dim=0, eps=1e-12)
    ref_sigma = uu @ (wm @ v)
    torch.testing.assert_close(sigma.double(), ref_sigma, rtol=1e-4,
                               atol=1e-4)
    _check(new_u, uu.to(u.dtype), dtype)
    _check(out, (w.double() / ref_sigma).to(w.dtype), dtype)


def test_batch_stats_and_merge(gpu_lib):
    """Statistics of two micro-batches merged = those of the whole batch."""
    torch = _torch()
    a = _randn(4, 16, 10, 10, dtype="bf16").add_(50.0)
    b = _randn(4, 16, 10, 10, dtype="bf16").sub_(3.0)
    parts = []
    for x in (a, b):
        n = torch.empty((), device=DEVICE)
        mean, m2 = (torch.empty(16, device=DEVICE) for _ in range(2))
        gpu_lib.call("batch_stats_bf16", x, n, mean, m2)
        parts += [n, mean, m2]
    n = torch.empty((), device=DEVICE)
    mean, m2, var = (torch.empty(16, device=DEVICE) for _ in range(3))
    gpu_lib.call("batch_stats_merge_f32", *parts, n, mean, m2, var)
    gpu_lib.synchronize()
    whole = torch.cat([a, b]).double()
    ref_var, ref_mean = torch.var_mean(whole, (0, 2, 3), correction=0)
    assert float(n) == 800.0
    torch.testing.assert_close(mean.double(), ref_mean, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(var.double(), ref_var, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(m2.double(), ref_var * 800, rtol=1e-4,
                               atol=1e-3)


def test_batch_norm_grad_micro_batch(gpu_lib):
    """Half a batch's grad_input from the whole batch's statistics, sums and
    count, against autograd of batch_norm over the whole batch."""
    torch = _torch()
    x, dy = _randn(8, 16, 7, 7), _randn(8, 16, 7, 7)
    w = _randn(16)
    xr = x.clone().requires_grad_()
    torch.nn.functional.batch_norm(xr, None, None, w, None, training=True,
                                   eps=1e-5).backward(dy)
    mean = x.mean((0, 2, 3))
    rstd = torch.rsqrt(x.var((0, 2, 3), correction=0) + 1e-5)
    xhat = (x - mean[:, None, None]) * rstd[:, None, None]
    sum_dpre = dy.sum((0, 2, 3))
    sum_dpre_xhat = (dy * xhat).sum((0, 2, 3))
    count = torch.tensor(392.0, device=DEVICE)
    dx, dw = torch.empty_like(x[:4]), torch.empty_like(w)
    gpu_lib.call("batch_norm_grad_micro_batch_f32", dy[:4].contiguous(),
                 x[:4].contiguous(), mean, rstd, w, sum_dpre, sum_dpre_xhat,
                 count, dx, dw)
    gpu_lib.synchronize()
    _check(dx, xr.grad[:4], "f32")
    torch.testing.assert_close(dw, (dy[:4] * xhat[:4]).sum((0, 2, 3)),
                               rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("in_place", [False, True])
def test_batch_norm_training_residual(gpu_lib, in_place):
    """BatchNorm training of x + residual with ReLU; the sum returned (in
    place: over the residual)."""
    torch = _torch()
    x, res = _randn(8, 16, 32, 32), _randn(8, 16, 32, 32)
    m, v = _randn(16), torch.rand(16, device=DEVICE).add_(0.5)
    w, b = _randn(16), _randn(16)
    total = x + res
    y = torch.empty_like(x)
    s = res if in_place else torch.empty_like(x)
    stats = [torch.empty(16, device=DEVICE) for _ in range(4)]
    gpu_lib.call("batch_norm_training_residual_f32", x, res, m, v, w, b, y, s,
                 *stats)
    gpu_lib.synchronize()
    ref_m, ref_v = m.clone(), v.clone()
    expected = torch.relu(torch.nn.functional.batch_norm(
        total, ref_m, ref_v, w, b, training=True, momentum=0.1, eps=1e-5))
    _check(y, expected, "f32")
    torch.testing.assert_close(s, total, rtol=0, atol=0)
    _check(stats[2], ref_m, "f32")
    _check(stats[3], ref_v, "f32")


def test_batch_norm_training_residual_nhwc_bf16(gpu_lib):
    torch = _torch()
    x, res = (_randn(4, 14, 14, 64, dtype="bf16") for _ in range(2))
    m, v = _randn(64), torch.rand(64, device=DEVICE).add_(0.5)
    w, b = _randn(64, dtype="bf16"), _randn(64, dtype="bf16")
    y = torch.empty_like(x)
    stats = [torch.empty(64, device=DEVICE) for _ in range(4)]
    gpu_lib.call("batch_norm_training_residual_nhwc_bf16", x, res, m, v, w, b,
                 y, *stats)
    gpu_lib.synchronize()
    ref_m, ref_v = m.clone(), v.clone()
    total = (x + res).float().permute(0, 3, 1, 2)
    expected = torch.relu(torch.nn.functional.batch_norm(
        total, ref_m, ref_v, w.float(), b.float(), training=True,
        momentum=0.1, eps=1e-5)).permute(0, 2, 3, 1)
    _check(y, expected.to(torch.bfloat16), "bf16")
    torch.testing.assert_close(stats[2], ref_m, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(stats[3], ref_v, rtol=1e-3, atol=1e-3)


def test_batch_norm_inference_residual_nhwc_f32(gpu_lib):
    torch = _torch()
    x, res = _randn(8, 14, 14, 24), _randn(8, 14, 14, 24)
    m, v = _randn(24), torch.rand(24, device=DEVICE).add_(0.5)
    w, b = _randn(24), _randn(24)
    y, s = torch.empty_like(x), torch.empty_like(x)
    gpu_lib.call("batch_norm_inference_residual_nhwc_f32", x, res, m, v, w, b,
                 y, s)
    gpu_lib.synchronize()
    expected = torch.nn.functional.batch_norm(
        (x + res).permute(0, 3, 1, 2), m, v, w, b, training=False,
        eps=1e-5).permute(0, 2, 3, 1)
    _check(y, expected, "f32")
    torch.testing.assert_close(s, x + res, rtol=0, atol=0)


def test_group_norm_residual_nhwc(gpu_lib):
    torch = _torch()
    x, res = (_randn(2, 8, 8, 64, dtype="bf16") for _ in range(2))
    w, b = _randn(64, dtype="bf16"), _randn(64, dtype="bf16")
    y = torch.empty_like(x)
    gpu_lib.call("group_norm_residual_nhwc_bf16", x, res, w, b, y)
    gpu_lib.synchronize()
    s = (x + res).float().permute(0, 3, 1, 2)
    expected = torch.nn.functional.silu(torch.nn.functional.group_norm(
        s, 8, w.float(), b.float(), 1e-5)).permute(0, 2, 3, 1)
    _check(y, expected.to(torch.bfloat16), "bf16")
