"""Every kernel of test/GPU/kernels.mlir, as norm-lower-to-nvvm builds it for
each chip and option set, run by the SIMT interpreter (simt_interpreter.py)
and compared with the float64 numpy references of
test/Integration/CPU/reference.py. No GPU is needed: these run in CI, and
check the kernels' indexing, masking, reductions and synchronization (data
races, divergent barriers, cp.async reads before their wait) where the
`cuda` tests of test_gpu_ops.py cannot run.

The kernels come from norm-opt's `norm-gpu-kernels` pipeline, the kernel
stage of norm-lower-to-nvvm, with the bundle's options. Tolerances: those of
test_gpu_ops.py (bf16 3e-2, f16 5e-3, f32 1e-4 relative and absolute; f32
statistics of bf16 inputs 1e-3).
"""

import re
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "test" / "Integration" / "CPU"))
sys.path.insert(0, str(REPO / "python"))

import norm_mlir  # noqa: E402
import reference as ref  # noqa: E402
from simt_interpreter import Interpreter, SimtError  # noqa: E402

OPT = norm_mlir.find_opt()
pytestmark = pytest.mark.skipif(Path(OPT).name != "norm-opt",
                                reason=f"needs norm-opt, found {OPT}")

KERNELS = REPO / "test" / "GPU" / "kernels.mlir"

#: Option sets of norm-gpu-kernels: the sm_90a bundle (single-pass kernels
#: in thread-block clusters), sm_80 (two kernels, or one block a set), the
#: candidate that scripts/gpu-check.sh builds (NORM_GPU_CANDIDATES:
#: resident sets) and the single pass with its chunk in registers.
BUNDLES = {
    "sm_90a": "chip=sm_90a",
    "sm_80": "chip=sm_80",
    "sm_90a-resident": "chip=sm_90a resident-sets=1",
    "sm_90a-registers": "chip=sm_90a stage-in-shared=0",
}

#: Option sets only some tests use: a grid of 2 SMs (the backward kernels'
#: persistent grids loop over several row blocks), the backward's
#: parameter gradients in a column reduction of their own, and the two
#: GroupNorm/BatchNorm kernels with the normalize kernel's stores
#: non-temporal (the `streaming` candidate of scripts/gpu-check.sh).
OPTION_SETS = {
    **BUNDLES,
    "sm_90a-2sms": "chip=sm_90a num-sms=2",
    "sm_90a-unfused": "chip=sm_90a fuse-parameter-gradients=0",
    "sm_90a-resident-2sms": "chip=sm_90a resident-sets=1 num-sms=2",
    "sm_90a-streaming": "chip=sm_90a cluster-size=0 streaming-stores=1",
}

DTYPES = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f32": np.float32}
TOLERANCE = {"bf16": 3e-2, "f16": 5e-3, "f32": 1e-4}

_generic_ir, _interpreters = {}, {}


def generic_ir(bundle):
    """kernels.mlir through norm-gpu-kernels with the bundle's options."""
    if bundle not in _generic_ir:
        _generic_ir[bundle] = subprocess.run(
            [OPT, str(KERNELS), f"--norm-gpu-kernels={OPTION_SETS[bundle]}",
             "--mlir-print-op-generic"],
            capture_output=True, text=True, check=True).stdout
    return _generic_ir[bundle]


def interpreter(bundle):
    if bundle not in _interpreters:
        _interpreters[bundle] = Interpreter(generic_ir(bundle))
    return _interpreters[bundle]


def randn(rng, *shape, dtype="f32", offset=0.5):
    return (rng.standard_normal(shape) * 2.0 + offset).astype(DTYPES[dtype])


def positive(rng, *shape, dtype="f32"):
    return (rng.random(shape) + 0.5).astype(DTYPES[dtype])


def f64(a):
    return np.asarray(a, np.float64)


def check(actual, expected, dtype, what="", tol=None):
    """`actual` against the float64 `expected` rounded to the output type."""
    tol = TOLERANCE[dtype] if tol is None else tol
    expected = f64(np.asarray(expected).astype(DTYPES[dtype]))
    np.testing.assert_allclose(f64(actual), expected, rtol=tol, atol=tol,
                               err_msg=what)


def run(bundle, name, *args):
    interp = interpreter(bundle)
    interp.call(name, *args)
    return interp


@pytest.fixture(params=list(BUNDLES))
def bundle(request):
    return request.param


# -- LayerNorm / RMSNorm (a row per warp or per block; bundle-independent) --

@pytest.mark.parametrize("rows", [1, 37])
@pytest.mark.parametrize("name,n,dtype,act,eps", [
    ("layer_norm_bf16_4096", 4096, "bf16", "none", 1e-5),
    ("layer_norm_f16_768_gelu", 768, "f16", "gelu", 1e-5),
    ("layer_norm_bf16_6144_relu", 6144, "bf16", "relu", 1e-5),
    ("layer_norm_f32_2048_gelu_tanh", 2048, "f32", "gelu_tanh", 1e-5),
])
def test_layer_norm(rows, name, n, dtype, act, eps):
    rng = np.random.default_rng(rows)
    x, w, b = (randn(rng, rows, n, dtype=dtype), randn(rng, n, dtype=dtype),
               randn(rng, n, dtype=dtype))
    y = np.zeros_like(x)
    run("sm_90a", name, x, w, b, y)
    expected = ref.layer_norm(x, w, b, axes=[1], epsilon=eps,
                              act=act)["output"]
    check(y, expected, dtype)


@pytest.mark.parametrize("rows", [1, 37])
def test_layer_norm_stats_ragged(rows):
    rng = np.random.default_rng(1)
    x, w, b = randn(rng, rows, 1000), randn(rng, 1000), randn(rng, 1000)
    y = np.zeros_like(x)
    mean, rstd = (np.zeros((rows, 1), np.float32) for _ in range(2))
    run("sm_90a", "layer_norm_f32_1000_stats", x, w, b, y, mean, rstd)
    expected = ref.layer_norm(x, w, b, axes=[1], epsilon=1e-3)
    check(y, expected["output"], "f32")
    check(mean, expected["mean"], "f32")
    check(rstd, expected["rstd"], "f32")


@pytest.mark.parametrize("rows", [1, 37])
def test_layer_norm_3d_no_weight(rows):
    rng = np.random.default_rng(2)
    x = randn(rng, rows, 16, 128, dtype="bf16")
    y = np.zeros_like(x)
    run("sm_90a", "layer_norm_bf16_3d", x, y)
    check(y, ref.layer_norm(x, axes=[1, 2], epsilon=1e-5)["output"], "bf16")


@pytest.mark.parametrize("rows", [1, 37])
@pytest.mark.parametrize("name,n,dtype,act,seed", [
    ("rms_norm_bf16_4096", 4096, "bf16", "none", 3),
    ("rms_norm_f16_256_tanh", 256, "f16", "tanh", 31),
])
def test_rms_norm(rows, name, n, dtype, act, seed):
    rng = np.random.default_rng(seed)
    x, w = randn(rng, rows, n, dtype=dtype), randn(rng, n, dtype=dtype)
    y = np.zeros_like(x)
    run("sm_90a", name, x, w, y)
    check(y, ref.rms_norm(x, w, axes=[1], epsilon=1e-6, act=act)["output"],
          dtype)


@pytest.mark.parametrize("rows", [1, 37])
def test_add_rms_norm(rows):
    rng = np.random.default_rng(4)
    x, r = (randn(rng, rows, 4096, dtype="bf16") for _ in range(2))
    w = randn(rng, 4096, dtype="bf16")
    y, s = np.zeros_like(x), np.zeros_like(x)
    run("sm_90a", "add_rms_norm_bf16_4096", x, r, w, y, s)
    expected = ref.rms_norm(x, w, r, axes=[1], epsilon=1e-6,
                            sum_dtype=ml_dtypes.bfloat16)
    np.testing.assert_array_equal(f64(s), f64(expected["residual_sum"]))
    check(y, expected["output"], "bf16")


def test_add_rms_norm_residual_of_other_rows():
    """A residual of fewer rows than x (both `?` rows): the host code's
    check (norm-check-operand-sizes) stops the call before the launch,
    which would read past the residual's end."""
    rng = np.random.default_rng(4)
    x, r = randn(rng, 8, 4096, dtype="bf16"), randn(rng, 2, 4096, dtype="bf16")
    w = randn(rng, 4096, dtype="bf16")
    y, s = np.zeros_like(x), np.zeros_like(x)
    with pytest.raises(SimtError, match="norm.rms_norm: 'residual' has "
                       "another size in dimension 0 than the input in "
                       "dimension 0"):
        run("sm_90a", "add_rms_norm_bf16_4096", x, r, w, y, s)
    assert not y.any() and not s.any()


@pytest.mark.parametrize("rows", [1, 37])
def test_rms_norm_offset_rstd(rows):
    rng = np.random.default_rng(5)
    x, w = randn(rng, rows, 8192), randn(rng, 8192)
    y, rstd = np.zeros_like(x), np.zeros((rows, 1), np.float32)
    run("sm_90a", "rms_norm_f32_8192_offset", x, w, y, rstd)
    expected = ref.rms_norm(x, w, axes=[1], epsilon=1e-6, weight_offset=1.0)
    check(y, expected["output"], "f32")
    check(rstd, expected["rstd"], "f32")


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("rows", [1, 37, 300])
def test_rms_norm_short_rows_silu(rows, in_place):
    """Several rows a block; 37 rows leave clamped rows in the last block.
    In place (y over x): those rows read nothing, else they would read the
    last row while its threads overwrite it (a race the interpreter
    reports)."""
    rng = np.random.default_rng(6)
    x, w = randn(rng, rows, 64, dtype="bf16"), randn(rng, 64, dtype="bf16")
    expected = ref.rms_norm(x, w, axes=[1], epsilon=1e-6, act="silu")
    y = x if in_place else np.zeros_like(x)
    run("sm_90a", "rms_norm_bf16_64_silu", x, w, y)
    check(y, expected["output"], "bf16")


def test_zero_rows():
    """No launch at all for zero rows."""
    interp = interpreter("sm_90a")
    before = len(interp.launch_log)
    x = np.zeros((0, 4096), ml_dtypes.bfloat16)
    w = np.zeros(4096, ml_dtypes.bfloat16)
    interp.call("rms_norm_bf16_4096", x, w, np.zeros_like(x))
    assert len(interp.launch_log) == before


# -- GroupNorm (split reductions, single pass, resident sets) ---------------

def _group_norm(bundle, name, shape, groups, dtype, eps, offset, act, stats,
                nhwc=False):
    rng = np.random.default_rng(7)
    x = randn(rng, *shape, dtype=dtype, offset=offset)
    channels = shape[-1] if nhwc else shape[1]
    w, b = randn(rng, channels, dtype=dtype), randn(rng, channels, dtype=dtype)
    y = np.zeros_like(x)
    args = [x, w, b, y]
    if stats:
        mean, rstd = (np.zeros((shape[0], groups), np.float32)
                      for _ in range(2))
        args += [mean, rstd]
    interp = run(bundle, name, *args)
    expected = ref.group_norm(x, w, b, num_groups=groups,
                              channel_axis=x.ndim - 1 if nhwc else 1,
                              epsilon=eps, act=act)
    check(y, expected["output"], dtype)
    if stats:
        stat_tol = 1e-3 if dtype == "bf16" else 1e-4
        check(mean, expected["mean"].reshape(mean.shape), "f32", "mean",
              stat_tol)
        check(rstd, expected["rstd"].reshape(rstd.shape), "f32", "rstd",
              stat_tol)
    return interp


def test_group_norm_silu_bf16(bundle):
    """The benchmark's GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]."""
    interp = _group_norm(bundle, "group_norm_silu_bf16", (8, 512, 64, 64), 32,
                         "bf16", 1e-5, 0.5, "silu", False)
    launch = interp.launch_log[-1]
    if bundle == "sm_90a-resident":
        # One wave: a block of 512 threads a set, 14 KiB x 8 staged.
        assert launch[1:] == ([256, 1, 1], [512, 1, 1], (), 14 * 512 * 16)


GROUP_NORM_F32 = [
    ("group_norm_f32_stats", (3, 96, 20, 20), 12, 1e-3, 50.0, "none"),
    ("group_norm_small_f32", (2, 32, 8, 8), 8, 1e-5, 20.0, "none"),
    ("group_norm_odd_f32", (2, 8, 7, 7), 2, 1e-5, -3.0, "none"),
    ("group_norm_f32_512_sets", (64, 64, 20, 20), 8, 1e-5, 5.0, "silu"),
]


@pytest.mark.parametrize("name,shape,groups,eps,offset,act", GROUP_NORM_F32,
                         ids=[case[0] for case in GROUP_NORM_F32])
def test_group_norm_f32(bundle, name, shape, groups, eps, offset, act):
    _group_norm(bundle, name, shape, groups, "f32", eps, offset, act, True)


GROUP_NORM_NHWC = [
    ("group_norm_nhwc_silu_bf16", (2, 16, 16, 64), 8, "bf16", "silu", False),
    ("group_norm_nhwc_bf16_256_sets", (8, 32, 32, 512), 32, "bf16", "none",
     False),
    ("group_norm_nhwc_f32_stats", (3, 7, 7, 96), 32, "f32", "none", True),
]


@pytest.mark.parametrize("name,shape,groups,dtype,act,stats", GROUP_NORM_NHWC,
                         ids=[case[0] for case in GROUP_NORM_NHWC])
def test_group_norm_nhwc(bundle, name, shape, groups, dtype, act, stats):
    _group_norm(bundle, name, shape, groups, dtype, 1e-5, 1.0, act, stats,
                nhwc=True)


# -- BatchNorm ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["f32", "bf16"])
def test_batch_norm_inference_relu(dtype):
    rng = np.random.default_rng(8)
    x = randn(rng, 32, 64, 56, 56, dtype=dtype)
    m, v = randn(rng, 64, dtype=dtype), positive(rng, 64, dtype=dtype)
    w, b = randn(rng, 64, dtype=dtype), randn(rng, 64, dtype=dtype)
    y = np.zeros_like(x)
    run("sm_90a", f"batch_norm_inference_relu_{dtype}", x, m, v, w, b, y)
    expected = ref.batch_norm_inference(x, m, v, w, b, epsilon=1e-5,
                                        act="relu")
    check(y, expected["output"], dtype)


def test_batch_norm_inference_sigmoid_bf16():
    """bf16 statistics, 81 elements a channel plane (odd: scalar
    accesses)."""
    rng = np.random.default_rng(32)
    x = randn(rng, 4, 24, 9, 9, dtype="bf16")
    m, v = randn(rng, 24, dtype="bf16"), positive(rng, 24, dtype="bf16")
    w, b = randn(rng, 24, dtype="bf16"), randn(rng, 24, dtype="bf16")
    y = np.zeros_like(x)
    run("sm_90a", "batch_norm_inference_sigmoid_bf16", x, m, v, w, b, y)
    expected = ref.batch_norm_inference(x, m, v, w, b, epsilon=1e-5,
                                        act="sigmoid")
    check(y, expected["output"], "bf16")


def test_batch_norm_inference_hardswish_f16():
    """Weights scaled by 4 so that the outputs cross hardswish's kinks at
    -3 and 3."""
    rng = np.random.default_rng(33)
    x = randn(rng, 4, 24, 9, 9, dtype="f16")
    m, v = randn(rng, 24, dtype="f16"), positive(rng, 24, dtype="f16")
    w, b = 4 * randn(rng, 24, dtype="f16"), randn(rng, 24, dtype="f16")
    y = np.zeros_like(x)
    run("sm_90a", "batch_norm_inference_hardswish_f16", x, m, v, w, b, y)
    expected = ref.batch_norm_inference(x, m, v, w, b, epsilon=1e-5,
                                        act="hardswish")
    check(y, expected["output"], "f16")


@pytest.mark.parametrize("rows", [1, 37])
def test_rms_norm_mish(rows):
    rng = np.random.default_rng(34)
    x, w = randn(rng, rows, 1024, dtype="bf16"), randn(rng, 1024, dtype="bf16")
    y = np.zeros_like(x)
    run("sm_90a", "rms_norm_bf16_1024_mish", x, w, y)
    check(y, ref.rms_norm(x, w, axes=[1], epsilon=1e-6, act="mish")["output"],
          "bf16")


def _batch_norm_training(bundle, name, shape, dtype, act, nhwc=False,
                         stats_dtype=None):
    rng = np.random.default_rng(9)
    channels = shape[-1] if nhwc else shape[1]
    stats_dtype = stats_dtype or dtype
    x = randn(rng, *shape, dtype=dtype, offset=3.0)
    m = randn(rng, channels, dtype=stats_dtype)
    v = positive(rng, channels, dtype=stats_dtype)
    w, b = randn(rng, channels, dtype=dtype), randn(rng, channels, dtype=dtype)
    y = np.zeros_like(x)
    saved_mean, saved_rstd = (np.zeros(channels, np.float32) for _ in range(2))
    new_m, new_v = np.zeros_like(m), np.zeros_like(v)
    interp = run(bundle, name, x, m, v, w, b, y, saved_mean, saved_rstd,
                 new_m, new_v)
    expected = ref.batch_norm_training(x, m, v, w, b,
                                       feature_axis=x.ndim - 1 if nhwc else 1,
                                       epsilon=1e-5, momentum=0.1, act=act)
    check(y, expected["output"], dtype)
    stat_tol = 1e-3 if dtype == "bf16" else 1e-4
    check(saved_mean, expected["saved_mean"], "f32", "saved mean", stat_tol)
    check(saved_rstd, expected["saved_rstd"], "f32", "saved rstd", stat_tol)
    check(new_m, expected["new_running_mean"], stats_dtype, "running mean")
    check(new_v, expected["new_running_var"], stats_dtype, "running var")
    return interp


@pytest.mark.parametrize("dtype", ["f32", "bf16"])
def test_batch_norm_training(bundle, dtype):
    _batch_norm_training(bundle, f"batch_norm_training_{dtype}",
                         (32, 64, 56, 56), dtype,
                         "relu" if dtype == "f32" else "none")


def test_batch_norm_training_cluster_f32(bundle):
    _batch_norm_training(bundle, "batch_norm_training_cluster_f32",
                         (8, 16, 32, 32), "f32", "relu")


def test_batch_norm_training_256_f32(bundle):
    _batch_norm_training(bundle, "batch_norm_training_256_f32",
                         (8, 256, 7, 7), "f32", "relu")


def test_streaming_stores():
    """The two kernels with non-temporal output stores compute what the
    others do (the stores are the same but for the hint)."""
    assert "nontemporal = true" in generic_ir("sm_90a-streaming")
    _group_norm("sm_90a-streaming", "group_norm_f32_stats", (3, 96, 20, 20),
                12, "f32", 1e-3, 50.0, "none", True)
    _batch_norm_training("sm_90a-streaming", "batch_norm_training_cluster_f32",
                         (8, 16, 32, 32), "f32", "relu")


def test_batch_norm_training_nhwc_bf16():
    _batch_norm_training("sm_90a", "batch_norm_training_nhwc_bf16",
                         (32, 56, 56, 64), "bf16", "relu", nhwc=True,
                         stats_dtype="f32")


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("name,shape,dtype,act,nhwc", [
    ("inplace_abn_leaky_relu_f32", (8, 16, 32, 32), "f32",
     "leaky_relu(0.01)", False),
    ("inplace_abn_elu_nhwc_bf16", (4, 14, 14, 64), "bf16", "elu(1.0)", True),
])
def test_inplace_abn(bundle, in_place, name, shape, dtype, act, nhwc):
    """InPlace-ABN on batch_norm_training's kernels, its output written over
    its input (the same array for both: the interpreter reports a thread
    that overwrites an element another thread of the launch reads) or into
    a separate array."""
    rng = np.random.default_rng(12)
    channels = shape[-1] if nhwc else shape[1]
    stats_dtype = "f32"
    x = randn(rng, *shape, dtype=dtype, offset=1.0)
    m = randn(rng, channels, dtype=stats_dtype)
    v = positive(rng, channels, dtype=stats_dtype)
    w, b = randn(rng, channels, dtype=dtype), randn(rng, channels, dtype=dtype)
    expected = ref.inplace_abn(x, m, v, w, b,
                               feature_axis=x.ndim - 1 if nhwc else 1,
                               epsilon=1e-5, momentum=0.1, act=act)
    y = x if in_place else np.zeros_like(x)
    saved_mean, saved_rstd = (np.zeros(channels, np.float32) for _ in range(2))
    new_m, new_v = np.zeros_like(m), np.zeros_like(v)
    run(bundle, name, x, m, v, w, b, y, saved_mean, saved_rstd, new_m, new_v)
    check(y, expected["output"], dtype)
    stat_tol = 1e-3 if dtype == "bf16" else 1e-4
    check(saved_mean, expected["saved_mean"], "f32", "saved mean", stat_tol)
    check(saved_rstd, expected["saved_rstd"], "f32", "saved rstd", stat_tol)
    check(new_m, expected["new_running_mean"], "f32", "running mean")
    check(new_v, expected["new_running_var"], "f32", "running var")


def test_batch_norm_inference_nhwc_f32():
    rng = np.random.default_rng(10)
    x = randn(rng, 8, 14, 14, 24)
    m, v = randn(rng, 24), positive(rng, 24)
    w, b = randn(rng, 24), randn(rng, 24)
    y = np.zeros_like(x)
    run("sm_90a", "batch_norm_inference_nhwc_f32", x, m, v, w, b, y)
    expected = ref.batch_norm_inference(x, m, v, w, b, feature_axis=3,
                                        epsilon=1e-5)["output"]
    check(y, expected, "f32")


# -- The synchronization of the real kernels is checked ----------------------

def _mutated(bundle, kernel, pattern, replace, index):
    """The bundle's generic IR with the `index`-th match of `pattern` in
    gpu.module @kernel replaced by `replace(match)`."""
    text = generic_ir(bundle)
    start = text.index('"gpu.module"() <{sym_name = "%s"}>' % kernel)
    end = text.index('"gpu.return"', start)
    match = list(re.finditer(pattern, text[start:end]))[index]
    return Interpreter(text[:start + match.start()] + replace(match) +
                       text[start + match.end():])


BARRIER = r'"gpu.barrier"\(\) : \(\) -> \(\)'
NO_OP = '"arith.constant"() <{value = 0 : index}> : () -> index'


@pytest.mark.parametrize("bundle,kernel,pattern,replace,index,error", [
    # LayerNorm's block reduction (a block a row) without either of its
    # barriers.
    ("sm_90a", "layer_norm_bf16_4096", BARRIER, lambda m: NO_OP, 0, "race"),
    ("sm_90a", "layer_norm_bf16_4096", BARRIER, lambda m: NO_OP, 1, "race"),
    # The resident GroupNorm waiting for one cp.async group fewer.
    ("sm_90a-resident", "group_norm_f32_512_sets", r"numGroups = (\d+)",
     lambda m: "numGroups = %d" % (int(m.group(1)) + 1), 0,
     "before waiting for it"),
    ("sm_90a-resident", "group_norm_f32_512_sets", BARRIER,
     lambda m: NO_OP, 0, "race"),
    # The single-pass BatchNorm's cluster barrier without its arrive or its
    # wait.
    ("sm_90a", "batch_norm_training_cluster_f32",
     r'"nvvm.cluster.arrive"\(\)[^\n]*', lambda m: "", 0, "deadlock"),
    ("sm_90a", "batch_norm_training_cluster_f32",
     r'"nvvm.cluster.wait"\(\)[^\n]*', lambda m: "", 0, "race"),
])
def test_broken_synchronization_is_reported(bundle, kernel, pattern, replace,
                                            index, error):
    interp = _mutated(bundle, kernel + "_kernel", pattern, replace, index)
    rng = np.random.default_rng(11)
    if kernel.startswith("layer_norm"):
        x = randn(rng, 3, 4096, dtype="bf16")
        args = [x, randn(rng, 4096, dtype="bf16"),
                randn(rng, 4096, dtype="bf16"), np.zeros_like(x)]
    elif kernel.startswith("group_norm"):
        x = randn(rng, 64, 64, 20, 20)
        args = [x, randn(rng, 64), randn(rng, 64), np.zeros_like(x)] + [
            np.zeros((64, 8), np.float32) for _ in range(2)]
    else:
        x = randn(rng, 8, 16, 32, 32)
        args = [x] + [randn(rng, 16) for _ in range(4)] + [np.zeros_like(x)] \
            + [np.zeros(16, np.float32) for _ in range(4)]
    with pytest.raises(SimtError, match=error):
        interp.call(kernel, *args)


# -- Data normalization (one elementwise kernel; bundle-independent) --

@pytest.mark.parametrize("samples", [1, 333])
def test_standardize(samples):
    """Features along the last axis (4 a vector), a dynamic sample count
    whose last vectors are masked; zero stds leave x - mean."""
    rng = np.random.default_rng(13)
    x = randn(rng, samples, 24) * 100.0 + 1000.0
    mean = (x.mean(0) + rng.standard_normal(24)).astype(np.float32)
    std = positive(rng, 24) * 50.0
    std[[3, 17]] = 0.0
    y = np.zeros_like(x)
    run("sm_90a", "standardize_f32_24", x, mean, std, y)
    check(y, ref.standardize(x, mean, std, axes=[0])["output"], "f32")


def test_min_max_scale_middle_axis():
    """Statistics over the middle axis: features from two kept runs; a
    feature with max == min (width taken as 1); range [-1, 1]."""
    rng = np.random.default_rng(14)
    x = randn(rng, 6, 10, 40, dtype="bf16")
    lo = x.astype(np.float32).min(1).astype(ml_dtypes.bfloat16)
    hi = x.astype(np.float32).max(1).astype(ml_dtypes.bfloat16)
    hi[2, 5] = lo[2, 5]
    y = np.zeros_like(x)
    run("sm_90a", "min_max_scale_bf16_middle", x, lo, hi, y)
    expected = ref.min_max_scale(x, lo, hi, axes=[1], range_min=-1.0)
    check(y, expected["output"], "bf16")


@pytest.mark.parametrize("batch", [1, 3])
def test_image_normalize_u8_nchw(batch):
    """uint8 pixels (values above 127 must read as unsigned) scaled by
    1/255, then a channel's mean and std."""
    rng = np.random.default_rng(15)
    x = rng.integers(0, 256, size=(batch, 3, 50, 50), dtype=np.uint8)
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    y = np.zeros(x.shape, np.float32)
    run("sm_90a", "image_normalize_u8_nchw", x, mean, std, y)
    expected = ref.image_normalize(x, mean, std, scale=1 / 255)["output"]
    check(y, expected, "f32")


def test_image_normalize_f16_nhwc():
    rng = np.random.default_rng(16)
    x = rng.random((4, 48, 48, 3)).astype(np.float16)
    mean = np.array([0.5, 0.4, 0.3], np.float16)
    std = np.array([0.25, 0.2, 0.3], np.float16)
    y = np.zeros_like(x)
    run("sm_90a", "image_normalize_f16_nhwc", x, mean, std, y)
    expected = ref.image_normalize(x, mean, std, layout="nhwc")["output"]
    check(y, expected, "f16")


def test_moments_no_samples():
    """An empty table still writes every feature: mean 0 / 0 = NaN."""
    x = np.zeros((0, 24), np.float32)
    mean, std = np.full(24, 7.0, np.float32), np.full(24, 7.0, np.float32)
    run("sm_90a", "moments_f32_24", x, mean, std)
    assert np.isnan(mean).all()
    assert not (std == 7.0).any()


@pytest.mark.parametrize("samples", [1, 2, 333, 5000])
def test_moments(samples):
    """Per-feature mean and sample std (correction 1) of a table with a
    large offset (the shifted sums must not cancel); one sample gives a
    NaN std (0 / 0), as the linalg lowering does."""
    rng = np.random.default_rng(17)
    x = randn(rng, samples, 24) * 10.0 + 3000.0
    mean, std = np.zeros(24, np.float32), np.zeros(24, np.float32)
    run("sm_90a", "moments_f32_24", x, mean, std)
    expected = ref.moments(x, axes=[0], correction=1)
    check(mean, expected["mean"], "f32")
    if samples == 1:
        assert np.isnan(std).all()
    else:
        check(std, expected["std"], "f32")


def test_min_max_channels():
    rng = np.random.default_rng(18)
    x = randn(rng, 5, 3, 30, 30, dtype="bf16")
    lo, hi = (np.zeros(3, ml_dtypes.bfloat16) for _ in range(2))
    run("sm_90a", "min_max_bf16_channels", x, lo, hi)
    expected = ref.min_max(x, axes=[0, 2, 3])
    np.testing.assert_array_equal(f64(lo), expected["min"])
    np.testing.assert_array_equal(f64(hi), expected["max"])


# -- Backward of LayerNorm / RMSNorm (row kernel + column reduction) --

def _gelu_derivative(x):
    cdf = 0.5 * (1.0 + ref.erf(x / np.sqrt(2.0)))
    return cdf + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


def _central_difference(x, act):
    """The derivative of a smooth activation of reference.py, in float64
    ((f(x + h) - f(x - h)) / 2h: an error near 1e-10 here), independent of
    the derivative formulas the lowering builds."""
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    return (ref.activation(x + h, act) - ref.activation(x - h, act)) / (2 * h)


def _row_norm_grad(s, dy, mean, rstd, w=None, b=None, act=None, rsg=None):
    """float64 gradients of a normalization over the last axis, from the
    formulas of norm.layer_norm_grad's documentation: grad_input,
    grad_weight, grad_bias. `s` is the normalized value (x + residual, in
    the input type); `mean` None for RMSNorm; `w` the scale (w + offset)."""
    xhat = (f64(s) - (0.0 if mean is None else f64(mean))) * f64(rstd)
    pre = xhat if w is None else xhat * f64(w)
    if b is not None:
        pre = pre + f64(b)
    if act == "gelu":
        dpre = f64(dy) * _gelu_derivative(pre)
    elif act == "silu":
        sig = 1.0 / (1.0 + np.exp(-pre))
        dpre = f64(dy) * sig * (1.0 + pre * (1.0 - sig))
    elif act is not None:
        dpre = f64(dy) * _central_difference(pre, act)
    else:
        dpre = f64(dy)
    dxhat = dpre if w is None else dpre * f64(w)
    g = dxhat - xhat * (dxhat * xhat).mean(-1, keepdims=True)
    if mean is not None:
        g = g - dxhat.mean(-1, keepdims=True)
    dx = f64(rstd) * g + (0.0 if rsg is None else f64(rsg))
    return dx, (dpre * xhat).sum(0), dpre.sum(0)


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("rows", [1, 37])
@pytest.mark.parametrize("name,n,act,seed,option_set,sum_tol", [
    ("layer_norm_grad_f32_768_gelu", 768, "gelu", 19, "sm_90a", None),
    # GELU's tanh approximation differentiated on the device (tanh and its
    # sech^2) against a central difference of the reference's.
    ("layer_norm_grad_f32_512_gelu_tanh", 512, "gelu_tanh", 33, "sm_90a",
     1e-3),
    ("layer_norm_grad_f32_512_gelu_tanh", 512, "gelu_tanh", 33,
     "sm_90a-unfused", 1e-3),
])
def test_layer_norm_grad_activation(rows, in_place, name, n, act, seed,
                                    option_set, sum_tol):
    """In place: grad_input written over dy (37 rows: the last block's
    clamped rows must not read the last row while it is overwritten, and
    the parameter gradients must read dy first)."""
    rng = np.random.default_rng(seed)
    x, dy = randn(rng, rows, n), randn(rng, rows, n)
    w, b = randn(rng, n), randn(rng, n)
    fwd = ref.layer_norm(x, w, b, axes=[1], act=act)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("mean", "rstd"))
    ex, ew, eb = _row_norm_grad(x, dy, mean, rstd, w, b, act=act)
    dx = dy if in_place else np.zeros_like(x)
    dw, db = np.zeros(n, np.float32), np.zeros(n, np.float32)
    run(option_set, name, dy, x, mean, rstd, w, b, dx, dw, db)
    check(dx, ex, "f32", "grad_input")
    check(dw, ew, "f32", "grad_weight", tol=sum_tol)
    check(db, eb, "f32", "grad_bias", tol=sum_tol)


@pytest.mark.parametrize("option_set",
                         ["sm_90a", "sm_90a-2sms", "sm_90a-unfused"])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("rows", [0, 1, 101])
def test_layer_norm_grad_fused_parameters(rows, in_place, option_set):
    """The grad_input kernel that also sums grad_weight / grad_bias (4 rows
    a block merged in shared memory, a partial row a block), then their
    column reduction. With 2 SMs the grid is 8 blocks, so blocks loop over
    the 26 row blocks of 101 rows (the last with 3 rows past the end); in
    place, grad_input over dy. Unfused: the column reduction reads x and dy
    itself, before grad_input. No rows: zero gradients."""
    rng = np.random.default_rng(36)
    x, dy = randn(rng, rows, 256), randn(rng, rows, 256)
    w, b = randn(rng, 256), randn(rng, 256)
    fwd = ref.layer_norm(x, w, b, axes=[1], act="gelu")
    mean, rstd = (fwd[k].astype(np.float32).reshape(rows, 1)
                  for k in ("mean", "rstd"))
    ex, ew, eb = _row_norm_grad(x, dy, mean, rstd, w, b, act="gelu")
    dx = dy if in_place else np.zeros_like(x)
    dw, db = np.full(256, np.nan, np.float32), np.full(256, np.nan, np.float32)
    run(option_set, "layer_norm_grad_f32_256_gelu", dy, x, mean, rstd, w, b,
        dx, dw, db)
    check(dx, ex, "f32", "grad_input")
    check(dw, ew, "f32", "grad_weight", tol=1e-3)
    check(db, eb, "f32", "grad_bias", tol=1e-3)


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("option_set,rows", [
    ("sm_90a", 3), ("sm_90a-2sms", 45), ("sm_90a-unfused", 45)])
def test_rms_norm_grad_offset_silu_tail(option_set, rows, in_place):
    """Fused RMSNorm backward with weight_offset and SiLU, 1028 columns over
    96 threads of 3 vectors: the vectors past the row's end add nothing to
    grad_weight. With 2 SMs 4 blocks of 96 threads loop over 45 rows."""
    rng = np.random.default_rng(37)
    x, dy = randn(rng, rows, 1028), randn(rng, rows, 1028)
    w = (randn(rng, 1028) * 0.3).astype(np.float32)
    rstd = ref.rms_norm(x, w, axes=[1], weight_offset=1.0)["rstd"]
    rstd = rstd.astype(np.float32).reshape(rows, 1)
    ex, ew, _ = _row_norm_grad(x, dy, None, rstd, f64(w) + 1.0, act="silu")
    dx = dy if in_place else np.zeros_like(x)
    dw = np.full(1028, np.nan, np.float32)
    run(option_set, "rms_norm_grad_offset_silu_f32_1028", dy, x, rstd, w, dx,
        dw)
    check(dx, ex, "f32", "grad_input", tol=1e-3)
    check(dw, ew, "f32", "grad_weight", tol=1e-3)


@pytest.mark.parametrize("option_set,rows", [
    ("sm_90a", 1), ("sm_90a", 5), ("sm_90a-2sms", 19)])
def test_rms_norm_grad_residual(option_set, rows):
    """bf16 with a residual (the sum rounded to bf16, as in the forward) and
    the residual_sum's gradient; f32 grad_weight. A block a row; with 2 SMs
    a grid of 4 blocks, each looping over up to 5 rows (the row sums' shared
    memory reused across rows)."""
    rng = np.random.default_rng(20)
    x, res, dy, rsg = (randn(rng, rows, 4096, dtype="bf16") for _ in range(4))
    w = randn(rng, 4096, dtype="bf16")
    s = x + res
    rstd = ref.rms_norm(s, w, axes=[1])["rstd"].astype(np.float32)
    dx = np.zeros_like(x)
    dw = np.zeros(4096, np.float32)
    run(option_set, "rms_norm_grad_bf16_4096_residual", dy, x, res, rstd, w,
        rsg, dx, dw)
    ex, ew, _ = _row_norm_grad(s, dy, None, rstd, w, rsg=rsg)
    check(dx, ex, "bf16", "grad_input")
    check(dw, ew, "f32", "grad_weight", tol=1e-3)


@pytest.mark.parametrize("rows", [1, 37])
def test_layer_norm_grad_short_rows(rows):
    rng = np.random.default_rng(21)
    x, dy = randn(rng, rows, 64, dtype="f16"), randn(rng, rows, 64, dtype="f16")
    fwd = ref.layer_norm(x, axes=[1])
    mean, rstd = (fwd[k].astype(np.float32) for k in ("mean", "rstd"))
    dx = np.zeros_like(x)
    run("sm_90a", "layer_norm_grad_f16_64", dy, x, mean, rstd, dx)
    check(dx, _row_norm_grad(x, dy, mean, rstd)[0], "f16")


# -- Backward of BatchNorm / InPlace-ABN (column reduction + elementwise) --

def _act_derivative(pre, act):
    kind, alpha = ref.parse_activation(act)
    if kind == "relu":
        return np.where(pre > 0, 1.0, 0.0)
    if kind == "leaky_relu":
        return np.where(pre > 0, 1.0, alpha)
    if kind == "elu":
        return np.where(pre > 0, 1.0, alpha * np.exp(np.minimum(pre, 0.0)))
    assert kind == "none", act
    return 1.0


def _channel_grad(dy, xhat, pre, rstd, w, act, axis):
    """float64 grad_input, grad_weight, grad_bias of batch_norm_grad from
    the recomputed xhat and pre (the documented formulas)."""
    red = tuple(a for a in range(dy.ndim) if a != axis)
    shape = [1] * dy.ndim
    shape[axis] = -1
    dpre = f64(dy) * _act_derivative(pre, act)
    n = dy.size // dy.shape[axis]
    sum_dpre, sum_dpre_xhat = dpre.sum(red), (dpre * xhat).sum(red)
    scale = f64(rstd).reshape(shape)
    if w is not None:
        scale = scale * f64(w).reshape(shape)
    dx = scale * (dpre - sum_dpre.reshape(shape) / n
                  - xhat * sum_dpre_xhat.reshape(shape) / n)
    return dx, sum_dpre_xhat, sum_dpre


def test_batch_norm_grad_relu():
    rng = np.random.default_rng(22)
    x, dy = randn(rng, 8, 16, 12, 12), randn(rng, 8, 16, 12, 12)
    w, b = randn(rng, 16), randn(rng, 16)
    fwd = ref.batch_norm_training(x, np.zeros(16), np.ones(16), w, b)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("saved_mean",
                                                       "saved_rstd"))
    dx = np.zeros_like(x)
    dw, db = np.zeros(16, np.float32), np.zeros(16, np.float32)
    run("sm_90a", "batch_norm_grad_relu_f32", dy, x, mean, rstd, w, b, dx,
        dw, db)
    shape = (1, 16, 1, 1)
    xhat = (f64(x) - f64(mean).reshape(shape)) * f64(rstd).reshape(shape)
    pre = xhat * f64(w).reshape(shape) + f64(b).reshape(shape)
    ex, ew, eb = _channel_grad(dy, xhat, pre, rstd, w, "relu", 1)
    check(dx, ex, "f32", "grad_input")
    check(dw, ew, "f32", "grad_weight")
    check(db, eb, "f32", "grad_bias")


@pytest.mark.parametrize("option_set", ["sm_90a", "sm_90a-streaming"])
def test_batch_norm_grad_benchmark_shape(option_set):
    """The benchmark's BatchNorm backward, f32 [32, 64, 56, 56]; with
    streaming-stores its grad_input stores are non-temporal."""
    rng = np.random.default_rng(23)
    x, dy = randn(rng, 32, 64, 56, 56), randn(rng, 32, 64, 56, 56)
    w = randn(rng, 64)
    fwd = ref.batch_norm_training(x, np.zeros(64), np.ones(64), w, None)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("saved_mean",
                                                       "saved_rstd"))
    dx = np.zeros_like(x)
    dw, db = np.zeros(64, np.float32), np.zeros(64, np.float32)
    run(option_set, "batch_norm_grad_f32", dy, x, mean, rstd, w, dx, dw, db)
    shape = (1, 64, 1, 1)
    xhat = (f64(x) - f64(mean).reshape(shape)) * f64(rstd).reshape(shape)
    ex, ew, eb = _channel_grad(dy, xhat, xhat, rstd, w, None, 1)
    check(dx, ex, "f32", "grad_input")
    # Sums of 100352 terms each (up to 5e4 here), in f32 partials: within
    # 1e-5 of the largest (the error seen is 2e-7 to 4e-7 of it).
    for got, expected, what in ((dw, ew, "grad_weight"),
                                (db, eb, "grad_bias")):
        np.testing.assert_allclose(f64(got), expected, rtol=0,
                                   atol=1e-5 * np.abs(expected).max(),
                                   err_msg=what)


def test_batch_norm_grad_nhwc_residual():
    rng = np.random.default_rng(23)
    x, res, dy, dsum = (randn(rng, 4, 7, 7, 64, dtype="bf16")
                        for _ in range(4))
    w = randn(rng, 64, dtype="bf16")
    s = x + res
    fwd = ref.batch_norm_training(s, np.zeros(64), np.ones(64), w,
                                  feature_axis=3)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("saved_mean",
                                                       "saved_rstd"))
    dx = np.zeros_like(x)
    run("sm_90a", "batch_norm_grad_nhwc_bf16", dy, x, res, mean, rstd, w,
        dsum, dx)
    xhat = (f64(s) - f64(mean)) * f64(rstd)
    ex, _, _ = _channel_grad(dy, xhat, xhat * f64(w), rstd, w, None, 3)
    check(dx, ex + f64(dsum), "bf16")


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("name,shape,axis,act,bias_scale,seed", [
    ("inplace_abn_grad_leaky_relu_f32", (8, 16, 12, 12), 1,
     "leaky_relu(0.01)", 1.0, 24),
    # ELU(0.5), channels last: pre = log1p(y / 0.5) where y <= 0 (math.log1p
    # on the device), the derivative 0.5 * exp(pre). Biases near zero, as in
    # test_gpu_ops.py (whose reference differentiates x, not the inverted
    # y: log1p(y / 0.5) is ill-conditioned as y -> -0.5).
    ("inplace_abn_grad_elu_nhwc_f32", (4, 6, 6, 32), 3, "elu(0.5)", 0.25, 34),
])
def test_inplace_abn_grad(name, shape, axis, act, bias_scale, seed, in_place):
    """From the output y (the activation inverted); in place, grad_input is
    written over grad_output (the interpreter reports a thread that
    overwrites a dy another thread reads)."""
    rng = np.random.default_rng(seed)
    x, dy = randn(rng, *shape), randn(rng, *shape)
    channels = shape[axis]
    w = positive(rng, channels)
    b = randn(rng, channels) * np.float32(bias_scale)
    fwd = ref.inplace_abn(x, np.zeros(channels), np.ones(channels), w, b,
                          feature_axis=axis, act=act)
    y = fwd["output"].astype(np.float32)
    rstd = fwd["saved_rstd"].astype(np.float32)
    pre = ref.invert_activation(y, act)
    channel_shape = [1] * len(shape)
    channel_shape[axis] = channels
    xhat = ((pre - f64(b).reshape(channel_shape)) /
            f64(w).reshape(channel_shape))
    ex, ew, eb = _channel_grad(dy, xhat, pre, rstd, w, act, axis)
    dx = dy if in_place else np.zeros_like(dy)
    dw, db = (np.zeros(channels, np.float32) for _ in range(2))
    run("sm_90a", name, dy, y, rstd, w, b, dx, dw, db)
    check(dx, ex, "f32", "grad_input")
    check(dw, ew, "f32", "grad_weight")
    check(db, eb, "f32", "grad_bias")


def _group_norm_grad(dy, x, mean, rstd, w, b, act, groups, axis):
    """float64 grad_input, grad_weight, grad_bias of group_norm_grad."""
    xm, dym = (np.moveaxis(f64(a), axis, 1) for a in (x, dy))
    n, c = xm.shape[:2]
    xg = xm.reshape(n, groups, -1)
    xhat = ((xg - f64(mean)[..., None]) * f64(rstd)[..., None]).reshape(
        n, c, -1)
    dym = dym.reshape(n, c, -1)
    wv = np.ones(c) if w is None else f64(w)
    pre = xhat * wv[:, None] + (0.0 if b is None else f64(b)[:, None])
    if act == "silu":
        sig = ref.sigmoid(pre)
        dpre = dym * sig * (1 + pre * (1 - sig))
    else:
        assert act is None
        dpre = dym
    dxhat = (dpre * wv[:, None]).reshape(n, groups, -1)
    xh = xhat.reshape(n, groups, -1)
    g = f64(rstd)[..., None] * (dxhat - dxhat.mean(-1, keepdims=True)
                                - xh * (dxhat * xh).mean(-1, keepdims=True))
    dx = np.moveaxis(g.reshape(xm.shape), 1, axis)
    return dx, (dpre * xhat).sum((0, 2)), dpre.sum((0, 2))


def test_group_norm_grad_silu():
    rng = np.random.default_rng(25)
    x, dy = randn(rng, 2, 8, 6, 6), randn(rng, 2, 8, 6, 6)
    w, b = randn(rng, 8), randn(rng, 8)
    fwd = ref.group_norm(x, w, b, num_groups=4, act="silu")
    mean, rstd = (fwd[k].astype(np.float32) for k in ("mean", "rstd"))
    dx = np.zeros_like(x)
    dw, db = np.zeros(8, np.float32), np.zeros(8, np.float32)
    run("sm_90a", "group_norm_grad_silu_f32", dy, x, mean, rstd, w, b, dx,
        dw, db)
    ex, ew, eb = _group_norm_grad(dy, x, mean, rstd, w, b, "silu", 4, 1)
    check(dx, ex, "f32", "grad_input")
    check(dw, ew, "f32", "grad_weight")
    check(db, eb, "f32", "grad_bias")


def test_group_norm_grad_nhwc():
    rng = np.random.default_rng(26)
    x, dy = (randn(rng, 2, 5, 5, 16, dtype="bf16") for _ in range(2))
    w = randn(rng, 16, dtype="bf16")
    fwd = ref.group_norm(x, w, num_groups=4, channel_axis=3)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("mean", "rstd"))
    dx = np.zeros_like(x)
    dw = np.zeros(16, np.float32)
    run("sm_90a", "group_norm_grad_nhwc_bf16", dy, x, mean, rstd, w, dx, dw)
    ex, ew, _ = _group_norm_grad(dy, x, mean, rstd, w, None, None, 4, 3)
    check(dx, ex, "bf16", "grad_input")
    check(dw, ew, "f32", "grad_weight", tol=1e-3)


# -- SpectralNorm (power iteration as column reductions) --

@pytest.mark.parametrize("name,shape,dtype,iterations,dim", [
    ("spectral_norm_f32", (64, 3, 3, 3), "f32", 2, 0),
    ("spectral_norm_bf16_linear", (300, 1000), "bf16", 1, 0),
    ("spectral_norm_dim1_f32", (16, 32, 3, 3), "f32", 4, 1),
])
def test_spectral_norm(name, shape, dtype, iterations, dim):
    rng = np.random.default_rng(27)
    w = randn(rng, *shape, dtype=dtype)
    u = randn(rng, shape[dim], dtype=dtype)
    out, new_u = np.zeros_like(w), np.zeros_like(u)
    sigma = np.zeros((), np.float32)
    run("sm_90a", name, w, u, out, new_u, sigma)
    expected = ref.spectral_norm(w, u, dim=dim, power_iterations=iterations)
    check(sigma, expected["sigma"], "f32", "sigma", tol=1e-4)
    check(new_u, expected["new_u"], dtype, "new_u")
    check(out, expected["output"], dtype, "output")


# -- Micro-batch statistics and the micro-batch form of batch_norm_grad --

def _batch_stats(x, axis=1):
    red = tuple(a for a in range(x.ndim) if a != axis)
    x = f64(x)
    mean = x.mean(red)
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x.size // x.shape[axis], mean,
            ((x - mean.reshape(shape)) ** 2).sum(red))


def test_batch_stats():
    rng = np.random.default_rng(28)
    x = randn(rng, 4, 16, 10, 10, dtype="bf16", offset=50.0)
    n, mean, m2 = (np.zeros((), np.float32), np.zeros(16, np.float32),
                   np.zeros(16, np.float32))
    run("sm_90a", "batch_stats_bf16", x, n, mean, m2)
    en, emean, em2 = _batch_stats(x)
    assert float(n) == en
    check(mean, emean, "f32", "mean")
    check(m2, em2, "f32", "m2", tol=1e-4)


def test_batch_stats_merge():
    """The merge of two parts' statistics is the statistics of the union."""
    rng = np.random.default_rng(29)
    a, b = randn(rng, 3, 16, 5, 5) + 7.0, randn(rng, 5, 16, 5, 5) - 2.0
    (na, ma, qa), (nb, mb, qb) = _batch_stats(a), _batch_stats(b)
    f32 = np.float32
    args = [np.array(na, f32), ma.astype(f32), qa.astype(f32),
            np.array(nb, f32), mb.astype(f32), qb.astype(f32)]
    n, mean, m2, var = (np.zeros((), f32), np.zeros(16, f32),
                        np.zeros(16, f32), np.zeros(16, f32))
    run("sm_90a", "batch_stats_merge_f32", *args, n, mean, m2, var)
    en, emean, em2 = _batch_stats(np.concatenate([a, b]))
    assert float(n) == en
    check(mean, emean, "f32", "mean")
    check(m2, em2, "f32", "m2")
    check(var, em2 / en, "f32", "var")
    # Accumulated in place: the results over the first part's buffers (all
    # threads read count_a before it is overwritten).
    run("sm_90a", "batch_stats_merge_f32", *args, args[0], args[1], args[2],
        var)
    assert float(args[0]) == en
    check(args[1], emean, "f32", "mean in place")
    check(args[2], em2, "f32", "m2 in place")


def test_batch_norm_grad_micro_batch():
    """grad_input of one micro-batch with the whole batch's statistics,
    sums and count equals that part of the full batch's grad_input;
    grad_weight is the micro-batch's own sum."""
    rng = np.random.default_rng(30)
    x, dy = randn(rng, 8, 16, 7, 7), randn(rng, 8, 16, 7, 7)
    w = randn(rng, 16)
    fwd = ref.batch_norm_training(x, np.zeros(16), np.ones(16), w)
    mean, rstd = (fwd[k].astype(np.float32) for k in ("saved_mean",
                                                       "saved_rstd"))
    shape = (1, 16, 1, 1)
    xhat = (f64(x) - f64(mean).reshape(shape)) * f64(rstd).reshape(shape)
    full_dx, _, sum_dpre = _channel_grad(dy, xhat, xhat, rstd, w, None, 1)
    sum_dpre_xhat = (f64(dy) * xhat).sum((0, 2, 3))
    part = slice(0, 4)
    dx = np.zeros_like(x[part])
    dw = np.zeros(16, np.float32)
    run("sm_90a", "batch_norm_grad_micro_batch_f32",
        np.ascontiguousarray(dy[part]), np.ascontiguousarray(x[part]), mean,
        rstd, w, sum_dpre.astype(np.float32),
        sum_dpre_xhat.astype(np.float32), np.array(392.0, np.float32), dx,
        dw)
    check(dx, full_dx[part], "f32", "grad_input")
    check(dw, (f64(dy[part]) * xhat[part]).sum((0, 2, 3)), "f32",
          "grad_weight")


def test_inplace_abn_grad_micro_batch():
    """InPlace-ABN's backward in micro-batch form, in place (grad_input over
    grad_output), NHWC: half a batch's grad_input from its y, the whole
    batch's rstd, sums and count equals that half of the full batch's
    grad_input; grad_bias is the half's own sum."""
    rng = np.random.default_rng(35)
    shape, act = (8, 6, 6, 32), "leaky_relu(0.1)"
    x, dy = randn(rng, *shape), randn(rng, *shape)
    w, b = positive(rng, 32), randn(rng, 32)
    fwd = ref.inplace_abn(x, np.zeros(32), np.ones(32), w, b,
                          feature_axis=3, act=act)
    y = fwd["output"].astype(np.float32)
    rstd = fwd["saved_rstd"].astype(np.float32)
    pre = ref.invert_activation(y, act)
    xhat = (pre - f64(b)) / f64(w)
    full_dx, sum_dpre_xhat, sum_dpre = _channel_grad(dy, xhat, pre, rstd, w,
                                                     act, 3)
    part = slice(0, 4)
    dy_part = dy[part].copy()  # becomes grad_input
    db = np.zeros(32, np.float32)
    run("sm_90a", "inplace_abn_grad_micro_batch_nhwc_f32", dy_part,
        np.ascontiguousarray(y[part]), rstd, w, b,
        sum_dpre.astype(np.float32), sum_dpre_xhat.astype(np.float32),
        np.array(8 * 6 * 6, np.float32), dy_part, db)
    check(dy_part, full_dx[part], "f32", "grad_input")
    _, _, part_db = _channel_grad(dy[part], xhat[part], pre[part], rstd, w,
                                  act, 3)
    check(db, part_db, "f32", "grad_bias")


@pytest.mark.parametrize("rows", [1, 3])
def test_layer_norm_grad_bf16_4096(rows):
    """The GPU benchmark's backward case (a block a row)."""
    rng = np.random.default_rng(31)
    x, dy = (randn(rng, rows, 4096, dtype="bf16") for _ in range(2))
    w = randn(rng, 4096, dtype="bf16")
    fwd = ref.layer_norm(x, w, axes=[1])
    mean, rstd = (fwd[k].astype(np.float32) for k in ("mean", "rstd"))
    dx = np.zeros_like(x)
    dw, db = np.zeros(4096, np.float32), np.zeros(4096, np.float32)
    run("sm_90a", "layer_norm_grad_bf16_4096", dy, x, mean, rstd, w, dx, dw,
        db)
    ex, ew, eb = _row_norm_grad(x, dy, mean, rstd, w)
    check(dx, ex, "bf16", "grad_input")
    check(dw, ew, "f32", "grad_weight", tol=1e-3)
    check(db, eb, "f32", "grad_bias", tol=1e-3)


# -- Residual forms of GroupNorm / BatchNorm (the kernels add x + residual) --

@pytest.mark.parametrize("in_place", [False, True])
def test_batch_norm_training_residual(bundle, in_place):
    """With residual_sum, written by the first kernel that reads x and the
    residual; in place, over the residual's own array (the interpreter
    reports a thread that overwrites an element another thread reads)."""
    rng = np.random.default_rng(32)
    x, res = randn(rng, 8, 16, 32, 32), randn(rng, 8, 16, 32, 32)
    m, v = randn(rng, 16), positive(rng, 16)
    w, b = randn(rng, 16), randn(rng, 16)
    expected = ref.batch_norm_training(x, m, v, w, b, res, momentum=0.1,
                                       act="relu")
    expected_sum = x + res
    y = np.zeros_like(x)
    s = res if in_place else np.zeros_like(x)
    stats = [np.zeros(16, np.float32) for _ in range(4)]
    run(bundle, "batch_norm_training_residual_f32", x, res, m, v, w, b,
        y, s, *stats)
    check(y, expected["output"], "f32")
    np.testing.assert_array_equal(s, expected_sum)
    for got, key in zip(stats, ("saved_mean", "saved_rstd",
                                "new_running_mean", "new_running_var")):
        check(got, expected[key], "f32", key)


@pytest.mark.parametrize("sum_over", [None, "x", "residual"])
@pytest.mark.parametrize("option_set", list(BUNDLES) + [
    "sm_90a-resident-2sms", "sm_90a-streaming"])
def test_group_norm_residual_sum(option_set, sum_over):
    """residual_sum with masked vectors (sets of 70 f32 elements, vectors
    of 1), written over x's or the residual's own array or into its own;
    with 2 SMs the 6 sets take the resident single pass."""
    rng = np.random.default_rng(38)
    x, res = randn(rng, 2, 6, 5, 7), randn(rng, 2, 6, 5, 7)
    w, b = randn(rng, 6), randn(rng, 6)
    expected = ref.group_norm(x, w, b, res, num_groups=3)
    expected_sum = x + res
    y = np.zeros_like(x)
    s = {None: np.zeros_like(x), "x": x, "residual": res}[sum_over]
    run(option_set, "group_norm_residual_sum_f32", x, res, w, b, y, s)
    check(y, expected["output"], "f32")
    np.testing.assert_array_equal(s, expected_sum)


@pytest.mark.parametrize("option_set", ["sm_90a", "sm_90a-streaming"])
def test_batch_norm_training_residual_nhwc_bf16(option_set):
    rng = np.random.default_rng(34)
    x, res = (randn(rng, 4, 14, 14, 64, dtype="bf16") for _ in range(2))
    m, v = randn(rng, 64), positive(rng, 64)
    w, b = randn(rng, 64, dtype="bf16"), randn(rng, 64, dtype="bf16")
    y = np.zeros_like(x)
    stats = [np.zeros(64, np.float32) for _ in range(4)]
    run(option_set, "batch_norm_training_residual_nhwc_bf16", x, res, m, v,
        w, b, y, *stats)
    expected = ref.batch_norm_training(x, m, v, w, b, res, feature_axis=3,
                                       momentum=0.1, act="relu",
                                       sum_dtype=ml_dtypes.bfloat16)
    check(y, expected["output"], "bf16")
    for got, key in zip(stats, ("saved_mean", "saved_rstd",
                                "new_running_mean", "new_running_var")):
        check(got, expected[key], "f32", key, tol=1e-3)


@pytest.mark.parametrize("in_place", [False, True])
def test_batch_norm_inference_residual_nhwc_f32(in_place):
    """The one normalize kernel writes residual_sum (in place: over x)."""
    rng = np.random.default_rng(35)
    x, res = randn(rng, 8, 14, 14, 24), randn(rng, 8, 14, 14, 24)
    m, v = randn(rng, 24), positive(rng, 24)
    w, b = randn(rng, 24), randn(rng, 24)
    expected = ref.batch_norm_inference(x, m, v, w, b, res, feature_axis=3)
    expected_sum = x + res
    y = np.zeros_like(x)
    s = x if in_place else np.zeros_like(x)
    run("sm_90a", "batch_norm_inference_residual_nhwc_f32", x, res, m, v, w,
        b, y, s)
    check(y, expected["output"], "f32")
    np.testing.assert_array_equal(s, expected_sum)


def test_group_norm_residual_nhwc(bundle):
    rng = np.random.default_rng(33)
    x, res = (randn(rng, 2, 8, 8, 64, dtype="bf16") for _ in range(2))
    w, b = randn(rng, 64, dtype="bf16"), randn(rng, 64, dtype="bf16")
    y = np.zeros_like(x)
    run(bundle, "group_norm_residual_nhwc_bf16", x, res, w, b, y)
    expected = ref.group_norm(x, w, b, res, num_groups=8, channel_axis=3,
                              act="silu", sum_dtype=ml_dtypes.bfloat16)
    check(y, expected["output"], "bf16")
