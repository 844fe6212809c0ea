#!/usr/bin/env python3
"""Compiles examples/transformer_block.mlir for the CPU, runs both functions
on random data and checks them against numpy written from the ops'
definitions. Exits non-zero when a result is off.

    python3 examples/run_example.py [example.mlir]
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import norm_mlir  # noqa: E402


def rms_norm(h, w, eps):
    return h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + eps) * w


def mlp_block(x, attn, w_norm, w_up, w_down):
    h = x + attn
    n = rms_norm(h, w_norm, 1e-5)
    up = n @ w_up
    act = up / (1.0 + np.exp(-up))
    return h + act @ w_down


def conv_block(image, filt, mean, var, gamma, beta):
    n, c, hh, ww = image.shape
    f, _, kh, kw = filt.shape
    out = np.zeros((n, f, hh - kh + 1, ww - kw + 1))
    for i in range(kh):
        for j in range(kw):
            patch = image[:, :, i:i + out.shape[2], j:j + out.shape[3]]
            out += np.einsum("nchw,fc->nfhw", patch, filt[:, :, i, j])
    y = (out - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    y = y * gamma[:, None, None] + beta[:, None, None]
    return np.maximum(y, 0.0)


def check(name, got, want, tol=1e-4):
    err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))
    status = "OK" if err <= tol else "MISMATCH"
    print(f"{name}: shape {got.shape}, max error vs numpy {err:.2e} "
          f"(tolerance {tol:g}) {status}")
    return err <= tol


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples" / "transformer_block.mlir"
    module = norm_mlir.compile_mlir(path.read_text())
    rng = np.random.default_rng(0)
    f32 = np.float32

    x = rng.standard_normal((16, 64)).astype(f32)
    attn = rng.standard_normal((16, 64)).astype(f32)
    w_norm = (1.0 + 0.1 * rng.standard_normal(64)).astype(f32)
    w_up = (rng.standard_normal((64, 256)) / 8).astype(f32)
    w_down = (rng.standard_normal((256, 64)) / 16).astype(f32)
    got = module["mlp_block"](x, attn, w_norm, w_up, w_down)
    ok = check("mlp_block (residual + RMSNorm -> matmul -> SiLU -> matmul)",
               got, mlp_block(*(a.astype(np.float64) for a in (x, attn, w_norm, w_up, w_down))))

    image = rng.standard_normal((1, 3, 16, 16)).astype(f32)
    filt = (rng.standard_normal((8, 3, 3, 3)) / 5).astype(f32)
    mean = (0.1 * rng.standard_normal(8)).astype(f32)
    var = (0.5 + rng.random(8)).astype(f32)
    gamma = (1.0 + 0.1 * rng.standard_normal(8)).astype(f32)
    beta = (0.1 * rng.standard_normal(8)).astype(f32)
    got = module["conv_block"](image, filt, mean, var, gamma, beta)
    ok &= check("conv_block (conv -> batch_norm -> relu)", got,
                conv_block(*(a.astype(np.float64) for a in (image, filt, mean, var, gamma, beta))))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
