"""A/B timing of norm-mlir variants on the same buffers, in one process.

    python benchmarks/ab.py CASE [--opt NORM_OPT ...] [--options "k=v ..." ...]
                            [--reps 21] [--alone] [--block 1]

Compiles one benchmark case (an id of `run.py`'s case lists, the standard
one, e.g. `bn_inf_relu_f32_32x64x56x56_nchw`, or `--set models`) once per
variant — a norm-opt binary (`--opt`, repeatable) or a set of
`norm-lower-to-cpu` options (`--options`, repeatable; the product of both is
taken), each also with a dynamic row count with `--dynamic-rows` and with
every dimension dynamic with `--dynamic-all`, and with every dimension
of the input's shape but the channels dynamic with `--dynamic-spatial` (a
vision model compiled for any batch and image size) — and calls the variants
alternately on the *same* 64-byte aligned input and output arrays,
printing the median time of each and its ratio to the first. With
`--block B`, each variant runs B timed calls in a row after one untimed call
of its own: a variant then finds the cache as its own previous call left it,
as when it runs alone (alternating, a variant that streams its output past
the cache leaves the next one cold, and one that does not leaves it warm).

Why: on the 2-core VM of this project, the same binary differs by up to 2x
between two equally aligned allocations of one process (docs/benchmarks.md,
"Noise"); before/after numbers of one change are only comparable on the same
buffers. Threads: OMP_NUM_THREADS. Run it with the allocator settings of
run.py (MALLOC_MMAP_MAX_=0 ...) for the same conditions as the benchmark.

The buffers a variant allocates itself (statistics partials, per-tile
copies) still lie where the process's heap puts them, which differs between
variants of one process: a variant with large internal buffers can be
slowed by up to 1.4x there and not in a process of its own
(docs/benchmarks.md, "Buffers of run-time size on the stack"). With
`--processes`, each block of calls runs in a fresh process of its own
(variants alternating, the compilations cached), on that process's
buffers: a cross-check of a ratio that one process alone shows.
"""

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

import norm_mlir  # noqa: E402
import run as bench  # noqa: E402
from norm_mlir.compiler import parse_signatures  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case")
    ap.add_argument("--opt", action="append",
                    help="norm-opt binary (default: norm_mlir.find_opt())")
    ap.add_argument("--options", action="append",
                    help="extra norm-lower-to-cpu options, e.g. "
                         "'nontemporal-stores=0'")
    ap.add_argument("--reps", type=int, default=21)
    ap.add_argument("--alone", action="store_true",
                    help="the case without its activation")
    ap.add_argument("--dynamic-rows", action="store_true",
                    help="also each variant compiled with the leading "
                         "(row) dimension dynamic")
    ap.add_argument("--dynamic-all", action="store_true",
                    help="also each variant compiled with every dimension "
                         "dynamic, as norm_mlir.ops compiles its ops")
    ap.add_argument("--dynamic-spatial", action="store_true",
                    help="also each variant compiled with every dimension "
                         "of the input's shape but the channel axis "
                         "dynamic (batch and image size)")
    ap.add_argument("--block", type=int, default=1,
                    help="timed calls of a variant in a row, each block "
                         "after one untimed call (1: alternate every call)")
    ap.add_argument("--misalign", type=int, default=0,
                    help="bytes past a 64-byte boundary at which the "
                         "buffers start (numpy's own arrays: 16 or 32)")
    ap.add_argument("--processes", action="store_true",
                    help="run each block of calls in a fresh process (see "
                         "above)")
    # Internal: time one variant (its index) for one block and print the
    # times as JSON (the worker of --processes).
    ap.add_argument("--worker", type=int, default=None,
                    help=argparse.SUPPRESS)
    args = ap.parse_args()

    cases = {c["id"]: c
             for c in bench.make_cases() + bench.make_model_cases()}
    if args.case not in cases:
        sys.exit(f"unknown case {args.case}; one of: {', '.join(cases)}")
    text, name, ins = bench._norm_program(cases[args.case],
                                          activation=not args.alone)
    sig = parse_signatures(text)[name]
    ins = [bench._aligned_copy(a, args.misalign) for a in ins]
    outs = [bench._aligned_copy(np.zeros(t.shape, t.dtype), args.misalign)
            for t in sig.args[len(ins):]]

    texts = [("", text)]
    if args.dynamic_rows:
        rows = f"tensor<{ins[0].shape[0]}x"
        texts.append((" rows=?", text.replace(rows, "tensor<?x")))
    if args.dynamic_all:
        # Constants (the contraction cases' weights) keep their shapes.
        texts.append((" all=?", "\n".join(
            line if "arith.constant" in line else re.sub(
                r"tensor<[0-9x]+",
                lambda m: re.sub(r"[0-9]+", "?", m[0]), line)
            for line in text.split("\n"))))
    if args.dynamic_spatial:
        shape = list(ins[0].shape)
        channel = -1 if cases[args.case].get("layout") == "nhwc" else 1
        channel %= len(shape)
        dims = ["?" if k != channel else str(d) for k, d in enumerate(shape)]
        texts.append((" spatial=?", text.replace(
            "tensor<" + "x".join(map(str, shape)) + "x",
            "tensor<" + "x".join(dims) + "x")))
    configs = list(itertools.product(
        args.opt or [norm_mlir.find_opt()], args.options or [""], texts))
    labels = [f"{Path(opt).name} [{options}]{shape}"
              for opt, options, (shape, _) in configs]

    def compile_variant(k):
        opt, options, (_, program) = configs[k]
        inner = f"norm-lower-to-cpu{{openmp=1 {options}}}"
        # As run.py compiles it: the FlashNorm cases fold first.
        if cases[args.case].get("fold") == "flashnorm":
            inner = f"norm-flash-norm,{inner}"
        pipeline = f"builtin.module({inner})"
        return norm_mlir.compile_mlir(program, opt=opt, openmp=True,
                                      pipeline=pipeline)[name]

    block = max(args.block, 1)
    if args.worker is not None:
        fn = compile_variant(args.worker)
        for _ in range(3):
            fn(*ins, *outs)
        times = []
        for _ in range(block):
            t = time.perf_counter()
            fn(*ins, *outs)
            times.append(time.perf_counter() - t)
        print(json.dumps(times))
        return

    times = [[] for _ in configs]
    if args.processes:
        for k in range(len(configs)):
            compile_variant(k)  # compiled (cached) once, before timing
        argv = [a for a in sys.argv[1:] if a != "--processes"]
        for _ in range(-(-args.reps // block)):
            for k in range(len(configs)):
                out = subprocess.run(
                    [sys.executable, __file__, *argv, "--worker", str(k)],
                    check=True, capture_output=True, text=True).stdout
                times[k] += json.loads(out.strip().splitlines()[-1])
    else:
        variants = [compile_variant(k) for k in range(len(configs))]
        for fn in variants:
            for _ in range(3):
                fn(*ins, *outs)
        for _ in range(-(-args.reps // block)):
            for k, fn in enumerate(variants):
                if block > 1:
                    fn(*ins, *outs)
                for _ in range(block):
                    t = time.perf_counter()
                    fn(*ins, *outs)
                    times[k].append(time.perf_counter() - t)
    base = np.median(times[0])
    print(f"{args.case}, {os.environ.get('OMP_NUM_THREADS', 'all')} "
          f"thread(s), median of {len(times[0])}"
          f"{f' (blocks of {block})' if block > 1 else ''}"
          f"{', a process a block' if args.processes else ''}:")
    for label, ts in zip(labels, times):
        m = np.median(ts)
        print(f"  {label:50s} {m * 1e3:8.3f} ms  {m / base:5.3f}")


if __name__ == "__main__":
    main()
