"""Both versions of the aligned-store loops, on data.

`norm-nontemporal-stores{aligned-versions}` clones the row loops whose
non-temporal stores are provably at multiples of their size into a version
taken when the outputs are aligned at run time (their stores carry
`alignment`, one `vmovntps` each), and into one for outputs 16-byte aligned
(numpy's arrays: 16-byte `vmovntps`; plain stores where a row tile writes
short separate pieces, LayerNorm2d's). Each loop checks only the outputs it
writes. Each case here is compiled once and called with every buffer
64-byte aligned (the aligned version), 16 bytes past a 64-byte boundary
(numpy's usual alignment: the second version), 4 bytes past it (the
original loop), and, where a function has several outputs, with the first
output and the others at different offsets (each loop then takes its own
version). Checks:

* the lowered IR holds stores with `alignment = 64` (or 32 for bf16) and
  `alignment = 16`, so that the test fails if the versioning silently stops
  applying, and on x86 the bf16 stores pass through
  norm-x86-bf16-nontemporal-stores' asm;
* all calls give bitwise the same outputs, every one of them (the versions
  differ only in the stores' alignment and temporality), and each output
  array passed holds its result;
* every output matches the float64 reference of reference.py within
  |got - ref| <= rtol * (|ref| + max|ref|) (f32: 1e-5; bf16: 2^-7).

A store the proof wrongly calls aligned would fault (general protection) in
the aligned call.
"""

import platform
import sys
from pathlib import Path

import numpy as np
import pytest

import reference as ref
from norm_opt_helpers import OPT, lower, needs_norm_opt, placed

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

import norm_mlir  # noqa: E402
from norm_mlir import memref  # noqa: E402
from norm_mlir.builder import FunctionBuilder, TensorType as T  # noqa: E402

pytestmark = needs_norm_opt


def _case(name, rng):
    """(IR, inputs, reference outputs (one per result), rtol)."""
    fb = FunctionBuilder("f")
    if name == "layer_norm_gelu_f32":
        shape = [48, 768]
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(768).astype(np.float32)
        b = rng.standard_normal(768).astype(np.float32)
        vx, vw, vb = (fb.arg(T(shape, "f32")), fb.arg(T([768], "f32")),
                      fb.arg(T([768], "f32")))
        fb.ret(fb.layer_norm(vx, weight=vw, bias=vb, eps=1e-5,
                             activation="gelu"))
        want = ref.layer_norm(x, w, b, axes=(1,), epsilon=1e-5,
                              act="gelu")["output"]
        return fb.module_text(), [x, w, b], [want], 1e-5
    if name == "rms_norm_residual_sum_f32":
        shape = [64, 512]
        x = rng.standard_normal(shape).astype(np.float32)
        r = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(512).astype(np.float32)
        vx, vw, vr = (fb.arg(T(shape, "f32")), fb.arg(T([512], "f32")),
                      fb.arg(T(shape, "f32")))
        y, h = fb.rms_norm(vx, weight=vw, residual=vr, eps=1e-6,
                           residual_sum=True)
        fb.ret(y, h)
        want = ref.rms_norm(x, w, r, axes=(1,), epsilon=1e-6)
        return (fb.module_text(), [x, w, r],
                [want["output"], want["residual_sum"]], 1e-5)
    if name == "rms_norm_bf16":
        shape = [32, 1024]
        bf16 = memref.numpy_dtype("bf16")
        x = memref.as_contiguous(rng.standard_normal(shape).astype(np.float32),
                                 bf16)
        w = memref.as_contiguous(rng.standard_normal(1024).astype(np.float32),
                                 bf16)
        vx, vw = fb.arg(T(shape, "bf16")), fb.arg(T([1024], "bf16"))
        fb.ret(fb.rms_norm(vx, weight=vw, eps=1e-6))
        want = ref.rms_norm(memref.bf16_to_f32(x), memref.bf16_to_f32(w),
                            axes=(1,), epsilon=1e-6)["output"]
        return fb.module_text(), [x, w], [want], 2.0**-7
    if name == "group_norm_silu_f32":
        shape = [4, 64, 16, 16]
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(64).astype(np.float32)
        b = rng.standard_normal(64).astype(np.float32)
        vx, vw, vb = (fb.arg(T(shape, "f32")), fb.arg(T([64], "f32")),
                      fb.arg(T([64], "f32")))
        fb.ret(fb.group_norm(vx, 8, weight=vw, bias=vb, eps=1e-5,
                             activation="silu"))
        want = ref.group_norm(x, w, b, num_groups=8, epsilon=1e-5,
                              act="silu")["output"]
        return fb.module_text(), [x, w, b], [want], 1e-5
    if name == "layer_norm_2d_f32":
        # Row tiles of 64 pixels of each of the 96 channel planes: the
        # 16-byte version stores them with plain stores.
        shape = [2, 96, 28, 28]
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(96).astype(np.float32)
        b = rng.standard_normal(96).astype(np.float32)
        vx, vw, vb = (fb.arg(T(shape, "f32")), fb.arg(T([96], "f32")),
                      fb.arg(T([96], "f32")))
        fb.ret(fb.layer_norm(vx, axes=[1], weight=vw, bias=vb, eps=1e-5))
        want = ref.layer_norm(x, w, b, axes=(1,), epsilon=1e-5)["output"]
        return fb.module_text(), [x, w, b], [want], 1e-5
    if name == "batch_norm_training_relu_f32":
        # Five outputs: the normalized tensor and four channel vectors,
        # written by different loops.
        shape = [4, 32, 20, 20]
        x = rng.standard_normal(shape).astype(np.float32)
        mean = rng.standard_normal(32).astype(np.float32)
        var = (np.abs(rng.standard_normal(32)) + 0.5).astype(np.float32)
        w = rng.standard_normal(32).astype(np.float32)
        b = rng.standard_normal(32).astype(np.float32)
        vx = fb.arg(T(shape, "f32"))
        vm, vv, vw, vb = (fb.arg(T([32], "f32")) for _ in range(4))
        fb.ret(*fb.batch_norm_training(vx, vm, vv, weight=vw, bias=vb,
                                       eps=1e-5, momentum=0.1,
                                       activation="relu"))
        want = ref.batch_norm_training(x, mean, var, w, b, epsilon=1e-5,
                                       momentum=0.1, act="relu")
        keys = ["output", "saved_mean", "saved_rstd", "new_running_mean",
                "new_running_var"]
        return (fb.module_text(), [x, mean, var, w, b],
                [want[k] for k in keys], 1e-5)
    if name == "layer_norm_stats_f32":
        shape = [64, 768]
        x = rng.standard_normal(shape).astype(np.float32)
        vx = fb.arg(T(shape, "f32"))
        fb.ret(*fb.layer_norm(vx, eps=1e-5, stats=True))
        want = ref.layer_norm(x, axes=(1,), epsilon=1e-5)
        return (fb.module_text(), [x],
                [want["output"], want["mean"], want["rstd"]], 1e-5)
    raise ValueError(name)


CASES = ["layer_norm_gelu_f32", "rms_norm_residual_sum_f32", "rms_norm_bf16",
         "group_norm_silu_f32", "layer_norm_2d_f32",
         "batch_norm_training_relu_f32", "layer_norm_stats_f32"]

# Byte offsets past a 64-byte boundary of (the first output, the other
# outputs and the inputs).
OFFSETS = [(0, 0), (16, 16), (4, 4), (0, 4), (4, 0), (16, 0), (0, 16),
           (16, 4)]


@pytest.mark.parametrize("name", CASES)
def test_aligned_and_unaligned_versions(name):
    text, inputs, want, rtol = _case(name, np.random.default_rng(3))
    lowered = lower(text)
    assert "alignment = 64" in lowered or "alignment = 32" in lowered, \
        "no aligned version of the stores"
    numpy_version = ("alignment = 16 : i64}" if name == "layer_norm_2d_f32"
                     else "alignment = 16 : i64, nontemporal}")
    assert numpy_version in lowered, \
        "no version of the stores for 16-byte aligned outputs"
    if "bf16" in name and platform.machine() in ("x86_64", "AMD64"):
        # norm-x86-bf16-nontemporal-stores: the bf16 stores stream too.
        assert '"=v,0"' in lowered, "bf16 stores not passed through the asm"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    n_outs = len(fn.sig.args) - len(inputs)
    results = {}
    for first, rest in OFFSETS if n_outs > 1 else OFFSETS[:3]:
        args = [placed(a, rest) for a in inputs]
        outs = [placed(np.zeros(t.shape, memref.numpy_dtype(t.elem)),
                       first if i == 0 else rest)
                for i, t in enumerate(fn.sig.args[len(inputs):])]
        got = fn(*args, *outs)
        got = list(got) if isinstance(got, (tuple, list)) else [got]
        assert len(got) == len(want), name
        for i, out in enumerate(outs):  # Each result is its output array.
            assert np.shares_memory(out, got[i]), (name, "output", i)
        results[first, rest] = [np.array(g, copy=True) for g in got]
    base = results[0, 0]
    for offsets, got in results.items():
        for i, (a, b) in enumerate(zip(base, got)):
            assert a.tobytes() == b.tobytes(), (name, offsets, "result", i)
    for i, (got, expect) in enumerate(zip(base, want)):
        if got.dtype != np.float32:
            got = memref.bf16_to_f32(got)
        got = got.astype(np.float64)
        expect = np.asarray(expect, np.float64).reshape(got.shape)
        scale = float(np.abs(expect).max())
        err = np.abs(got - expect) / (np.abs(expect) + scale)
        assert float(err.max()) <= rtol, (name, i, float(err.max()))
