#!/usr/bin/env python3
"""Imports normalization modules and small models with torch-mlir.

Writes test/Raise/Inputs/<name>.linalg.mlir (and <name>.tosa.mlir where the
TOSA path works) and <name>.npz with the PyTorch inputs and outputs for a
fixed seed, so that the lit and Python tests need neither torch nor
torch-mlir.

Usage (a virtual environment with the frontend):

    python3 -m venv /tmp/tmvenv
    /tmp/tmvenv/bin/pip install torch torch-mlir numpy
    /tmp/tmvenv/bin/python scripts/import_models.py [--out test/Raise/Inputs]
        [--only NAME ...] [--norm-opt build/bin/norm-opt]

Each module is exported with `torch_mlir.fx.export_and_import(module, *args,
output_type=...)` (torch.export, then torch-mlir's FX importer and its
lowering pipeline to linalg-on-tensors or TOSA).

Printing: the IR is printed by torch-mlir's own Python bindings in the
generic op form (`print(..., print_generic_op_form=True)`), with large
constants kept. torch-mlir is built from a newer LLVM than the LLVM 22 this
project builds with; the custom assembly of a few ops (e.g. `tosa` ops
with new attributes) can differ between the two, while the generic form
only depends on the op's operands, attributes and regions. Each file is then
checked to parse with `norm-opt` (LLVM 22) when --norm-opt is given (the
default: build/bin/norm-opt when it exists) and, when it does, re-printed by
norm-opt in the custom form for readability (`--mlir-print-op-generic` is
not used), so the checked-in file is what LLVM 22 itself prints. Files that
LLVM 22 cannot parse are kept in the generic form and reported.
"""

import argparse
import io
import math
import subprocess
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_mlir import fx as tm_fx

ROOT = Path(__file__).resolve().parents[1]
SEED = 0

# --------------------------------------------------------------------------
# Modules and models (small sizes: the weights are printed in the IR).
# --------------------------------------------------------------------------


class NormAct(nn.Module):
    """A normalization followed by an activation (or none)."""

    def __init__(self, norm, act=None):
        super().__init__()
        self.norm = norm
        self.act = act

    def forward(self, x):
        y = self.norm(x)
        return self.act(y) if self.act is not None else y


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


class LlamaRMSNorm(nn.Module):
    """RMSNorm as Llama/HF write it (not nn.RMSNorm): rsqrt of mean(x^2)."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


class Attention(nn.Module):
    def __init__(self, dim, heads, causal):
        super().__init__()
        self.heads = heads
        self.causal = causal
        self.q = nn.Linear(dim, dim, bias=not causal)
        self.k = nn.Linear(dim, dim, bias=not causal)
        self.v = nn.Linear(dim, dim, bias=not causal)
        self.o = nn.Linear(dim, dim, bias=not causal)

    def forward(self, x):
        b, s, d = x.shape
        h = self.heads
        q = self.q(x).view(b, s, h, d // h).transpose(1, 2)
        k = self.k(x).view(b, s, h, d // h).transpose(1, 2)
        v = self.v(x).view(b, s, h, d // h).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        if self.causal:
            mask = torch.triu(torch.full((s, s), float("-inf")), diagonal=1)
            scores = scores + mask
        attn = torch.softmax(scores, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, s, d)
        return self.o(out)


class QKNormAttention(nn.Module):
    """Attention with QK-norm (OLMo 2 / Qwen 3 style): RMSNorm per head on the
    queries and keys, before the transpose to [b, h, s, d]."""

    def __init__(self, dim=64, heads=4):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.q_norm = nn.RMSNorm(self.head_dim, eps=1e-6)
        self.k_norm = nn.RMSNorm(self.head_dim, eps=1e-6)

    def forward(self, x):
        b, s, d = x.shape
        h, hd = self.heads, self.head_dim
        q = self.q_norm(self.q(x).view(b, s, h, hd)).transpose(1, 2)
        k = self.k_norm(self.k(x).view(b, s, h, hd)).transpose(1, 2)
        v = self.v(x).view(b, s, h, hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        attn = torch.softmax(scores, dim=-1)
        return self.o((attn @ v).transpose(1, 2).reshape(b, s, d))


class LlamaBlock(nn.Module):
    """Pre-norm decoder block: RMSNorm, causal attention, RMSNorm, SwiGLU."""

    def __init__(self, dim=64, heads=4, hidden=128, hf_rmsnorm=False):
        super().__init__()
        make = (lambda: LlamaRMSNorm(dim)) if hf_rmsnorm else (
            lambda: nn.RMSNorm(dim, eps=1e-6))
        self.norm1 = make()
        self.attn = Attention(dim, heads, causal=True)
        self.norm2 = make()
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class BertBlock(nn.Module):
    """Post-norm encoder block: attention, add & LayerNorm, GELU FFN, add &
    LayerNorm."""

    def __init__(self, dim=64, heads=4, hidden=128):
        super().__init__()
        self.attn = Attention(dim, heads, causal=False)
        self.ln1 = nn.LayerNorm(dim, eps=1e-12)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x):
        x = self.ln1(x + self.attn(x))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


class ResNetBlock(nn.Module):
    """Basic block: conv-BN-ReLU, conv-BN, identity skip, ReLU."""

    def __init__(self, channels=8):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class DiffusionResBlock(nn.Module):
    """Stable-Diffusion-style resblock: GroupNorm+SiLU+conv twice, skip."""

    def __init__(self, channels=16, groups=4):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class PreActBlock(nn.Module):
    """Batch norms of computed values: of relu(x) (pre-activation ResNet,
    DenseNet) and of a residual sum."""

    def __init__(self, channels=8):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(channels)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x, skip):
        h = self.bn1(F.relu(x))
        return self.bn2(h + skip)


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of NCHW, as ConvNeXt (data_format
    "channels_first"), SAM and Detectron2 write it."""

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtDownsample(nn.Module):
    """ConvNeXt's downsampling layer: LayerNorm2d, then a 2x2 stride-2
    convolution."""

    def __init__(self, channels=16, out_channels=32):
        super().__init__()
        self.norm = LayerNorm2d(channels)
        self.conv = nn.Conv2d(channels, out_channels, 2, stride=2)

    def forward(self, x):
        return self.conv(self.norm(x))


def _randomize(module):
    """Non-trivial affine parameters and running statistics."""
    g = torch.Generator().manual_seed(SEED + 1)
    for name, p in module.named_parameters():
        if name.endswith("weight") and p.dim() == 1:
            p.data = 1.0 + 0.2 * torch.randn(p.shape, generator=g)
        elif name.endswith("bias") and p.dim() == 1:
            p.data = 0.1 * torch.randn(p.shape, generator=g)
    for name, b in module.named_buffers():
        if name.endswith("running_mean"):
            b.data = 0.1 * torch.randn(b.shape, generator=g)
        elif name.endswith("running_var"):
            b.data = 1.0 + 0.5 * torch.rand(b.shape, generator=g)
    return module


def cases():
    """name -> (module, input shapes, train mode, expected normalizations)."""
    C = {}
    C["layer_norm"] = (NormAct(nn.LayerNorm(64)), [(2, 8, 64)], False)
    C["layer_norm_gelu"] = (NormAct(nn.LayerNorm(64), nn.GELU()),
                            [(2, 8, 64)], False)
    C["layer_norm_2d"] = (NormAct(nn.LayerNorm([4, 16])), [(3, 4, 16)], False)
    C["layer_norm_noaffine_relu"] = (
        NormAct(nn.LayerNorm(64, elementwise_affine=False), nn.ReLU()),
        [(16, 64)], False)
    C["layer_norm_channels"] = (NormAct(LayerNorm2d(16), nn.GELU()),
                                [(2, 16, 6, 6)], False)
    C["convnext_downsample"] = (ConvNeXtDownsample(), [(1, 16, 8, 8)], False)
    C["rms_norm"] = (NormAct(nn.RMSNorm(64, eps=1e-6)), [(2, 8, 64)], False)
    C["rms_norm_silu"] = (NormAct(nn.RMSNorm(64, eps=1e-6), nn.SiLU()),
                          [(2, 8, 64)], False)
    C["rms_norm_hf"] = (NormAct(LlamaRMSNorm(64)), [(2, 8, 64)], False)
    C["batch_norm_eval_relu"] = (NormAct(nn.BatchNorm2d(8), nn.ReLU()),
                                 [(2, 8, 6, 6)], False)
    C["batch_norm_train"] = (NormAct(nn.BatchNorm2d(8)), [(4, 8, 6, 6)], True)
    C["group_norm_silu"] = (NormAct(nn.GroupNorm(4, 16), nn.SiLU()),
                            [(2, 16, 6, 6)], False)
    C["group_norm"] = (NormAct(nn.GroupNorm(4, 16)), [(2, 16, 6, 6)], False)
    C["instance_norm"] = (NormAct(nn.InstanceNorm2d(8, affine=True)),
                          [(2, 8, 6, 6)], False)
    C["instance_norm_gelu"] = (NormAct(nn.InstanceNorm2d(8), nn.GELU()),
                               [(2, 8, 6, 6)], False)
    C["softmax"] = (Softmax(), [(4, 8, 32)], False)
    C["llama_block"] = (LlamaBlock(), [(1, 8, 64)], False)
    C["llama_block_hf"] = (LlamaBlock(hf_rmsnorm=True), [(1, 8, 64)], False)
    C["qk_norm_attention"] = (QKNormAttention(), [(2, 8, 64)], False)
    C["bert_block"] = (BertBlock(), [(1, 8, 64)], False)
    C["resnet_block"] = (ResNetBlock(), [(1, 8, 8, 8)], False)
    C["diffusion_resblock"] = (DiffusionResBlock(), [(1, 16, 8, 8)], False)
    C["preact_block"] = (PreActBlock(), [(2, 8, 6, 6), (2, 8, 6, 6)], False)
    return C


# --------------------------------------------------------------------------
# Export.
# --------------------------------------------------------------------------


def _header(name, output_type, note):
    cmd = "python3 scripts/import_models.py --only " + name
    lines = [
        f"// Generated by scripts/import_models.py ({cmd}); do not edit.",
        f"// Module: {name}; torch-mlir fx.export_and_import, "
        f"output_type={output_type}.",
        f"// torch {torch.__version__}, torch-mlir "
        f"{_torch_mlir_version()}, numpy {np.__version__}.",
    ]
    lines += [f"// {l}" for l in note.splitlines()]
    return "\n".join(lines) + "\n"


def _torch_mlir_version():
    try:
        from importlib.metadata import version
        return version("torch-mlir")
    except Exception:  # pragma: no cover
        return "unknown"


def _print_generic(module) -> str:
    buf = io.StringIO()
    module.operation.print(file=buf, print_generic_op_form=True,
                           large_elements_limit=None)
    return buf.getvalue()


def _reprint(norm_opt, generic_text):
    """Parses the generic text with LLVM 22 (norm-opt) and prints it in the
    custom form. Returns (text, error)."""
    proc = subprocess.run([norm_opt, "-"], input=generic_text, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        return None, proc.stderr
    return proc.stdout, None


def export(name, module, shapes, train, out_dir, norm_opt, tosa=True):
    torch.manual_seed(SEED)
    _randomize(module)
    module.train(train)
    gen = torch.Generator().manual_seed(SEED)
    args = [torch.randn(s, generator=gen) for s in shapes]
    # The reference outputs, from a copy (train mode updates the buffers).
    import copy
    ref_module = copy.deepcopy(module)
    with torch.no_grad():
        expected = ref_module(*args)
    expected = expected if isinstance(expected, tuple) else (expected,)

    written = []
    for output_type in (["linalg-on-tensors", "tosa"] if tosa else
                        ["linalg-on-tensors"]):
        suffix = "linalg" if output_type == "linalg-on-tensors" else "tosa"
        try:
            m = tm_fx.export_and_import(copy.deepcopy(module), *args,
                                        output_type=output_type,
                                        func_name="forward")
        except Exception as e:  # noqa: BLE001
            print(f"  {name} [{suffix}]: export failed: "
                  f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
            continue
        generic = _print_generic(m)
        note = ("Printed in the generic op form by torch-mlir's bindings, "
                "then parsed and re-printed by LLVM 22's norm-opt.")
        text, err = (None, "no norm-opt")
        if norm_opt:
            text, err = _reprint(norm_opt, generic)
        if text is None:
            note = ("Printed in the generic op form by torch-mlir's bindings "
                    "(not re-printed: " + (err or "").splitlines()[0][:120]
                    + ").")
            text = generic
            print(f"  {name} [{suffix}]: kept generic form: {err[:300]}")
        path = out_dir / f"{name}.{suffix}.mlir"
        path.write_text(_header(name, output_type, note) + text)
        written.append(path.name)

    data = {f"arg{i}": a.numpy() for i, a in enumerate(args)}
    data.update({f"result{i}": r.detach().numpy()
                 for i, r in enumerate(expected)})
    if train:
        # The buffers the forward pass updated (running statistics, batch
        # count), in the order torch.export returns them before the outputs.
        data.update({f"buffer{i}": b.detach().numpy()
                     for i, (_, b) in enumerate(ref_module.named_buffers())})
    np.savez(out_dir / f"{name}.npz", **data)
    print(f"{name}: {', '.join(written)} + {name}.npz")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "test/Raise/Inputs"))
    ap.add_argument("--only", nargs="*")
    default_opt = ROOT / "build/bin/norm-opt"
    ap.add_argument("--norm-opt",
                    default=str(default_opt) if default_opt.exists() else None)
    ap.add_argument("--no-tosa", action="store_true")
    opts = ap.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    all_cases = cases()
    for name, (module, shapes, train) in all_cases.items():
        if opts.only and name not in opts.only:
            continue
        export(name, module, shapes, train, out, opts.norm_opt,
               tosa=not opts.no_tosa)


if __name__ == "__main__":
    main()
