"""Helpers of the tests of single math functions (test_erf.py, test_exp.py):
an elementwise function applying one `math` op, compiled by the default
pipeline, and f32 inputs covering every exponent."""

import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402

OPT = norm_mlir.find_opt()

#: Mark for the test modules: they need norm-opt (its pipeline).
needs_norm_opt = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")


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
    import subprocess
    return subprocess.run(
        [OPT, f"--pass-pipeline={norm_mlir.norm_pipeline()}"],
        input=unary_ir(op, 1024, "f32"), capture_output=True, text=True,
        check=True).stdout


def random_finite_f32(rng, count):
    """Random f32 bit patterns: every exponent, both signs, NaN/inf out."""
    bits = rng.integers(0, 1 << 32, size=count, dtype=np.uint64)
    patterns = bits.astype(np.uint32).view(np.float32)
    return patterns[np.isfinite(patterns)]


def pad64(x):
    """`x` padded with zeros to a multiple of 64 elements."""
    return np.concatenate([x, np.zeros((-x.size) % 64, np.float32)])
