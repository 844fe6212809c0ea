"""The SIMT interpreter (simt_interpreter.py) on small hand-written kernels:
what it must compute, and the synchronization bugs it must report instead
of hiding them behind lockstep execution (each bug next to its correct
form, which must pass)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[2] / "python"))

import norm_mlir  # noqa: E402
from simt_interpreter import Interpreter, SimtError  # noqa: E402

OPT = norm_mlir.find_opt()
pytestmark = pytest.mark.skipif(Path(OPT).name != "norm-opt",
                                reason=f"needs norm-opt, found {OPT}")

WG = "#gpu.address_space<workgroup>"


def kernel(body, threads=64, blocks=1, n=64, shared=64):
    """A function @f(%in, %out: memref<n x f32>) whose gpu.launch runs
    `body` (with %tx, %bx, the constants %c0..%c4, %c32, %c64 and
    %sh: memref<shared x f32> in shared memory), outlined by norm-opt."""
    text = f"""
func.func @f(%in: memref<{n}xf32>, %out: memref<{n}xf32>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %nb = arith.constant {blocks} : index
  %nt = arith.constant {threads} : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %nb, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %nt, %sy = %c1, %sz = %c1)
             workgroup(%sh : memref<{shared}xf32, {WG}>) {{
{body}
    gpu.terminator
  }}
  return
}}
"""
    out = subprocess.run(
        [OPT, "--gpu-kernel-outlining", "--mlir-print-op-generic"],
        input=text, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return Interpreter(out.stdout)


def run(body, x=None, **kw):
    n = kw.get("n", 64)
    x = np.arange(n, dtype=np.float32) if x is None else x
    y = np.zeros_like(x)
    kernel(body, **kw).call("f", x, y)
    return y


REVERSE = """
    %v = memref.load %in[%tx] : memref<64xf32>
    memref.store %v, %sh[%tx] : memref<64xf32, {wg}>
    {sync}
    %r = arith.subi %c64, %tx : index
    %r1 = arith.subi %r, %c1 : index
    %w = memref.load %sh[%r1] : memref<64xf32, {wg}>
    memref.store %w, %out[%tx] : memref<64xf32>
"""


def test_barrier_orders_shared_memory():
    y = run(REVERSE.format(wg=WG, sync="gpu.barrier"))
    np.testing.assert_array_equal(y, np.arange(64)[::-1])


def test_missing_barrier_is_a_race():
    with pytest.raises(SimtError, match="race on .* reads byte .* written "
                       "by thread .* without a barrier"):
        run(REVERSE.format(wg=WG, sync=""))


# Each thread reads its neighbour's slot, then overwrites its own.
NEIGHBOUR = """
    %v = memref.load %in[%tx] : memref<64xf32>
    memref.store %v, %sh[%tx] : memref<64xf32, {wg}>
    gpu.barrier
    %t1 = arith.addi %tx, %c1 : index
    %j = arith.remui %t1, %c64 : index
    %w = memref.load %sh[%j] : memref<64xf32, {wg}>
    {sync}
    memref.store %w, %sh[%tx] : memref<64xf32, {wg}>
    gpu.barrier
    %z = memref.load %sh[%tx] : memref<64xf32, {wg}>
    memref.store %z, %out[%tx] : memref<64xf32>
"""


def test_write_after_read_needs_a_barrier():
    y = run(NEIGHBOUR.format(wg=WG, sync="gpu.barrier"))
    np.testing.assert_array_equal(y, np.roll(np.arange(64), -1))
    with pytest.raises(SimtError, match="overwrites byte .* that other "
                       "threads read since the last barrier"):
        run(NEIGHBOUR.format(wg=WG, sync=""))


def test_divergent_barrier():
    body = """
    %p = arith.cmpi ult, %tx, %c32 : index
    scf.if %p {
      gpu.barrier
    }
    """
    with pytest.raises(SimtError, match="gpu.barrier reached by 32 of the "
                       "64 threads of block 0"):
        run(body)


SHUFFLE = """
    %v = memref.load %in[%tx] : memref<64xf32>
    %o = arith.constant {offset} : i32
    %w = arith.constant 32 : i32
    %s, %valid = gpu.shuffle {mode} %v, %o, %w : f32
    %r = arith.select %valid, %s, %v : f32
    memref.store %r, %out[%tx] : memref<64xf32>
"""


@pytest.mark.parametrize("mode,offset,lanes", [
    ("xor", 5, lambda l: l ^ 5),
    ("down", 3, lambda l: np.where(l + 3 < 32, l + 3, l)),
    ("up", 2, lambda l: np.where(l >= 2, l - 2, l)),
    ("idx", 7, lambda l: np.full_like(l, 7)),
])
def test_shuffle_modes(mode, offset, lanes):
    y = run(SHUFFLE.format(mode=mode, offset=offset))
    tid = np.arange(64)
    np.testing.assert_array_equal(y, tid - tid % 32 + lanes(tid % 32))


def test_shuffle_from_an_inactive_lane():
    body = """
    %p = arith.cmpi ult, %tx, %c4 : index
    scf.if %p {
      %v = memref.load %in[%tx] : memref<64xf32>
      %o = arith.constant 8 : i32
      %w = arith.constant 32 : i32
      %s, %valid = gpu.shuffle xor %v, %o, %w : f32
      memref.store %s, %out[%tx] : memref<64xf32>
    }
    """
    with pytest.raises(SimtError, match="gpu.shuffle reads an inactive lane"):
        run(body)
    # A block of 16 threads: lanes 16-31 do not exist.
    with pytest.raises(SimtError, match="gpu.shuffle reads a lane past the "
                       "block"):
        run(SHUFFLE.format(mode="xor", offset=16), threads=16)


# 64 threads copy 4 floats each into shared memory with cp.async, then
# read the vector of the thread after them.
CP_ASYNC = """
    %i = arith.muli %tx, %c4 : index
    %t = nvgpu.device_async_copy %in[%i], %sh[%i], 4
        : memref<256xf32> to memref<256xf32, {wg}>
    %g = nvgpu.device_async_create_group %t
    {wait}
    gpu.barrier
    %t1 = arith.addi %tx, %c1 : index
    %n = arith.remui %t1, %c64 : index
    %j = arith.muli %n, %c4 : index
    %v = vector.load %sh[%j] : memref<256xf32, {wg}>, vector<4xf32>
    vector.store %v, %out[%i] : memref<256xf32>, vector<4xf32>
"""


def test_cp_async_lands_at_its_wait():
    wait = "nvgpu.device_async_wait %g {numGroups = 0 : i32}"
    y = run(CP_ASYNC.format(wg=WG, wait=wait), n=256, shared=256)
    np.testing.assert_array_equal(y, np.roll(np.arange(256), -4))
    with pytest.raises(SimtError, match="reads the destination of a "
                       "cp.async .* before waiting for it"):
        run(CP_ASYNC.format(wg=WG, wait=""), n=256, shared=256)


def test_cp_async_zero_fills_past_src_elements():
    body = f"""
    %i = arith.muli %tx, %c4 : index
    %k = arith.remui %tx, %c4 : index
    %t = nvgpu.device_async_copy %in[%i], %sh[%i], 4, %k
        : memref<256xf32> to memref<256xf32, {WG}>
    %g = nvgpu.device_async_create_group %t
    nvgpu.device_async_wait %g {{numGroups = 0 : i32}}
    %v = vector.load %sh[%i] : memref<256xf32, {WG}>, vector<4xf32>
    vector.store %v, %out[%i] : memref<256xf32>, vector<4xf32>
    """
    x = np.arange(1, 257, dtype=np.float32)
    y = run(body, x=x, n=256, shared=256).reshape(64, 4)
    expected = x.reshape(64, 4) * (np.arange(4)[None, :] <
                                   (np.arange(64) % 4)[:, None])
    np.testing.assert_array_equal(y, expected)


def test_uninitialized_shared_memory():
    body = f"""
    %v = memref.load %sh[%tx] : memref<64xf32, {WG}>
    memref.store %v, %out[%tx] : memref<64xf32>
    """
    with pytest.raises(SimtError, match="reads bytes of .* that nothing "
                       "wrote"):
        run(body)


def test_blocks_writing_one_element():
    """Two blocks store to the same output elements: a race between blocks
    (blocks of a launch are not ordered)."""
    body = """
    %v = memref.load %in[%tx] : memref<64xf32>
    memref.store %v, %out[%tx] : memref<64xf32>
    """
    np.testing.assert_array_equal(run(body), np.arange(64))
    with pytest.raises(SimtError, match="race on"):
        run(body, blocks=2)


# Thread t reads element t + shift of the input, then writes element t of
# the output: in place (the output is the input's array), thread t + shift
# may already have overwritten what t reads.
IN_PLACE = """
    %t1 = arith.addi %tx, %c{shift} : index
    %j = arith.remui %t1, %c64 : index
    %v = memref.load %in[%j] : memref<64xf32>
    {sync}
    %d = arith.addf %v, %v : f32
    memref.store %d, %out[%tx] : memref<64xf32>
"""


def test_in_place_output():
    """An output passed as the same array as the input is one buffer: each
    thread rewriting the element it read is fine; overwriting an element
    that another thread of the launch reads needs a barrier between."""
    x = np.arange(64, dtype=np.float32)
    kernel(IN_PLACE.format(shift=0, sync="")).call("f", x, x)
    np.testing.assert_array_equal(x, 2 * np.arange(64))
    x = np.arange(64, dtype=np.float32)
    kernel(IN_PLACE.format(shift=1, sync="gpu.barrier")).call("f", x, x)
    np.testing.assert_array_equal(x, 2 * np.roll(np.arange(64), -1))
    with pytest.raises(SimtError, match="overwrites byte .* that other "
                       "threads read"):
        kernel(IN_PLACE.format(shift=1, sync="")).call("f", x, x)
    # Separate arrays: no hazard, no barrier needed.
    y = run(IN_PLACE.format(shift=1, sync=""))
    np.testing.assert_array_equal(y, 2 * np.roll(np.arange(64), -1))
    # Across blocks no barrier orders the read before the write.
    x = np.arange(64, dtype=np.float32)
    body = IN_PLACE.format(shift=1, sync="gpu.barrier").replace(
        "%tx, %c1", "%gtx, %c1").replace("%out[%tx]", "%out[%gtx]")
    body = """
    %base = arith.muli %bx, %c32 : index
    %gtx = arith.addi %base, %tx : index
""" + body
    with pytest.raises(SimtError, match="overwrites byte .* that other "
                       "threads read"):
        kernel(body, threads=32, blocks=2).call("f", x, x)
    both = np.zeros(128, np.float32)
    with pytest.raises(SimtError, match="partly overlaps"):
        kernel(IN_PLACE.format(shift=0, sync="")).call("f", both[:64],
                                                       both[32:96])


def test_integer_division_rounds_toward_zero():
    body = """
    %v = memref.load %in[%tx] : memref<64xf32>
    %i = arith.fptosi %v : f32 to i32
    %m5 = arith.constant -5 : i32
    %k3 = arith.constant 3 : i32
    %a = arith.subi %i, %c32_i32 : i32
    %q = arith.divsi %a, %k3 : i32
    %r = arith.remsi %a, %k3 : i32
    %f = arith.floordivsi %a, %k3 : i32
    %c = arith.ceildivsi %a, %k3 : i32
    %s1 = arith.muli %q, %m5 : i32
    %s2 = arith.addi %s1, %r : i32
    %s3 = arith.muli %f, %c100 : i32
    %s4 = arith.addi %s2, %s3 : i32
    %s5 = arith.muli %c, %c10000 : i32
    %s6 = arith.addi %s4, %s5 : i32
    %o = arith.sitofp %s6 : i32 to f32
    memref.store %o, %out[%tx] : memref<64xf32>
    """
    consts = """
    %c32_i32 = arith.constant 32 : i32
    %c100 = arith.constant 100 : i32
    %c10000 = arith.constant 10000 : i32
    """
    y = run(consts + body)
    a = np.arange(64) - 32
    q = np.trunc(a / 3).astype(int)
    expected = q * -5 + (a - 3 * q) + np.floor_divide(a, 3) * 100 + \
        -np.floor_divide(-a, 3) * 10000
    np.testing.assert_array_equal(y, expected)
