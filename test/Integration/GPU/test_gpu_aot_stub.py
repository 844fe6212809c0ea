"""The ahead-of-time path without a GPU: kernels.mlir compiles into a host
library that loads against the CUDA toolkit's stub driver, reports the
driver's errors through the runtime, and checks arguments, without crashing.
Runs on CI (needs norm-opt, clang-22 and the CUDA toolkit; no GPU)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
STUB = Path(os.environ.get("CUDA_HOME", "/usr/local/cuda")) / "lib64" / \
    "stubs" / "libcuda.so"


def _build_dir():
    for d in (os.environ.get("NORM_BUILD_DIR"), REPO / "build-gpu",
              REPO / "build"):
        if d and (Path(d) / "lib" / "libnorm_cuda_runtime.so").is_file() \
                and (Path(d) / "bin" / "norm-opt").is_file():
            return Path(d)
    return None


@pytest.mark.skipif(_build_dir() is None or not STUB.is_file(),
                    reason="needs norm-opt, libnorm_cuda_runtime.so and the "
                           "CUDA toolkit's stub libcuda.so")
def test_compile_and_load_with_stub_driver(tmp_path):
    sys.path.insert(0, str(REPO / "python"))
    from norm_mlir import gpu

    build = _build_dir()
    so = gpu.compile_gpu_library(
        REPO / "test" / "GPU" / "kernels.mlir", tmp_path / "libk.so",
        runtime_lib=build / "lib" / "libnorm_cuda_runtime.so",
        norm_opt=str(build / "bin" / "norm-opt"))
    assert (tmp_path / "libnorm_cuda_runtime.so").is_file()
    signatures = gpu.parse_signatures(
        (REPO / "test" / "GPU" / "kernels.mlir").read_text())
    assert "rms_norm_bf16_4096" in signatures
    # The CHECK lines above each function are not arguments.
    assert len(signatures["layer_norm_bf16_4096"]) == 4
    assert len(signatures["layer_norm_f32_1000_stats"]) == 6
    assert len(signatures["batch_norm_training_f32"]) == 10
    assert signatures["group_norm_silu_bf16"][0] == {
        "shape": [8, 512, 64, 64], "dtype": "bf16"}
    assert signatures["image_normalize_u8_nchw"][0] == {
        "shape": [-1, 3, 50, 50], "dtype": "ui8"}
    # The stub driver as libcuda.so.1, in a child process.
    (tmp_path / "drv").mkdir()
    (tmp_path / "drv" / "libcuda.so.1").symlink_to(STUB)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO / 'python')!r})
        from norm_mlir.gpu import GpuLibrary
        class T:
            def __init__(self, shape, typestr='<V2'):
                self.__cuda_array_interface__ = {{
                    'shape': shape, 'typestr': typestr,
                    'data': (1 << 20, False), 'version': 3}}
        lib = GpuLibrary({str(so)!r})
        try:
            lib.call('rms_norm_bf16_4096', T((4, 4096)), T((4095,)), T((4, 4096)))
        except ValueError as e:
            print('shape check:', e)
        lib.call('rms_norm_bf16_4096', T((4, 4096)), T((4096,)), T((4, 4096)))
        try:
            lib.check()
        except RuntimeError as e:
            print('driver error:', e)
        # Workspace allocation (stream-ordered), two launches, free: errors
        # are recorded, nothing crashes.
        f4 = lambda *shape: T(shape, '<f4')
        lib.call('group_norm_f32_stats', f4(3, 96, 20, 20), f4(96), f4(96),
                 f4(3, 96, 20, 20), f4(3, 12), f4(3, 12))
        try:
            lib.check()
        except RuntimeError as e:
            print('group norm driver error:', e)
        # 8-bit pixels: uint8 arrays ('|u1') are taken, f32 ones are not.
        try:
            lib.call('image_normalize_u8_nchw', f4(2, 3, 50, 50), f4(3),
                     f4(3), f4(2, 3, 50, 50))
        except ValueError as e:
            print('pixel check:', e)
        lib.call('image_normalize_u8_nchw', T((2, 3, 50, 50), '|u1'), f4(3),
                 f4(3), f4(2, 3, 50, 50))
        try:
            lib.check()
        except RuntimeError as e:
            print('image driver error:', e)
    """)
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path / "drv"),
               NORM_CUDA_QUIET="1")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "shape check: shape [4095] does not match memref [4096]" in \
        proc.stdout
    assert "driver error: CUDA error" in proc.stdout
    assert "group norm driver error: CUDA error" in proc.stdout
    assert "pixel check: element size 4 does not match ui8" in proc.stdout
    assert "image driver error: CUDA error" in proc.stdout
