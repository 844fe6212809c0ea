"""Contractions (matmul, batch_matmul, contraction generics) on data.

`norm-lower-to-cpu` tiles contractions into register tiles of vector FMAs
(`norm-tile-contractions`, pipeline option `tile-contractions`). Each case is
compiled with the option on (the default) and off (scalar loops) and both are
compared with numpy in float64: sizes that the 8 x 32 register tile does not
divide (the remainder parts), rms_norm -> matmul with and without the
FlashNorm fold (`norm-flash-norm`), batch_matmul, an attention-style generic
(q @ k^T per batch), bf16 inputs accumulated in f32, a dynamic number of
rows (tiled by one row) and a dynamic number of columns (left to loops). The lowered IR of the default pipeline must contain vector
FMAs for every case but the last, so that the test fails if the tiling silently
stops applying.

Tolerance: the tiled and untiled programs sum in different orders (and
LLVM contracts multiply-adds), so |y - ref| / max(1, max |ref|) <= 2e-6 * K:
above the rounding of a K-term f32 sum (about K * 2^-24 relative) and far
below the error of a wrong index or a lost remainder (O(1)).
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402
from norm_mlir.memref import bf16_to_f32, f32_to_bf16  # noqa: E402

OPT = norm_mlir.find_opt()

pytestmark = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")

EPS = 1e-5


def _matmul(m, k, n):
    return f"""
func.func @f(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>,
             %out: tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


def _rms_matmul(m, k, n, constants=None):
    """rms_norm(x, w) @ b into a zero-filled destination. With `constants`
    (w, b), the norm weight and the matrix are constants, the form
    norm-flash-norm folds; else they are arguments."""
    args = f"%w: tensor<{k}xf32>, %b: tensor<{k}x{n}xf32>, "
    body = ""
    if constants is not None:
        w, b = constants
        args = ""
        body = f"""
  %w = arith.constant {_dense_literal(w)} : tensor<{k}xf32>
  %b = arith.constant {_dense_literal(b)} : tensor<{k}x{n}xf32>"""
    return f"""
func.func @f(%x: tensor<{m}x{k}xf32>, {args}%out: tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{{body}
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = norm.rms_norm %x weight(%w : tensor<{k}xf32>) axes = [1] epsilon = 1.0e-05 : tensor<{m}x{k}xf32>
  %r = linalg.matmul ins(%y, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


def _batch_matmul(bt, m, k, n):
    return f"""
func.func @f(%a: tensor<{bt}x{m}x{k}xf32>, %b: tensor<{bt}x{k}x{n}xf32>,
             %out: tensor<{bt}x{m}x{n}xf32>) -> tensor<{bt}x{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{bt}x{m}x{n}xf32>) -> tensor<{bt}x{m}x{n}xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<{bt}x{m}x{k}xf32>, tensor<{bt}x{k}x{n}xf32>)
                           outs(%acc : tensor<{bt}x{m}x{n}xf32>) -> tensor<{bt}x{m}x{n}xf32>
  return %r : tensor<{bt}x{m}x{n}xf32>
}}"""


def _qk_generic(bt, m, k, n):
    """scores[b, m, n] = sum_k q[b, m, k] * key[b, n, k] (attention's q @ k^T)."""
    return f"""
func.func @f(%q: tensor<{bt}x{m}x{k}xf32>, %key: tensor<{bt}x{n}x{k}xf32>,
             %out: tensor<{bt}x{m}x{n}xf32>) -> tensor<{bt}x{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{bt}x{m}x{n}xf32>) -> tensor<{bt}x{m}x{n}xf32>
  %r = linalg.generic {{indexing_maps = [
      affine_map<(b, i, j, l) -> (b, i, l)>, affine_map<(b, i, j, l) -> (b, j, l)>,
      affine_map<(b, i, j, l) -> (b, i, j)>],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}}
      ins(%q, %key : tensor<{bt}x{m}x{k}xf32>, tensor<{bt}x{n}x{k}xf32>)
      outs(%acc : tensor<{bt}x{m}x{n}xf32>) {{
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }} -> tensor<{bt}x{m}x{n}xf32>
  return %r : tensor<{bt}x{m}x{n}xf32>
}}"""


def _matmul_bf16(m, k, n):
    return f"""
func.func @f(%a: tensor<{m}x{k}xbf16>, %b: tensor<{k}x{n}xbf16>,
             %out: tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xbf16>, tensor<{k}x{n}xbf16>)
                     outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


def _matmul_dynamic(k, n):
    return f"""
func.func @f(%a: tensor<?x{k}xf32>, %b: tensor<{k}x{n}xf32>,
             %out: tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%acc : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  return %r : tensor<?x{n}xf32>
}}"""


def _matmul_dynamic_n(m, k):
    return f"""
func.func @f(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x?xf32>,
             %out: tensor<{m}x?xf32>) -> tensor<{m}x?xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x?xf32>) -> tensor<{m}x?xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x?xf32>)
                     outs(%acc : tensor<{m}x?xf32>) -> tensor<{m}x?xf32>
  return %r : tensor<{m}x?xf32>
}}"""


def _rms_ref(x, w):
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + EPS) * w


def _case(name, rng):
    """(IR, inputs, output shape, reference in float64, K, vectorized)."""
    r = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    if name.startswith("rms_matmul"):
        # N = 64: norm-pack-constant-rhs packs W (a multiple of its panel
        # width) and folds FlashNorm's row scaling into the packed shape;
        # N = 53: neither.
        m, k, n = 37, 96, 64 if name.endswith("_packed") else 53
        x, w, b = r(m, k), np.abs(r(k)) + 0.5, r(k, n)
        if "_flashnorm" in name:
            return (_rms_matmul(m, k, n, constants=(w, b)), [x], (m, n),
                    _rms_ref(x, w) @ b, k, True)
        return (_rms_matmul(m, k, n), [x, w, b], (m, n), _rms_ref(x, w) @ b, k,
                True)
    if name == "batch_matmul":
        bt, m, k, n = 3, 37, 29, 53
        a, b = r(bt, m, k), r(bt, k, n)
        return (_batch_matmul(bt, m, k, n), [a, b], (bt, m, n),
                a.astype(np.float64) @ b, k, True)
    if name == "qk_generic":
        bt, m, k, n = 2, 19, 16, 45
        q, key = r(bt, m, k), r(bt, n, k)
        return (_qk_generic(bt, m, k, n), [q, key], (bt, m, n),
                q.astype(np.float64) @ key.transpose(0, 2, 1), k, True)
    if name == "matmul_bf16":
        m, k, n = 21, 40, 35
        # f32 arrays of bf16 values: the runtime converts them exactly.
        a = bf16_to_f32(f32_to_bf16(r(m, k)))
        b = bf16_to_f32(f32_to_bf16(r(k, n)))
        ref = a.astype(np.float64) @ b
        return _matmul_bf16(m, k, n), [a, b], (m, n), ref, k, True
    if name == "matmul_dynamic":
        m, k, n = 13, 24, 40
        a, b = r(m, k), r(k, n)
        return (_matmul_dynamic(k, n), [a, b], (m, n), a.astype(np.float64) @ b,
                k, True)
    if name == "matmul_dynamic_n":
        m, k, n = 13, 24, 40
        a, b = r(m, k), r(k, n)
        return (_matmul_dynamic_n(m, k), [a, b], (m, n),
                a.astype(np.float64) @ b, k, False)
    if name.startswith("matmul_"):
        m, k, n = map(int, name.split("_")[1].split("x"))
        a, b = r(m, k), r(k, n)
        return _matmul(m, k, n), [a, b], (m, n), a.astype(np.float64) @ b, k, True
    raise ValueError(name)


CASES = ["matmul_37x29x53", "matmul_8x32x32", "matmul_64x48x96",
         "matmul_5x7x3", "rms_matmul", "rms_matmul_flashnorm",
         "rms_matmul_flashnorm_packed",
         "batch_matmul", "qk_generic", "matmul_bf16", "matmul_dynamic",
         "matmul_dynamic_n"]


def _pipeline(name, tile):
    inner = norm_mlir.norm_pipeline(**{"tile-contractions": tile})
    if "_flashnorm" in name:
        inner = inner.replace("builtin.module(", "builtin.module(norm-flash-norm,")
    return inner


@pytest.mark.parametrize("name", CASES)
def test_contraction_numerics(name):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    ir, inputs, out_shape, ref, k, vectorized = _case(name, rng)
    scale = max(1.0, float(np.abs(ref).max()))
    if "_flashnorm" in name:
        folded = subprocess.run([OPT, "--norm-flash-norm"], input=ir,
                                capture_output=True, text=True, check=True)
        assert "rstd(" in folded.stdout, "norm-flash-norm did not fold"
    for tile in (True, False):
        pipeline = _pipeline(name, tile)
        mod = norm_mlir.compile_mlir(ir, opt=OPT, pipeline=pipeline)
        out = np.full(out_shape, np.nan, np.float32)
        y = mod["f"](*inputs, out)
        err = float(np.abs(y.astype(np.float64) - ref).max()) / scale
        assert err <= 2e-6 * k, (name, tile, err)
        # Written into the destination, not into a buffer of its own
        # (FlashNorm's row scaling updates the matmul's result in place).
        assert np.shares_memory(y, out), (name, tile)


@pytest.mark.parametrize("name", CASES)
def test_contraction_is_vectorized(name):
    """The default pipeline emits vector FMAs for static contractions and
    leaves the dynamic one to (scalar) loops."""
    ir, *_, vectorized = _case(name, np.random.default_rng(0))
    lowered = subprocess.run(
        [OPT, f"--pass-pipeline={_pipeline(name, True)}"], input=ir,
        capture_output=True, text=True, check=True).stdout
    # vector.fma lowers to llvm.intr.fmuladd (an FMA instruction on x86).
    has_vector_fma = any(("llvm.intr.fma" in line or "llvm.intr.fmuladd" in line)
                         and "vector<" in line for line in lowered.splitlines())
    assert has_vector_fma == vectorized, name


def _dense_literal(array):
    """An MLIR dense literal of the f32 `array` (hex, exact)."""
    return 'dense<"0x' + np.ascontiguousarray(array, "<f4").tobytes().hex().upper() + '">'


def _const_matmul(w, m, rms=False, transposed=False):
    """x @ W (or rms_norm(x) @ W) with W a constant of the program: what
    norm-pack-constant-rhs packs into panels at compile time. With
    `transposed`, W is stored as W^T and transposed by linalg.transpose, as
    torch-mlir writes nn.Linear."""
    k, n = w.shape
    norm = ""
    lhs = "%x"
    if rms:
        norm = (f"  %y = norm.rms_norm %x axes = [1] epsilon = 1.0e-05 : "
                f"tensor<{m}x{k}xf32>\n")
        lhs = "%y"
    if transposed:
        weight = f"""  %wt = arith.constant {_dense_literal(w.T)} : tensor<{n}x{k}xf32>
  %we = tensor.empty() : tensor<{k}x{n}xf32>
  %w = linalg.transpose ins(%wt : tensor<{n}x{k}xf32>) outs(%we : tensor<{k}x{n}xf32>) permutation = [1, 0]"""
    else:
        weight = f"  %w = arith.constant {_dense_literal(w)} : tensor<{k}x{n}xf32>"
    return f"""
func.func @f(%x: tensor<{m}x{k}xf32>, %out: tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
{weight}
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
{norm}  %r = linalg.matmul ins({lhs}, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


@pytest.mark.parametrize("m,k,n,rms,transposed", [
    (37, 29, 96, False, False), (64, 48, 128, True, False),
    (8, 16, 64, False, False), (5, 7, 40, False, False),
    (37, 29, 96, False, True), (16, 64, 64, True, True)])
def test_constant_rhs_packed(m, k, n, rms, transposed):
    """A constant right operand (or the transpose of one) is packed into
    panels of 32 columns (N = 40 is not a multiple: not packed). Packed and
    unpacked programs multiply and add in the same order, so they agree
    bitwise; both are checked against numpy in float64."""
    rng = np.random.default_rng(m * 1000 + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((k, n)).astype(np.float32)
    lhs = x.astype(np.float64)
    if rms:
        lhs = lhs / np.sqrt(np.mean(lhs * lhs, axis=1, keepdims=True) + EPS)
    ref = lhs @ w
    ir = _const_matmul(w, m, rms, transposed)
    packed_ir = subprocess.run(
        [OPT, "--pass-pipeline=builtin.module(func.func(norm-pack-constant-rhs))"],
        input=ir, capture_output=True, text=True, check=True).stdout
    assert ("linalg.matmul" not in packed_ir) == (n % 32 == 0), n
    outs = {}
    for pack in (True, False):
        pipeline = norm_mlir.norm_pipeline(**{"pack-constant-rhs": pack})
        mod = norm_mlir.compile_mlir(ir, opt=OPT, pipeline=pipeline)
        y = mod["f"](x, np.full((m, n), np.nan, np.float32))
        scale = max(1.0, float(np.abs(ref).max()))
        err = float(np.abs(y.astype(np.float64) - ref).max()) / scale
        assert err <= 2e-6 * k, (pack, err)
        outs[pack] = y
    assert np.array_equal(outs[True], outs[False])
