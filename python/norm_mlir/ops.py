"""One-call norm ops on numpy arrays and DLPack tensors.

    import norm_mlir.ops as nops
    y = nops.layer_norm(x, weight=w, bias=b, axes=[-1], eps=1e-5,
                        activation="gelu")

Each call builds the norm op as a function (builder.py), compiles it with
the CPU pipeline (norm-opt --norm-lower-to-cpu, mlir-translate, clang;
cached on disk by compile_mlir and in memory here) and runs it. Which
sizes the function fixes is the shape policy (`set_shape_policy`, or the
NORM_MLIR_OPS_SHAPES environment variable):

  * "automatic" (the default), as torch.compile's automatic dynamic shapes:
    the first call of an op (its rank, dtypes and options) compiles it for
    that call's sizes; a later call whose size differs in some dimension
    compiles it again with that dimension dynamic, from then on. A model
    that calls layer_norm on [batch, 768] with a varying batch compiles
    twice, [8, 768] and [?, 768]: static sizes let the compiler pick its
    tiles and vectorize whole rows (every size dynamic costs 1.0-1.4x for
    the row norms, up to 3x for batch-norm training and LayerNorm2d,
    docs/benchmarks.md "Dynamic sizes");
  * "dynamic": every dimension dynamic; one compilation per op, rank,
    dtypes and options;
  * "static": every call's sizes; one compilation per shape, each library
    kept loaded by the process (clear_memory_cache() forgets them).

NORM_MLIR_OPS_SHAPES is read by the first op call; a value that is not a
policy raises ValueError there.

`specializations()` lists the functions compiled so far. Arguments:

  * inputs: numpy arrays, or any object with ``__dlpack__`` on the CPU
    (e.g. PyTorch CPU tensors), read through ``numpy.from_dlpack`` without
    a copy. C-contiguous inputs of the op's dtype are passed without a copy;
    others are converted first;
  * outputs: written into ``out=`` when given (a writeable C-contiguous
    array or CPU DLPack tensor of the result's shape and dtype; the same
    object is returned), else into a new numpy array. When the first input
    is a PyTorch tensor, new outputs are returned as PyTorch tensors sharing
    memory with the numpy result.

Results are returned as a single array or a tuple, as documented per op.
Device (CUDA) tensors are refused with a TypeError: use the GPU path
(norm_mlir.gpu) for them.
"""

import os
import subprocess
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from . import compiler as _compiler
from .builder import Activation, FunctionBuilder, TensorType, Value, module_text

_lock = threading.Lock()
_modules: Dict[str, "_compiler.CompiledModule"] = {}

SHAPE_POLICIES = ("automatic", "dynamic", "static")
#: None: not chosen yet (NORM_MLIR_OPS_SHAPES is read by the first op).
_shape_policy: Optional[str] = None
#: "automatic": per op (its text with every size dynamic, and its compile
#: options), the shapes of its first call and the dimensions of each input
#: seen to vary since (recorded once a call's function compiled).
_first_shapes: Dict[str, List[Optional[tuple]]] = {}
_varying_dims: Dict[str, List[set]] = {}
#: Compiled text -> (op name, input types), in the order compiled.
_specializations: "OrderedDict[str, tuple]" = OrderedDict()


def _check_policy(policy: str, what: str) -> str:
    if policy not in SHAPE_POLICIES:
        raise ValueError(f"{what} {policy!r}: one of "
                         f"{', '.join(SHAPE_POLICIES)}")
    return policy


def shape_policy() -> str:
    """The shape policy in force (NORM_MLIR_OPS_SHAPES, else "automatic",
    until set_shape_policy)."""
    global _shape_policy
    with _lock:
        if _shape_policy is None:
            env = os.environ.get("NORM_MLIR_OPS_SHAPES") or "automatic"
            _shape_policy = _check_policy(env.strip().lower(),
                                          "NORM_MLIR_OPS_SHAPES")
        return _shape_policy


def set_shape_policy(policy: str) -> str:
    """Sets which sizes the ops compile ("automatic", "dynamic" or "static";
    see the module's documentation); returns the previous policy."""
    global _shape_policy
    _check_policy(policy, "shape policy")
    previous = shape_policy()
    with _lock:
        _shape_policy = policy
    return previous


def specializations(name: Optional[str] = None) -> List[tuple]:
    """The functions compiled in this process, oldest first, as (op name,
    input types) pairs, e.g. ("layer_norm", ("tensor<?x768xf32>",
    "tensor<768xf32>")); only op `name`'s when given. Two functions of the
    same types differ in their attributes (eps, activation, ...)."""
    with _lock:
        return [v for v in _specializations.values()
                if name is None or v[0] == name]


def _dynamic_dims(key: str, arrays: Sequence[Optional[np.ndarray]]):
    """Per input, the dimensions to compile dynamic under the shape policy
    (True: all, or a list of dimensions), and a function that records this
    call's shapes once its function compiled."""
    policy = shape_policy()
    if policy == "dynamic":
        return [True] * len(arrays), lambda: None
    if policy == "static":
        return [[] for _ in arrays], lambda: None
    shapes = [None if a is None else a.shape for a in arrays]
    with _lock:
        first = _first_shapes.get(key, shapes)
        varying = [set(dims) for dims in
                   _varying_dims.get(key, [set() for _ in arrays])]
    for dims, seen, shape in zip(varying, first, shapes):
        if seen is not None and shape is not None:
            dims.update(d for d, (a, b) in enumerate(zip(seen, shape))
                        if a != b)

    def record():
        with _lock:
            _first_shapes.setdefault(key, first)
            for old, new in zip(_varying_dims.setdefault(
                    key, [set() for _ in arrays]), varying):
                old.update(new)

    return [sorted(dims) for dims in varying], record

# kDLCPU and kDLCUDAHost can be read from the host.
_DLPACK_HOST_DEVICES = (1, 3)


def as_array(obj, name: str = "argument") -> np.ndarray:
    """A numpy view of `obj` (numpy array, DLPack CPU tensor or array-like)."""
    if obj is None or isinstance(obj, np.ndarray):
        return obj
    if _is_torch_tensor(obj):
        return _torch_to_numpy(obj, name)
    if hasattr(obj, "__dlpack__"):
        if hasattr(obj, "__dlpack_device__"):
            dev = obj.__dlpack_device__()[0]
            if int(dev) not in _DLPACK_HOST_DEVICES:
                raise TypeError(
                    f"{name} lives on DLPack device {obj.__dlpack_device__()}; "
                    "norm_mlir.ops runs on the CPU (use norm_mlir.gpu for "
                    "device tensors)")
        return np.from_dlpack(obj)
    return np.asarray(obj)


def _is_torch_tensor(obj) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _torch_to_numpy(tensor, name: str) -> np.ndarray:
    """A numpy view of a CPU torch tensor: detached (parameters require
    grad, which DLPack refuses), its lazy negation or conjugation applied
    (DLPack would export the raw bits), bf16 through its int16 bits (numpy
    has no bf16 of its own; ml_dtypes' bfloat16 when installed)."""
    if tensor.device.type != "cpu":
        raise TypeError(
            f"{name} is on {tensor.device}; norm_mlir.ops runs on the CPU "
            "(use norm_mlir.gpu for device tensors)")
    tensor = tensor.detach().resolve_conj().resolve_neg()
    torch = sys.modules["torch"]
    if tensor.dtype == torch.bfloat16:
        from .memref import bfloat16
        bits = tensor.view(torch.int16).numpy()
        return bits.view(bfloat16) if bfloat16 is not None else \
            bits.view(np.uint16)
    return tensor.numpy()


def _norm_opt(opt: Optional[str] = None) -> str:
    """`opt`, else the opt tool found; it must be norm-opt."""
    opt = opt or _compiler.find_opt()
    if "norm-opt" not in Path(opt).name:
        raise _compiler.CompileError(
            f"norm ops need norm-opt, but the opt tool found is {opt}: set "
            "NORM_BUILD_DIR to the build directory (with bin/norm-opt), "
            "NORM_OPT to the norm-opt binary, or put norm-opt on PATH")
    return opt


def compile_text(text: str, **kwargs) -> "_compiler.CompiledModule":
    """compile_mlir memoized in this process (the disk cache is shared)."""
    kwargs["opt"] = _norm_opt(kwargs.get("opt"))
    key = text + repr(sorted(kwargs.items()))
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            mod = _compiler.compile_mlir(text, **kwargs)
            _modules[key] = mod
    return mod


#: Texts that verified, most recent last; at most _MAX_VERIFIED.
_verified: "OrderedDict[str, None]" = OrderedDict()
_MAX_VERIFIED = 4096


def verify_text(text: str, what: str, opt: Optional[str] = None) -> None:
    """Runs the norm dialect's verifier (norm-opt, no passes) on `text`,
    memoized in this process; raises ValueError with its diagnostics.

    `run_op` compiles each op once with dynamic shapes; the dynamic form
    cannot check the shapes of a call (a weight as long as the normalized
    dimensions, a channel count that the groups divide, ...), so the same op
    with the call's static shapes is verified first: one norm-opt process
    (about 40 ms) the first time a shape is seen."""
    with _lock:
        if text in _verified:
            _verified.move_to_end(text)
            return
    proc = subprocess.run([_norm_opt(opt), "-", "-o", os.devnull],
                          input=text, capture_output=True, text=True)
    if proc.returncode != 0:
        errors = [line.split(" error: ", 1)[1] for line in
                  proc.stderr.splitlines() if " error: " in line]
        raise ValueError(f"{what}: " + ("; ".join(errors) or
                                       proc.stderr.strip()))
    with _lock:
        _verified[text] = None
        while len(_verified) > _MAX_VERIFIED:
            _verified.popitem(last=False)


def clear_memory_cache() -> None:
    """Forget the in-process compiled modules and the shapes seen (the disk
    cache stays)."""
    with _lock:
        _modules.clear()
        _verified.clear()
        _first_shapes.clear()
        _varying_dims.clear()
        _specializations.clear()


def _wrap_like(result: np.ndarray, like):
    """Return `result` as a torch tensor when `like` is one (no copy)."""
    if not _is_torch_tensor(like):
        return result
    torch = sys.modules["torch"]
    if result.dtype.name == "bfloat16":
        return torch.from_numpy(result.view(np.int16)).view(torch.bfloat16)
    return torch.from_dlpack(result)


Build = Callable[[FunctionBuilder, List[Optional[Value]]], Sequence[Value]]


def run_op(name: str, build: Build, inputs: Sequence, out=None,
           compile_options: Optional[dict] = None):
    """Build `name` from `build(fb, values)` over `inputs` (None entries are
    absent operands), compile it (cached) and run it.

    Returns the list of results (numpy arrays, or `out` entries)."""
    raw = list(inputs)
    arrays = [as_array(a, f"input {i}") for i, a in enumerate(raw)]

    def make(dynamic) -> FunctionBuilder:
        """`dynamic`: per input, True (every dimension) or dimensions."""
        fb = FunctionBuilder(name)
        # Inputs read-only: an op lowered in place (inplace_abn,
        # inplace_abn_grad) writes its `out` array, never an input.
        vals = [None if a is None else fb.arg(TensorType.of(a, dims),
                                              writable=False)
                for a, dims in zip(arrays, dynamic)]
        results = build(fb, vals)
        if isinstance(results, Value):
            results = [results]
        fb.ret(*results)
        return fb

    static = make([False] * len(arrays))  # the result types of this call
    static_text = module_text([static])
    # The verifier on the call's shapes: a dynamic form cannot check them.
    verify_text(static_text, name, (compile_options or {}).get("opt"))
    options_key = repr(sorted((compile_options or {}).items()))
    all_dynamic = make([True] * len(arrays))
    all_dynamic_text = module_text([all_dynamic])
    dynamic, record_shapes = _dynamic_dims(all_dynamic_text + options_key,
                                           arrays)
    if not any(dynamic):
        compiled, text = static, static_text
    elif all(dims is True for dims in dynamic):
        compiled, text = all_dynamic, all_dynamic_text
    else:
        compiled = make(dynamic)
        text = module_text([compiled])
    module = compile_text(text, **(compile_options or {}))
    fn = module[name]
    record_shapes()
    n_inputs = sum(a is not None for a in arrays)
    with _lock:
        _specializations.setdefault(
            text + options_key,
            (name, tuple(str(v.type) for v in compiled.args[:n_inputs])))

    rtypes = [r.type for r in static.results]
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    outs += [None] * (len(rtypes) - len(outs))
    if len(outs) > len(rtypes):
        raise ValueError(f"{name}: {len(outs)} outputs given, {len(rtypes)} results")
    out_arrays = []
    for i, (o, t) in enumerate(zip(outs, rtypes)):
        if o is None:
            out_arrays.append(empty_aligned(t.shape, t.numpy_dtype))
            continue
        if _is_torch_tensor(o) and (o.is_neg() or o.is_conj()):
            raise ValueError(
                f"{name}: out[{i}] is a lazily negated or conjugated torch "
                "view; results written through it would land in a copy")
        oa = as_array(o, f"out[{i}]")
        if oa.shape != tuple(t.shape) or oa.dtype != t.numpy_dtype:
            raise ValueError(f"{name}: out[{i}] must have shape {tuple(t.shape)} "
                             f"and dtype {t.numpy_dtype}, got {oa.shape} {oa.dtype}")
        if not (oa.flags.c_contiguous and oa.flags.writeable):
            raise ValueError(f"{name}: out[{i}] must be writeable and C-contiguous")
        out_arrays.append(oa)
    # An `out` that shares memory with an input or another output gets its
    # results through a temporary, as numpy's ufuncs do: the lowerings read
    # their inputs in several passes (layer_norm(x, residual=r) writes
    # x + r in its statistics pass and reads r again to normalize), so even
    # an exact alias is wrong in general. The exception is the in-place op's
    # own: InPlace-ABN's y over x and its backward's dx over dy.
    inputs_given = [a for a in arrays if a is not None]
    staged = {}
    for i, oa in enumerate(out_arrays):
        if outs[i] is None:
            continue
        others = [(j, a) for j, a in enumerate(arrays) if a is not None] + [
            (None, o) for j, o in enumerate(out_arrays) if j != i]
        if any(np.may_share_memory(oa, a) and not (
                name in _IN_PLACE_OPS and i == 0 and j == 0
                and _same_elements(oa, a)) for j, a in others):
            staged[i] = oa
            out_arrays[i] = empty_aligned(oa.shape, oa.dtype)
    fn(*inputs_given, *out_arrays)
    for i, oa in staged.items():
        np.copyto(oa, out_arrays[i])
        out_arrays[i] = oa
    like = next((a for a in raw if a is not None), None)
    return [o if o is not None else _wrap_like(a, like)
            for o, a in zip(outs, out_arrays)]


#: Ops whose first result may be written over their first input (lowered
#: in place: y over x, dx over dy).
_IN_PLACE_OPS = ("inplace_abn", "inplace_abn_grad")


#: The alignment of the outputs that run_op allocates: a cache line, as
#: PyTorch's CPU allocator gives. The compiled functions write 64-byte
#: aligned outputs with aligned non-temporal stores; numpy's own arrays
#: start 16 bytes into a line, where those stores are split into 8-byte
#: ones (LayerNorm2d at [8, 96, 56, 56]: 4.1 ms instead of 1.1).
OUTPUT_ALIGNMENT = 64


def empty_aligned(shape, dtype) -> np.ndarray:
    """An uninitialized C-contiguous array whose data start at a multiple
    of OUTPUT_ALIGNMENT bytes."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + OUTPUT_ALIGNMENT, np.uint8)
    start = (-raw.ctypes.data) % OUTPUT_ALIGNMENT
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _same_elements(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a` and `b` view the same memory element for element."""
    return (a.ctypes.data == b.ctypes.data and a.shape == b.shape
            and a.strides == b.strides and a.dtype.itemsize == b.dtype.itemsize)


def _one_or_tuple(results):
    return results[0] if len(results) == 1 else tuple(results)


# -- Activation normalizations ---------------------------------------------


def layer_norm(x, weight=None, bias=None, *, axes: Sequence[int] = (-1,),
               eps: Optional[float] = None, activation: Activation = None,
               residual=None, return_stats: bool = False,
               return_residual_sum: bool = False, out=None):
    """Layer normalization over adjacent `axes` (default: the last; `axes=[1]`
    over the channels of NCHW data, ConvNeXt's and SAM's LayerNorm2d).

    ``y = act((x [+ residual] - mean) * rsqrt(var + eps) * weight + bias)``.
    Returns y, then (mean, rstd) with `return_stats`, then x + residual with
    `return_residual_sum`."""
    def build(fb, v):
        return fb.layer_norm(v[0], axes, weight=v[1], bias=v[2], residual=v[3],
                             eps=eps, activation=activation, stats=return_stats,
                             residual_sum=return_residual_sum)
    return _one_or_tuple(run_op("layer_norm", _tuple(build),
                                [x, weight, bias, residual], out))


def rms_norm(x, weight=None, *, axes: Sequence[int] = (-1,),
             eps: Optional[float] = None, weight_offset: Optional[float] = None,
             activation: Activation = None, residual=None,
             return_rstd: bool = False, return_residual_sum: bool = False,
             out=None):
    """RMS normalization: ``act(x * rsqrt(E[x^2] + eps) * (weight +
    weight_offset))``. Returns y [, rstd] [, residual sum]."""
    def build(fb, v):
        return fb.rms_norm(v[0], axes, weight=v[1], residual=v[2], eps=eps,
                           weight_offset=weight_offset, activation=activation,
                           rstd=return_rstd, residual_sum=return_residual_sum)
    return _one_or_tuple(run_op("rms_norm", _tuple(build),
                                [x, weight, residual], out))


def batch_norm_inference(x, running_mean, running_var, weight=None, bias=None,
                         *, feature_axis: int = 1, eps: Optional[float] = None,
                         activation: Activation = None, residual=None,
                         return_residual_sum: bool = False, out=None):
    """Batch normalization with running statistics. Returns y [, sum]."""
    def build(fb, v):
        return fb.batch_norm_inference(
            v[0], v[1], v[2], weight=v[3], bias=v[4], residual=v[5],
            feature_axis=feature_axis, eps=eps, activation=activation,
            residual_sum=return_residual_sum)
    return _one_or_tuple(run_op(
        "batch_norm_inference", _tuple(build),
        [x, running_mean, running_var, weight, bias, residual], out))


def batch_norm_training(x, running_mean, running_var, weight=None, bias=None,
                        *, feature_axis: int = 1, eps: Optional[float] = None,
                        momentum: Optional[float] = None,
                        activation: Activation = None, residual=None,
                        return_residual_sum: bool = False, out=None):
    """Batch normalization with batch statistics. Returns (y, saved_mean,
    saved_rstd, new_running_mean, new_running_var [, residual sum])."""
    def build(fb, v):
        return fb.batch_norm_training(
            v[0], v[1], v[2], weight=v[3], bias=v[4], residual=v[5],
            feature_axis=feature_axis, eps=eps, momentum=momentum,
            activation=activation, residual_sum=return_residual_sum)
    return tuple(run_op("batch_norm_training", _tuple(build),
                        [x, running_mean, running_var, weight, bias, residual],
                        out))


def inplace_abn(x, running_mean, running_var, weight=None, bias=None, *,
                feature_axis: int = 1, eps: Optional[float] = None,
                momentum: Optional[float] = None, activation: Activation = None,
                out=None):
    """In-place activated batch norm (training). Returns (y, saved_mean,
    saved_rstd, new_running_mean, new_running_var). Pass ``out=x`` to
    overwrite the input."""
    def build(fb, v):
        return fb.inplace_abn(v[0], v[1], v[2], weight=v[3], bias=v[4],
                              feature_axis=feature_axis, eps=eps,
                              momentum=momentum, activation=activation)
    return tuple(run_op("inplace_abn", _tuple(build),
                        [x, running_mean, running_var, weight, bias], out))


def group_norm(x, groups: int, weight=None, bias=None, *, channel_axis: int = 1,
               eps: Optional[float] = None, activation: Activation = None,
               residual=None, return_stats: bool = False,
               return_residual_sum: bool = False, out=None):
    """Group normalization (dimension 0 is the batch). Returns y
    [, mean, rstd of shape (N, groups)] [, residual sum]."""
    def build(fb, v):
        return fb.group_norm(v[0], groups, weight=v[1], bias=v[2], residual=v[3],
                             channel_axis=channel_axis, eps=eps,
                             activation=activation, stats=return_stats,
                             residual_sum=return_residual_sum)
    return _one_or_tuple(run_op("group_norm", _tuple(build),
                                [x, weight, bias, residual], out))


def spectral_norm(weight, u, *, dim: int = 0,
                  power_iterations: Optional[int] = None,
                  eps: Optional[float] = None, out=None):
    """Spectral normalization by power iteration. Returns (weight / sigma,
    new u, sigma as a 0-d array)."""
    def build(fb, v):
        return fb.spectral_norm(v[0], v[1], dim=dim,
                                power_iterations=power_iterations, eps=eps)
    return tuple(run_op("spectral_norm", build, [weight, u], out))


# -- Backward (docs/training.md) -------------------------------------------


def _grads(results, wanted):
    """(grad_input, grad_weight, grad_bias) with None where not wanted."""
    results = list(results)
    out = [results.pop(0)]
    for w in wanted:
        out.append(results.pop(0) if w else None)
    return tuple(out)


def _want(flag: Optional[bool], param) -> bool:
    return param is not None if flag is None else bool(flag)


def _statistic(value, like):
    """`value` (a number or array; None stays None) as an array of the
    statistics dtype of the data `like`: float64 for float64 data, else
    float32."""
    if value is None:
        return None
    dtype = np.float64 if as_array(like).dtype == np.float64 else np.float32
    return np.asarray(as_array(value), dtype=dtype)


def layer_norm_grad(dy, x, mean, rstd, weight=None, bias=None, *,
                    axes: Sequence[int] = (-1,), activation: Activation = None,
                    residual=None, residual_sum_grad=None,
                    grad_weight: Optional[bool] = None,
                    grad_bias: Optional[bool] = None, out=None):
    """Backward of layer_norm from its input and saved (mean, rstd) (the
    `return_stats` results). Returns (grad_input, grad_weight, grad_bias);
    the parameter gradients are computed when the parameter is given (or
    when asked for) and None otherwise."""
    gw, gb = _want(grad_weight, weight), _want(grad_bias, bias)

    def build(fb, v):
        return fb.layer_norm_grad(v[0], v[1], v[2], v[3], axes, weight=v[4],
                                  bias=v[5], residual=v[6],
                                  residual_sum_grad=v[7],
                                  activation=activation, grad_weight=gw,
                                  grad_bias=gb)
    return _grads(run_op("layer_norm_grad", _tuple(build),
                         [dy, x, mean, rstd, weight, bias, residual,
                          residual_sum_grad], out), (gw, gb))


def rms_norm_grad(dy, x, rstd, weight=None, *, axes: Sequence[int] = (-1,),
                  weight_offset: Optional[float] = None,
                  activation: Activation = None, residual=None,
                  residual_sum_grad=None, grad_weight: Optional[bool] = None,
                  out=None):
    """Backward of rms_norm from its input and saved rstd. Returns
    (grad_input, grad_weight or None)."""
    gw = _want(grad_weight, weight)

    def build(fb, v):
        return fb.rms_norm_grad(v[0], v[1], v[2], axes, weight=v[3],
                                residual=v[4], residual_sum_grad=v[5],
                                weight_offset=weight_offset,
                                activation=activation, grad_weight=gw)
    return _grads(run_op("rms_norm_grad", _tuple(build),
                         [dy, x, rstd, weight, residual, residual_sum_grad],
                         out), (gw,))


def batch_norm_grad(dy, x, mean, rstd, weight=None, bias=None, *,
                    feature_axis: int = 1, activation: Activation = None,
                    residual=None, residual_sum_grad=None,
                    batch_grad_sums=None, count=None,
                    grad_weight: Optional[bool] = None,
                    grad_bias: Optional[bool] = None, out=None):
    """Backward of batch_norm_training from its input and saved (mean,
    rstd). With `batch_grad_sums=(sum_dpre, sum_dpre_xhat)` (the summed
    grad_bias and grad_weight of every micro-batch) and `count` (elements
    per channel of the whole batch, a number or 0-d array; both read in the
    statistics dtype), the micro-batch form of
    gradient accumulation. Returns (grad_input, grad_weight, grad_bias),
    None where not computed."""
    gw, gb = _want(grad_weight, weight), _want(grad_bias, bias)
    sums = tuple(_statistic(v, x) for v in batch_grad_sums) \
        if batch_grad_sums is not None else (None, None)
    count = _statistic(count, x)

    def build(fb, v):
        return fb.batch_norm_grad(
            v[0], v[1], v[2], v[3], weight=v[4], bias=v[5], residual=v[6],
            residual_sum_grad=v[7],
            batch_grad_sums=None if v[8] is None else (v[8], v[9]),
            count=v[10], feature_axis=feature_axis, activation=activation,
            grad_weight=gw, grad_bias=gb)
    return _grads(run_op("batch_norm_grad", _tuple(build),
                         [dy, x, mean, rstd, weight, bias, residual,
                          residual_sum_grad, *sums, count], out), (gw, gb))


def group_norm_grad(dy, x, mean, rstd, groups: int, weight=None, bias=None,
                    *, channel_axis: int = 1, activation: Activation = None,
                    residual=None, residual_sum_grad=None,
                    grad_weight: Optional[bool] = None,
                    grad_bias: Optional[bool] = None, out=None):
    """Backward of group_norm from its input and saved (mean, rstd) of shape
    (N, groups). Returns (grad_input, grad_weight, grad_bias), None where not
    computed."""
    gw, gb = _want(grad_weight, weight), _want(grad_bias, bias)

    def build(fb, v):
        return fb.group_norm_grad(v[0], v[1], v[2], v[3], groups, weight=v[4],
                                  bias=v[5], residual=v[6],
                                  residual_sum_grad=v[7],
                                  channel_axis=channel_axis,
                                  activation=activation, grad_weight=gw,
                                  grad_bias=gb)
    return _grads(run_op("group_norm_grad", _tuple(build),
                         [dy, x, mean, rstd, weight, bias, residual,
                          residual_sum_grad], out), (gw, gb))


def inplace_abn_grad(dy, y, rstd, weight=None, bias=None, *,
                     feature_axis: int = 1, activation: Activation = None,
                     batch_grad_sums=None, count=None,
                     grad_weight: Optional[bool] = None,
                     grad_bias: Optional[bool] = None, out=None):
    """Backward of inplace_abn from its output `y` and saved rstd (x is not
    needed: the activation is inverted). `batch_grad_sums` and `count` as
    for batch_norm_grad. Returns (grad_input, grad_weight, grad_bias), None
    where not computed; pass ``out=dy`` to write grad_input over dy."""
    gw, gb = _want(grad_weight, weight), _want(grad_bias, bias)
    sums = tuple(_statistic(v, y) for v in batch_grad_sums) \
        if batch_grad_sums is not None else (None, None)
    count = _statistic(count, y)

    def build(fb, v):
        return fb.inplace_abn_grad(
            v[0], v[1], v[2], weight=v[3], bias=v[4],
            batch_grad_sums=None if v[5] is None else (v[5], v[6]),
            count=v[7], feature_axis=feature_axis, activation=activation,
            grad_weight=gw, grad_bias=gb)
    return _grads(run_op("inplace_abn_grad", _tuple(build),
                         [dy, y, rstd, weight, bias, *sums, count], out),
                  (gw, gb))


def batch_stats(x, *, feature_axis: int = 1, out=None):
    """(count, mean, m2) of a micro-batch per channel: the element count of
    a channel (0-d), its mean and sum((x - mean)^2)."""
    return tuple(run_op("batch_stats",
                        lambda fb, v: list(fb.batch_stats(
                            v[0], feature_axis=feature_axis)), [x], out))


def batch_stats_merge(a, b, *, return_var: bool = False, out=None):
    """Chan's merge of two parts' (count, mean, m2) into the union's
    (count, mean, m2 [, var = m2 / count]). Counts may be numbers; all are
    read in the dtype of the first part's mean."""
    dtype = as_array(a[1]).dtype
    a = [np.asarray(as_array(v), dtype=dtype) for v in a]
    b = [np.asarray(as_array(v), dtype=dtype) for v in b]

    def build(fb, v):
        return list(fb.batch_stats_merge(tuple(v[:3]), tuple(v[3:]),
                                         var=return_var))
    return tuple(run_op("batch_stats_merge", build, [*a, *b], out))


# -- Data normalization ------------------------------------------------------


def moments(x, axes: Sequence[int] = (0,), *, correction: Optional[int] = None,
            out=None):
    """(mean, std) over `axes` (population std; `correction=1`: sample)."""
    return tuple(run_op("moments",
                        lambda fb, v: fb.moments(v[0], axes, correction=correction),
                        [x], out))


def min_max(x, axes: Sequence[int] = (0,), *, out=None):
    """(min, max) over `axes`."""
    return tuple(run_op("min_max", lambda fb, v: fb.min_max(v[0], axes), [x], out))


def standardize(x, mean, std, axes: Sequence[int] = (0,), *, out=None):
    """(x - mean) / std, statistics computed over `axes` (std 0: unscaled)."""
    return run_op("standardize",
                  lambda fb, v: [fb.standardize(v[0], v[1], v[2], axes)],
                  [x, mean, std], out)[0]


def min_max_scale(x, lo, hi, axes: Sequence[int] = (0,), *,
                  range_min: Optional[float] = None,
                  range_max: Optional[float] = None, out=None):
    """Scale to [range_min, range_max] (default [0, 1]) with fitted min/max."""
    return run_op("min_max_scale",
                  lambda fb, v: [fb.min_max_scale(v[0], v[1], v[2], axes,
                                                  range_min=range_min,
                                                  range_max=range_max)],
                  [x, lo, hi], out)[0]


def image_normalize(x, mean, std, *, layout: str = "nchw",
                    scale: Optional[float] = None, out_dtype=None, out=None):
    """(x * scale - mean[c]) / std[c] for nchw/chw or nhwc/hwc images (u8,
    i8 or float); the result has mean's dtype unless `out_dtype`."""
    return run_op("image_normalize",
                  lambda fb, v: [fb.image_normalize(v[0], v[1], v[2],
                                                    layout=layout, scale=scale,
                                                    out_dtype=out_dtype)],
                  [x, mean, std], out)[0]


def _tuple(build: Build) -> Build:
    def wrapped(fb, vals):
        r = build(fb, vals)
        return list(r) if isinstance(r, tuple) else [r]
    return wrapped
