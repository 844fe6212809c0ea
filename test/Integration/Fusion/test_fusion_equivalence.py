"""Fused-vs-unfused equivalence of the fusion passes, on data.

Each case is a small program with a normalization followed (or preceded) by
what a fusion pass absorbs. It is compiled twice for the CPU: as written, and
after `norm-fuse-residual, norm-fuse-bias, norm-fuse-activation`. The test
checks that the fusion really happened (the fused IR no longer has the
separate op and the norm op carries the fused form) and that both programs
give the same outputs on random data.

Tolerances: f32 programs must agree to 2e-6 (relative to max(1, |y|)): both
compute in f32 and differ only in where the activation is applied to the
unrounded normalized value (the same value in f32). bf16 programs round the
normalized value to bf16 before the separate activation but not before the
fused one, so they may differ by that rounding (2^-9 relative) propagated
through the activation (slope <= 1.13 for GELU) plus one output rounding
(2^-9): 2^-7 relative to max(1, |y|) covers both.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402

OPT = norm_mlir.find_opt()
FUSION = "norm-fuse-residual,norm-fuse-bias,norm-fuse-activation"
# Frontends' elementwise forms (TOSA, arith/math on tensors) first.
FRONT = ("func.func(tosa-to-linalg-named,tosa-to-linalg),"
         "func.func(convert-elementwise-to-linalg)")

pytestmark = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")

ID2 = "affine_map<(d0, d1) -> (d0, d1)>"
ID3 = "affine_map<(d0, d1, d2) -> (d0, d1, d2)>"
ID4 = "affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>"


def _gelu_erf(x):
    """Payload lines of the exact GELU of the f32 value `x` as frontends
    write it, 0.5 * x * (1 + erf(x / sqrt 2)), into %r."""
    return f"""    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rs2 = arith.constant 0.707106769 : f32
    %d = arith.mulf {x}, %rs2 : f32
    %erf = math.erf %d : f32
    %p = arith.addf %erf, %one : f32
    %h = arith.mulf %half, {x} : f32
    %r = arith.mulf %h, %p : f32
"""


CASES = {
    # name: (mlir, expected substrings of the fused IR, forbidden ones)
    "layer_norm_relu_generic": ("""
func.func @f(%x: tensor<16x37xf32>, %w: tensor<37xf32>) -> tensor<16x37xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.layer_norm %x weight(%w : tensor<37xf32>) axes = [1] : tensor<16x37xf32>
  %e = tensor.empty() : tensor<16x37xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<16x37xf32>) outs(%e : tensor<16x37xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %r = arith.maximumf %c0, %a : f32
    linalg.yield %r : f32
  } -> tensor<16x37xf32>
  return %y : tensor<16x37xf32>
}""", ["activation = relu"], ["linalg.generic"]),
    "rms_norm_leaky_select": ("""
func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.rms_norm %x axes = [1] : tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x64xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %s = arith.constant 0.1 : f32
    %gt = arith.cmpf ogt, %a, %c0 : f32
    %m = arith.mulf %s, %a : f32
    %r = arith.select %gt, %a, %m : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}""", ["activation = leaky_relu"], ["linalg.generic"]),
    "group_norm_gelu_bf16": ("""
func.func @f(%x: tensor<2x8x5x5xbf16>) -> tensor<2x8x5x5xbf16>
    attributes {llvm.emit_c_interface} {
  %n = norm.group_norm %x groups = 4 : tensor<2x8x5x5xbf16>
  %e = tensor.empty() : tensor<2x8x5x5xbf16>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%n : tensor<2x8x5x5xbf16>) outs(%e : tensor<2x8x5x5xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %f = arith.extf %a : bf16 to f32
""" + _gelu_erf("%f") + """    %t = arith.truncf %r : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<2x8x5x5xbf16>
  return %y : tensor<2x8x5x5xbf16>
}""", ["activation = gelu"], ["linalg.generic"]),
    # bf16 arithmetic with constants rounded to bf16 (TOSA's bf16 GELU):
    # matched at bf16's precision (docs/fusion.md). The unfused payload
    # rounds after each of its five ops (2^-9 each, through slopes <= 1.13):
    # within 2^-6 of the fused result, which rounds once.
    "layer_norm_gelu_bf16_rounded": ("""
func.func @f(%x: tensor<6x48xbf16>) -> tensor<6x48xbf16>
    attributes {llvm.emit_c_interface} {
  %n = norm.layer_norm %x axes = [1] : tensor<6x48xbf16>
  %e = tensor.empty() : tensor<6x48xbf16>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<6x48xbf16>) outs(%e : tensor<6x48xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %half = arith.constant 5.000000e-01 : bf16
    %rs2 = arith.constant 7.070310e-01 : bf16
    %one = arith.constant 1.000000e+00 : bf16
    %h = arith.mulf %a, %half : bf16
    %s = arith.mulf %a, %rs2 : bf16
    %f = math.erf %s : bf16
    %p = arith.addf %f, %one : bf16
    %r = arith.mulf %h, %p : bf16
    linalg.yield %r : bf16
  } -> tensor<6x48xbf16>
  return %y : tensor<6x48xbf16>
}""", ["activation = gelu"], ["linalg.generic"]),
    # With a weight the fused gelu computes x/2 from a halved weight and
    # bias (convert-norm-to-linalg's buildGeluOfHalf).
    "layer_norm_affine_gelu": ("""
func.func @f(%x: tensor<6x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) -> tensor<6x48xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.layer_norm %x weight(%w : tensor<48xf32>) bias(%b : tensor<48xf32>) axes = [1] : tensor<6x48xf32>
  %e = tensor.empty() : tensor<6x48xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<6x48xf32>) outs(%e : tensor<6x48xf32>) {
  ^bb0(%a: f32, %o: f32):
""" + _gelu_erf("%a") + """    linalg.yield %r : f32
  } -> tensor<6x48xf32>
  return %y : tensor<6x48xf32>
}""", ["activation = gelu"], ["linalg.generic"]),
    "batch_norm_silu_tensor_ops": ("""
func.func @f(%x: tensor<4x6x3x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) -> tensor<4x6x3x3xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.batch_norm_inference %x mean(%m : tensor<6xf32>) var(%v : tensor<6xf32>) : tensor<4x6x3x3xf32>
  %y = math.tanh %n : tensor<4x6x3x3xf32>
  return %y : tensor<4x6x3x3xf32>
}""", ["activation = tanh"], ["math.tanh"]),
    "tosa_clamp_relu": ("""
func.func @f(%x: tensor<8x32xf32>) -> tensor<8x32xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.layer_norm %x axes = [1] : tensor<8x32xf32>
  %y = tosa.clamp %n {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}""", ["activation = relu"], ["tosa.clamp"]),
    "residual_stream_rms_norm": ("""
func.func @f(%x: tensor<?x48xf32>, %r: tensor<?x48xf32>, %w: tensor<48xf32>)
    -> (tensor<?x48xf32>, tensor<?x48xf32>) attributes {llvm.emit_c_interface} {
  %s = arith.addf %x, %r : tensor<?x48xf32>
  %y = norm.rms_norm %s weight(%w : tensor<48xf32>) axes = [1] : tensor<?x48xf32>
  return %y, %s : tensor<?x48xf32>, tensor<?x48xf32>
}""", ["residual(", "residual_sum("], ["arith.addf"]),
    "residual_used_before_norm": ("""
func.func @f(%x: tensor<6x40xf32>, %r: tensor<6x40xf32>, %w: tensor<40xf32>)
    -> (tensor<6x40xf32>, tensor<6x40xf32>) attributes {llvm.emit_c_interface} {
  %s = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<6x40xf32>, tensor<6x40xf32>) outs(%x : tensor<6x40xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %b, %a : f32
    linalg.yield %v : f32
  } -> tensor<6x40xf32>
  %t = math.tanh %s : tensor<6x40xf32>
  %y = norm.layer_norm %s weight(%w : tensor<40xf32>) axes = [1] : tensor<6x40xf32>
  return %y, %t : tensor<6x40xf32>, tensor<6x40xf32>
}""", ["residual_sum("], []),
    "layer_norm_bias_then_gelu_tanh": ("""
func.func @f(%x: tensor<3x5x24xf32>, %b: tensor<24xf32>) -> tensor<3x5x24xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.layer_norm %x axes = [2] : tensor<3x5x24xf32>
  %e = tensor.empty() : tensor<3x5x24xf32>
  %z = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%n, %b : tensor<3x5x24xf32>, tensor<24xf32>) outs(%e : tensor<3x5x24xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %c, %a : f32
    linalg.yield %v : f32
  } -> tensor<3x5x24xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z : tensor<3x5x24xf32>) outs(%e : tensor<3x5x24xf32>) {
  ^bb0(%a: f32, %o: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %k = arith.constant 0.797884583 : f32
    %c = arith.constant 0.044715 : f32
    %a3 = arith.mulf %a, %a : f32
    %a33 = arith.mulf %a3, %a : f32
    %ca3 = arith.mulf %c, %a33 : f32
    %in = arith.addf %a, %ca3 : f32
    %kin = arith.mulf %k, %in : f32
    %t = math.tanh %kin : f32
    %p = arith.addf %one, %t : f32
    %h = arith.mulf %a, %half : f32
    %r = arith.mulf %h, %p : f32
    linalg.yield %r : f32
  } -> tensor<3x5x24xf32>
  return %y : tensor<3x5x24xf32>
}""", ["bias(", "activation = gelu_tanh"], ["linalg.generic"]),
    # MobileNet's and YOLO's activations as torch-mlir writes them; weights
    # (2 * N(0.5, 1)) take the outputs across the kinks at -3, 0, 3 and 6.
    "layer_norm_relu6_broadcast_constant": ("""
func.func @f(%x: tensor<6x40xf32>, %w: tensor<40xf32>) -> tensor<6x40xf32>
    attributes {llvm.emit_c_interface} {
  %six = arith.constant dense<6.0> : tensor<f32>
  %n = norm.layer_norm %x weight(%w : tensor<40xf32>) axes = [1] : tensor<6x40xf32>
  %e = tensor.empty() : tensor<6x40xf32>
  %y = linalg.generic {indexing_maps = [#id2, affine_map<(d0, d1) -> ()>, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n, %six : tensor<6x40xf32>, tensor<f32>) outs(%e : tensor<6x40xf32>) {
  ^bb0(%a: f32, %c6: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %gt = arith.cmpf ogt, %a, %c0 : f32
    %r = arith.select %gt, %a, %c0 : f32
    %lt = arith.cmpf olt, %c6, %r : f32
    %r6 = arith.select %lt, %c6, %r : f32
    linalg.yield %r6 : f32
  } -> tensor<6x40xf32>
  return %y : tensor<6x40xf32>
}""", ["activation = relu6"], ["linalg.generic"]),
    "group_norm_hardswish": ("""
func.func @f(%x: tensor<2x8x25xf32>, %w: tensor<8xf32>) -> tensor<2x8x25xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.group_norm %x weight(%w : tensor<8xf32>) groups = 4 : tensor<2x8x25xf32>
  %e = tensor.empty() : tensor<2x8x25xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%n : tensor<2x8x25xf32>) outs(%e : tensor<2x8x25xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c3 = arith.constant 3.0 : f32
    %c6 = arith.constant 6.0 : f32
    %p = arith.addf %a, %c3 : f32
    %lt = arith.cmpf ult, %p, %c0 : f32
    %lo = arith.select %lt, %c0, %p : f32
    %gt = arith.cmpf ugt, %lo, %c6 : f32
    %hi = arith.select %gt, %c6, %lo : f32
    %m = arith.mulf %a, %hi : f32
    %r = arith.divf %m, %c6 : f32
    linalg.yield %r : f32
  } -> tensor<2x8x25xf32>
  return %y : tensor<2x8x25xf32>
}""", ["activation = hardswish"], ["linalg.generic"]),
    "batch_norm_hardsigmoid_max_min": ("""
func.func @f(%x: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<2x4x3x3xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.batch_norm_inference %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) weight(%w : tensor<4xf32>) : tensor<2x4x3x3xf32>
  %e = tensor.empty() : tensor<2x4x3x3xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%n : tensor<2x4x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c1 = arith.constant 1.0 : f32
    %sixth = arith.constant 0.166666672 : f32
    %half = arith.constant 0.5 : f32
    %s = arith.mulf %a, %sixth : f32
    %t = arith.addf %s, %half : f32
    %lo = arith.maximumf %t, %c0 : f32
    %hi = arith.minimumf %lo, %c1 : f32
    linalg.yield %hi : f32
  } -> tensor<2x4x3x3xf32>
  return %y : tensor<2x4x3x3xf32>
}""", ["activation = hardsigmoid"], ["linalg.generic"]),
    "rms_norm_mish_softplus_threshold": ("""
func.func @f(%x: tensor<6x40xf32>, %w: tensor<40xf32>) -> tensor<6x40xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.rms_norm %x weight(%w : tensor<40xf32>) axes = [1] : tensor<6x40xf32>
  %e = tensor.empty() : tensor<6x40xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<6x40xf32>) outs(%e : tensor<6x40xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c20 = arith.constant 20.0 : f32
    %ex = math.exp %a : f32
    %sp = math.log1p %ex : f32
    %gt = arith.cmpf ogt, %a, %c20 : f32
    %s = arith.select %gt, %a, %sp : f32
    %t = math.tanh %s : f32
    %r = arith.mulf %a, %t : f32
    linalg.yield %r : f32
  } -> tensor<6x40xf32>
  return %y : tensor<6x40xf32>
}""", ["activation = mish"], ["linalg.generic"]),
    "batch_norm_broadcast_bias_existing": ("""
func.func @f(%x: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %b0: tensor<4xf32>, %b1: tensor<4xf32>) -> tensor<2x4x3x3xf32>
    attributes {llvm.emit_c_interface} {
  %n = norm.batch_norm_inference %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) bias(%b0 : tensor<4xf32>) : tensor<2x4x3x3xf32>
  %e = tensor.empty() : tensor<2x4x3x3xf32>
  %bb = linalg.broadcast ins(%b1 : tensor<4xf32>) outs(%e : tensor<2x4x3x3xf32>) dimensions = [0, 2, 3]
  %y = linalg.add ins(%n, %bb : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  return %y : tensor<2x4x3x3xf32>
}""", ["bias("], ["linalg.broadcast"]),
}

HEADER = (f"#id2 = {ID2}\n#id3 = {ID3}\n#id4 = {ID4}\n")


def _fused_ir(text):
    out = subprocess.run(
        [OPT, f"--pass-pipeline=builtin.module({FUSION})"], input=text,
        capture_output=True, text=True, check=True)
    return out.stdout


def _inputs(sig, rng):
    """Random inputs for the signature; variances positive, dynamic dims 7."""
    arrays = []
    for i, arg in enumerate(sig.args):
        shape = [d if d is not None else 7 for d in arg.shape]
        data = rng.standard_normal(shape) * 2.0 + 0.5
        if len(shape) == 1 and i == 2 and "var" in str(arg):
            data = np.abs(data)
        arrays.append(data)
    return arrays


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_equals_unfused(name):
    body, expected, forbidden = CASES[name]
    text = HEADER + body
    fused = _fused_ir(text)
    func_body = fused[fused.index("func.func"):]
    for piece in expected:
        assert piece in func_body, f"fusion did not produce {piece!r}:\n{fused}"
    for piece in forbidden:
        assert piece not in func_body, f"{piece!r} survived fusion:\n{fused}"

    pipeline = norm_mlir.norm_pipeline()
    inner = pipeline[len("builtin.module("):-1]
    unfused_mod = norm_mlir.compile_mlir(
        text, opt=OPT, pipeline=f"builtin.module({FRONT},{inner})")
    fused_mod = norm_mlir.compile_mlir(
        text, opt=OPT, pipeline=f"builtin.module({FUSION},{FRONT},{inner})")

    fn_unfused, fn_fused = unfused_mod["f"], fused_mod["f"]
    rng = np.random.default_rng(abs(hash(name)) % (2**32))
    args = []
    for arg in fn_unfused.sig.args:
        shape = [d if d is not None else 7 for d in arg.shape]
        data = rng.standard_normal(shape).astype(np.float32) * 2.0 + 0.5
        args.append(data)
    # Running variances must be positive.
    if "batch_norm" in name:
        args[2] = np.abs(args[2]) + 0.1
    is_bf16 = any(a.elem == "bf16" for a in fn_unfused.sig.args)
    if is_bf16:
        args = [norm_mlir.f32_to_bf16(a) if ty.elem == "bf16" else a
                for a, ty in zip(args, fn_unfused.sig.args)]
    out_u = fn_unfused(*[a.copy() for a in args])
    out_f = fn_fused(*[a.copy() for a in args])
    out_u = out_u if isinstance(out_u, tuple) else (out_u,)
    out_f = out_f if isinstance(out_f, tuple) else (out_f,)
    tol = 2.0 ** -7 if is_bf16 else 2e-6
    if name.endswith("_rounded"):
        tol = 2.0 ** -6
    for k, (u, f) in enumerate(zip(out_u, out_f)):
        if is_bf16 and u.dtype != np.float32:
            u, f = norm_mlir.bf16_to_f32(u), norm_mlir.bf16_to_f32(f)
        u, f = np.asarray(u, np.float64), np.asarray(f, np.float64)
        assert u.shape == f.shape
        err = np.max(np.abs(u - f) / np.maximum(1.0, np.abs(u)))
        assert err <= tol, (f"{name} result {k}: fused and unfused differ by "
                            f"{err:.3g} (tolerance {tol:.3g})")
        assert np.all(np.isfinite(u))


# --- Folding into linear ops and FlashNorm ----------------------------------
#
# Each case is compiled as written and after one of `norm-fold-into-linear`
# and `norm-flash-norm`; the constants are random (fixed seed). Tolerances,
# relative to max(1, |y|), f32: the folded program rounds the scaled weights
# once more and sums in another order: a few ulps of the sum of |terms|
# (K <= 48 terms of size <= ~10 here), 2e-5. FlashNorm with layer norm
# subtracts mean * colsum(W') after the matmul instead of before: both terms
# are of size |mean| * |colsum| (~ 1 * 10 here) and of x @ W' (~ 30), so
# their f32 rounding leaves ~ 30 * 2^-24 * sqrt(K) ~ 1e-5 relative, scaled
# by rstd (< 1): 3e-5. Measured: 1e-6 to 5e-6 for every case.

_RNG = np.random.default_rng(1234)


def _dense(array):
    """An MLIR dense literal of the float array."""
    def rec(a):
        if a.ndim == 0:
            return repr(float(a))
        return "[" + ", ".join(rec(x) for x in a) + "]"
    return f"dense<{rec(np.asarray(array, np.float64))}>"


def _rand(*shape, lo=None):
    data = _RNG.standard_normal(shape)
    if lo is not None:
        data = np.abs(data) + lo
    return np.round(data, 4)


_W_NHWC = _dense(_rand(3, 3, 3, 4))
_W_NCHW = _dense(_rand(4, 3, 3, 3))
_W_MM = _dense(_rand(32, 48))
_W_MM_T = _dense(_rand(48, 32))
_BN4 = {k: _dense(v) for k, v in dict(m=_rand(4), v=_rand(4, lo=0.1),
                                      g=_rand(4), b=_rand(4),
                                      c=_rand(4)).items()}
_BN48 = {k: _dense(v) for k, v in dict(m=_rand(48), v=_rand(48, lo=0.1),
                                       g=_rand(48), b=_rand(48)).items()}
_STD32 = _rand(32, lo=0.2)
_STD32[3] = 0.0  # standardize divides by 1 there
_NORM32 = {k: _dense(v) for k, v in dict(m=_rand(32), s=_STD32,
                                         w=_rand(32), b=_rand(32)).items()}
_IMG3 = {k: _dense(v) for k, v in dict(m=_rand(3), s=_rand(3, lo=0.2)).items()}

LINEAR_CASES = {
    # name: (pass, mlir, expected substrings of the rewritten IR, forbidden,
    #        tolerance)
    "fold_bn_after_conv_nhwc_bias_relu": ("norm-fold-into-linear", f"""
func.func @f(%x: tensor<2x6x6x3xf32>) -> tensor<2x4x4x4xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_W_NHWC} : tensor<3x3x3x4xf32>
  %cb = arith.constant {_BN4['c']} : tensor<4xf32>
  %m = arith.constant {_BN4['m']} : tensor<4xf32>
  %v = arith.constant {_BN4['v']} : tensor<4xf32>
  %g = arith.constant {_BN4['g']} : tensor<4xf32>
  %b = arith.constant {_BN4['b']} : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%x, %w : tensor<2x6x6x3xf32>, tensor<3x3x3x4xf32>) outs(%acc : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %cb2 = linalg.generic {{indexing_maps = [#id4, affine_map<(d0, d1, d2, d3) -> (d3)>, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%c, %cb : tensor<2x4x4x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4x4x4xf32>) {{
  ^bb0(%a: f32, %s: f32, %o: f32):
    %r = arith.addf %a, %s : f32
    linalg.yield %r : f32
  }} -> tensor<2x4x4x4xf32>
  %y = norm.batch_norm_inference %cb2 mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) weight(%g : tensor<4xf32>) bias(%b : tensor<4xf32>) feature_axis = 3 activation = relu : tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}}""", ["linalg.conv_2d_nhwc_hwcf", "arith.cmpf ogt", "arith.select"],
        ["norm.batch_norm_inference"], 2e-5),
    "fold_bn_after_conv_nchw_broadcast_init": ("norm-fold-into-linear", f"""
func.func @f(%x: tensor<1x3x7x7xf32>) -> tensor<1x4x3x3xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_W_NCHW} : tensor<4x3x3x3xf32>
  %cb = arith.constant {_BN4['c']} : tensor<4xf32>
  %m = arith.constant {_BN4['m']} : tensor<4xf32>
  %v = arith.constant {_BN4['v']} : tensor<4xf32>
  %g = arith.constant {_BN4['g']} : tensor<4xf32>
  %e = tensor.empty() : tensor<1x4x3x3xf32>
  %acc = linalg.broadcast ins(%cb : tensor<4xf32>) outs(%e : tensor<1x4x3x3xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}}
      ins(%x, %w : tensor<1x3x7x7xf32>, tensor<4x3x3x3xf32>) outs(%acc : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %y = norm.batch_norm_inference %c mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) weight(%g : tensor<4xf32>) : tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}}""", ["linalg.conv_2d_nchw_fchw"], ["norm.batch_norm_inference"], 2e-5),
    "fold_bn_after_matmul_transposed_b": ("norm-fold-into-linear", f"""
func.func @f(%x: tensor<5x32xf32>) -> tensor<5x48xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_W_MM_T} : tensor<48x32xf32>
  %m = arith.constant {_BN48['m']} : tensor<48xf32>
  %v = arith.constant {_BN48['v']} : tensor<48xf32>
  %g = arith.constant {_BN48['g']} : tensor<48xf32>
  %b = arith.constant {_BN48['b']} : tensor<48xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x48xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<5x48xf32>) -> tensor<5x48xf32>
  %mm = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%x, %w : tensor<5x32xf32>, tensor<48x32xf32>) outs(%acc : tensor<5x48xf32>) -> tensor<5x48xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<48xf32>) var(%v : tensor<48xf32>) weight(%g : tensor<48xf32>) bias(%b : tensor<48xf32>) activation = gelu : tensor<5x48xf32>
  return %y : tensor<5x48xf32>
}}""", ["linalg.matmul"], ["norm.batch_norm_inference"], 2e-5),
    "fold_standardize_before_matmul": ("norm-fold-into-linear", f"""
func.func @f(%x: tensor<?x32xf32>, %acc: tensor<?x48xf32>) -> tensor<?x48xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_W_MM} : tensor<32x48xf32>
  %m = arith.constant {_NORM32['m']} : tensor<32xf32>
  %s = arith.constant {_NORM32['s']} : tensor<32xf32>
  %n = norm.standardize %x, %m, %s axes = [0] : tensor<?x32xf32>, tensor<32xf32>
  %y = linalg.matmul ins(%n, %w : tensor<?x32xf32>, tensor<32x48xf32>) outs(%acc : tensor<?x48xf32>) -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}}""", ["linalg.matmul"], ["norm.standardize"], 2e-5),
    "fold_image_normalize_before_conv_nhwc": ("norm-fold-into-linear", f"""
func.func @f(%x: tensor<2x6x6x3xf32>) -> tensor<2x4x4x4xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_W_NHWC} : tensor<3x3x3x4xf32>
  %m = arith.constant {_IMG3['m']} : tensor<3xf32>
  %s = arith.constant {_IMG3['s']} : tensor<3xf32>
  %n = norm.image_normalize %x, %m, %s layout = nhwc scale = 0.5 : tensor<2x6x6x3xf32>, tensor<3xf32> -> tensor<2x6x6x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%n, %w : tensor<2x6x6x3xf32>, tensor<3x3x3x4xf32>) outs(%acc : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  return %c : tensor<2x4x4x4xf32>
}}""", ["linalg.conv_2d_nhwc_hwcf"], ["norm.image_normalize"], 2e-5),
    "flash_rms_norm_residual_matmul": ("norm-flash-norm", f"""
func.func @f(%x: tensor<?x32xf32>, %r: tensor<?x32xf32>) -> (tensor<?x48xf32>, tensor<?x32xf32>)
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_NORM32['w']} : tensor<32xf32>
  %W = arith.constant {_W_MM} : tensor<32x48xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%d) : tensor<?x48xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x48xf32>) -> tensor<?x48xf32>
  %n, %s = norm.rms_norm %x weight(%w : tensor<32xf32>) residual(%r : tensor<?x32xf32>) axes = [1] : tensor<?x32xf32> residual_sum(tensor<?x32xf32>)
  %y = linalg.matmul ins(%n, %W : tensor<?x32xf32>, tensor<32x48xf32>) outs(%acc : tensor<?x48xf32>) -> tensor<?x48xf32>
  return %y, %s : tensor<?x48xf32>, tensor<?x32xf32>
}}""", ["rstd("], [], 2e-5),
    "flash_layer_norm_matmul_accumulate": ("norm-flash-norm", f"""
func.func @f(%x: tensor<6x32xf32>, %c: tensor<6x48xf32>) -> tensor<6x48xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_NORM32['w']} : tensor<32xf32>
  %b = arith.constant {_NORM32['b']} : tensor<32xf32>
  %W = arith.constant {_W_MM} : tensor<32x48xf32>
  %n = norm.layer_norm %x weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) axes = [1] : tensor<6x32xf32>
  %y = linalg.matmul ins(%n, %W : tensor<6x32xf32>, tensor<32x48xf32>) outs(%c : tensor<6x48xf32>) -> tensor<6x48xf32>
  return %y : tensor<6x48xf32>
}}""", ["stats("], [], 3e-5),
    "flash_layer_norm_two_projections": ("norm-flash-norm", f"""
func.func @f(%x: tensor<6x32xf32>) -> (tensor<6x48xf32>, tensor<6x48xf32>)
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_NORM32['w']} : tensor<32xf32>
  %b = arith.constant {_NORM32['b']} : tensor<32xf32>
  %Wq = arith.constant {_W_MM} : tensor<32x48xf32>
  %Wk = arith.constant {_W_MM_T} : tensor<48x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x48xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<6x48xf32>) -> tensor<6x48xf32>
  %n = norm.layer_norm %x weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) axes = [1] : tensor<6x32xf32>
  %q = linalg.matmul ins(%n, %Wq : tensor<6x32xf32>, tensor<32x48xf32>) outs(%acc : tensor<6x48xf32>) -> tensor<6x48xf32>
  %k = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%n, %Wk : tensor<6x32xf32>, tensor<48x32xf32>) outs(%acc : tensor<6x48xf32>) -> tensor<6x48xf32>
  return %q, %k : tensor<6x48xf32>, tensor<6x48xf32>
}}""", ["stats("], [], 3e-5),
}


@pytest.mark.parametrize("name", sorted(LINEAR_CASES))
def test_folded_equals_unfolded(name):
    pass_name, body, expected, forbidden, tol = LINEAR_CASES[name]
    text = HEADER + body
    rewritten = subprocess.run(
        [OPT, f"--pass-pipeline=builtin.module({pass_name})"], input=text,
        capture_output=True, text=True, check=True).stdout
    func_body = rewritten[rewritten.index("func.func"):]
    for piece in expected:
        assert piece in func_body, f"{pass_name} did not produce {piece!r}:\n{rewritten}"
    for piece in forbidden:
        assert piece not in func_body, f"{piece!r} survived {pass_name}:\n{rewritten}"

    pipeline = norm_mlir.norm_pipeline()
    inner = pipeline[len("builtin.module("):-1]
    plain = norm_mlir.compile_mlir(
        text, opt=OPT, pipeline=f"builtin.module({inner})")
    folded = norm_mlir.compile_mlir(
        text, opt=OPT, pipeline=f"builtin.module({pass_name},{inner})")
    fn_plain, fn_folded = plain["f"], folded["f"]
    rng = np.random.default_rng(abs(hash(name)) % (2**32))
    args = []
    for arg in fn_plain.sig.args:
        shape = [d if d is not None else 7 for d in arg.shape]
        args.append(rng.standard_normal(shape).astype(np.float32) * 2.0 + 0.5)
    out_p = fn_plain(*[a.copy() for a in args])
    out_f = fn_folded(*[a.copy() for a in args])
    out_p = out_p if isinstance(out_p, tuple) else (out_p,)
    out_f = out_f if isinstance(out_f, tuple) else (out_f,)
    assert len(out_p) == len(out_f)
    for k, (u, f) in enumerate(zip(out_p, out_f)):
        u, f = np.asarray(u, np.float64), np.asarray(f, np.float64)
        assert u.shape == f.shape
        assert np.all(np.isfinite(u))
        err = np.max(np.abs(u - f) / np.maximum(1.0, np.abs(u)))
        assert err <= tol, (f"{name} result {k}: rewritten and original "
                            f"differ by {err:.3g} (tolerance {tol:.3g})")
