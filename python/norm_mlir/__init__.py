"""norm-mlir: compile normalization kernels with MLIR and call them on numpy."""

from .compiler import (
    CompileError,
    CompiledModule,
    compile_file,
    compile_mlir,
    default_pipeline,
    find_opt,
    norm_pipeline,
    upstream_pipeline,
)
from .memref import bf16_to_f32, f32_to_bf16

__all__ = [
    "CompileError",
    "CompiledModule",
    "bf16_to_f32",
    "compile_file",
    "compile_mlir",
    "default_pipeline",
    "f32_to_bf16",
    "find_opt",
    "norm_pipeline",
    "upstream_pipeline",
]
