"""math.fpowi (torch's `x.pow(n)`, `torch.square`, the x^3 of GELU-tanh and
GPT-2's gelu_new, as torch-mlir imports them) through `norm-lower-to-cpu`,
against numpy in f64.

LLVM's powi takes a scalar exponent; vectorizing the row outputs made it a
vector and the pipeline failed ("'llvm.intr.powi' op operand #1 must be
signless integer"). The pipeline now expands fpowi first: constant
exponents as multiplications by squaring and 1 / x^|n| for negative ones
(norm-expand-fpowi), a variable exponent as powf (math-expand-ops). Both are
checked on rows long enough to be vectorized (64) and on short ones, with
negative bases (odd powers keep the sign), and with +0, -0, +-inf and NaN
against numpy: upstream's expansion of a negative constant exponent gave
-inf for (+0)^-2 (a helper review, 2026-11-28). Tolerance: 4 f32 ulp
relative (x^5 by squaring rounds 3 times); the signs of zeros and
infinities exactly.
"""

import numpy as np
import pytest

import norm_mlir
from unary_math import needs_norm_opt

pytestmark = needs_norm_opt

RTOL = 4 * float(np.finfo(np.float32).eps)


def _program(shape, exponent):
    """@pow(x) = fpowi(x, exponent) elementwise, or @pow(x, e) for a
    variable exponent (exponent None)."""
    t = "tensor<" + "x".join(map(str, shape)) + "xf32>"
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    if exponent is None:
        args, const = f"%x: {t}, %e: i32", ""
        e = "%e"
    else:
        args, const = f"%x: {t}", f"%e = arith.constant {exponent} : i64\n  "
        e = "%e"
    etype = "i32" if exponent is None else "i64"
    return f"""
#map = affine_map<({dims}) -> ({dims})>
func.func @pow({args}) -> {t} attributes {{llvm.emit_c_interface}} {{
  {const}%init = tensor.empty() : {t}
  %y = linalg.generic {{indexing_maps = [#map, #map],
      iterator_types = [{", ".join(['"parallel"'] * len(shape))}]}}
      ins(%x : {t}) outs(%init : {t}) {{
  ^bb0(%in: f32, %out: f32):
    %p = math.fpowi %in, {e} : f32, {etype}
    linalg.yield %p : f32
  }} -> {t}
  return %y : {t}
}}
"""


@pytest.mark.parametrize("shape", [(4, 64), (3, 5)])
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 5, -1, -2, None])
def test_fpowi_matches_numpy(shape, exponent):
    rng = np.random.default_rng(0)
    x = rng.uniform(-3.0, 3.0, shape).astype(np.float32)
    x[x == 0] = 0.5
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)
    x.reshape(-1)[:special.size] = special
    fn = norm_mlir.compile_mlir(_program(shape, exponent),
                                opt=norm_mlir.find_opt())["pow"]
    def check(got, want, what):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=what)
        # The signs of zeros and infinities too (allclose takes -0 == +0).
        np.testing.assert_array_equal(np.signbit(got.reshape(-1)[:4]),
                                      np.signbit(want.reshape(-1)[:4]), what)

    with np.errstate(divide="ignore", invalid="ignore"):
        if exponent is None:
            for e in (3, 2, -1, -2):
                check(fn(x, np.int32(e)), x.astype(np.float64) ** e,
                      f"variable exponent {e}")
            return
        check(fn(x), x.astype(np.float64) ** exponent, f"exponent {exponent}")
