"""Compile a `torch.nn.Module` with torch-mlir and the norm pipeline.

    compiled = norm_mlir.compile(module, (x,))
    y = compiled(x)            # a torch.Tensor equal to module(x)
    print(compiled.report)     # normalizations present / raised, per kind

The path, all of it real tools:

    torch.export.export(module, example_inputs)          (ExportedProgram)
      -> torch-mlir's decompositions and FX importer, lowered to
         linalg-on-tensors (or TOSA)                      (torch_mlir.fx)
      -> norm-opt: norm-raise, elementwise fusion, norm-fuse-residual,
         norm-fuse-activation, norm-fuse-qk-norm, norm-fuse-softmax-matmul
      -> norm-lower-to-cpu, mlir-translate, clang         (norm_mlir.compiler)
      -> a cached shared library called through ctypes

Parameters and buffers are frozen into the program as constants (torch-mlir's
`import_frozen_program`). The callable checks their version counters on
every call and recompiles when one changed (an optimizer step, a
`load_state_dict`), so it never runs with stale weights. Modules whose
forward mutates buffers (BatchNorm in training mode updates its running
statistics) are refused: a frozen program cannot update them; use
`module.eval()`, or the norm ops (`norm_mlir.ops.batch_norm_training`).

Inputs: torch tensors on the CPU (any dtype the module takes; bf16 too),
numpy arrays, or any object with `__dlpack__` on the CPU. Contiguous inputs
are passed without copies. Outputs are torch tensors that alias the buffers
the compiled code wrote (no copies). Shapes are the example's, unless
`dynamic_shapes` (torch.export's argument) makes dimensions symbolic: they
become `?` dimensions of the compiled function, and norm-raise matches the
normalizations at probe sizes (a dynamic batch is raised and fused).

torch and torch-mlir are imported only when `compile` is called.
"""

import contextlib
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from . import compiler as _compiler

# aten ops of the (pre-decomposition) exported graph that are normalizations,
# and the norm ops norm-raise turns their decompositions into.
_PRESENT_KINDS = {
    "layer_norm": "layer_norm",
    "native_layer_norm": "layer_norm",
    "rms_norm": "rms_norm",
    "batch_norm": "batch_norm",
    "_native_batch_norm_legit_no_training": "batch_norm",
    "_native_batch_norm_legit": "batch_norm",
    "native_batch_norm": "batch_norm",
    "group_norm": "group_norm",
    "native_group_norm": "group_norm",
    "instance_norm": "instance_norm",
    "softmax": "softmax",
    "_softmax": "softmax",
}
_RAISED_KINDS = {
    "norm.layer_norm": "layer_norm",
    "norm.rms_norm": "rms_norm",
    "norm.batch_norm_inference": "batch_norm",
    "norm.batch_norm_training": "batch_norm",
    "norm.group_norm": "group_norm",
    "linalg.softmax": "softmax",
}
_RAISED_OP = re.compile(r"= (norm\.[a-z_]+|linalg\.softmax)[ (]")

# Raising and fusion before the CPU lowering (TOSA is lowered to linalg first).
_TOSA_FRONT = ("func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,"
               "tosa-to-arith,canonicalize)")
_RAISE_AND_FUSE = ("norm-raise,linalg-fuse-elementwise-ops,norm-fuse-residual,"
                   "norm-fuse-activation,norm-fuse-qk-norm,norm-fuse-softmax-matmul,"
                   "canonicalize")


class TorchCompileError(RuntimeError):
    """The module cannot be compiled (unsupported form, or a tool failed)."""


@dataclass
class CompileReport:
    """What the norm pipeline did with the module's normalizations."""

    present: Dict[str, int] = field(default_factory=dict)
    raised: Dict[str, int] = field(default_factory=dict)
    fused_activations: int = 0
    fused_residuals: int = 0

    def __str__(self) -> str:
        kinds = sorted(set(self.present) | set(self.raised))
        parts = [f"{k}: {self.raised.get(k, 0)}/{self.present.get(k, 0)}"
                 for k in kinds]
        return ("raised/present " + (", ".join(parts) or "none")
                + f"; fused activations {self.fused_activations}, "
                f"residuals {self.fused_residuals}")


def _require_torch():
    try:
        import torch  # noqa: F401
        from torch_mlir import fx  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the install
        raise TorchCompileError(
            "norm_mlir.compile needs torch and torch-mlir "
            "(pip install torch torch-mlir): " + str(e)) from None
    import torch
    from torch_mlir import fx
    return torch, fx


def _native_group_norm(x, weight, bias, n, c, hxw, group, eps):
    """aten.native_group_norm through reshapes only. PyTorch's own
    decomposition gathers the per-channel scale with `as_strided`, which
    torch-mlir imports only with static sizes; this one imports with a
    dynamic batch (a `tensor.reshape` with the sizes), and norm-raise
    matches it like the static form."""
    import torch
    grouped = x.reshape(n, group, -1)
    var, mean = torch.var_mean(grouped, dim=-1, correction=0, keepdim=True)
    rstd = torch.rsqrt(var + eps)
    y = ((grouped - mean) * rstd).reshape(x.shape)
    shape = (1, c) + (1,) * (x.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, mean.reshape(n, group), rstd.reshape(n, group)


def _instance_norm(x, weight, bias, running_mean, running_var,
                   use_input_stats, momentum, eps, cudnn_enabled):
    """aten.instance_norm through reshapes only: PyTorch's decomposition
    repeats the weight N times for a batch norm over an [1, N*C, ...] view,
    a parameter of dynamic size with a dynamic batch; this one is a group
    norm with one channel a group, which norm-raise matches."""
    import torch
    if not use_input_stats:  # eval with tracked running statistics
        return torch.nn.functional.batch_norm(
            x, running_mean, running_var, weight, bias, False, momentum, eps)
    n, c = x.shape[0], x.shape[1]
    return _native_group_norm(x, weight, bias, n, c, None, c, eps)[0]


def _count_present(exported) -> Dict[str, int]:
    counts = Counter()
    for node in exported.graph.nodes:
        if node.op != "call_function":
            continue
        name = getattr(node.target, "__name__", str(node.target))
        base = name.split(".")[0]
        kind = _PRESENT_KINDS.get(base)
        if kind:
            counts[kind] += 1
    return dict(counts)


def _count_raised(text: str) -> Tuple[Dict[str, int], int, int]:
    counts = Counter()
    activations = residuals = 0
    for line in text.splitlines():
        m = _RAISED_OP.search(line)
        if not m:
            continue
        kind = _RAISED_KINDS.get(m.group(1))
        if kind is None:
            continue
        counts[kind] += 1
        if "activation" in line:
            activations += 1
        if re.search(r"residual\(|residual_sum", line):
            residuals += 1
    return dict(counts), activations, residuals


@contextlib.contextmanager
def _default_rms_norm_eps(torch, module, example_inputs):
    """nn.RMSNorm(eps=None) adds an epsilon in eager mode, but torch.export
    traces it with none at all (rsqrt(mean(x^2)): a zero row, such as
    padding, gives NaN instead of 0). During the export each such module
    holds eager's epsilon explicitly, restored after: ATen's rms_norm takes
    the epsilon of its computation type (float32 for f16/bf16 data, whatever
    the docs' finfo(x.dtype) suggests) for the data type of its weight, else
    of the first floating-point example input."""
    patched = []
    rms_norm = getattr(torch.nn, "RMSNorm", None)
    if rms_norm is not None:
        fallback = next((x.dtype for x in example_inputs
                         if isinstance(x, torch.Tensor)
                         and x.is_floating_point()),
                        torch.get_default_dtype())
        for sub in module.modules():
            if isinstance(sub, rms_norm) and sub.eps is None:
                weight = getattr(sub, "weight", None)
                dtype = weight.dtype if weight is not None else fallback
                if dtype in (torch.float16, torch.bfloat16):
                    dtype = torch.float32
                sub.eps = torch.finfo(dtype).eps
                patched.append(sub)
    try:
        yield
    finally:
        for sub in patched:
            sub.eps = None


def _version_key(module) -> Tuple:
    return tuple((id(t), t._version) for t in
                 list(module.parameters()) + list(module.buffers()))


class CompiledTorchModule:
    """A compiled `nn.Module`: call it like the module."""

    def __init__(self, module, example_inputs, *, output_type, raise_norms,
                 fuse, openmp, dynamic_shapes, opt, cache_dir):
        self._module = module
        self._example = tuple(example_inputs)
        self._output_type = output_type
        self._raise = raise_norms
        self._fuse = fuse
        self._openmp = openmp
        self._dynamic_shapes = dynamic_shapes
        self._opt = opt or _compiler.find_opt()
        self._cache_dir = cache_dir
        self._versions = None
        self.report: Optional[CompileReport] = None
        self.imported_mlir: Optional[str] = None
        self.raised_mlir: Optional[str] = None
        self._compile()

    # -- compilation ---------------------------------------------------------

    def _compile(self):
        torch, fx = _require_torch()
        try:
            from torch_mlir.extras.fx_decomp_util import get_decomposition_table
        except ImportError:  # pragma: no cover - older torch-mlir
            get_decomposition_table = None
        try:
            with _default_rms_norm_eps(torch, self._module, self._example):
                exported = torch.export.export(
                    self._module, self._example,
                    dynamic_shapes=self._dynamic_shapes)
        except Exception as e:
            raise TorchCompileError(f"torch.export failed: {e}") from e
        present = _count_present(exported)
        table = get_decomposition_table() if get_decomposition_table else None
        if table:
            if self._dynamic_shapes is not None:
                table = dict(table)
                table[torch.ops.aten.native_group_norm.default] = \
                    _native_group_norm
                table[torch.ops.aten.instance_norm.default] = _instance_norm
            exported = exported.run_decompositions(table)
        mutated = dict(exported.graph_signature.buffers_to_mutate)
        if mutated:
            raise TorchCompileError(
                "the module's forward mutates buffers "
                f"({', '.join(sorted(set(mutated.values())))}); norm_mlir."
                "compile freezes buffers into the program and cannot update "
                "them. Call module.eval() (BatchNorm in training mode updates "
                "its running statistics), or use norm_mlir.ops."
                "batch_norm_training")
        self._num_outputs = len(exported.graph_signature.user_outputs)
        try:
            imported = fx.export_and_import(
                exported, output_type=self._output_type, func_name="forward",
                decomposition_table={})
        except Exception as e:
            raise TorchCompileError(f"torch-mlir import failed: {e}") from e
        generic = _print_generic(imported)
        self.imported_mlir = generic

        front = [_TOSA_FRONT] if self._output_type == "tosa" else []
        prepare = ["func.func(llvm-request-c-wrappers)", *front]
        if self._raise:
            prepare.append(_RAISE_AND_FUSE if self._fuse else "norm-raise")
        pipeline = "builtin.module(" + ",".join(prepare) + ")"
        proc = subprocess.run([self._opt, f"--pass-pipeline={pipeline}"],
                              input=generic, capture_output=True, text=True)
        if proc.returncode != 0:
            raise TorchCompileError(
                f"norm-opt ({pipeline}) failed:\n{proc.stderr[-4000:]}")
        self.raised_mlir = proc.stdout
        raised, acts, residuals = _count_raised(self.raised_mlir)
        self.report = CompileReport(present, raised, acts, residuals)
        try:
            lowered = _compiler.compile_mlir(
                self.raised_mlir, opt=self._opt, openmp=self._openmp, cache_dir=self._cache_dir)
        except _compiler.CompileError as e:
            raise TorchCompileError(str(e)) from e
        self._forward = lowered["forward"]
        self._lib = lowered
        self._versions = _version_key(self._module)

    # -- calling -------------------------------------------------------------

    def __call__(self, *inputs):
        torch, _ = _require_torch()
        if len(inputs) != len(self._example):
            raise TypeError(f"expected {len(self._example)} inputs, "
                            f"got {len(inputs)}")
        if _version_key(self._module) != self._versions:
            self._compile()  # weights changed since the last compilation
        arrays = [_to_numpy(torch, x, i) for i, x in enumerate(inputs)]
        results = self._forward(*arrays)
        results = list(results) if isinstance(results, tuple) else [results]
        outs = [_to_torch(torch, r) for r in results]
        return outs[0] if len(outs) == 1 else tuple(outs)


def _print_generic(module) -> str:
    import io
    buf = io.StringIO()
    # The generic form is stable across the LLVM versions of torch-mlir's
    # bindings and of norm-opt (LLVM 22); see scripts/import_models.py.
    module.operation.print(file=buf, print_generic_op_form=True,
                           large_elements_limit=None)
    return buf.getvalue()


def _to_numpy(torch, x, index: int) -> np.ndarray:
    """A zero-copy numpy view of a CPU tensor (copies only non-contiguous)."""
    if isinstance(x, torch.Tensor):
        if x.device.type != "cpu":
            raise TypeError(f"input {index} is on {x.device}; the compiled "
                            "module runs on the CPU")
        x = x.detach().contiguous()
        if x.dtype == torch.bfloat16:
            from .memref import bfloat16
            bits = x.view(torch.int16).numpy()
            return bits.view(bfloat16) if bfloat16 is not None else \
                bits.view(np.uint16)
        return x.numpy()
    if hasattr(x, "__dlpack__") and not isinstance(x, np.ndarray):
        return np.from_dlpack(x)
    return np.asarray(x)


def _to_torch(torch, r):
    if not isinstance(r, np.ndarray):
        return torch.tensor(r)
    if r.dtype.name == "bfloat16":
        return torch.from_numpy(r.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(r)


def compile(module, example_inputs: Sequence[Any], *,
            output_type: str = "linalg-on-tensors", raise_norms: bool = True,
            fuse: bool = True, openmp: bool = True,
            dynamic_shapes: Any = None, opt: Optional[str] = None,
            cache_dir=None) -> CompiledTorchModule:
    """Compile `module` for the CPU; returns a callable equal to it.

    `output_type`: torch-mlir's lowering, "linalg-on-tensors" or "tosa".
    `raise_norms` / `fuse`: run norm-raise and the fusion passes (off: the
    imported program is lowered as is). `dynamic_shapes`: passed to
    torch.export. Raises TorchCompileError with the reason when a step fails.
    """
    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    return CompiledTorchModule(
        module, example_inputs, output_type=output_type,
        raise_norms=raise_norms, fuse=fuse, openmp=openmp,
        dynamic_shapes=dynamic_shapes, opt=opt, cache_dir=cache_dir)
