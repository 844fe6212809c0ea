"""Argument checks of the GPU ahead-of-time path (norm_mlir.gpu), without a
GPU: device tensors are stand-ins exposing `__cuda_array_interface__` (as
CuPy does) or torch's `data_ptr`/`is_cuda`/`dtype` attributes, so only the
checks run, no kernel."""

import pytest

from norm_mlir import gpu


class CudaArray:
    """Stand-in for a CuPy array at a fake device address."""

    def __init__(self, shape, typestr, address=1 << 20):
        self.__cuda_array_interface__ = {
            "shape": tuple(shape), "typestr": typestr,
            "data": (address, False), "version": 3}


class TorchLike:
    """Stand-in for a contiguous CUDA torch tensor."""

    def __init__(self, shape, dtype, element_size):
        self.shape, self.dtype, self.is_cuda = shape, dtype, True
        self._size = element_size

    def data_ptr(self):
        return 1 << 20

    def element_size(self):
        return self._size

    def is_contiguous(self):
        return True


BF16 = {"shape": [4, 8], "dtype": "bf16"}
F16 = {"shape": [4, 8], "dtype": "f16"}


def test_matching_arguments_give_descriptors():
    desc = gpu.make_descriptor(CudaArray((4, 8), "<f2"), F16)
    assert desc.aligned == 1 << 20
    assert list(desc.sizes) == [4, 8] and list(desc.strides) == [8, 1]
    # bf16 arrays describe themselves as 2-byte voids: only the size is known.
    gpu.make_descriptor(CudaArray((4, 8), "<V2"), BF16)
    gpu.make_descriptor(TorchLike((4, 8), "torch.bfloat16", 2), BF16)


def test_same_size_other_element_type_is_rejected():
    # f16 data read as bf16 (both 2 bytes) would be garbage.
    with pytest.raises(ValueError, match="element type f16 does not match bf16"):
        gpu.make_descriptor(CudaArray((4, 8), "<f2"), BF16)
    with pytest.raises(ValueError, match="element type bf16 does not match f16"):
        gpu.make_descriptor(TorchLike((4, 8), "torch.bfloat16", 2), F16)
    with pytest.raises(ValueError, match="element type i32 does not match f32"):
        gpu.make_descriptor(CudaArray((4, 8), "<i4"),
                            {"shape": [4, 8], "dtype": "f32"})


def test_size_shape_and_alignment_are_checked():
    with pytest.raises(ValueError, match="element size 4 does not match bf16"):
        gpu.make_descriptor(CudaArray((4, 8), "<f4"), BF16)
    with pytest.raises(ValueError, match=r"shape \[4, 9\] does not match"):
        gpu.make_descriptor(CudaArray((4, 9), "<V2"), BF16)
    with pytest.raises(ValueError, match="16-byte aligned"):
        gpu.make_descriptor(CudaArray((4, 8), "<V2", address=(1 << 20) + 8),
                            BF16)
