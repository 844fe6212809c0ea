"""Compile hand-written linalg with the CPU pipeline and run it on numpy.

Runs with plain mlir-opt (upstream passes only) and, when it is built and
registers the pipeline, with norm-opt --norm-lower-to-cpu.
"""

import gc
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import norm_mlir
from norm_mlir import compiler, memref

from kernels import layer_norm

MLIR_OPT = str(compiler.LLVM_BIN / "mlir-opt")


def _norm_opt():
    """norm-opt if it is built and knows norm-lower-to-cpu, else None."""
    path = compiler.find_opt()
    if "norm-opt" not in Path(path).name or not Path(path).exists():
        return None
    help_text = subprocess.run([path, "--help"], capture_output=True, text=True).stdout
    return path if "norm-lower-to-cpu" in help_text else None


NORM_OPT = _norm_opt()
OPTS = [pytest.param(MLIR_OPT, id="mlir-opt")]
if NORM_OPT:
    OPTS.append(pytest.param(NORM_OPT, id="norm-opt"))


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("norm_mlir_cache")


@pytest.fixture(params=OPTS)
def build(request, cache_dir):
    opt = request.param

    def _build(ir, openmp=True):
        return norm_mlir.compile_mlir(ir, opt=opt, openmp=openmp, cache_dir=cache_dir)

    _build.is_norm = opt == NORM_OPT
    return _build


ADD = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @add(%a: tensor<?x?x{T}>, %b: tensor<?x?x{T}>, %out: tensor<?x?x{T}>)
    -> tensor<?x?x{T}> attributes {{llvm.emit_c_interface}} {{
  %r = linalg.generic {{indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%a, %b : tensor<?x?x{T}>, tensor<?x?x{T}>) outs(%out : tensor<?x?x{T}>) {{
  ^bb0(%x: {T}, %y: {T}, %o: {T}):
    %s = arith.{ADD} %x, %y : {T}
    linalg.yield %s : {T}
  }} -> tensor<?x?x{T}>
  return %r : tensor<?x?x{T}>
}}
"""

# Row sum that allocates its result: returned through the out-pointer and
# owned (freed) by the Python side.
ROW_SUM = """
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: tensor<?x?xf32>) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
  %e = tensor.empty(%rows) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#in, #out],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// Scalar argument, one allocated and one destination-passing result.
func.func @scale_and_sum(%x: tensor<?x?xf32>, %alpha: f32, %out: tensor<?x?xf32>)
    -> (tensor<?xf32>, tensor<?x?xf32>) attributes {llvm.emit_c_interface} {
  %s = call @row_sum(%x) : (tensor<?x?xf32>) -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#in, #in],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %alpha : f32
    linalg.yield %m : f32
  } -> tensor<?x?xf32>
  return %s, %y : tensor<?xf32>, tensor<?x?xf32>
}
"""


def _ref_layer_norm(x, eps=1e-5):
    x = x.astype(np.float64)
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


@pytest.mark.parametrize(
    "elem,dtype,op",
    [("f32", np.float32, "addf"), ("f64", np.float64, "addf"),
     ("i64", np.int64, "addi"), ("i8", np.int8, "addi")],
)
def test_elementwise_add(build, elem, dtype, op):
    mod = build(ADD.format(T=elem, ADD=op))
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((37, 129)) * 50).astype(dtype)
    b = (rng.standard_normal((37, 129)) * 50).astype(dtype)
    out = np.zeros_like(a)
    r = mod.add(a, b, out)
    np.testing.assert_array_equal(r, a + b)
    np.testing.assert_array_equal(out, a + b)  # written in place
    if build.is_norm:
        assert r is out  # the tied result was dropped: no copy


@pytest.mark.parametrize("openmp", [False, True])
def test_row_sum_returns_owned_buffer(build, openmp):
    mod = build(ROW_SUM, openmp=openmp)
    rng = np.random.default_rng(1)
    for rows, cols in [(1, 1), (5, 3), (129, 1000)]:
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        r = mod.row_sum(x)
        assert r.shape == (rows,) and r.dtype == np.float32
        np.testing.assert_allclose(r, x.sum(-1), rtol=1e-5, atol=1e-4)
    # Many calls: the results are freed when collected (no crash, no growth).
    x = rng.standard_normal((64, 64)).astype(np.float32)
    for _ in range(200):
        v = mod.row_sum(x)[3:5]  # a view keeps the buffer alive
    del v
    gc.collect()


def test_scalar_arg_and_mixed_results(build):
    mod = build(ROW_SUM)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((17, 33)).astype(np.float32)
    out = np.empty_like(x)
    s, y = mod.scale_and_sum(x, 0.5, out)
    np.testing.assert_allclose(s, x.sum(-1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y, 0.5 * x)
    np.testing.assert_allclose(out, 0.5 * x)
    if build.is_norm:
        assert mod.signatures["scale_and_sum"].tied == [-1, 2]
        assert y is out


@pytest.mark.parametrize("openmp", [False, True])
@pytest.mark.parametrize("shape", [(None, None), (4, 37)], ids=["dynamic", "static"])
def test_layer_norm_f32(build, openmp, shape):
    mod = build(layer_norm("f32", shape), openmp=openmp)
    rng = np.random.default_rng(3)
    for rows, cols in ([(4, 37)] if shape[0] else [(4, 37), (67, 1000), (1, 5)]):
        x = (rng.standard_normal((rows, cols)) * 3 + 1).astype(np.float32)
        out = np.empty_like(x)
        y = mod.layer_norm(x, out)
        np.testing.assert_allclose(y, _ref_layer_norm(x), rtol=1e-4, atol=1e-4)


def test_layer_norm_static_shape_is_checked(build):
    mod = build(layer_norm("f32", (4, 37)))
    x = np.zeros((4, 36), np.float32)
    with pytest.raises(ValueError):
        mod.layer_norm(x, np.empty_like(x))


def test_layer_norm_f16(build):
    mod = build(layer_norm("f16"))
    x = np.random.default_rng(4).standard_normal((33, 300)).astype(np.float16)
    y = mod.layer_norm(x, np.empty_like(x))
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float32), _ref_layer_norm(x), atol=1e-2, rtol=1e-2)


def test_layer_norm_bf16(build):
    mod = build(layer_norm("bf16"))
    x32 = np.random.default_rng(5).standard_normal((33, 300)).astype(np.float32)
    x = memref.as_contiguous(x32, memref.numpy_dtype("bf16"))
    y = mod.layer_norm(x, np.empty_like(x))
    ref = _ref_layer_norm(norm_mlir.bf16_to_f32(x))
    np.testing.assert_allclose(norm_mlir.bf16_to_f32(y), ref, atol=5e-2, rtol=2e-2)


def test_bf16_helpers():
    x = np.array([1.0, -2.5, 3.140625, 1e-3, np.inf, 0.0], np.float32)
    bits = norm_mlir.f32_to_bf16(x)
    assert bits.dtype == np.uint16
    np.testing.assert_allclose(norm_mlir.bf16_to_f32(bits), x, rtol=4e-3)
    assert np.isnan(norm_mlir.bf16_to_f32(norm_mlir.f32_to_bf16(np.float32("nan"))))


def test_inputs_are_not_copied_and_outputs_must_fit(build):
    mod = build(ADD.format(T="f32", ADD="addf"))
    a = np.ones((8, 8), np.float32)
    # A non-contiguous input is copied, an output must be usable in place.
    r = mod.add(a[:, ::2], a[:, ::2], np.empty((8, 4), np.float32))
    np.testing.assert_array_equal(r, 2 * np.ones((8, 4)))
    if build.is_norm:
        with pytest.raises(TypeError):
            mod.add(a, a, np.empty((8, 8), np.float64))


PASSTHROUGH = """
func.func @passthrough(%x: tensor<4x8xf32>, %out: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {llvm.emit_c_interface} {
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  %e = tensor.expand_shape %c [[0, 1]] output_shape [4, 8]
      : tensor<32xf32> into tensor<4x8xf32>
  %y = linalg.copy ins(%x : tensor<4x8xf32>) outs(%out : tensor<4x8xf32>)
      -> tensor<4x8xf32>
  return %e, %y : tensor<4x8xf32>, tensor<4x8xf32>
}
"""


def test_input_returned_through_reshapes_is_still_an_input(build):
    """An input returned through reshapes is tied to its argument (no copy),
    but the function only reads it: a read-only or strided array is taken
    like any input. The written output must still be the caller's array."""
    mod = build(PASSTHROUGH)
    x = np.arange(64, dtype=np.float32).reshape(8, 8)[::2]
    x.flags.writeable = False
    out = np.empty((4, 8), np.float32)
    e, y = mod.passthrough(x, out)
    np.testing.assert_array_equal(e, x)
    np.testing.assert_array_equal(y, x)
    if build.is_norm:
        assert y is out
        sig = mod.signatures["passthrough"]
        assert sig.tied == [0, 1] and sig.written == [False, True]
        with pytest.raises(TypeError, match="output argument 1"):
            mod.passthrough(x, np.empty((8, 8), np.float32)[::2])


SQUARE_SUM = """
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @square_sum(%x: tensor<?xf32>) -> tensor<f32>
    attributes {llvm.emit_c_interface} {
  %t = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : tensor<?xf32>) {
  ^bb0(%a: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%t : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  return %s : tensor<f32>
}
"""


def test_input_written_in_place_is_copied_first(build):
    """The squares are computed in `%x`'s buffer (outs(%x)); `%x` is an
    input (no result aliases it), so norm-lower-to-cpu marks it read only
    and bufferization computes the squares in a copy: the caller's array is
    unchanged (upstream bufferization writes over it)."""
    if not build.is_norm:
        pytest.skip("upstream one-shot bufferization writes over the input")
    mod = build(SQUARE_SUM)
    x = np.arange(100, dtype=np.float32) / 10
    before = x.copy()
    np.testing.assert_allclose(mod.square_sum(x), (before ** 2).sum(),
                               rtol=1e-5)
    np.testing.assert_array_equal(x, before)


SQUARES_RETURNED_AS_PART = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @middle_squares(%x: tensor<4x8xf32>) -> tensor<2x8xf32>
    attributes {llvm.emit_c_interface} {
  %t = linalg.generic {indexing_maps = [#id],
                       iterator_types = ["parallel", "parallel"]}
      outs(%x : tensor<4x8xf32>) {
  ^bb0(%a: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %s = tensor.extract_slice %t[1, 0] [2, 8] [1, 1]
      : tensor<4x8xf32> to tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

func.func @flat_squares(%x: tensor<4x8xf32>) -> tensor<32xf32>
    attributes {llvm.emit_c_interface} {
  %t = linalg.generic {indexing_maps = [#id],
                       iterator_types = ["parallel", "parallel"]}
      outs(%x : tensor<4x8xf32>) {
  ^bb0(%a: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %f = tensor.collapse_shape %t [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  return %f : tensor<32xf32>
}
"""


def test_input_written_and_returned_as_part_is_copied(build):
    """The squares are computed in `%x`'s buffer and returned as a slice,
    or as another shape, of it: a result aliases `%x`, but none is tied to
    it, so `%x` is an input and norm-copy-written-inputs makes the body work
    on a copy. The caller's array, read only here, is unchanged (it was
    written over before)."""
    if not build.is_norm:
        pytest.skip("upstream one-shot bufferization writes over the input")
    mod = build(SQUARES_RETURNED_AS_PART)
    assert mod.signatures["middle_squares"].tied == [-1]
    assert mod.signatures["flat_squares"].tied == [-1]
    x = np.arange(32, dtype=np.float32).reshape(4, 8) / 4
    before = x.copy()
    x.flags.writeable = False
    np.testing.assert_allclose(mod.middle_squares(x), before[1:3] ** 2,
                               rtol=1e-6)
    np.testing.assert_array_equal(x, before)
    flat = mod.flat_squares(x)
    np.testing.assert_allclose(flat, before.ravel() ** 2, rtol=1e-6)
    np.testing.assert_array_equal(x, before)
    # The results own their buffers: calling again does not change them.
    again = mod.flat_squares(x)
    np.testing.assert_array_equal(flat, again)
    assert not np.shares_memory(flat, x)


IDENTITY_COPY = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @copy_into(%x: tensor<?x8xf32>, %out: tensor<?x8xf32>)
    -> tensor<?x8xf32> attributes {llvm.emit_c_interface} {
  %r = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x8xf32>) outs(%out : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
"""


def test_identity_copy_into_destination_writes_it(build):
    """Canonicalization folds the identity copy to `%x`; the result was
    computed in `%out` as written, so norm-drop-tied-buffer-results copies it
    there: the caller's `out` holds it and is what is returned (before, the
    result was `x` itself and `out` was never written)."""
    if not build.is_norm:
        pytest.skip("upstream pipeline: the result ties to the folded input")
    mod = build(IDENTITY_COPY)
    assert mod.signatures["copy_into"].tied == [1]
    assert mod.signatures["copy_into"].written == [True]
    x = np.arange(24, dtype=np.float32).reshape(3, 8) / 8
    before = x.copy()
    out = np.full_like(x, np.nan)
    r = mod.copy_into(x, out)
    assert r is out
    np.testing.assert_array_equal(out, before)
    np.testing.assert_array_equal(x, before)


RESTORE_HAZARDS = """
#id = affine_map<(d0) -> (d0)>
func.func @two(%x: tensor<8xf32>, %out: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>) attributes {llvm.emit_c_interface} {
  %a = linalg.add ins(%x, %x : tensor<8xf32>, tensor<8xf32>)
      outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %b = linalg.mul ins(%x, %x : tensor<8xf32>, tensor<8xf32>)
      outs(%out : tensor<8xf32>) -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
func.func @with_old_part(%x: tensor<8xf32>, %out: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<4xf32>) attributes {llvm.emit_c_interface} {
  %a = linalg.add ins(%x, %x : tensor<8xf32>, tensor<8xf32>)
      outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %s = tensor.extract_slice %out[0] [4] [1] : tensor<8xf32> to tensor<4xf32>
  return %a, %s : tensor<8xf32>, tensor<4xf32>
}
func.func @swap(%a: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>) attributes {llvm.emit_c_interface} {
  %r0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : tensor<8xf32>) outs(%a : tensor<8xf32>) {
  ^bb0(%p: f32, %q: f32):
    linalg.yield %p : f32
  } -> tensor<8xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%b : tensor<8xf32>) {
  ^bb0(%p: f32, %q: f32):
    linalg.yield %p : f32
  } -> tensor<8xf32>
  return %r0, %r1 : tensor<8xf32>, tensor<8xf32>
}
func.func @copy_into(%x: tensor<8xf32>, %out: tensor<8xf32>) -> tensor<8xf32>
    attributes {llvm.emit_c_interface} {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%out : tensor<8xf32>) {
  ^bb0(%p: f32, %q: f32):
    linalg.yield %p : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func @calls_copy_into(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32>
    attributes {llvm.emit_c_interface} {
  %a = call @copy_into(%x, %y) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8xf32>
  %b = linalg.add ins(%a, %y : tensor<8xf32>, tensor<8xf32>)
      outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %b : tensor<8xf32>
}
"""


def test_destinations_restored_only_where_no_other_result_changes(build):
    """norm-drop-tied-buffer-results copies a result back into the argument
    it was computed in only when that changes no other result: not when two
    results share the destination, when the destination's old value is
    returned too, when the copies would feed each other (a swap), or when
    the function is called in the module (its callers took the argument as
    unwritten). Review reproducers of the first version, each wrong then."""
    if not build.is_norm:
        pytest.skip("norm-mlir's destination-passing ABI")
    mod = build(RESTORE_HAZARDS)
    x = np.arange(8, dtype=np.float32)
    a, b = mod.two(x, np.full(8, np.nan, np.float32))
    np.testing.assert_array_equal(a, 2 * x)
    np.testing.assert_array_equal(b, x * x)
    a, part = mod.with_old_part(x, np.full(8, 7, np.float32))
    np.testing.assert_array_equal(a, 2 * x)
    np.testing.assert_array_equal(part, np.full(4, 7, np.float32))
    left, right = x.copy(), x + 100
    r0, r1 = mod.swap(left, right)
    np.testing.assert_array_equal(r0, x + 100)
    np.testing.assert_array_equal(r1, x)
    y = x * 10
    y.flags.writeable = False
    np.testing.assert_array_equal(mod.calls_copy_into(x, y), x + x * 10)
    np.testing.assert_array_equal(y, x * 10)


def test_cache_hit(cache_dir):
    ir = ADD.format(T="f32", ADD="addf")
    m1 = norm_mlir.compile_mlir(ir, opt=MLIR_OPT, cache_dir=cache_dir)
    mtime = os.stat(m1.path).st_mtime_ns
    m2 = norm_mlir.compile_mlir(ir, opt=MLIR_OPT, cache_dir=cache_dir)
    assert m2.path == m1.path and os.stat(m2.path).st_mtime_ns == mtime
    m3 = norm_mlir.compile_mlir(ir, opt=MLIR_OPT, openmp=False, cache_dir=cache_dir)
    assert m3.path != m1.path


def test_compile_error_is_reported(cache_dir):
    with pytest.raises(norm_mlir.CompileError):
        norm_mlir.compile_mlir("func.func @f( {", opt=MLIR_OPT, cache_dir=cache_dir)


SCALAR = """
func.func @first(%x: tensor<?xf32>, %k: index) -> f32 attributes {llvm.emit_c_interface} {
  %v = tensor.extract %x[%k] : tensor<?xf32>
  return %v : f32
}
"""


def test_scalar_result(build):
    mod = build(SCALAR)
    x = np.arange(5, dtype=np.float32) * 1.5
    assert mod.first(x, 3) == pytest.approx(4.5)


SCALE_BY_TENSOR = """
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @scale(%x: tensor<?xf32>, %s: tensor<f32>) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %out = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel"]}
      ins(%x, %s : tensor<?xf32>, tensor<f32>) outs(%out : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
"""


def test_rank0_tensor_argument(build):
    """A tensor<f32> argument takes a 0-d array (np.ascontiguousarray made
    it 1-d, refused as a shape mismatch), in either dtype."""
    mod = build(SCALE_BY_TENSOR)
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(mod.scale(x, np.array(2.5, np.float32)),
                                  2.5 * x)
    np.testing.assert_array_equal(mod.scale(x, np.array(2.0)), 2.0 * x)
    with pytest.raises(ValueError, match="does not match"):
        mod.scale(x, np.array([2.0], np.float32))


# Functions named like libc symbols: `step` (regexp.h; libc's locks a mutex
# and hung), `index` (strings.h) and `time` (time.h). The result is
# allocated: the wrapper then calls the function (a tied result can be
# inlined away, which hid the bug).
LIBC_NAMES = """
#id = affine_map<(d0) -> (d0)>
func.func @{name}(%x: tensor<?xf32>) -> tensor<?xf32>
    attributes {{llvm.emit_c_interface}} {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %out = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel"]}}
      ins(%x : tensor<?xf32>) outs(%out : tensor<?xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  }} -> tensor<?xf32>
  return %r : tensor<?xf32>
}}
"""

_CALL_IN_CHILD = """
import sys
import numpy as np
import norm_mlir
mod = norm_mlir.compile_mlir(sys.stdin.read(), opt=sys.argv[1], openmp=False,
                             cache_dir=sys.argv[2])
x = np.arange(7, dtype=np.float32)
y = getattr(mod, sys.argv[3])(x)
np.testing.assert_array_equal(y, 2 * x)
"""


@pytest.mark.parametrize("name", ["step", "index", "time"])
def test_function_named_like_libc(build, cache_dir, name):
    """`_mlir_ciface_<name>` calls the library's own `<name>`, not libc's
    (the library is linked -Bsymbolic). In a child process: the bug hung."""
    opt = NORM_OPT if build.is_norm else MLIR_OPT
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(norm_mlir.__file__).parents[1]),
         os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-c", _CALL_IN_CHILD, opt, str(cache_dir), name],
        input=LIBC_NAMES.format(name=name), capture_output=True, text=True,
        timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]


TWICE = """
#id = affine_map<(d0) -> (d0)>
func.func @twice(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<2x?xf32>)
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %c2 = arith.constant 2 : index
  %half = arith.divui %n, %c2 : index
  %r = tensor.expand_shape %y [[0, 1]] output_shape [2, %half]
      : tensor<?xf32> into tensor<2x?xf32>
  return %y, %y, %r : tensor<?xf32>, tensor<?xf32>, tensor<2x?xf32>
}
"""


def test_results_sharing_a_buffer_free_it_once(build):
    """A function returning one allocated tensor twice and a reshape of it:
    the three results view one malloc'ed buffer, which is freed once, when
    the last of them dies (each result freeing it was a double free)."""
    mod = build(TWICE)
    x = np.arange(8, dtype=np.float32)
    for _ in range(50):
        a, b, r = mod.twice(x)
        np.testing.assert_array_equal(a, 2 * x)
        np.testing.assert_array_equal(r, (2 * x).reshape(2, 4))
        if build.is_norm:
            assert a.ctypes.data == b.ctypes.data == r.ctypes.data
        del a
        gc.collect()
        np.testing.assert_array_equal(b, 2 * x)  # still alive through b
        del b, r
        gc.collect()


def test_missing_function_is_an_attribute_error(cache_dir):
    mod = norm_mlir.compile_mlir(ADD.format(T="f32", ADD="addf"),
                                 opt=MLIR_OPT, cache_dir=cache_dir)
    assert hasattr(mod, "add") and not hasattr(mod, "no_such_function")
    assert getattr(mod, "no_such_function", None) is None
    with pytest.raises(KeyError):
        mod["no_such_function"]


def test_unwritable_cache(tmp_path, monkeypatch):
    """The default cache unwritable (here: under a regular file, which no
    user can write into): the library is built in a per-user temporary
    directory, with a warning naming NORM_MLIR_CACHE. A cache chosen
    explicitly and unwritable is an error, not a silent move."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    ir = ADD.format(T="f32", ADD="mulf")
    monkeypatch.delenv("NORM_MLIR_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    with pytest.warns(RuntimeWarning, match="NORM_MLIR_CACHE"):
        mod = norm_mlir.compile_mlir(ir, opt=MLIR_OPT)
    a = np.full((2, 3), 3.0, np.float32)
    np.testing.assert_array_equal(mod.add(a, a, np.empty_like(a)), a * a)
    # The fallback is the user's own, writable by no one else, and a cache:
    # no rebuild the next time.
    fallback = mod.path.parent.stat()
    assert fallback.st_uid == os.getuid() and fallback.st_mode & 0o022 == 0
    mtime = mod.path.stat().st_mtime_ns
    with pytest.warns(RuntimeWarning):
        again = norm_mlir.compile_mlir(ir, opt=MLIR_OPT)
    assert again.path == mod.path and again.path.stat().st_mtime_ns == mtime
    with pytest.raises(norm_mlir.CompileError, match="not writable"):
        norm_mlir.compile_mlir(ir + "\n", opt=MLIR_OPT,
                               cache_dir=blocker / "cache")


def test_empty_xdg_cache_home_means_unset(monkeypatch):
    monkeypatch.delenv("NORM_MLIR_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert compiler._cache_dir() == Path.home() / ".cache" / "norm_mlir"


def _layer_norm_rows(opt, cache, pipeline=None):
    from norm_mlir.builder import FunctionBuilder, TensorType
    fb = FunctionBuilder("ln")
    fb.ret(fb.layer_norm(fb.arg(TensorType([None, 8]))))
    return norm_mlir.compile_mlir(fb.module_text(), opt=opt, cache_dir=cache,
                                  pipeline=pipeline)


@pytest.mark.skipif(NORM_OPT is None, reason="needs norm-opt")
def test_output_of_another_size_is_refused_at_run_time(tmp_path):
    """A dynamic output array of fewer rows than the result: the compiled
    function stops with a message (norm-check-destination-sizes) instead of
    writing past the array's end (heap corruption), and the package raises
    it (norm-recoverable-checks) instead of the process aborting."""
    mod = _layer_norm_rows(NORM_OPT, tmp_path)
    x = np.ones((4096, 8), np.float32)
    mod.ln(x, np.empty((4096, 8), np.float32))
    small = np.full((1, 8), 7.0, np.float32)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="@ln: output argument #1 has another size in "
                             "dimension 0"):
        mod.ln(x, small)
    assert np.all(small == 7.0)  # the check runs before anything is written
    # The failure was taken: the next call is unaffected.
    y = mod.ln(x, np.empty((4096, 8), np.float32))
    assert np.allclose(y, 0.0)


@pytest.mark.skipif(NORM_OPT is None, reason="needs norm-opt")
def test_operands_of_other_sizes_are_refused_at_run_time(tmp_path):
    """Every size dynamic: a weight shorter than the rows, a residual of
    fewer rows, and a batch norm's running mean of fewer channels raise
    (norm-check-operand-sizes) before anything is written, instead of the
    lowering reading past their ends (it returned garbage). Matching sizes
    still give the reference result."""
    from norm_mlir.builder import FunctionBuilder, TensorType
    from norm_mlir.builder import module_text
    ln = FunctionBuilder("ln")
    x, w, r = (ln.arg(TensorType([None, None])), ln.arg(TensorType([None])),
               ln.arg(TensorType([None, None])))
    ln.ret(ln.layer_norm(x, weight=w, residual=r))
    bn = FunctionBuilder("bn")
    xb, mean, var = (bn.arg(TensorType([None, None, None])),
                     bn.arg(TensorType([None])), bn.arg(TensorType([None])))
    bn.ret(bn.batch_norm_inference(xb, mean, var))
    mod = norm_mlir.compile_mlir(module_text([ln, bn]), opt=NORM_OPT,
                                 cache_dir=tmp_path)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64)).astype(np.float32)
    r = rng.standard_normal((16, 64)).astype(np.float32)
    w = rng.standard_normal(64).astype(np.float32)
    s = x + r
    ref = (s - s.mean(1, keepdims=True)) / np.sqrt(
        s.var(1, keepdims=True) + 1e-5) * w
    assert np.allclose(mod.ln(x, w, r, np.empty_like(x)), ref, atol=1e-5)
    out = np.full_like(x, 7.0)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="@ln: norm.layer_norm: 'weight' has another size "
                             "in dimension 0 than the input in dimension 1"):
        mod.ln(x, w[:8], r, out)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="'residual' has another size in dimension 0 "
                             "than the input in dimension 0"):
        mod.ln(x, w, r[:4], out)
    assert np.all(out == 7.0)
    xb = rng.standard_normal((2, 8, 5)).astype(np.float32)
    mean = rng.standard_normal(8).astype(np.float32)
    var = rng.random(8).astype(np.float32) + 0.5
    ref = (xb - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    assert np.allclose(mod.bn(xb, mean, var, np.empty_like(xb)), ref,
                       atol=1e-5)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="@bn: norm.batch_norm_inference: 'running_mean' "
                             "has another size in dimension 0 than the input "
                             "in dimension 1"):
        mod.bn(xb, mean[:3], var, np.empty_like(xb))


@pytest.mark.skipif(NORM_OPT is None, reason="needs norm-opt")
def test_frontend_cast_of_another_size_is_refused_at_run_time(tmp_path):
    """A frontend's cast of a dynamic argument to the static shape it was
    traced with (8 rows): an array of 5 rows raises (norm-check-operand-
    sizes, upstream's model of tensor.cast) before anything is written,
    instead of the code for 8 rows reading past its end. 8 rows give the
    reference result."""
    text = """
func.func @ln(%x: tensor<?x64xf32>, %out: tensor<?x64xf32>) -> tensor<?x64xf32>
    attributes {llvm.emit_c_interface} {
  %c = tensor.cast %x : tensor<?x64xf32> to tensor<8x64xf32>
  %y = norm.layer_norm %c axes = [1] : tensor<8x64xf32>
  %d = tensor.cast %y : tensor<8x64xf32> to tensor<?x64xf32>
  %r = bufferization.materialize_in_destination %d in %out
      : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}
"""
    mod = norm_mlir.compile_mlir(text, opt=NORM_OPT, cache_dir=tmp_path)
    x = np.random.default_rng(3).standard_normal((8, 64)).astype(np.float32)
    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(
        x.var(1, keepdims=True) + 1e-5)
    assert np.allclose(mod.ln(x, np.empty_like(x)), ref, atol=1e-5)
    # (An output of 8 rows: the destination's own check passes.)
    out = np.full((8, 64), 7.0, np.float32)
    with pytest.raises(norm_mlir.RuntimeCheckError,
                       match="@ln: tensor.cast: size mismatch of dim 0"):
        mod.ln(np.ascontiguousarray(x[:5]), out)
    assert np.all(out == 7.0)


@pytest.mark.skipif(NORM_OPT is None, reason="needs norm-opt")
def test_check_failures_are_per_thread(tmp_path):
    """The failure slot is thread-local: a thread whose calls fail does not
    make another thread's calls raise, concurrently (ctypes releases the
    GIL during the call)."""
    import threading
    mod = _layer_norm_rows(NORM_OPT, tmp_path)
    x = np.ones((64, 8), np.float32)
    errors = {"good": 0, "bad": 0}

    def run(kind):
        for _ in range(300):
            out = np.empty((64 if kind == "good" else 3, 8), np.float32)
            try:
                mod.ln(x, out)
            except norm_mlir.RuntimeCheckError:
                errors[kind] += 1

    threads = [threading.Thread(target=run, args=(k,))
               for k in ("good", "bad", "good", "bad")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == {"good": 0, "bad": 600}


@pytest.mark.skipif(NORM_OPT is None, reason="needs norm-opt")
def test_output_of_another_size_aborts_without_recoverable_checks(tmp_path):
    """Without norm-recoverable-checks (norm-lower-to-cpu's default, for C
    callers that would not read the failure) the failed check aborts."""
    script = f"""
import numpy as np
import norm_mlir
from norm_mlir.builder import FunctionBuilder, TensorType
fb = FunctionBuilder("ln")
fb.ret(fb.layer_norm(fb.arg(TensorType([None, 8]))))
pipeline = norm_mlir.norm_pipeline(**{{"recoverable-checks": False}})
mod = norm_mlir.compile_mlir(fb.module_text(), opt={NORM_OPT!r},
                             cache_dir={str(tmp_path)!r}, pipeline=pipeline)
x = np.ones((4096, 8), np.float32)
mod.ln(x, np.empty((4096, 8), np.float32))
print("matching sizes ran", flush=True)
mod.ln(x, np.empty((1, 8), np.float32))
print("a smaller output ran", flush=True)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, env={**os.environ,
                                          "PYTHONPATH": str(compiler.Path(
                                              compiler.__file__).parents[1])})
    assert "matching sizes ran" in proc.stdout
    assert "a smaller output ran" not in proc.stdout
    assert proc.returncode != 0
    assert ("@ln: output argument #1 has another size in dimension 0"
            in proc.stdout + proc.stderr)
