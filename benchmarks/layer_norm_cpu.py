"""Throughput of the CPU LayerNorm (hand-written linalg) on numpy arrays.

    NORM_OPT=build/bin/norm-opt python3 benchmarks/layer_norm_cpu.py \
        [--rows 8192 --cols 4096 --dtype f32 --tile-size 8]

GB/s counts one read of the input and one write of the output.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "python" / "tests")]

import norm_mlir  # noqa: E402
from kernels import layer_norm  # noqa: E402


def bench(fn, x, out, iters):
    fn(x, out)  # warm up: first touch of `out`, thread pool start
    best = float("inf")
    for _ in range(iters):
        t = time.perf_counter()
        fn(x, out)
        best = min(best, time.perf_counter() - t)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=8192)
    p.add_argument("--cols", type=int, default=4096)
    p.add_argument("--dtype", default="f32", choices=["f32", "f16", "bf16"])
    p.add_argument("--tile-size", type=int, default=8)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--opt", default=None, help="opt tool (default: norm_mlir.find_opt())")
    args = p.parse_args()

    opt = args.opt or norm_mlir.find_opt()
    if "norm-opt" not in Path(opt).name:
        sys.exit(f"{opt}: need norm-opt (set NORM_OPT) for norm-lower-to-cpu")
    ir = layer_norm(args.dtype)
    dtype = norm_mlir.memref.numpy_dtype(args.dtype)
    x = np.random.default_rng(0).standard_normal((args.rows, args.cols)).astype(dtype)
    out = np.empty_like(x)
    for openmp in (False, True):
        pipeline = norm_mlir.norm_pipeline(openmp, **{"tile-size": args.tile_size})
        mod = norm_mlir.compile_mlir(ir, opt=opt, openmp=openmp, pipeline=pipeline)
        dt = bench(mod.layer_norm, x, out, args.iters)
        gbs = 2 * x.nbytes / dt / 1e9
        print(f"{args.dtype} {args.rows}x{args.cols} openmp={int(openmp)} "
              f"tile-size={args.tile_size}: {dt * 1e3:.2f} ms, {gbs:.1f} GB/s")


if __name__ == "__main__":
    main()
