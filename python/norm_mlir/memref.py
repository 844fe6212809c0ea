"""Ranked memref descriptors for numpy arrays (zero-copy).

A ranked memref of rank R is passed to ``_mlir_ciface_*`` functions as a
pointer to the struct

    struct { T *allocated; T *aligned; int64_t offset;
             int64_t sizes[R]; int64_t strides[R]; }

Arrays are passed without copying: ``allocated == aligned == arr.data``,
``offset == 0`` and sizes/strides are the numpy shape/strides in elements.
The compiled code assumes the identity layout, so arrays must be
C-contiguous (inputs are made so by :func:`as_contiguous`; outputs that are
written in place must already be).
"""

import ctypes
import weakref
from typing import Optional

import numpy as np

try:  # ml_dtypes gives numpy a real bfloat16 dtype.
    import ml_dtypes

    bfloat16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - exercised only without ml_dtypes
    ml_dtypes = None
    bfloat16 = None

# MLIR element type -> numpy dtype. Without ml_dtypes, bf16 data travels as a
# uint16 view (see bf16_to_f32 / f32_to_bf16).
_MLIR_TO_NUMPY = {
    "f64": np.dtype(np.float64),
    "f32": np.dtype(np.float32),
    "f16": np.dtype(np.float16),
    "bf16": bfloat16 if bfloat16 is not None else np.dtype(np.uint16),
    "i64": np.dtype(np.int64),
    "index": np.dtype(np.int64),
    "i32": np.dtype(np.int32),
    "i16": np.dtype(np.int16),
    "i8": np.dtype(np.int8),
    "ui8": np.dtype(np.uint8),
    "i1": np.dtype(np.bool_),
}

# Scalar MLIR types -> ctypes type (scalars are passed by value).
_MLIR_TO_CTYPES = {
    "f64": ctypes.c_double,
    "f32": ctypes.c_float,
    "i64": ctypes.c_int64,
    "index": ctypes.c_int64,
    "i32": ctypes.c_int32,
    "i16": ctypes.c_int16,
    "i8": ctypes.c_int8,
    "i1": ctypes.c_bool,
}

# memref.get_global results carry this "allocated" pointer: not heap memory.
_DEADBEEF = 0xDEADBEEF

_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None


def numpy_dtype(elem: str) -> np.dtype:
    """Return the numpy dtype used for the MLIR element type `elem`."""
    try:
        return _MLIR_TO_NUMPY[elem]
    except KeyError:
        raise TypeError(f"unsupported memref element type '{elem}'") from None


def scalar_ctype(elem: str):
    """Return the ctypes type of a scalar MLIR type passed by value."""
    try:
        return _MLIR_TO_CTYPES[elem]
    except KeyError:
        raise TypeError(f"unsupported scalar type '{elem}'") from None


_descriptor_types = {}


def descriptor_type(rank: int):
    """The ctypes struct of a ranked memref descriptor of rank `rank`."""
    if rank in _descriptor_types:
        return _descriptor_types[rank]
    fields = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
    ]
    if rank > 0:
        fields += [
            ("sizes", ctypes.c_int64 * rank),
            ("strides", ctypes.c_int64 * rank),
        ]
    cls = type(f"MemRefDescriptor{rank}D", (ctypes.Structure,), {"_fields_": fields})
    _descriptor_types[rank] = cls
    return cls


def as_contiguous(arr, dtype: np.dtype) -> np.ndarray:
    """`arr` as a C-contiguous array of `dtype`; copies only if it must."""
    arr = np.asarray(arr)
    if arr.dtype != dtype:
        if dtype == np.uint16 and arr.dtype.kind == "f":
            arr = f32_to_bf16(arr)  # bf16 without ml_dtypes
        else:
            arr = arr.astype(dtype)
    # Not np.ascontiguousarray: it turns a 0-d array (tensor<f32>) into 1-d.
    return np.require(arr, requirements="C")


def to_descriptor(arr: np.ndarray):
    """A descriptor that aliases the C-contiguous `arr` (no copy)."""
    if not arr.flags.c_contiguous:
        raise ValueError("memref arguments must be C-contiguous")
    rank = arr.ndim
    desc = descriptor_type(rank)()
    ptr = arr.ctypes.data
    desc.allocated = ptr
    desc.aligned = ptr
    desc.offset = 0
    stride = 1  # canonical row-major strides (numpy's may differ on 1-dims)
    for i in reversed(range(rank)):
        desc.sizes[i] = arr.shape[i]
        desc.strides[i] = stride
        stride *= max(arr.shape[i], 1)
    return desc


class _OwnedBuffer:
    """Keeps a malloc'ed result alive; frees it when the last view dies."""

    def __init__(self, allocated: int):
        self.allocated = allocated
        weakref.finalize(self, _libc.free, allocated)


def from_descriptor(desc, dtype: np.dtype, owned: bool,
                    owners: Optional[dict] = None) -> np.ndarray:
    """A numpy view of the memory described by `desc` (no copy).

    If `owned`, the memory came from malloc in the compiled code and is freed
    (with libc free of `desc.allocated`) once the returned array and all views
    of it are garbage-collected. `owners` (allocated pointer -> keeper),
    shared by the results of one call, makes results that share a buffer
    (a function returning one tensor twice, or a reshape of it) free it once,
    when the last of them dies.
    """
    rank = len(desc.sizes) if hasattr(desc, "sizes") else 0
    shape = tuple(desc.sizes[i] for i in range(rank))
    strides = tuple(desc.strides[i] * dtype.itemsize for i in range(rank))
    nbytes = 0
    if all(s > 0 for s in shape):
        nbytes = sum((n - 1) * st for n, st in zip(shape, strides))
        nbytes += dtype.itemsize
    start = (desc.aligned or 0) + desc.offset * dtype.itemsize
    if owners is None:
        owners = {}
    if nbytes == 0:
        if owned and desc.allocated and desc.allocated not in owners:
            # Nothing views it: freed when `owners` dies (at once without
            # one), unless another result of the call views the buffer.
            owners[desc.allocated] = _OwnedBuffer(desc.allocated)
        return np.empty(shape, dtype)
    raw = (ctypes.c_char * nbytes).from_address(start)
    if owned:
        keeper = owners.get(desc.allocated)
        if keeper is None:
            keeper = owners[desc.allocated] = _OwnedBuffer(desc.allocated)
        raw._norm_owner = keeper  # freed when `raw` (the array's base) dies
    return np.ndarray(shape, dtype, buffer=raw, strides=strides)


def is_static_global(desc) -> bool:
    """Whether `desc` describes a memref.get_global (constant) buffer."""
    return desc.allocated == _DEADBEEF


# --- bf16 helpers for installs without ml_dtypes --------------------------


def f32_to_bf16(x) -> np.ndarray:
    """Round float32 values to bf16 (round-to-nearest-even) as uint16 bits."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = 0x7FC0
    return out


def bf16_to_f32(bits) -> np.ndarray:
    """Widen bf16 values (uint16 bits, or an ml_dtypes bfloat16 array)."""
    bits = np.ascontiguousarray(bits)
    if bits.dtype != np.uint16:
        bits = bits.view(np.uint16)
    return (bits.astype(np.uint32) << 16).view(np.float32)
