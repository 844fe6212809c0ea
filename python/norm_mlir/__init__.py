"""norm-mlir: compile normalization kernels with MLIR and call them on numpy."""

from .compiler import (
    CompileError,
    CompiledModule,
    RuntimeCheckError,
    compile_file,
    compile_mlir,
    default_pipeline,
    find_opt,
    norm_pipeline,
    upstream_pipeline,
)
from .memref import bf16_to_f32, f32_to_bf16
from . import builder, data, ops  # noqa: E402  (ops/data build on compiler)
from .builder import FunctionBuilder, TensorType, module_text
from .torch_frontend import CompileReport, TorchCompileError, compile

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "CompiledModule",
    "RuntimeCheckError",
    "FunctionBuilder",
    "TensorType",
    "CompileReport",
    "TorchCompileError",
    "bf16_to_f32",
    "builder",
    "compile",
    "compile_file",
    "compile_mlir",
    "data",
    "default_pipeline",
    "f32_to_bf16",
    "find_opt",
    "module_text",
    "norm_pipeline",
    "ops",
    "upstream_pipeline",
]
