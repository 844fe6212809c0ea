"""Ahead-of-time GPU kernels: compile here, call where the GPU is.

Compiling (needs norm-opt, mlir-translate, clang-22 and the CUDA toolkit):

    norm-opt kernels.mlir --norm-lower-to-nvvm="chip=sm_90a format=bin"
      -> mlir-translate --mlir-to-llvmir          (host code, cubin embedded)
      -> clang-22 -O2 -shared -fPIC  -lnorm_cuda_runtime, rpath $ORIGIN

gives one shared library whose only dependencies are libnorm_cuda_runtime.so
(copied beside it) and the CUDA driver (libcuda.so.1). A JSON manifest beside
it records each function's memref arguments.

Calling (needs only ctypes and a CUDA driver; no MLIR, no LLVM):

    lib = GpuLibrary("libkernels.so")
    lib.set_stream(torch.cuda.current_stream().cuda_stream)
    lib.call("rms_norm_bf16_4096", x, w, y)   # torch / CuPy device tensors

C ABI: each function `f` (marked `llvm.emit_c_interface`) is exported as
`_mlir_ciface_f(D0 *, D1 *, ...)`, one pointer per memref argument to a
descriptor `{T *allocated, T *aligned, int64 offset, int64 sizes[R],
int64 strides[R]}` holding a *device* pointer. Results are written into the
caller's buffers (destination passing). Buffers must be contiguous and
16-byte aligned. Kernels are enqueued on the stream given to
`normCudaSetStream` (asynchronous, like PyTorch ops), else on the calling
thread's stream of the runtime (created once, reused; ordered after the legacy
default stream), synchronized before the call returns.
"""

import ctypes
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence

_REPO_ROOT = Path(__file__).resolve().parents[2]
LLVM_BIN = Path(os.environ.get("NORM_LLVM_BIN", "/usr/lib/llvm-22/bin"))

RUNTIME_NAME = "libnorm_cuda_runtime.so"

# Element type -> bytes.
_ELEMENT_BYTES = {"f64": 8, "f32": 4, "f16": 2, "bf16": 2, "i64": 8, "i32": 4,
                  "i8": 1, "ui8": 1}


class GpuCompileError(RuntimeError):
    """A step of the ahead-of-time compilation failed."""


# ----------------------------------------------------------------------------
# Compilation (on the build machine).
# ----------------------------------------------------------------------------

_FUNC_RE = re.compile(r"func\.func\s+@(\w+)\s*\((.*?)\)\s*(?:->[^{]*?)?"
                      r"attributes\s*\{[^}]*llvm\.emit_c_interface",
                      re.S)
_MEMREF_RE = re.compile(r"memref<([^>]*)>")


def parse_signatures(mlir_text: str) -> Dict[str, List[dict]]:
    """The memref arguments of each `llvm.emit_c_interface` function.

    Returns {name: [{"shape": [-1 | size, ...], "dtype": "bf16"}, ...]}.
    """
    signatures = {}
    # Comments first: a FileCheck line such as `// CHECK-LABEL: func.func
    # @f(` would otherwise start a match and pull in the memrefs of the
    # CHECK lines below it.
    code = re.sub(r"//[^\n]*", "", mlir_text)
    for match in _FUNC_RE.finditer(code):
        name, args = match.group(1), match.group(2)
        params = []
        for memref in _MEMREF_RE.findall(args):
            *dims, dtype = memref.split(",")[0].strip().split("x")
            shape = [-1 if d == "?" else int(d) for d in dims]
            params.append({"shape": shape, "dtype": dtype})
        signatures[name] = params
    return signatures


def find_norm_opt() -> str:
    """$NORM_OPT, else bin/norm-opt of $NORM_BUILD_DIR, build-gpu or build."""
    env = os.environ.get("NORM_OPT")
    if env:
        return env
    for d in (os.environ.get("NORM_BUILD_DIR"), _REPO_ROOT / "build-gpu",
              _REPO_ROOT / "build"):
        if d and (Path(d) / "bin" / "norm-opt").is_file():
            return str(Path(d) / "bin" / "norm-opt")
    raise GpuCompileError("norm-opt not found: set NORM_OPT or NORM_BUILD_DIR")


def _run(cmd: Sequence[str], what: str) -> None:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise GpuCompileError(
            f"{what} failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"{proc.stderr}")


def compile_gpu_library(mlir_file, out_so, *, runtime_lib, chip="sm_90a",
                        features="+ptx80", cuda_path=None,
                        pipeline_options="", norm_opt=None,
                        keep_intermediates=False) -> Path:
    """Compiles `mlir_file` into the host shared library `out_so`.

    `runtime_lib` (libnorm_cuda_runtime.so) is copied beside `out_so`, which
    finds it through its rpath ($ORIGIN). Writes `out_so`.json, the manifest
    of the functions' memref arguments. Returns the path of `out_so`.
    """
    mlir_file, out_so = Path(mlir_file), Path(out_so)
    out_so.parent.mkdir(parents=True, exist_ok=True)
    stem = out_so.with_suffix("")
    llvm_mlir, llvm_ir = Path(f"{stem}.llvm.mlir"), Path(f"{stem}.ll")
    options = f"chip={chip} features={features} format=bin"
    if cuda_path:
        options += f" cuda-path={cuda_path}"
    if pipeline_options:
        options += " " + pipeline_options
    env_opt = norm_opt or find_norm_opt()
    _run([env_opt, mlir_file, f"--norm-lower-to-nvvm={options}", "-o",
          llvm_mlir], "norm-opt --norm-lower-to-nvvm")
    _run([LLVM_BIN / "mlir-translate", "--mlir-to-llvmir", llvm_mlir, "-o",
          llvm_ir], "mlir-translate")
    runtime_lib = Path(runtime_lib)
    if runtime_lib.resolve() != (out_so.parent / RUNTIME_NAME).resolve():
        shutil.copy2(runtime_lib, out_so.parent / RUNTIME_NAME)
    _run([LLVM_BIN / "clang", "-O2", "-fPIC", "-shared",
          "-Wno-override-module", llvm_ir, "-o", out_so,
          f"-L{out_so.parent}", "-lnorm_cuda_runtime",
          "-Wl,-rpath,$ORIGIN", "-Wl,--no-undefined", "-Wl,-Bsymbolic",
          "-lc"],
         "clang (host library)")
    manifest = {"chip": chip, "features": features,
                "functions": parse_signatures(mlir_file.read_text())}
    Path(f"{out_so}.json").write_text(json.dumps(manifest, indent=1))
    if not keep_intermediates:
        llvm_mlir.unlink(missing_ok=True)
        llvm_ir.unlink(missing_ok=True)
    return out_so


# ----------------------------------------------------------------------------
# Calling (on the GPU machine).
# ----------------------------------------------------------------------------

_descriptor_types: Dict[int, type] = {}


def descriptor_type(rank: int) -> type:
    """The ctypes struct of a rank-`rank` memref descriptor."""
    if rank not in _descriptor_types:
        fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                  ("offset", ctypes.c_int64)]
        if rank:
            fields += [("sizes", ctypes.c_int64 * rank),
                       ("strides", ctypes.c_int64 * rank)]
        _descriptor_types[rank] = type(f"MemRef{rank}D", (ctypes.Structure,),
                                       {"_fields_": fields})
    return _descriptor_types[rank]


#: __cuda_array_interface__ typestr (without byte order) -> MLIR element type.
#: A 2-byte void ("V2", how bf16 arrays describe themselves) stays unknown:
#: only its size is checked.
_TYPESTR_ELEMENTS = {"f2": "f16", "f4": "f32", "f8": "f64", "i4": "i32",
                     "i8": "i64", "i1": "i8", "u1": "ui8"}


#: str(torch dtype) -> MLIR element type.
_TORCH_ELEMENTS = {"torch.float32": "f32", "torch.float16": "f16",
                   "torch.bfloat16": "bf16", "torch.float64": "f64",
                   "torch.int32": "i32", "torch.int64": "i64",
                   "torch.int8": "i8", "torch.uint8": "ui8"}


def _tensor_info(tensor):
    """(device pointer, shape, element bytes, contiguous, element type or
    None) of a torch tensor or an object with __cuda_array_interface__
    (CuPy)."""
    if hasattr(tensor, "data_ptr") and hasattr(tensor, "is_cuda"):
        if not tensor.is_cuda:
            raise ValueError("expected a CUDA tensor")
        return (tensor.data_ptr(), tuple(tensor.shape), tensor.element_size(),
                tensor.is_contiguous(),
                _TORCH_ELEMENTS.get(str(getattr(tensor, "dtype", ""))))
    iface = getattr(tensor, "__cuda_array_interface__", None)
    if iface is None:
        raise TypeError(f"not a device tensor: {type(tensor).__name__}")
    element = _TYPESTR_ELEMENTS.get(iface["typestr"].lstrip("<>|="))
    itemsize = int(re.sub(r"\D", "", iface["typestr"])) or 1
    shape = tuple(iface["shape"])
    strides = iface.get("strides")
    contiguous = strides is None
    if strides is not None:
        expected, acc = [], itemsize
        for size in reversed(shape):
            expected.insert(0, acc)
            acc *= size
        contiguous = tuple(strides) == tuple(expected)
    return iface["data"][0], shape, itemsize, contiguous, element


def make_descriptor(tensor, param: Optional[dict] = None):
    """A memref descriptor of a contiguous device tensor (zero copy)."""
    ptr, shape, itemsize, contiguous, element = _tensor_info(tensor)
    if not contiguous:
        raise ValueError("device tensors must be contiguous")
    if ptr % 16:
        raise ValueError("device tensors must be 16-byte aligned")
    if param is not None:
        if len(shape) != len(param["shape"]) or any(
                e != -1 and e != s for e, s in zip(param["shape"], shape)):
            raise ValueError(f"shape {list(shape)} does not match "
                             f"memref {param['shape']}")
        if _ELEMENT_BYTES.get(param["dtype"], itemsize) != itemsize:
            raise ValueError(f"element size {itemsize} does not match "
                             f"{param['dtype']}")
        # Same size is not enough: f16 data read as bf16 is garbage.
        if element is not None and param["dtype"] in _ELEMENT_BYTES and \
                element != param["dtype"]:
            raise ValueError(f"element type {element} does not match "
                             f"{param['dtype']}")
    desc = descriptor_type(len(shape))()
    desc.allocated = desc.aligned = ptr
    desc.offset = 0
    stride = 1
    for d in reversed(range(len(shape))):
        desc.sizes[d] = shape[d]
        desc.strides[d] = stride
        stride *= shape[d]
    return desc


class GpuLibrary:
    """A host library built by `compile_gpu_library`, loaded with ctypes."""

    def __init__(self, so_path, runtime_lib=None):
        so_path = Path(so_path)
        runtime_lib = Path(runtime_lib or so_path.parent / RUNTIME_NAME)
        # The runtime first, global, so that the library's mgpu* symbols and
        # the stream setter are the same copy.
        self.runtime = ctypes.CDLL(str(runtime_lib), mode=ctypes.RTLD_GLOBAL)
        self.runtime.normCudaSetStream.argtypes = [ctypes.c_void_p]
        self.runtime.normCudaGetLastErrorString.restype = ctypes.c_char_p
        self.lib = ctypes.CDLL(str(so_path))
        manifest = Path(f"{so_path}.json")
        self.signatures = (json.loads(manifest.read_text())["functions"]
                           if manifest.is_file() else {})
        self._functions = {}

    def set_stream(self, stream: Optional[int]) -> None:
        """Launch on `stream` (a CUstream handle, e.g. torch's
        `current_stream().cuda_stream`) without synchronizing; None restores
        the runtime's per-thread stream, synchronized at every call."""
        self.runtime.normCudaSetStream(stream or None)

    def check(self) -> None:
        """Raises if a CUDA driver call failed since the last check."""
        code = self.runtime.normCudaGetLastError()
        if code:
            message = self.runtime.normCudaGetLastErrorString().decode()
            self.runtime.normCudaClearLastError()
            raise RuntimeError(f"CUDA error {code} ({message})")

    def synchronize(self) -> None:
        self.runtime.normCudaSynchronize()
        self.check()

    def function(self, name: str):
        if name not in self._functions:
            fn = getattr(self.lib, f"_mlir_ciface_{name}")
            fn.restype = None
            self._functions[name] = fn
        return self._functions[name]

    def descriptors(self, name: str, *tensors):
        """The descriptors of a call (build once, reuse for timing loops)."""
        params = self.signatures.get(name)
        if params is not None and len(params) != len(tensors):
            raise TypeError(f"{name} takes {len(params)} memrefs, got "
                            f"{len(tensors)}")
        return [make_descriptor(t, params[i] if params else None)
                for i, t in enumerate(tensors)]

    def call(self, name: str, *tensors) -> None:
        self.call_descriptors(name, self.descriptors(name, *tensors))

    def call_descriptors(self, name: str, descriptors) -> None:
        self.function(name)(*[ctypes.byref(d) for d in descriptors])
