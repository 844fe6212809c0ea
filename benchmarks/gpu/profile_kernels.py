#!/usr/bin/env python3
"""Runs each benchmark case's norm-mlir kernels once, for a profiler.

    ncu --csv --page details --section SpeedOfLight --section LaunchStats \
        --section Occupancy python3 benchmarks/gpu/profile_kernels.py

Runs on the GPU machine, on the bundle of `scripts/gpu-check.sh build`. The
cases and shapes are those of bench_norm.py; each is called twice, so every
kernel is profiled twice (compare the two launches to see the noise).
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from bench_norm import cases  # noqa: E402
from norm_mlir.gpu import GpuLibrary  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--cases", default="")
    args = parser.parse_args()
    lib = GpuLibrary(Path(args.bundle) / "libnorm_gpu_kernels.so")
    for case in cases(32768, 4096):
        if args.cases and not re.search(args.cases, case["name"]):
            continue
        name, tensors = case["ours"]
        print(case["name"], flush=True)
        for _ in range(2):
            lib.call(name, *tensors)
        lib.synchronize()
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
