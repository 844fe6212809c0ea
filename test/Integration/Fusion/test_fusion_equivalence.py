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

import os
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
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rs2 = arith.constant 0.707106769 : f32
    %d = arith.mulf %f, %rs2 : f32
    %erf = math.erf %d : f32
    %p = arith.addf %erf, %one : f32
    %h = arith.mulf %half, %f : f32
    %r = arith.mulf %h, %p : f32
    %t = arith.truncf %r : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<2x8x5x5xbf16>
  return %y : tensor<2x8x5x5xbf16>
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
    for k, (u, f) in enumerate(zip(out_u, out_f)):
        if is_bf16 and u.dtype != np.float32:
            u, f = norm_mlir.bf16_to_f32(u), norm_mlir.bf16_to_f32(f)
        u, f = np.asarray(u, np.float64), np.asarray(f, np.float64)
        assert u.shape == f.shape
        err = np.max(np.abs(u - f) / np.maximum(1.0, np.abs(u)))
        assert err <= tol, (f"{name} result {k}: fused and unfused differ by "
                            f"{err:.3g} (tolerance {tol:.3g})")
        assert np.all(np.isfinite(u))
