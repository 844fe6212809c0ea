"""Ahead-of-time compilation of MLIR to a shared library, called with numpy.

    opt tool (norm-opt --norm-lower-to-cpu, or mlir-opt + explicit pipeline)
      -> mlir-translate --mlir-to-llvmir
      -> clang-22 -O3 -shared -fPIC [-fopenmp]
      -> ctypes, through the `_mlir_ciface_<name>` wrappers

Functions to call must carry the `llvm.emit_c_interface` attribute.

C ABI (see docs in the package README / Pipelines.h):
  * every tensor/memref argument is a pointer to a ranked memref descriptor
    with the identity layout (C-contiguous numpy arrays are passed as is);
    scalars are passed by value;
  * destination passing: a tensor result that is tied to an argument (the
    function returns its `outs` argument) is dropped from the C signature by
    the pipeline and written in place. The pipeline records the tie as
    `norm.tied_results = array<i64: argIdx | -1, ...>` on the function; the
    Python call returns the caller's output array for it. It must be a
    writeable C-contiguous array of the element type, unless
    `norm.tied_results_written` says the function only reads that argument
    (an input returned as it is, or through reshapes): then it is an input
    like any other;
  * any other memref result is returned through a leading out-pointer to the
    (struct of) descriptor(s); it was malloc'ed by the compiled code and
    belongs to the caller: the returned numpy array frees it when collected.
"""

import ctypes
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from . import memref as _memref

LLVM_BIN = Path(os.environ.get("NORM_LLVM_BIN", "/usr/lib/llvm-22/bin"))
LLVM_LIB = Path(os.environ.get("NORM_LLVM_LIB", "/usr/lib/llvm-22/lib"))

_REPO_ROOT = Path(__file__).resolve().parents[2]


def find_opt() -> str:
    """The opt tool: $NORM_OPT, else norm-opt in $NORM_BUILD_DIR/bin or the
    repository's build/bin, else norm-opt on PATH, else mlir-opt."""
    env = os.environ.get("NORM_OPT")
    if env:
        return env
    build_dirs = [os.environ.get("NORM_BUILD_DIR"), _REPO_ROOT / "build"]
    for d in build_dirs:
        if d and (Path(d) / "bin" / "norm-opt").is_file():
            return str(Path(d) / "bin" / "norm-opt")
    on_path = shutil.which("norm-opt")
    if on_path:
        return on_path
    return str(LLVM_BIN / "mlir-opt")


def upstream_pipeline(openmp: bool = True) -> str:
    """The CPU lowering with upstream passes only (for plain mlir-opt).

    Mirrors norm-lower-to-cpu without the norm-specific passes; in particular
    results tied to arguments of public functions are not dropped, so the
    deallocation pipeline returns a copy (correct, but slower).
    """
    passes = [
        "canonicalize",
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map}",
        "drop-equivalent-buffer-results",
        "buffer-deallocation-pipeline",
        "convert-bufferization-to-memref",
        "convert-linalg-to-parallel-loops" if openmp else "convert-linalg-to-loops",
        "scf-forall-to-parallel",
    ]
    if openmp:
        passes.append("convert-scf-to-openmp")
    passes += [
        "expand-strided-metadata",
        "lower-affine",
        "finalize-memref-to-llvm",
        "convert-scf-to-cf",
        "convert-to-llvm",
        "reconcile-unrealized-casts",
    ]
    return "builtin.module(" + ",".join(passes) + ")"


def norm_pipeline(openmp: bool = True, **options) -> str:
    """The `norm-lower-to-cpu` pipeline string for norm-opt.

    `recoverable-checks` is on unless given: a failed run-time check of a
    compiled function (an output array of the wrong size, a frontend's shape
    check) raises RuntimeCheckError instead of aborting the process. Not
    with `mpi`: a process that returned from a failed check would leave the
    others waiting in a collective, where an abort ends the whole job.
    """
    opts = {"openmp": openmp,
            "recoverable-checks": not options.get("mpi", False), **options}
    text = " ".join(
        f"{k}={int(v) if isinstance(v, bool) else v}" for k, v in opts.items()
    )
    return f"builtin.module(norm-lower-to-cpu{{{text}}})"


#: The partition of a shard-annotated module into the part of one process
#: (what `norm-lower-to-cpu{mpi=1}` starts with): its signatures are those of
#: the compiled functions.
PARTITION_PIPELINE = "builtin.module(norm-shard-partition)"


def default_pipeline(opt: str, openmp: bool = True) -> str:
    if "norm-opt" in Path(opt).name:
        return norm_pipeline(openmp)
    return upstream_pipeline(openmp)


def _cache_dir() -> Path:
    d = os.environ.get("NORM_MLIR_CACHE")
    if d:
        return Path(d)
    # An empty XDG_CACHE_HOME means unset (the XDG specification).
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "norm_mlir"


def _fallback_cache_dir() -> Path:
    """A cache directory of this user's own under the temporary directory:
    created with mode 0700 and refused unless it is ours and writable by us
    alone (anyone can create a name in /tmp first and plant a library)."""
    try:
        user = str(os.getuid())
    except AttributeError:  # no getuid (Windows)
        import getpass
        user = getpass.getuser()
    path = Path(tempfile.gettempdir()) / f"norm_mlir-{user}"
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.lstat()
    if (not stat.S_ISDIR(st.st_mode) or st.st_mode & 0o022 or
            (hasattr(os, "getuid") and st.st_uid != os.getuid())):
        raise CompileError(
            f"the fallback cache directory {path} is not a directory of "
            "this user's writable by it alone: set NORM_MLIR_CACHE to a "
            "writable directory")
    return path


def _writable_dir(path: Path) -> bool:
    """Whether `path` exists (created if need be) and takes new files."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path):
            pass
        return True
    except OSError:
        return False


def _tool_id(path: str) -> str:
    """Identifies a tool build for the cache key (path, size, mtime)."""
    p = Path(shutil.which(path) or path)
    st = p.stat()
    return f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def _run(cmd: Sequence[str], stdin: Optional[str] = None) -> str:
    proc = subprocess.run(list(cmd), input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CompileError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}"
        )
    return proc.stdout


class CompileError(RuntimeError):
    pass


class RuntimeCheckError(RuntimeError):
    """A run-time check of a compiled function failed (e.g. an output array
    whose size is not the result's, a group count that does not divide the
    channels, a frontend's broadcast check). The call had no effect on the
    results, which are discarded; output arrays may hold partial writes.
    Modules compiled with `norm-lower-to-cpu{recoverable-checks=1}` (the
    default of this package) report the failure this way; others abort."""


# --- Signatures --------------------------------------------------------------


@dataclass
class ArgType:
    """A func argument/result type: a ranked tensor/memref or a scalar."""

    elem: str
    shape: Optional[List[Optional[int]]]  # None for scalars; None dims = '?'

    @property
    def is_shaped(self) -> bool:
        return self.shape is not None

    @property
    def dtype(self) -> np.dtype:
        return _memref.numpy_dtype(self.elem)


def _split_top(text: str) -> List[str]:
    """Split on commas that are not nested in <>, (), [], {}."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts]


def _parse_type(text: str) -> ArgType:
    text = text.strip()
    m = re.match(r"(tensor|memref)<(.*)>$", text)
    if not m:
        return ArgType(text, None)
    body = _split_top(m.group(2))[0]  # drop layout / encoding / memory space
    dims = body.split("x")
    shape = [None if d == "?" else int(d) for d in dims[:-1]]
    return ArgType(dims[-1], shape)


def _matching(text: str, start: int) -> int:
    """Index just past the bracket closing the one at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "(<[{":
            depth += 1
        elif text[i] in ")>]}" and not (text[i] == ">" and text[i - 1] == "-"):
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced brackets")


@dataclass
class FuncSignature:
    name: str
    args: List[ArgType]
    results: List[ArgType]
    tied: List[int] = field(default_factory=list)  # per result: arg idx or -1
    # per result: whether the function may write the tied argument
    written: List[bool] = field(default_factory=list)


def parse_signatures(ir: str) -> dict:
    """Signatures of the `func.func` ops with `llvm.emit_c_interface`."""
    sigs = {}
    for m in re.finditer(r"func\.func\s+(?:public\s+|private\s+)?@([\w$.]+)\s*\(", ir):
        name = m.group(1)
        lp = m.end() - 1
        rp = _matching(ir, lp)
        args = []
        for a in _split_top(ir[lp + 1 : rp - 1]):
            if not a:
                continue
            a = re.sub(r"\{.*\}\s*$", "", a)  # arg attributes
            ty = a.split(":", 1)[1] if a.startswith("%") else a
            args.append(_parse_type(ty))
        rest = ir[rp:]
        results = []
        mres = re.match(r"\s*->\s*", rest)
        pos = rp
        if mres:
            pos = rp + mres.end()
            if ir[pos] == "(":
                end = _matching(ir, pos)
                results = [_parse_type(re.sub(r"\{.*\}\s*$", "", t))
                           for t in _split_top(ir[pos + 1 : end - 1])]
                pos = end
            else:
                mt = re.match(r"((?:tensor|memref)<|[\w]+)", ir[pos:])
                end = _matching(ir, pos + mt.end() - 1) if mt.group(1).endswith("<") \
                    else pos + mt.end()
                results = [_parse_type(ir[pos:end])]
                pos = end
        attrs = ""
        if re.match(r"\s*attributes", ir[pos:]):
            attrs = ir[pos : _matching(ir, ir.find("{", pos))]
        if "llvm.emit_c_interface" in attrs:
            sigs[name] = FuncSignature(name, args, results)
    return sigs


_CIFACE_RE = re.compile(r"llvm\.func @_mlir_ciface_([\w$.]+)\(")


def _read_lowered_abi(llvm_mlir: str, sigs: dict) -> None:
    """Work out which results survived from the lowered LLVM-dialect text."""
    for m in _CIFACE_RE.finditer(llvm_mlir):
        name = m.group(1)
        if name not in sigs:
            continue
        sig = sigs[name]
        lp = m.end() - 1
        rp = _matching(llvm_mlir, lp)
        nparams = len([p for p in _split_top(llvm_mlir[lp + 1 : rp - 1]) if p])
        line_end = llvm_mlir.find("\n", rp)
        header = llvm_mlir[rp:line_end]
        t = re.search(r"norm\.tied_results = array<i64(?::\s*([-\d,\s]*))?>", header)
        shaped = [r for r in sig.results if r.is_shaped]
        if t:
            tied = [int(x) for x in (t.group(1) or "").split(",") if x.strip()]
        elif shaped and nparams == len(sig.args):
            # Results dropped without a record (e.g. upstream
            # drop-equivalent-buffer-results on a private function): assume
            # destination passing with the outputs as trailing arguments.
            first = len(sig.args) - len(sig.results)
            tied = [first + i for i in range(len(sig.results))]
        else:
            tied = [-1] * len(sig.results)
        if len(tied) != len(sig.results):
            raise CompileError(f"@{name}: bad norm.tied_results {tied}")
        w = re.search(r"norm\.tied_results_written = array<i1(?::\s*([a-z,\s]*))?>",
                      header)
        if w:
            written = [x.strip() == "true"
                       for x in (w.group(1) or "").split(",") if x.strip()]
            if len(written) != len(sig.results):
                raise CompileError(
                    f"@{name}: bad norm.tied_results_written {written}")
        else:  # Not recorded: every tied argument may be written.
            written = [t >= 0 for t in tied]
        returned = [r for r, t in zip(sig.results, tied) if t < 0]
        out_ptr = bool(returned) and not (
            len(returned) == 1 and not returned[0].is_shaped
        )
        if nparams != len(sig.args) + int(out_ptr):
            raise CompileError(
                f"@{name}: C interface has {nparams} parameters; expected "
                f"{len(sig.args) + int(out_ptr)} from the signature"
            )
        sig.tied = tied
        sig.written = written


# --- Compilation ---------------------------------------------------------------


def compile_mlir(
    ir: str,
    *,
    pipeline: Optional[str] = None,
    opt: Optional[str] = None,
    openmp: bool = True,
    cflags: Sequence[str] = ("-O3", "-march=native"),
    cache_dir: Optional[os.PathLike] = None,
    mpi: bool = False,
) -> "CompiledModule":
    """Compile MLIR text (or a path to a .mlir file) to a loaded module.

    `pipeline` is a `--pass-pipeline` string; by default `norm-lower-to-cpu`
    for norm-opt and `upstream_pipeline()` for mlir-opt. `openmp` selects the
    OpenMP lowering of the default pipeline and links libomp.

    `mpi` compiles a module written with the shard dialect (global view,
    e.g. SyncBatchNorm) for one MPI process: `norm-lower-to-cpu{mpi=1}` by
    default, linked with MPICH (`-lmpich`); the functions take and return
    the local shards. The caller runs under mpirun and calls MPI_Init first.
    """
    if isinstance(ir, os.PathLike) or (isinstance(ir, str) and "\n" not in ir
                                       and ir.endswith(".mlir")):
        ir = Path(ir).read_text()
    opt = opt or find_opt()
    if pipeline is None:
        pipeline = (norm_pipeline(openmp, mpi=True) if mpi
                    else default_pipeline(opt, openmp))
    translate = str(LLVM_BIN / "mlir-translate")
    clang = str(LLVM_BIN / "clang")
    flags = list(cflags)
    if openmp:
        flags += ["-fopenmp", f"-L{LLVM_LIB}", f"-Wl,-rpath,{LLVM_LIB}", "-lomp"]
    # -Bsymbolic: calls inside the library bind to its own functions. Without
    # it `_mlir_ciface_step` called libc's `step` (regexp.h), which was
    # loaded first and interposes: a function named like any libc symbol
    # (step, index, time, ...) ran libc's code.
    libs = ["-Wl,-Bsymbolic"] + (["-lmpich"] if mpi else [])
    key_src = json.dumps(
        [ir, pipeline, _tool_id(opt), _tool_id(translate), _tool_id(clang), flags,
         libs]
    )
    key = hashlib.sha256(key_src.encode()).hexdigest()[:32]
    cdir = Path(cache_dir) if cache_dir else _cache_dir()
    so_path = cdir / f"{key}.so"
    meta_path = cdir / f"{key}.json"
    # The compiled functions take the local shards under mpi.
    sig_ir = _run([opt, f"--pass-pipeline={PARTITION_PIPELINE}"],
                  stdin=ir) if mpi else ir

    def cached(directory: Path) -> Optional["CompiledModule"]:
        so, meta = directory / f"{key}.so", directory / f"{key}.json"
        if not (so.exists() and meta.exists()):
            return None
        sigs = parse_signatures(sig_ir)
        for name, t in json.loads(meta.read_text()).items():
            if name in sigs:
                if isinstance(t, list):  # Written before ties had `written`.
                    t = {"tied": t, "written": [i >= 0 for i in t]}
                sigs[name].tied = t["tied"]
                sigs[name].written = t["written"]
        return CompiledModule(so, sigs)

    module = cached(cdir)
    if module is not None:
        return module
    if not _writable_dir(cdir):
        # A read-only cache still serves what it holds (above); a new
        # library goes to a private fallback only when no cache was chosen.
        if cache_dir or os.environ.get("NORM_MLIR_CACHE"):
            raise CompileError(
                f"the cache directory {cdir} (cache_dir= or NORM_MLIR_CACHE) "
                "is not writable: choose a writable one")
        fallback = _fallback_cache_dir()
        warnings.warn(f"norm_mlir: the cache directory {cdir} is not "
                      f"writable; compiling into {fallback} (set "
                      "NORM_MLIR_CACHE to choose another)", RuntimeWarning,
                      stacklevel=2)
        cdir = fallback
        so_path = cdir / f"{key}.so"
        meta_path = cdir / f"{key}.json"
        module = cached(cdir)
        if module is not None:
            return module

    with tempfile.TemporaryDirectory(dir=cdir) as tmp:
        tmp = Path(tmp)
        lowered = _run([opt, f"--pass-pipeline={pipeline}"], stdin=ir)
        (tmp / "lowered.mlir").write_text(lowered)
        sigs = parse_signatures(sig_ir)
        _read_lowered_abi(lowered, sigs)
        _run([translate, "--mlir-to-llvmir", str(tmp / "lowered.mlir"),
              "-o", str(tmp / "module.ll")])
        link = []
        if "memrefCopy" in lowered:
            # memref.copy between buffers not provably contiguous (dynamic
            # tiles) calls the C runner utils' memrefCopy.
            link = [f"-L{LLVM_LIB}", f"-Wl,-rpath,{LLVM_LIB}",
                    "-lmlir_c_runner_utils"]
        _run([clang, *flags, "-shared", "-fPIC", "-Wno-override-module",
              str(tmp / "module.ll"), "-o", str(tmp / "module.so"), *link,
              *libs])
        (tmp / "meta.json").write_text(json.dumps(
            {n: {"tied": s.tied, "written": s.written} for n, s in sigs.items()}))
        os.replace(tmp / "meta.json", meta_path)
        os.replace(tmp / "module.so", so_path)  # atomic: readers see all or nothing
    return CompiledModule(so_path, sigs)


class CompiledModule:
    """A loaded shared library; functions are attributes: `mod.layer_norm(x, y)`."""

    def __init__(self, path: Path, sigs: dict):
        self.path = path
        self.signatures = sigs
        self._lib = ctypes.CDLL(str(path), mode=ctypes.RTLD_LOCAL)
        self._funcs = {}
        # norm-recoverable-checks' reader of the calling thread's last failed
        # check; absent when the module has no check (or was compiled
        # without the pass: a failed check then aborts).
        try:
            self._take_check_failure = self._lib.norm_take_check_failure
            self._take_check_failure.restype = ctypes.c_char_p
            self._take_check_failure.argtypes = []
        except AttributeError:
            self._take_check_failure = None

    def _raise_check_failure(self, name: str):
        if self._take_check_failure is None:
            return
        message = self._take_check_failure()
        if message:
            raise RuntimeCheckError(
                f"@{name}: run-time check failed: "
                + message.decode("utf-8", errors="replace"))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:  # hasattr and getattr(..., default) work
            raise AttributeError(error.args[0]) from None

    def __getitem__(self, name) -> "CompiledFunction":
        if name not in self._funcs:
            if name not in self.signatures:
                raise KeyError(f"no function @{name} with llvm.emit_c_interface")
            cfn = getattr(self._lib, f"_mlir_ciface_{name}")
            self._funcs[name] = CompiledFunction(cfn, self.signatures[name], self)
        return self._funcs[name]


class CompiledFunction:
    def __init__(self, cfn, sig: FuncSignature, module: CompiledModule):
        self._cfn = cfn
        self._module = module  # keeps the library loaded
        self.sig = sig
        tied = sig.tied or [-1] * len(sig.results)
        self._returned = [i for i, t in enumerate(tied) if t < 0]
        self._tied = tied
        # The arguments written in place: the caller's own arrays must be
        # passed. A tied argument only read is an input like the others.
        written = sig.written or [t >= 0 for t in tied]
        self._outputs = {t for t, w in zip(tied, written) if t >= 0 and w}
        rets = [sig.results[i] for i in self._returned]
        self._scalar_ret = len(rets) == 1 and not rets[0].is_shaped
        if rets and not self._scalar_ret:
            fields = []
            for i, r in enumerate(rets):
                ty = (_memref.descriptor_type(len(r.shape)) if r.is_shaped
                      else _memref.scalar_ctype(r.elem))
                fields.append((f"r{i}", ty))
            self._ret_struct = type("Results", (ctypes.Structure,), {"_fields_": fields})
        else:
            self._ret_struct = None
        cfn.restype = _memref.scalar_ctype(rets[0].elem) if self._scalar_ret else None

    def __call__(self, *args):
        sig = self.sig
        if len(args) != len(sig.args):
            raise TypeError(f"@{sig.name} takes {len(sig.args)} arguments, got {len(args)}")
        keep, cargs, arrays = [], [], []
        for i, (a, ty) in enumerate(zip(args, sig.args)):
            if not ty.is_shaped:
                cargs.append(_memref.scalar_ctype(ty.elem)(a))
                arrays.append(None)
                continue
            if i in self._outputs:
                arr = a
                if not (isinstance(arr, np.ndarray) and arr.dtype == ty.dtype
                        and arr.flags.c_contiguous and arr.flags.writeable):
                    raise TypeError(f"output argument {i} of @{sig.name} must be a "
                                    f"writeable C-contiguous {ty.dtype} array")
            else:
                arr = _memref.as_contiguous(a, ty.dtype)
            self._check_shape(i, arr, ty)
            desc = _memref.to_descriptor(arr)
            keep.append(desc)
            arrays.append(arr)
            cargs.append(ctypes.byref(desc))
        ret = None
        if self._ret_struct is not None:
            ret = self._ret_struct()
            cargs.insert(0, ctypes.byref(ret))
        value = self._cfn(*cargs)
        # Before the results are wrapped: after a failed check they are
        # poison.
        self._module._raise_check_failure(sig.name)
        outs = []
        owners = {}  # results sharing a buffer free it once
        ri = 0
        for i, t in enumerate(self._tied):
            if t >= 0:
                outs.append(arrays[t])
                continue
            if self._scalar_ret:
                outs.append(value)
                continue
            rty = sig.results[i]
            r = getattr(ret, f"r{ri}")
            ri += 1
            outs.append(self._wrap_result(r, rty, arrays, owners)
                        if rty.is_shaped else r)
        if not outs:
            return None
        return outs[0] if len(outs) == 1 else tuple(outs)

    @staticmethod
    def _check_shape(i, arr, ty):
        if arr.ndim != len(ty.shape) or any(
            d is not None and d != n for d, n in zip(ty.shape, arr.shape)
        ):
            raise ValueError(f"argument {i}: shape {arr.shape} does not match {ty.shape}")

    @staticmethod
    def _wrap_result(desc, rty, arrays, owners):
        dtype = rty.dtype
        if _memref.is_static_global(desc):  # constant global: copy, never free
            return _memref.from_descriptor(desc, dtype, owned=False).copy()
        for a in arrays:  # aliases an argument (pipeline without dealloc)
            if a is not None and desc.allocated == a.ctypes.data:
                return _memref.from_descriptor(desc, dtype, owned=False)
        return _memref.from_descriptor(desc, dtype, owned=True, owners=owners)


def compile_file(path, **kwargs) -> CompiledModule:
    return compile_mlir(Path(path).read_text(), **kwargs)
