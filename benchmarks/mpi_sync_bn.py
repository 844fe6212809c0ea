#!/usr/bin/env python3
"""Time one SyncBatchNorm training step (forward + backward, the batch split
over MPI ranks on this machine) per call, for one or more norm-opt builds
side by side.

    python3 benchmarks/mpi_sync_bn.py [--opt NAME=PATH ...] [--ranks 2 4]
        [--shapes 16x3x5 64x64x28x28] [--iterations 200]

Each (build, rank count, shape) compiles the module of
test/Integration/MPI/sync_bn_case.py (NCHW, ReLU) with `compile_mlir(mpi=
True, openmp=False)` and runs it under `mpirun.mpich -np R`: every rank
calls the step `iterations` times after 10 warm-up calls, with an
MPI_Barrier before each call, and reports the median wall time of its calls;
the table shows the largest median over the ranks (the step ends when the
slowest rank does). Small shapes measure the collectives' latency (each
all-reduce, and each MPI_Comm_split that MLIR 22's convert-shard-to-mpi
emits before it), large ones the compute.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "test" / "Integration" / "MPI"))


def worker(args):
    import mpi_world
    from norm_mlir.compiler import compile_mlir
    from sync_bn_case import make_inputs

    mpi, rank, size = mpi_world.init()
    case = json.loads(Path(args.case).read_text())
    x, dy, rm, rv, w, b = make_inputs(case)
    rows = x.shape[0] // size
    part = slice(rank * rows, (rank + 1) * rows)
    module = compile_mlir(Path(args.module).read_text(), opt=args.opt,
                          mpi=True, openmp=False, cache_dir=args.cache)
    xs, dys = np.ascontiguousarray(x[part]), np.ascontiguousarray(dy[part])
    times = []
    for i in range(10 + args.iterations):
        mpi.MPI_Barrier(mpi_world.MPI_COMM_WORLD)
        start = time.perf_counter()
        module.sync_bn(xs, dys, rm, rv, w, b)
        if i >= 10:
            times.append(time.perf_counter() - start)
    Path(args.out, f"rank{rank}.json").write_text(
        json.dumps(float(np.median(times))))
    mpi.MPI_Finalize()


def measure(opt, ranks, shape, iterations):
    from sync_bn_case import module_text
    from norm_mlir.compiler import compile_mlir

    case = dict(shape=shape, axis=1, eps=1e-5, momentum=0.1, seed=0,
                shift=1.0, activation="relu")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ir = module_text(case, ranks)
        (tmp / "module.mlir").write_text(ir)
        (tmp / "case.json").write_text(json.dumps(case))
        compile_mlir(ir, opt=opt, mpi=True, openmp=False,
                     cache_dir=tmp / "cache")
        proc = subprocess.run(
            [shutil.which("mpirun.mpich"), "-np", str(ranks), sys.executable,
             __file__, "--worker", "--module", str(tmp / "module.mlir"),
             "--case", str(tmp / "case.json"), "--cache", str(tmp / "cache"),
             "--out", str(tmp), "--opt", opt, "--iterations",
             str(iterations)],
            capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise SystemExit(proc.stdout + proc.stderr)
        return max(json.loads((tmp / f"rank{r}.json").read_text())
                   for r in range(ranks))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opt", action="append", default=[],
                    help="NAME=PATH of a norm-opt (default: build/bin)")
    ap.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--shapes", nargs="+", default=["16x3x5", "64x64x28x28"])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--module", help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.opt = args.opt[0]
        return worker(args)
    builds = [o.split("=", 1) for o in args.opt] or [
        ("build", str(ROOT / "build" / "bin" / "norm-opt"))]
    os.environ.setdefault("NORM_MLIR_CACHE", tempfile.mkdtemp())
    print(f"{'shape':>14} {'ranks':>5} " +
          " ".join(f"{name + ' (us)':>16}" for name, _ in builds))
    for shape_text in args.shapes:
        shape = [int(d) for d in shape_text.split("x")]
        for ranks in args.ranks:
            cells = [measure(path, ranks, shape, args.iterations) * 1e6
                     for _, path in builds]
            print(f"{shape_text:>14} {ranks:>5} " +
                  " ".join(f"{c:16.1f}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
