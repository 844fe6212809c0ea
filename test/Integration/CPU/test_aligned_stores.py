"""Both versions of the aligned-store loops, on data.

`norm-nontemporal-stores{aligned-versions}` clones the row loops whose
non-temporal stores are provably at multiples of their size into a version
taken when the outputs are aligned at run time (their stores carry
`alignment`, one `vmovntps` each), and into one for outputs 16-byte aligned
(numpy's arrays: 16-byte `vmovntps`; plain stores where a row tile writes
short separate pieces, LayerNorm2d's). Each case here is compiled once and
called with every buffer 64-byte aligned (the aligned version), 16 bytes
past a 64-byte boundary (numpy's usual alignment: the second version) and
4 bytes past it (the original loop). Checks:

* the lowered IR holds stores with `alignment = 64` (or 32 for bf16) and
  `alignment = 16`, so that the test fails if the versioning silently stops
  applying, and on x86 the bf16 stores pass through
  norm-x86-bf16-nontemporal-stores' asm;
* all calls give bitwise the same output (the versions differ only in the
  stores' alignment and temporality);
* the output matches the float64 reference of reference.py within
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
    """(IR, inputs, reference output, rtol)."""
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
        return fb.module_text(), [x, w, b], want, 1e-5
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
        want = ref.rms_norm(x, w, r, axes=(1,), epsilon=1e-6)["output"]
        return fb.module_text(), [x, w, r], want, 1e-5
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
        return fb.module_text(), [x, w], want, 2.0**-7
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
        return fb.module_text(), [x, w, b], want, 1e-5
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
        return fb.module_text(), [x, w, b], want, 1e-5
    raise ValueError(name)


CASES = ["layer_norm_gelu_f32", "rms_norm_residual_sum_f32", "rms_norm_bf16",
         "group_norm_silu_f32", "layer_norm_2d_f32"]


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
    outputs = {}
    for offset in (0, 16, 4):
        args = [placed(a, offset) for a in inputs]
        outs = [placed(np.zeros(t.shape, memref.numpy_dtype(t.elem)), offset)
                for t in fn.sig.args[len(inputs):]]
        result = fn(*args, *outs)
        y = result[0] if isinstance(result, (tuple, list)) else result
        outputs[offset] = np.array(y, copy=True)
    assert outputs[0].tobytes() == outputs[16].tobytes(), name
    assert outputs[0].tobytes() == outputs[4].tobytes(), name
    got = outputs[0]
    if got.dtype != np.float32:
        got = memref.bf16_to_f32(got)
    got = got.astype(np.float64)
    scale = float(np.abs(want).max())
    err = np.abs(got - want) / (np.abs(want) + scale)
    assert float(err.max()) <= rtol, (name, float(err.max()))
