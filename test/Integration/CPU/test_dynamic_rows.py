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

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference as ref

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402
from norm_mlir import memref  # noqa: E402
from norm_mlir.builder import FunctionBuilder, TensorType as T  # noqa: E402

OPT = norm_mlir.find_opt()

pytestmark = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")

COLS = 256
ROWS = [0, 1, 7, 8, 9, 24, 29, 61]
BF16 = memref.numpy_dtype("bf16")


def _build(name):
    """(IR, input builders(rows, rng), reference(inputs), rtol, bf16)."""
    fb = FunctionBuilder("f")
    dt = "bf16" if name.endswith("bf16") else "f32"
    vx = fb.arg(T([None, COLS], dt))
    vw = fb.arg(T([COLS], dt))
    if name.startswith("layer_norm_gelu"):
        vb = fb.arg(T([COLS], dt))
        fb.ret(fb.layer_norm(vx, weight=vw, bias=vb, eps=1e-5,
                             activation="gelu"))
        n_vec = 2

        def want(x, w, b):
            return [ref.layer_norm(x, w, b, axes=(1,), epsilon=1e-5,
                                   act="gelu")["output"]]
    elif name.startswith("rms_norm_residual"):
        vr = fb.arg(T([None, COLS], dt))
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

    def inputs(rows, rng):
        arrays = [rng.standard_normal((rows, COLS))] + [
            rng.standard_normal(COLS) for _ in range(n_vec)]
        if name.startswith("rms_norm_residual"):
            arrays.append(rng.standard_normal((rows, COLS)))
        if dt == "bf16":
            return [memref.as_contiguous(a.astype(np.float32), BF16)
                    for a in arrays]
        return [a.astype(np.float32) for a in arrays]

    rtol = 2.0**-7 if dt == "bf16" else 1e-5
    return fb.module_text(), inputs, want, rtol, dt == "bf16"


def _placed(array, offset):
    raw = np.zeros(array.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    placed = raw[start:start + array.nbytes].view(array.dtype).reshape(
        array.shape)
    placed[...] = array
    return placed


def _f64(a, bf16):
    return (memref.bf16_to_f32(a) if bf16 else a).astype(np.float64)


@pytest.mark.parametrize("name", ["rms_norm_f32", "layer_norm_gelu_f32",
                                  "rms_norm_residual_f32", "rms_norm_bf16"])
def test_dynamic_row_count(name):
    text, inputs, want, rtol, bf16 = _build(name)
    lowered = subprocess.run(
        [OPT, f"--pass-pipeline={norm_mlir.norm_pipeline()}"], input=text,
        capture_output=True, text=True, check=True).stdout
    aligned = "alignment = 32 : i64, nontemporal" if bf16 else \
        "alignment = 64 : i64, nontemporal"
    assert aligned in lowered, "full tiles not vectorized with aligned stores"
    fn = norm_mlir.compile_mlir(text, opt=OPT)["f"]
    rng = np.random.default_rng(5)
    for rows in ROWS:
        ins = inputs(rows, rng)
        refs = want(*[_f64(a, bf16) for a in ins])
        results = {}
        for offset in (0, 16):
            args = [_placed(a, offset) for a in ins]
            outs = [_placed(np.zeros((rows, COLS), ins[0].dtype), offset)
                    for _ in refs]
            fn(*args, *outs)
            results[offset] = [np.array(o, copy=True) for o in outs]
        for got0, got16 in zip(results[0], results[16]):
            assert got0.tobytes() == got16.tobytes(), (name, rows)
        for got, expected in zip(results[0], refs):
            if rows == 0:
                continue
            got = _f64(got, bf16)
            scale = float(np.abs(expected).max())
            err = np.abs(got - expected) / (np.abs(expected) + scale)
            assert float(err.max()) <= rtol, (name, rows, float(err.max()))
