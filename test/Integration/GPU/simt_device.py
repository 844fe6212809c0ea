"""test_gpu_ops.py without a GPU: the SIMT interpreter as the device.

With NORM_GPU_SIMT=1 the `cuda` tests of test_gpu_ops.py run on the CPU:
their tensors are CPU tensors, and `gpu_lib.call` runs the kernel in the
SIMT interpreter (simt_interpreter.py) on the kernels that norm-opt's
norm-gpu-kernels builds from test/GPU/kernels.mlir with
$NORM_GPU_SIMT_OPTIONS (default `chip=sm_90a`, the default bundle's; e.g.
`chip=sm_90a resident-sets=1` for the `resident` candidate). PyTorch on
the CPU is the reference, as it is on the GPU.

What it is for: the tests themselves. They run on a GPU only when a session
is lent one, for a few minutes; a test that passes the wrong arguments or
builds a wrong reference would waste that time. This mode runs them where
PyTorch is installed (not in CI, which has no PyTorch), with the kernels'
own indexing, reductions and synchronization checked as test_simt_kernels.py
checks them. It does not replace the GPU run: no NVVM, ptxas, runtime or
timing is involved.

    NORM_GPU_SIMT=1 python3 -m pytest -m cuda test/Integration/GPU/test_gpu_ops.py
"""

import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

#: True when the `cuda` tests run on the SIMT interpreter.
ENABLED = os.environ.get("NORM_GPU_SIMT") == "1"

#: The torch device of the tests' tensors.
DEVICE = "cpu" if ENABLED else "cuda"

KERNELS = REPO / "test" / "GPU" / "kernels.mlir"


def options() -> str:
    return os.environ.get("NORM_GPU_SIMT_OPTIONS", "chip=sm_90a")


def _as_numpy(tensor):
    """A numpy view of a contiguous CPU tensor (bf16 as ml_dtypes'), so that
    what the interpreter writes lands in the tensor."""
    import ml_dtypes
    import torch
    if tensor.is_cuda:
        raise ValueError("NORM_GPU_SIMT=1 runs on CPU tensors")
    if not tensor.is_contiguous():
        raise ValueError("device tensors must be contiguous")
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


class SimtLibrary:
    """GpuLibrary's calls (`call`, `synchronize`, `check`) on the SIMT
    interpreter; launches run to completion inside `call`."""

    def __init__(self, norm_opt):
        # Imported here: the GPU machine's tests need no ml_dtypes.
        from simt_interpreter import Interpreter
        generic = subprocess.run(
            [norm_opt, str(KERNELS), f"--norm-gpu-kernels={options()}",
             "--mlir-print-op-generic"],
            capture_output=True, text=True, check=True).stdout
        self.interpreter = Interpreter(generic)

    def call(self, name, *tensors):
        self.interpreter.call(name, *(_as_numpy(t) for t in tensors))

    def synchronize(self):
        pass

    def check(self):
        pass

    def set_stream(self, stream):
        raise NotImplementedError("no streams on the SIMT interpreter")
