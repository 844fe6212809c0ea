# -*- Python -*-
# lit configuration of the norm-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "NORM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.norm_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(("%norm_src_root", config.norm_src_root))
config.substitutions.append(("%norm_lib_dir", config.norm_lib_dir))
config.substitutions.append(("%llvm_lib_dir", config.llvm_lib_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.norm_tools_dir, config.llvm_tools_dir]
tools = [
    "norm-opt",
    "norm-lsp-server",
    ToolSubst("mlir-opt", unresolved="ignore"),
    ToolSubst("mlir-translate", unresolved="ignore"),
    ToolSubst("mlir-runner", unresolved="ignore"),
    ToolSubst("llc", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Sanitizer builds (-DNORM_ENABLE_SANITIZERS=ON): Debian's tools are not
# instrumented, so one that loads NormPlugin.so needs the ASan runtime (which
# also has the UBSan handlers) preloaded: `%sanitizer_preload mlir-opt ...`.
# ASAN_OPTIONS/UBSAN_OPTIONS pass through lit to the tests.
sanitizer_preload = ""
if str(getattr(config, "enable_sanitizers", "")).upper() in ("ON", "1", "TRUE",
                                                             "YES"):
    config.available_features.add("sanitizers")
    import subprocess as _subprocess
    asan_rt = _subprocess.run(
        ["clang++-22", "-print-file-name=libclang_rt.asan-x86_64.so"],
        capture_output=True, text=True).stdout.strip()
    sanitizer_preload = "env LD_PRELOAD=" + asan_rt
config.substitutions.append(("%sanitizer_preload", sanitizer_preload))

# GPU (test/GPU): the CUDA toolkit's libdevice and ptxas for the NVPTX tests
# (`REQUIRES: cuda-toolkit`, `REQUIRES: ptxas`); a GPU for the tests that run
# kernels (`REQUIRES: cuda-device`; CI has none). CUDA_HOME is passed on so
# that norm-lower-to-nvvm finds the toolkit.
import shutil
import subprocess

cuda_home = (os.environ.get("CUDA_ROOT") or os.environ.get("CUDA_HOME")
             or os.environ.get("CUDA_PATH") or "/usr/local/cuda")
if os.path.exists(os.path.join(cuda_home, "nvvm", "libdevice",
                               "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
    config.environment["CUDA_HOME"] = cuda_home
ptxas = shutil.which("ptxas") or os.path.join(cuda_home, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
config.substitutions.append(("%python", config.python_executable or "python3"))
if os.path.exists(os.path.join(config.norm_lib_dir,
                               "libnorm_cuda_runtime.so")):
    config.available_features.add("cuda-runtime")
try:
    smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                         timeout=30)
    if smi.returncode == 0 and "GPU" in smi.stdout:
        config.available_features.add("cuda-device")
except (OSError, subprocess.SubprocessError):
    pass
