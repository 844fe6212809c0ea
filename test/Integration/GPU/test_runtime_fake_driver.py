"""The CUDA runtime's launch attributes against a fake driver (no GPU):
a function's dynamic shared memory above 48 KiB, its shared-memory carveout
and non-portable cluster sizes are set once per function, not at every
launch, again for a larger size, and again after its module is unloaded
(a new module may reuse the function handle). Runs on CI (needs
libnorm_cuda_runtime.so and clang-22)."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CC = shutil.which("clang-22") or shutil.which("clang") or shutil.which("cc")


def _runtime():
    for d in (os.environ.get("NORM_BUILD_DIR"), REPO / "build-gpu",
              REPO / "build"):
        if d and (Path(d) / "lib" / "libnorm_cuda_runtime.so").is_file():
            return Path(d) / "lib" / "libnorm_cuda_runtime.so"
    return None


@pytest.mark.skipif(_runtime() is None or CC is None,
                    reason="needs libnorm_cuda_runtime.so and a C compiler")
def test_launch_attributes_set_once(tmp_path):
    drv = tmp_path / "drv"
    drv.mkdir()
    fake = drv / "libcuda.so.1"
    subprocess.run([CC, "-shared", "-fPIC", "-O1", "-Wl,-soname,libcuda.so.1",
                    "-o", str(fake),
                    str(Path(__file__).parent / "fake_driver" / "fake_cuda.c")],
                   check=True)
    script = textwrap.dedent(f"""
        import ctypes
        from ctypes import c_int32, c_ssize_t as c_intptr_t, c_size_t, c_void_p, c_char_p
        fake = ctypes.CDLL({str(fake)!r})
        rt = ctypes.CDLL({str(_runtime())!r})
        rt.mgpuModuleLoad.restype = c_void_p
        rt.mgpuModuleLoad.argtypes = [c_void_p, c_size_t]
        rt.mgpuModuleUnload.argtypes = [c_void_p]
        rt.mgpuModuleGetFunction.restype = c_void_p
        rt.mgpuModuleGetFunction.argtypes = [c_void_p, c_char_p]
        rt.mgpuLaunchKernel.argtypes = [c_void_p] + [c_intptr_t] * 6 + [
            c_int32, c_void_p, c_void_p, c_void_p, c_size_t]
        rt.mgpuLaunchClusterKernel.argtypes = [c_void_p] + [c_intptr_t] * 9 + [
            c_int32, c_void_p, c_void_p, c_void_p, c_size_t]
        MAX_DYNAMIC_SHARED, CARVEOUT, NON_PORTABLE = 8, 9, 14
        calls = lambda a: fake.fakeAttributeCalls(a)

        def launch(f, smem):
            rt.mgpuLaunchKernel(f, 256, 1, 1, 512, 1, 1, smem, None, None,
                                None, 0)

        def cluster_launch(f, size):
            rt.mgpuLaunchClusterKernel(f, 1, size, 1, 256, size, 1, 256, 1,
                                       1, 0, None, None, None, 0)

        module = rt.mgpuModuleLoad(None, 0)
        f = rt.mgpuModuleGetFunction(module, b"kernel")
        launch(f, 1024)
        print("small", calls(MAX_DYNAMIC_SHARED), calls(CARVEOUT))
        launch(f, 114688)
        launch(f, 114688)
        launch(f, 65536)
        print("large", calls(MAX_DYNAMIC_SHARED), calls(CARVEOUT))
        launch(f, 200000)
        print("larger", calls(MAX_DYNAMIC_SHARED), calls(CARVEOUT))
        print("launches", fake.fakeLaunches(), fake.fakeLastSharedBytes())
        cluster_launch(f, 8)
        cluster_launch(f, 16)
        cluster_launch(f, 16)
        print("clusters", calls(NON_PORTABLE), fake.fakeClusterLaunches())
        rt.mgpuModuleUnload(module)
        module = rt.mgpuModuleLoad(None, 0)
        g = rt.mgpuModuleGetFunction(module, b"kernel")
        print("same handle", f == g)
        launch(g, 114688)
        cluster_launch(g, 16)
        print("reloaded", calls(MAX_DYNAMIC_SHARED), calls(CARVEOUT),
              calls(NON_PORTABLE))
        # The same module and function handles after an unload: only the
        # unload's cleanup tells them apart.
        fake.fakeReuseModuleHandles(1)
        rt.mgpuModuleUnload(module)
        module = rt.mgpuModuleLoad(None, 0)
        h = rt.mgpuModuleGetFunction(module, b"kernel")
        launch(h, 114688)
        rt.mgpuModuleUnload(module)
        module = rt.mgpuModuleLoad(None, 0)
        h = rt.mgpuModuleGetFunction(module, b"kernel")
        launch(h, 114688)
        print("same module", calls(MAX_DYNAMIC_SHARED), calls(CARVEOUT))
        # A function handle whose module the driver does not know: its
        # attributes are set at every launch.
        launch(0x1234, 114688)
        launch(0x1234, 114688)
        print("uncached", calls(MAX_DYNAMIC_SHARED))
    """)
    env = dict(os.environ, LD_LIBRARY_PATH=str(drv))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == [
        "small 0 0",          # 48 KiB or less needs no attribute
        "large 1 1",          # set at the first 112 KiB launch only
        "larger 2 2",         # a larger size is set again
        "launches 5 200000",  # every launch reached the driver
        "clusters 1 3",       # more than 8 blocks: allowed once
        "same handle True",
        "reloaded 3 3 2",     # the unload dropped what was set
        "same module 5 5",    # even with the same handles
        "uncached 7",
    ], proc.stdout + proc.stderr
