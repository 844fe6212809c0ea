#!/usr/bin/env python3
"""Compile a PyTorch module with norm-mlir and check it against PyTorch.

    NORM_BUILD_DIR=build <python with torch + torch-mlir> \\
        python/examples/compile_torch_module.py

A Llama-style pre-norm MLP block (RMSNorm, SwiGLU, residual) and a
conv-BatchNorm-ReLU stem go through torch.export, torch-mlir (linalg on
tensors), norm-raise and the fusion passes, and the CPU pipeline; the script
prints what was raised and the largest difference from PyTorch's output.
"""

import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import norm_mlir  # noqa: E402


class SwiGLUBlock(nn.Module):
    def __init__(self, dim=256, hidden=512):
        super().__init__()
        self.norm = nn.RMSNorm(dim, eps=1e-6)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        h = self.norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def main():
    torch.manual_seed(0)
    for module, x in ((SwiGLUBlock(), torch.randn(4, 32, 256)),
                      (Stem(), torch.randn(2, 3, 32, 32))):
        module.eval()
        compiled = norm_mlir.compile(module, (x,))
        with torch.no_grad():
            expected = module(x)
        got = compiled(x)
        err = (got - expected).abs().max().item()
        print(f"{type(module).__name__}: {compiled.report}; "
              f"max |norm-mlir - PyTorch| = {err:.2e}")
        if not err <= 1e-4 * max(1.0, expected.abs().max().item()):
            sys.exit(f"{type(module).__name__}: output differs from PyTorch")


if __name__ == "__main__":
    main()
