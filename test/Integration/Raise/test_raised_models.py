"""End to end: torch-mlir output -> norm-raise -> CPU, against PyTorch.

The inputs are test/Raise/Inputs/<model>.{linalg,tosa}.mlir, imported from
torch.nn modules by scripts/import_models.py (torch-mlir's FX importer), and
<model>.npz with the PyTorch inputs (arg0, ...) and outputs (result0, ...)
for a fixed seed; so this test needs neither torch nor torch-mlir.

Each model is compiled twice with norm-opt and run on the CPU:
  * raised:  norm-raise, linalg-fuse-elementwise-ops, norm-fuse-activation,
             norm-decompose-aggregates (linalg.softmax), norm-lower-to-cpu
             (TOSA: tosa-to-linalg, tosa-to-tensor, tosa-to-arith first);
  * as imported: norm-lower-to-cpu only.
Both must match PyTorch's outputs (f32: 1e-4 relative to max(1, |y|)), and
the number of normalizations raised must be what the table below records
(so a regression in the matcher fails here). Run with `-s` to see the table
of raised/present normalizations per model (docs/raising.md has it):

    NORM_BUILD_DIR=build python3 -m pytest -s test/Integration/Raise
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402

INPUTS = _REPO / "test" / "Raise" / "Inputs"
OPT = norm_mlir.find_opt()

pytestmark = pytest.mark.skipif(
    Path(OPT).name != "norm-opt", reason=f"needs norm-opt, found {OPT}")

TOSA_FRONT = ("func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,"
              "tosa-to-arith,canonicalize),")
RAISE = ("norm-raise,linalg-fuse-elementwise-ops,norm-fuse-activation,"
         "norm-decompose-aggregates,")
LOWER = "norm-lower-to-cpu{openmp=0}"

# model -> normalizations present in the PyTorch module.
PRESENT = {
    "layer_norm": 1, "layer_norm_gelu": 1, "layer_norm_2d": 1,
    "layer_norm_noaffine_relu": 1, "rms_norm": 1, "rms_norm_silu": 1,
    "rms_norm_hf": 1, "batch_norm_eval_relu": 1, "batch_norm_train": 1,
    "group_norm": 1, "group_norm_silu": 1, "instance_norm": 1,
    "instance_norm_gelu": 1, "softmax": 1,
    "layer_norm_channels": 1,  # LayerNorm2d (ConvNeXt, SAM) + GELU
    "convnext_downsample": 1,  # LayerNorm2d, conv 2x2 stride 2
    "llama_block": 3,         # 2 RMSNorm + softmax
    "llama_block_hf": 3,      # 2 HF-style RMSNorm + softmax
    "bert_block": 3,          # 2 LayerNorm + softmax
    "resnet_block": 2,        # 2 BatchNorm2d (eval)
    "diffusion_resblock": 2,  # 2 GroupNorm
    "preact_block": 2,        # BatchNorm2d of relu(x) and of a residual sum
}

# (model, form) -> normalizations norm-raise raises today.
RAISED = {
    "linalg": {
        "layer_norm": 1, "layer_norm_gelu": 1, "layer_norm_2d": 1,
        "layer_norm_noaffine_relu": 1, "rms_norm": 1, "rms_norm_silu": 1,
        "rms_norm_hf": 1, "batch_norm_eval_relu": 1, "batch_norm_train": 1,
        "group_norm": 1, "group_norm_silu": 1, "instance_norm": 1,
        "instance_norm_gelu": 1, "softmax": 1, "llama_block": 3,
        "llama_block_hf": 3, "bert_block": 3, "resnet_block": 2,
        "diffusion_resblock": 2, "preact_block": 2,
        "layer_norm_channels": 1, "convnext_downsample": 1,
    },
    "tosa": {
        "layer_norm": 1, "layer_norm_gelu": 1, "layer_norm_2d": 1,
        "layer_norm_noaffine_relu": 1, "rms_norm": 1, "rms_norm_silu": 1,
        "rms_norm_hf": 1, "batch_norm_eval_relu": 1, "batch_norm_train": 1,
        "group_norm": 1, "group_norm_silu": 1, "instance_norm": 1,
        "instance_norm_gelu": 1, "softmax": 1, "llama_block": 3,
        "llama_block_hf": 3, "bert_block": 3, "resnet_block": 2,
        "diffusion_resblock": 2, "preact_block": 2,
        "layer_norm_channels": 1, "convnext_downsample": 1,
    },
}

_RAISED_OP = re.compile(r"= (norm\.[a-z_]+|linalg\.softmax) ")


def _prepare(text: str) -> str:
    """Marks @forward for the C interface (torch-mlir's functions have none)."""
    return re.sub(r"(func\.func @forward\(.*?\)\s*->\s*.*?)\s*\{\n",
                  r"\1 attributes {llvm.emit_c_interface} {\n", text, count=1)


def _front(form: str) -> str:
    return TOSA_FRONT if form == "tosa" else ""


def count_raised(text: str, form: str) -> int:
    pipeline = f"builtin.module({_front(form)}norm-raise)"
    out = subprocess.run([OPT, f"--pass-pipeline={pipeline}"], input=text,
                         capture_output=True, text=True, check=True).stdout
    return len(_RAISED_OP.findall(out))


def _cases():
    for form in ("linalg", "tosa"):
        for model in PRESENT:
            if (INPUTS / f"{model}.{form}.mlir").exists():
                yield pytest.param(model, form, id=f"{model}.{form}")


REPORT = []


@pytest.mark.parametrize("model,form", list(_cases()))
def test_raised_model(model, form, tmp_path):
    text = _prepare((INPUTS / f"{model}.{form}.mlir").read_text())
    data = np.load(INPUTS / f"{model}.npz")
    args = [data[f"arg{i}"] for i in range(len(data.files))
            if f"arg{i}" in data.files]
    expected = [data[f"result{i}"] for i in range(len(data.files))
                if f"result{i}" in data.files]
    # Training mode: the buffers the forward pass updated (running
    # statistics, batch count), which torch.export returns first.
    buffers = [data[f"buffer{i}"] for i in range(len(data.files))
               if f"buffer{i}" in data.files]

    raised = count_raised(text, form)
    REPORT.append((model, form, raised, PRESENT[model]))
    print(f"\n{model}.{form}: raised {raised} of {PRESENT[model]}")
    assert raised == RAISED[form][model]

    outputs = {}
    for name, passes in (("raised", RAISE), ("imported", "")):
        pipeline = f"builtin.module({_front(form)}{passes}{LOWER})"
        mod = norm_mlir.compile_mlir(text, pipeline=pipeline, opt=OPT,
                                     openmp=False, cache_dir=tmp_path / name)
        got = mod.forward(*args)
        got = list(got) if isinstance(got, tuple) else [got]
        # Training mode: torch.export returns the updated buffers (running
        # statistics, batch count) before the module's outputs.
        assert len(got) >= len(expected)
        if buffers:
            assert len(got) == len(buffers) + len(expected)
        else:
            got = got[len(got) - len(expected):]
        for g, e in zip(got, buffers + expected):
            g = np.asarray(g)
            assert g.shape == e.shape
            if e.dtype.kind == "f":
                err = np.max(np.abs(g - e) / np.maximum(1.0, np.abs(e)))
                assert err < 1e-4, f"{name}: max rel error {err}"
            else:
                np.testing.assert_array_equal(g, e)
        outputs[name] = got
    for r, i in zip(outputs["raised"], outputs["imported"]):
        if np.asarray(r).dtype.kind == "f":
            err = np.max(np.abs(r - i) / np.maximum(1.0, np.abs(i)))
            assert err < 1e-4, f"raised vs imported: max rel error {err}"
