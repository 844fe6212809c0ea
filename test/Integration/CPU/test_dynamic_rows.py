"""Row counts only known at run time, through the full and the partial tiles.

`norm-peel-partial-row-tiles` splits the row tiles of a dynamic row count
into full tiles of 8 rows (static shapes: vectorized, streaming stores) and
the last, partial tile (the dynamic body). Each function here is compiled
once with a dynamic row count and called with row counts that take only the
partial tile (1, 7), only full tiles (8, 24), both (9, 29, 61), and none (0),
on 64-byte aligned buffers (the aligned version of the stores) and on
buffers 16 bytes off. Checks:

* the lowered IR holds a non-temporal vector store with `alignment = 64`
  (32 for bf16), so the test fails if the full tiles stop being static;
* every output matches the float64 reference of reference.py within
  |got - ref| <= rtol * (|ref| + max|ref|) (f32: 1e-5; bf16: 2^-7), and the
  aligned and unaligned calls agree bitwise.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import reference as ref
from checks import assert_close
from norm_opt_helpers import OPT, lower, needs_norm_opt, placed

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

import norm_mlir  # noqa: E402
from norm_mlir import memref  # noqa: E402
from norm_mlir.builder import FunctionBuilder, TensorType as T  # noqa: E402

pytestmark = needs_norm_opt

COLS = 256
ROWS = [0, 1, 7, 8, 9, 24, 29, 61]
BF16 = memref.numpy_dtype("bf16")


def _build(name, cols=COLS):
    """(IR, input builders(rows, rng, cols), reference(inputs), rtol, bf16);
    `cols` None: a row length known at run time."""
    fb = FunctionBuilder("f")
    dt = "bf16" if name.endswith("bf16") else "f32"
    vx = fb.arg(T([None, cols], dt))
    vw = fb.arg(T([cols], dt))
    if name.startswith("layer_norm_gelu"):
        vb = fb.arg(T([cols], dt))
        fb.ret(fb.layer_norm(vx, weight=vw, bias=vb, eps=1e-5,
                             activation="gelu"))
        n_vec = 2

        def want(x, w, b):
            return [ref.layer_norm(x, w, b, axes=(1,), epsilon=1e-5,
                                   act="gelu")["output"]]
    elif name.startswith("rms_norm_residual"):
        vr = fb.arg(T([None, cols], dt))
        y, h = fb.rms_norm(vx, weight=vw, residual=vr, eps=1e-6,
                           residual_sum=True)
        fb.ret(y, h)
        n_vec = 1

        def want(x, w, r):
            return [ref.rms_norm(x, w, r, axes=(1,), epsilon=1e-6)["output"],
                    x + r]
    else:
        fb.ret(fb.rms_norm(vx, weight=vw, eps=1e-6))
        n_vec = 1

        def want(x, w):
            return [ref.rms_norm(x, w, axes=(1,), epsilon=1e-6)["output"]]

    def inputs(rows, rng, cols=COLS):
        arrays = [rng.standard_normal((rows, cols))] + [
            rng.standard_normal(cols) for _ in range(n_vec)]
        if name.startswith("rms_norm_residual"):
            arrays.append(rng.standard_normal((rows, cols)))
        if dt == "bf16":
            return [memref.as_contiguous(a.astype(np.float32), BF16)
                    for a in arrays]
        return [a.astype(np.float32) for a in arrays]

    rtol = 2.0**-7 if dt == "bf16" else 1e-5
    return fb.module_text(), inputs, want, rtol, dt == "bf16"


def _f64(a, bf16):
    return (memref.bf16_to_f32(a) if bf16 else a).astype(np.float64)


def _call_at_both_offsets(fn, ins, n_out, context):
    """The outputs of `fn` on `ins` (rows of the first input's shape), on
    64-byte aligned buffers; on buffers 16 bytes off they must be the same,
    bitwise."""
    results = {}
    for offset in (0, 16):
        outs = [placed(np.zeros(ins[0].shape, ins[0].dtype), offset)
                for _ in range(n_out)]
        fn(*(placed(a, offset) for a in ins), *outs)
        results[offset] = [np.array(o, copy=True) for o in outs]
    for got0, got16 in zip(results[0], results[16]):
        assert got0.tobytes() == got16.tobytes(), context
    return results[0]


@pytest.mark.parametrize("name", ["rms_norm_f32", "layer_norm_gelu_f32",
                                  "rms_norm_residual_f32", "rms_norm_bf16"])
def test_dynamic_row_count(name):
    text, inputs, want, rtol, bf16 = _build(name)
    lowered = lower(text)
    aligned = "alignment = 32 : i64, nontemporal" if bf16 else \
        "alignment = 64 : i64, nontemporal"
    assert aligned in lowered, "full tiles not vectorized with aligned stores"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(5)
    for rows in ROWS:
        ins = inputs(rows, rng)
        refs = want(*[_f64(a, bf16) for a in ins])
        outputs = _call_at_both_offsets(fn, ins, len(refs), (name, rows))
        for got, expected in zip(outputs, refs):
            if rows == 0:
                continue
            assert_close(name, _f64(got, bf16), expected, rtol,
                         context=f"rows={rows}")


# [batch, sequence, hidden] with both leading dimensions dynamic: the norm
# is lowered on [batch * sequence, hidden] rows (the leading dimensions
# collapsed by convert-norm-to-linalg), so the same full/partial tiles apply,
# and the statistics come back with keepdims shape [batch, sequence, 1].
SHAPES_3D = [(1, 1), (2, 7), (3, 8), (5, 13), (4, 0)]


@pytest.mark.parametrize("op", ["layer_norm_gelu", "rms_norm_residual"])
def test_dynamic_batch_and_sequence(op):
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None, None, COLS], "f32"))
    vw = fb.arg(T([COLS], "f32"))
    if op == "layer_norm_gelu":
        vb = fb.arg(T([COLS], "f32"))
        y, mean, rstd = fb.layer_norm(vx, weight=vw, bias=vb, eps=1e-5,
                                      activation="gelu", stats=True)
        fb.ret(y, mean, rstd)
    else:
        vr = fb.arg(T([None, None, COLS], "f32"))
        y, rstd, h = fb.rms_norm(vx, weight=vw, residual=vr, eps=1e-6,
                                 rstd=True, residual_sum=True)
        fb.ret(y, rstd, h)
    text = fb.module_text()
    lowered = lower(text)
    assert "alignment = 64 : i64, nontemporal" in lowered, \
        "full tiles of [batch * sequence] rows not vectorized"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(7)
    for batch, seq in SHAPES_3D:
        shape = (batch, seq, COLS)
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(COLS).astype(np.float32)
        if op == "layer_norm_gelu":
            b = rng.standard_normal(COLS).astype(np.float32)
            ins = [x, w, b]
            r = ref.layer_norm(x, w, b, axes=(2,), epsilon=1e-5, act="gelu")
            refs = [r["output"], r["mean"], r["rstd"]]
        else:
            res = rng.standard_normal(shape).astype(np.float32)
            ins = [x, w, res]
            r = ref.rms_norm(x, w, res, axes=(2,), epsilon=1e-6)
            refs = [r["output"], r["rstd"], x.astype(np.float64) + res]
        outs = [np.zeros(np.shape(e), np.float32) for e in refs]
        fn(*[placed(a, 0) for a in ins], *outs)
        if batch * seq == 0:
            continue
        for got, expected in zip(outs, refs):
            assert_close(op, got, expected, 1e-5, context=f"shape={shape}")


# Batch norm on NCHW [?, 32, 7, 7]: 49 pixels a channel are no multiple of
# a vector, so each image is written as one flat plane of 32 x 49 elements
# (norm-vectorize-row-outputs, channel planes), in the full row tiles and in
# the partial one alike; the scale of a vector switches channel inside it.
BATCHES = [1, 7, 8, 9, 17]


def test_dynamic_batch_channel_planes():
    channels, pixels = 32, (7, 7)
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None, channels, *pixels], "f32"))
    vm, vv, vw, vb = (fb.arg(T([channels], "f32")) for _ in range(4))
    fb.ret(fb.batch_norm_inference(vx, vm, vv, weight=vw, bias=vb, eps=1e-5,
                                   activation="relu"))
    text = fb.module_text()
    lowered = lower(text)
    # Without channel planes, the 7-wide loops store scalars.
    assert "alignment = 64 : i64, nontemporal" in lowered, \
        "channel planes not written with aligned vector stores"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(11)
    for batch in BATCHES:
        x = rng.standard_normal((batch, channels, *pixels)).astype(np.float32)
        mean, weight, bias = (rng.standard_normal(channels).astype(np.float32)
                              for _ in range(3))
        var = rng.uniform(0.5, 2.0, channels).astype(np.float32)
        expected = ref.batch_norm_inference(
            x, mean, var, weight, bias, epsilon=1e-5, act="relu")["output"]
        results = {}
        for offset in (0, 16):
            out = placed(np.zeros_like(x), offset)
            fn(*(placed(a, offset) for a in (x, mean, var, weight, bias)),
               out)
            results[offset] = np.array(out, copy=True)
        assert results[0].tobytes() == results[16].tobytes(), batch
        assert_close("batch_norm_inference", results[0], expected, 1e-5,
                     context=f"batch={batch}")


# Every size dynamic ([?, ?]; norm_mlir.ops' "dynamic" shape policy, a
# frontend's dynamic hidden size): norm-vectorize-row-outputs walks a row of
# run-time length in whole vectors, then one masked vector for the rest
# (the statistics and the output alike), and norm-nontemporal-stores
# versions the stores on the row stride being a multiple of their size.
# Lengths around the vector widths (16 f32 lanes, 64-element partial sums),
# shorter than one vector, and rows of 768 and 4097; buffers aligned and 16
# bytes off (which then also gives rows at odd offsets).
DYNAMIC_COLS = [1, 5, 16, 17, 63, 64, 65, 100, 768, 4097]


@pytest.mark.parametrize("name", ["layer_norm_gelu_f32", "rms_norm_residual_f32",
                                  "layer_norm_gelu_bf16",
                                  "rms_norm_residual_bf16"])
def test_dynamic_row_length(name):
    text, inputs, want, rtol, bf16 = _build(name, cols=None)
    lowered = lower(text)
    assert "llvm.intr.masked.load" in lowered, "no masked row remainder"
    assert "nontemporal" in lowered and "alignment = 64 : i64" in lowered, \
        "rows of run-time length not written with aligned vector stores"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(5)
    for cols in DYNAMIC_COLS:
        ins = inputs(9, rng, cols)
        refs = want(*[_f64(a, bf16) for a in ins])
        outputs = _call_at_both_offsets(fn, ins, len(refs), (name, cols))
        for got, expected in zip(outputs, refs):
            assert_close(name, _f64(got, bf16), expected, rtol,
                         context=f"cols={cols}")


# A vision model compiled for any batch and image size: every dimension of
# the input dynamic but the channels ([?, ?, ?, C] channels last, [?, C, ?, ?]
# NCHW). Channels last, the output rows of C static elements are whole
# vectors whose offsets are multiples of C (the identity layout's strides),
# so they stream with aligned stores; the training statistics are partial
# per batch entry and merged (Chan), also for extents as small as one pixel.
# Sizes: one pixel per entry, odd planes, and one larger than a statistics
# tile.
# The last three: entries of more than 256 KiB channels last, whose
# training statistics are partials per chunk of pixels, the chunk count
# found at run time: 3 chunks of 2816 pixels; 61 x 97 pixels, 61 chunks
# after 60 tries; 67 x 71 pixels, no divisor within the tries (one partial
# per entry).
IMAGE_SIZES = [(2, 1, 1), (3, 5, 7), (1, 9, 2), (4, 13, 17), (2, 48, 40),
               (2, 96, 88), (1, 97, 61), (1, 67, 71)]


@pytest.mark.parametrize("layout", ["nhwc", "nchw"])
@pytest.mark.parametrize("training", [False, True], ids=["inference",
                                                         "training"])
def test_dynamic_image_size(layout, training):
    channels = 16 if layout == "nhwc" else 8
    axis = 3 if layout == "nhwc" else 1
    shape = [None, None, None, channels] if layout == "nhwc" else \
        [None, channels, None, None]
    fb = FunctionBuilder("f")
    vx = fb.arg(T(shape, "f32"))
    vm, vv, vw, vb = (fb.arg(T([channels], "f32")) for _ in range(4))
    if training:
        fb.ret(*fb.batch_norm_training(vx, vm, vv, weight=vw, bias=vb,
                                       feature_axis=axis, eps=1e-5,
                                       momentum=0.1, activation="relu"))
    else:
        fb.ret(fb.batch_norm_inference(vx, vm, vv, weight=vw, bias=vb,
                                       feature_axis=axis, eps=1e-5,
                                       activation="relu"))
    text = fb.module_text()
    if layout == "nhwc":
        assert "alignment = 64 : i64, nontemporal" in lower(text), \
            "rows of static channels not written with aligned vector stores"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(13)
    for n, h, w in IMAGE_SIZES:
        dims = (n, h, w, channels) if layout == "nhwc" else (n, channels, h, w)
        # Far from zero: the partial statistics must not cancel.
        x = (rng.standard_normal(dims) * 2 + 3).astype(np.float32)
        mean, weight, bias = (rng.standard_normal(channels).astype(np.float32)
                              for _ in range(3))
        var = rng.uniform(0.5, 2.0, channels).astype(np.float32)
        ins = (x, mean, var, weight, bias)
        if training:
            want = ref.batch_norm_training(
                *(a.astype(np.float64) for a in ins), feature_axis=axis,
                epsilon=1e-5, momentum=0.1, act="relu")
            names = ["output", "saved_mean", "saved_rstd",
                     "new_running_mean", "new_running_var"]
        else:
            want = ref.batch_norm_inference(
                *(a.astype(np.float64) for a in ins), feature_axis=axis,
                epsilon=1e-5, act="relu")
            names = ["output"]
        results = {}
        for offset in (0, 16):
            outs = [placed(np.zeros(dims, np.float32), offset)] + [
                placed(np.zeros(channels, np.float32), offset)
                for _ in names[1:]]
            fn(*(placed(a, offset) for a in ins), *outs)
            results[offset] = [np.array(o, copy=True) for o in outs]
        for got0, got16 in zip(results[0], results[16]):
            assert got0.tobytes() == got16.tobytes(), (n, h, w)
        for name, got in zip(names, results[0]):
            assert_close("batch_norm_training" if training else
                         "batch_norm_inference", got.astype(np.float64),
                         want[name], 1e-5, context=f"{name} {(n, h, w)}")


# Channels-last training with a residual, compiled for static pixels and
# channels of run-time size ([2, 32, 40, ?]) and for every size dynamic: the
# statistics' chunks are counted at run time from the pixel bytes (64
# channels, input and residual: 4 chunks of 320 pixels; 8 channels: one),
# the static pixel count cast to a dynamic one before the split.
# In bf16 (2 bytes: 2 chunks of 640 pixels at 64 channels), with
# statistics accumulated in f32.
@pytest.mark.parametrize("dt", ["f32", "bf16"])
@pytest.mark.parametrize("shape", ["channels", "all"])
def test_dynamic_channels_training_residual(shape, dt):
    dims = [2, 32, 40, None] if shape == "channels" else [None] * 4
    bf16 = dt == "bf16"
    fb = FunctionBuilder("f")
    vx, vr = (fb.arg(T(dims, dt)) for _ in range(2))
    vm, vv, vw, vb = (fb.arg(T([None], dt)) for _ in range(4))
    fb.ret(*fb.batch_norm_training(vx, vm, vv, weight=vw, bias=vb,
                                   residual=vr, feature_axis=3, eps=1e-5,
                                   momentum=0.1, activation="relu"))
    fn = norm_mlir.compile_mlir(fb.module_text(), opt=OPT)["f"]
    rng = np.random.default_rng(29)
    names = ["output", "saved_mean", "saved_rstd", "new_running_mean",
             "new_running_var"]
    def cast(a):
        a = a.astype(np.float32)
        return memref.as_contiguous(a, BF16) if bf16 else a

    stats = np.float32  # saved mean and rstd: f32 for bf16 inputs too
    for channels in (64, 8):
        xshape = (2, 32, 40, channels)
        x, r = (cast(rng.standard_normal(xshape) * 2 + 3) for _ in range(2))
        mean, weight, bias = (cast(rng.standard_normal(channels))
                              for _ in range(3))
        var = cast(rng.uniform(0.5, 2.0, channels))
        ins = (x, r, mean, var, weight, bias)
        want = ref.batch_norm_training(
            *(_f64(a, bf16) for a in (x, mean, var, weight, bias, r)),
            feature_axis=3, epsilon=1e-5, momentum=0.1, act="relu")
        dtype = BF16 if bf16 else np.float32
        outs = [placed(np.zeros(xshape, dtype), 0),
                placed(np.zeros(channels, stats), 0),
                placed(np.zeros(channels, stats), 0),
                placed(np.zeros(channels, dtype), 0),
                placed(np.zeros(channels, dtype), 0)]
        fn(*(placed(a, 0) for a in ins), *outs)
        for name, got in zip(names, outs):
            got = _f64(got, bf16 and got.dtype != np.float32)
            assert_close("batch_norm_training", got, want[name],
                         2.0**-7 if bf16 else 1e-5,
                         context=f"{name} C={channels}")


def _check_images(fn, name, channels, sizes, *, seed, shift, want):
    """`fn(x, weight, bias, out)` on NCHW images of each (n, h, w) in
    `sizes` (data around `shift`), at both buffer offsets, against
    `want(x, weight, bias)` in float64 (f32: rtol 1e-5)."""
    rng = np.random.default_rng(seed)
    for n, h, w in sizes:
        x = (rng.standard_normal((n, channels, h, w)) + shift).astype(
            np.float32)
        weight, bias = (rng.standard_normal(channels).astype(np.float32)
                        for _ in range(2))
        expected = want(*(a.astype(np.float64) for a in (x, weight, bias)))
        got = _call_at_both_offsets(fn, (x, weight, bias), 1, (n, h, w))[0]
        assert_close(name, got.astype(np.float64), expected, 1e-5,
                     context=f"{(n, h, w)}")


# LayerNorm2d (ConvNeXt: over the channels of NCHW) with the batch and image
# size known at run time: column tiles of 64 pixels, one image a tile, the
# output stored at offsets in the strides of the batch and channel
# dimensions only, whose alignment the version's condition checks (the
# streaming version runs when H x W is a multiple of 16). Image sizes with
# a partial column tile (5 x 7, 13 x 17) and whole ones (8 x 8, 48 x 40).
@pytest.mark.parametrize("channels", [24, 96, 768])
def test_dynamic_image_size_layer_norm2d(channels):
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None, channels, None, None], "f32"))
    vw, vb = (fb.arg(T([channels], "f32")) for _ in range(2))
    fb.ret(fb.layer_norm(vx, axes=[1], weight=vw, bias=vb, eps=1e-6))
    text = fb.module_text()
    assert "alignment = 64 : i64, nontemporal" in lower(text), \
        "planes of run-time size not written with aligned vector stores"
    _check_images(
        norm_mlir.compile_mlir(text, opt=OPT)["f"], "layer_norm", channels,
        [(2, 5, 7), (3, 8, 8), (1, 13, 17), (2, 48, 40)], seed=17, shift=2,
        want=lambda x, w, b: ref.layer_norm(x, w, b, axes=(1,),
                                            epsilon=1e-6)["output"])


# GroupNorm + SiLU with a dynamic batch at 8 x 8 pixels (the SD UNet's
# deepest level, batch 2 for classifier-free guidance): the pixels are
# collapsed (64 = 4 x 16) inside the group reshapes, and the chain of
# reshapes back to [?, C, 8, 8] is the output argument itself (value
# bounds prove the batch equal): the result is written in place, not
# returned through a copy. The output the caller passed must hold it.
def test_dynamic_batch_group_norm_small_planes():
    channels, groups = 64, 8
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None, channels, 8, 8], "f32"))
    vw, vb = (fb.arg(T([channels], "f32")) for _ in range(2))
    fb.ret(fb.group_norm(vx, groups, weight=vw, bias=vb, eps=1e-5,
                         activation="silu"))
    text = fb.module_text()
    # The result is the output argument (#3), not a buffer of its own.
    assert "norm.tied_results = array<i64: 3>" in lower(text), \
        "the result is returned through a copy, not written in place"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(19)
    for batch in (1, 2, 3):
        x = rng.standard_normal((batch, channels, 8, 8)).astype(np.float32)
        weight, bias = (rng.standard_normal(channels).astype(np.float32)
                        for _ in range(2))
        want = ref.group_norm(*(a.astype(np.float64) for a in (x, weight,
                                                               bias)),
                              num_groups=groups, epsilon=1e-5,
                              act="silu")["output"]
        got = _call_at_both_offsets(fn, (x, weight, bias), 1, batch)[0]
        assert_close("group_norm", got.astype(np.float64), want, 1e-5,
                     context=f"batch={batch}")


# GroupNorm + SiLU compiled for any image size (static channels) and for
# any shape: the planes H x W are collapsed inside the group reshapes into
# rows of a whole plane, the result is still the output argument (the
# reshape pairs around it undone, inner first, where value bounds cannot
# prove 32 x (C / 32) = C), and the stores stream in the version whose
# channel stride H x W is a multiple of 16 (10 x 8, 16 x 16); elsewhere
# (5 x 7, 9 x 13) the rows end in masked stores, all plain.
@pytest.mark.parametrize("shape", ["spatial", "all"])
def test_dynamic_image_size_group_norm(shape):
    channels, groups = 64, 8
    fb = FunctionBuilder("f")
    dims = [None, channels, None, None] if shape == "spatial" else \
        [None] * 4
    vx = fb.arg(T(dims, "f32"))
    vw, vb = (fb.arg(T([dims[1]], "f32")) for _ in range(2))
    fb.ret(fb.group_norm(vx, groups, weight=vw, bias=vb, eps=1e-5,
                         activation="silu"))
    text = fb.module_text()
    lowered = lower(text)
    assert "norm.tied_results = array<i64: 3>" in lowered, \
        "the result is returned through a copy, not written in place"
    assert "alignment = 64 : i64, nontemporal" in lowered, \
        "planes of run-time size not written with aligned vector stores"
    _check_images(
        norm_mlir.compile_mlir(text, opt=OPT)["f"], "group_norm", channels,
        [(2, 5, 7), (1, 10, 8), (3, 9, 13), (2, 16, 16)], seed=23, shift=1,
        want=lambda x, w, b: ref.group_norm(x, w, b, num_groups=groups,
                                            epsilon=1e-5,
                                            act="silu")["output"])


# GroupNorm + SiLU compiled with every size dynamic, called with channel
# counts on both sides of the 1 KiB limit of norm-promote-scoped-buffers-
# to-stack: each row tile's per-channel parameters (C / G floats) are on
# the stack for 8 and 256 channels a group (256 x 4 bytes: the limit
# itself) and on the heap, freed after the tile, for 512.
def test_dynamic_channels_group_norm_parameters_stack_or_heap():
    groups = 8
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None] * 4, "f32"))
    vw, vb = (fb.arg(T([None], "f32")) for _ in range(2))
    fb.ret(fb.group_norm(vx, groups, weight=vw, bias=vb, eps=1e-5,
                         activation="silu"))
    text = fb.module_text()
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    for channels in (64, 2048, 4096):
        _check_images(
            fn, "group_norm", channels, [(2, 5, 7), (1, 4, 4)], seed=31,
            shift=1,
            want=lambda x, w, b: ref.group_norm(x, w, b, num_groups=groups,
                                                epsilon=1e-5,
                                                act="silu")["output"])


# Batch-norm training on NCHW compiled for any batch ([?, C, H, W]): the
# statistics split the pixels of a channel into partial sums over the
# batch loop of run-time trip count (14 x 14: 196 = 3 x 64 + 4 pixels, one
# channel a tile), and at 7 x 7 walk the batch entries outermost across a
# tile's channels (rows of 196 bytes). Batches 1 to 9, data far from zero.
@pytest.mark.parametrize("pixels", [(14, 14), (7, 7)])
def test_dynamic_batch_training_statistics(pixels):
    channels = 32
    fb = FunctionBuilder("f")
    vx = fb.arg(T([None, channels, *pixels], "f32"))
    vm, vv, vw, vb = (fb.arg(T([channels], "f32")) for _ in range(4))
    fb.ret(*fb.batch_norm_training(vx, vm, vv, weight=vw, bias=vb,
                                   feature_axis=1, eps=1e-5, momentum=0.1,
                                   activation="relu"))
    fn = norm_mlir.compile_mlir(fb.module_text(), opt=OPT)["f"]
    rng = np.random.default_rng(37)
    names = ["output", "saved_mean", "saved_rstd", "new_running_mean",
             "new_running_var"]
    for batch in (1, 2, 5, 9):
        x = (rng.standard_normal((batch, channels, *pixels)) * 2 + 3).astype(
            np.float32)
        mean, weight, bias = (rng.standard_normal(channels).astype(np.float32)
                              for _ in range(3))
        var = rng.uniform(0.5, 2.0, channels).astype(np.float32)
        ins = (x, mean, var, weight, bias)
        want = ref.batch_norm_training(
            *(a.astype(np.float64) for a in ins), feature_axis=1,
            epsilon=1e-5, momentum=0.1, act="relu")
        outs = [placed(np.zeros(x.shape, np.float32), 0)] + [
            placed(np.zeros(channels, np.float32), 0) for _ in names[1:]]
        fn(*(placed(a, 0) for a in ins), *outs)
        for name, got in zip(names, outs):
            assert_close("batch_norm_training", got.astype(np.float64),
                         want[name], 1e-5, context=f"{name} batch={batch}")
