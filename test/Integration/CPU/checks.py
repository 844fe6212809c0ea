"""Comparison of compiled results with the float64 references.

Tolerance (per element, stated in every failure message):

    |got - ref| <= rtol * (|ref| + scale) + atol

`rtol` is `cases.RTOL` of the result's element type; `scale` the magnitude
of the result as a whole, so that elements near zero are judged against the
scale of the tensor rather than their own tiny value:

  * normalized outputs: the largest |pre-activation| value (the normalized,
    scaled and shifted value). The activations are 1.13-Lipschitz at most,
    so errors before the activation stay within this scale after it;
  * means: largest |mean| plus the largest standard deviation (the error of
    a sum grows with the magnitude and the spread of its terms);
  * everything else: the largest |ref|.

`atol` is 0 except where a test derives an extra term from the conditioning
of its data (see test_edge_cases.py).
"""

import re

import numpy as np

from cases import NP_DTYPE, RTOL


def to_f64(a):
    return np.asarray(a).astype(np.float64)


def assert_close(name, got, want, rtol, scale=None, atol=0.0, context=""):
    """Asserts |got - want| <= rtol * (|want| + scale) + atol elementwise."""
    got = to_f64(got)
    want = to_f64(want)
    assert got.shape == want.shape, (
        f"{name}: shape {got.shape}, expected {want.shape} {context}")
    if want.size == 0:
        return
    if scale is None:
        scale = float(np.max(np.abs(want)))
    tol = rtol * (np.abs(want) + scale) + atol
    err = np.abs(got - want)
    bad = ~(err <= tol)  # also catches NaN
    abs_err = float(np.nanmax(err)) if np.isfinite(err).any() else np.inf
    rel = err / np.maximum(np.abs(want), np.finfo(np.float64).tiny)
    rel_err = float(np.nanmax(rel)) if np.isfinite(rel).any() else np.inf
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        worst = np.unravel_index(int(np.nanargmax(np.where(
            np.isnan(err), np.inf, err / tol))), err.shape)
        worst = tuple(int(i) for i in worst)
        raise AssertionError(
            f"{name}: {int(bad.sum())}/{bad.size} elements out of tolerance "
            f"{context}\n"
            f"  max abs err {abs_err:.3e}, max rel err {rel_err:.3e}, "
            f"NaN/inf in result: {int((~np.isfinite(got)).sum())}\n"
            f"  tolerance: rtol={rtol:.3e} * (|ref| + scale={scale:.4g})"
            f" + atol={atol:.3e}\n"
            f"  first bad at {idx}: got {got[idx]!r}, ref {want[idx]!r}\n"
            f"  worst at {worst}: got {got[worst]!r}, ref {want[worst]!r}, "
            f"err/tol {float(err[worst] / tol[worst]):.3g}")
    return abs_err, rel_err


def result_elem(type_text: str) -> str:
    """`tensor<4x?xbf16>` -> `bf16`."""
    return re.match(r"tensor<(?:[0-9?]+x)*(\w+)>", type_text).group(1)


def _std_scale(rstd):
    return float(np.max(1.0 / to_f64(rstd)))


def check_results(case, func, got, want, atol=None, rtol_override=None):
    """Compares every result of `case` (names from `func.results`)."""
    atol = atol or {}
    for (_, type_text, name), value in zip(func.results, got):
        elem = result_elem(type_text)
        assert np.asarray(value).dtype == NP_DTYPE[elem], (
            f"{name}: dtype {np.asarray(value).dtype}, expected {elem}")
        rtol = (rtol_override or {}).get(name, RTOL[elem])
        w = want[name]
        scale = None
        if name == "output" and "preact" in want:
            scale = float(np.max(np.abs(want["preact"])))
        elif name == "mean" and "rstd" in want:
            scale = float(np.max(np.abs(w))) + _std_scale(want["rstd"])
        elif name in ("saved_mean", "new_running_mean"):
            scale = float(np.max(np.abs(w))) + _std_scale(want["saved_rstd"])
        elif name == "mean" and "std" in want:
            scale = float(np.max(np.abs(w))) + float(np.max(want["std"]))
        assert_close(name, value, w, rtol, scale, atol.get(name, 0.0),
                     context=f"[{case.id}]")
