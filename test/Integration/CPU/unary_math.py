"""Helpers of the tests of single math functions (test_erf.py, test_exp.py):
an elementwise function applying one `math` op, compiled by the default
pipeline, and f32 inputs covering every exponent."""

import numpy as np

import norm_mlir
from norm_opt_helpers import OPT, lower, needs_norm_opt  # noqa: F401


def unary_ir(op, n, elem):
    """@f(x: tensor<n x elem>, out) = `op`(x) elementwise, e.g. op="math.erf"."""
    return f"""
func.func @f(%x: tensor<{n}x{elem}>, %out: tensor<{n}x{elem}>) -> tensor<{n}x{elem}>
    attributes {{llvm.emit_c_interface}} {{
  %r = linalg.generic {{indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                        iterator_types = ["parallel"]}}
      ins(%x : tensor<{n}x{elem}>) outs(%out : tensor<{n}x{elem}>) {{
  ^bb0(%a: {elem}, %o: {elem}):
    %e = {op} %a : {elem}
    linalg.yield %e : {elem}
  }} -> tensor<{n}x{elem}>
  return %r : tensor<{n}x{elem}>
}}"""


def compile_unary(op, n, elem):
    """The compiled module of unary_ir (default pipeline and clang flags)."""
    return norm_mlir.compile_mlir(unary_ir(op, n, elem), opt=OPT)


def lowered_unary(op):
    """unary_ir of 1024 f32 lowered to the LLVM dialect, as text."""
    return lower(unary_ir(op, 1024, "f32"))


def random_finite_f32(rng, count):
    """Random f32 bit patterns: every exponent, both signs, NaN/inf out."""
    bits = rng.integers(0, 1 << 32, size=count, dtype=np.uint64)
    patterns = bits.astype(np.uint32).view(np.float32)
    return patterns[np.isfinite(patterns)]


def pad64(x):
    """`x` padded with zeros to a multiple of 64 elements."""
    return np.concatenate([x, np.zeros((-x.size) % 64, np.float32)])
