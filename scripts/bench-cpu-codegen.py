#!/usr/bin/env python3
"""Compare norm-lower-to-cpu builds/options on LayerNorm and RMSNorm (fp32).

    python3 scripts/bench-cpu-codegen.py \
        --variant before=build-old/bin/norm-opt \
        --variant after=build/bin/norm-opt \
        [--variant noapprox=build/bin/norm-opt:approximate-math=0] \
        [--ops layer_norm,rms_norm] [--acts none,gelu,silu] [--cols 768,4096,8192]

Each variant is NAME=NORM_OPT[:opt=value,...] (options of norm-lower-to-cpu).
Variants are timed back to back, alternating, on the same arrays, so that a
shared machine's load affects them alike. The functions are written as the
Python builder writes them (result materialized in the caller's buffer).
Threads: 1 = compiled without OpenMP, 2 = OpenMP. GB/s = (read + write bytes)
/ best time.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
import norm_mlir  # noqa: E402


def program(op, act, rows, cols):
    t = f"tensor<{rows}x{cols}xf32>"
    a = f" activation = {act}" if act != "none" else ""
    return f"""func.func @f(%x: {t}, %out: {t}) -> {t}
    attributes {{llvm.emit_c_interface}} {{
  %y = norm.{op} %x axes = [1]{a} : {t}
  %r = bufferization.materialize_in_destination %y in %out : ({t}, {t}) -> {t}
  return %r : {t}
}}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variant", action="append", required=True)
    p.add_argument("--ops", default="layer_norm,rms_norm")
    p.add_argument("--acts", default="none")
    p.add_argument("--rows", type=int, default=8192)
    p.add_argument("--cols", default="768,4096,8192")
    p.add_argument("--iters", type=int, default=10)
    args = p.parse_args()
    variants = []
    for v in args.variant:
        name, _, rest = v.partition("=")
        opt, _, opts = rest.partition(":")
        kv = dict(o.split("=") for o in opts.split(",") if o)
        variants.append((name, str(Path(opt).resolve()), kv))
    for op in args.ops.split(","):
        for act in args.acts.split(","):
            for cols in map(int, args.cols.split(",")):
                x = np.random.default_rng(0).standard_normal(
                    (args.rows, cols)).astype(np.float32)
                out = np.empty_like(x)
                src = program(op, act, args.rows, cols)
                for openmp in (False, True):
                    fns = []
                    for name, opt, kv in variants:
                        pipe = norm_mlir.norm_pipeline(openmp, **kv)
                        mod = norm_mlir.compile_mlir(src, opt=opt, openmp=openmp,
                                                     pipeline=pipe)
                        mod.f(x, out)  # warm up
                        fns.append((name, mod.f))
                    best = {name: float("inf") for name, _ in fns}
                    for _ in range(args.iters):
                        for name, fn in fns:
                            t = time.perf_counter()
                            fn(x, out)
                            best[name] = min(best[name], time.perf_counter() - t)
                    gbs = " ".join(f"{n}={2 * x.nbytes / t / 1e9:.1f}"
                                   for n, t in best.items())
                    label = op if act == "none" else f"{op}+{act}"
                    print(f"{label} {args.rows}x{cols} threads={1 + openmp}: "
                          f"{gbs} GB/s", flush=True)


if __name__ == "__main__":
    main()
