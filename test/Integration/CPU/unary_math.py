"""Helpers of the tests of single math functions (test_erf.py, test_exp.py):
an elementwise function applying one `math` op, compiled by the default
pipeline, and f32 inputs covering every exponent."""

import numpy as np

import norm_mlir
from norm_opt_helpers import OPT, lower, needs_norm_opt  # noqa: F401


def unary_ir(op, n, elem, negate=False):
    """@f(x: tensor<n x elem>, out) = `op`(x) elementwise, e.g. op="math.erf"
    (`op`(-x) with `negate`)."""
    arg, negation = (("%m", f"%m = arith.negf %a : {elem}") if negate
                     else ("%a", ""))
    return f"""
func.func @f(%x: tensor<{n}x{elem}>, %out: tensor<{n}x{elem}>) -> tensor<{n}x{elem}>
    attributes {{llvm.emit_c_interface}} {{
  %r = linalg.generic {{indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                        iterator_types = ["parallel"]}}
      ins(%x : tensor<{n}x{elem}>) outs(%out : tensor<{n}x{elem}>) {{
  ^bb0(%a: {elem}, %o: {elem}):
    {negation}
    %e = {op} {arg} : {elem}
    linalg.yield %e : {elem}
  }} -> tensor<{n}x{elem}>
  return %r : tensor<{n}x{elem}>
}}"""


def unary_vector_ir(op, n, width=16, negate=False):
    """unary_ir on f32 written on `vector<width x f32>` (n a multiple of
    width): what the fused activation loops of a norm hold after
    norm-vectorize-row-outputs, which the vector-only forms of an
    approximation (AVX-512's) apply to."""
    arg, negation = (("%m", f"%m = arith.negf %v : vector<{width}xf32>")
                     if negate else ("%v", ""))
    return f"""
func.func @f(%x: tensor<{n}xf32>, %out: tensor<{n}xf32>) -> tensor<{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %c0 = arith.constant 0 : index
  %n = arith.constant {n} : index
  %step = arith.constant {width} : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %n step %step iter_args(%acc = %out) -> tensor<{n}xf32> {{
    %v = vector.transfer_read %x[%i], %pad {{in_bounds = [true]}} : tensor<{n}xf32>, vector<{width}xf32>
    {negation}
    %e = {op} {arg} : vector<{width}xf32>
    %w = vector.transfer_write %e, %acc[%i] {{in_bounds = [true]}} : vector<{width}xf32>, tensor<{n}xf32>
    scf.yield %w : tensor<{n}xf32>
  }}
  return %r : tensor<{n}xf32>
}}"""


def compile_unary(op, n, elem, vector=False, negate=False, **options):
    """The compiled module of unary_ir (or, with `vector`, of
    unary_vector_ir on f32): default pipeline with `options` (e.g.
    **{"host-avx512": False}), default clang flags."""
    ir = (unary_vector_ir(op, n, negate=negate) if vector
          else unary_ir(op, n, elem, negate=negate))
    return norm_mlir.compile_mlir(ir, opt=OPT,
                                  pipeline=norm_mlir.norm_pipeline(**options))


def lowered_unary(op, vector=False, **options):
    """unary_ir (or unary_vector_ir) of 1024 f32 lowered to the LLVM
    dialect by the default pipeline with `options`, as text."""
    ir = unary_vector_ir(op, 1024) if vector else unary_ir(op, 1024, "f32")
    return lower(ir, **options)


def random_finite_f32(rng, count):
    """Random f32 bit patterns: every exponent, both signs, NaN/inf out."""
    bits = rng.integers(0, 1 << 32, size=count, dtype=np.uint64)
    patterns = bits.astype(np.uint32).view(np.float32)
    return patterns[np.isfinite(patterns)]


def pad64(x):
    """`x` padded with zeros to a multiple of 64 elements."""
    return np.concatenate([x, np.zeros((-x.size) % 64, np.float32)])
