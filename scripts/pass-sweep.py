#!/usr/bin/env python3
"""Runs every norm pass and pipeline on verifier-accepted variants of the lit
tests' inputs and reports crashes (docs/reliability.md, "Pass limits").

    scripts/pass-sweep.py [norm-opt] [-j N] [--skip DIR,...] [--out DIR]
                          [--sets REGEX]

Inputs: every `// -----` chunk of test/**/*.mlir without expected-error
(XFAIL files left out), and variants of it with f32 replaced by f64, f16,
bf16 or i32, with every dimension made dynamic (as norm_mlir.ops compiles),
every one but the second or the last (a model's channels or hidden size),
or with the first dimension of each shape made 0. A variant that does not
parse and verify is dropped. Each remaining input goes through each pass
set below (--sets: those a regular expression matches); a crash is a
signal, an exit status other than 0/1, or "LLVM ERROR", an assertion,
"Stack dump" or a sanitizer report on stderr. Diagnostics and pass
failures are expected. The stderr of each crash is kept in --out.
"""
import argparse
import concurrent.futures
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
PASS_SETS = [
    "--convert-norm-to-linalg", "--convert-norm-to-gpu",
    "--convert-norm-to-gpu=warp-row-limit=0 warp-block-size=1 "
    "vectors-per-thread=0 max-values-per-thread=1",
    "--norm-fuse-activation", "--norm-fuse-residual", "--norm-fuse-bias",
    "--norm-fold-into-linear=fold-low-precision=true",
    "--norm-flash-norm=fold-low-precision=true", "--norm-fuse-qk-norm",
    "--norm-check-leakage", "--norm-lint=min-batch-elements=1000000000",
    "--norm-fusion-report", "--norm-raise", "--norm-decompose-aggregates",
    "--norm-tile-and-fuse-rows=tile-size=3", "--norm-set-fast-math",
    "--norm-drop-tied-buffer-results", "--norm-hoist-invariant-loads",
    "--norm-pack-constant-rhs=panel-width=2", "--norm-lower-to-cpu",
    "--norm-lower-to-cpu=tile-size=0 openmp=false",
    "--norm-lower-to-nvvm=format=isa",
    "--convert-norm-to-gpu=cluster-size=8 resident-sets=1 "
    "shared-memory-per-sm=16 num-sms=1",
    "--norm-lower-to-nvvm=format=isa resident-sets=1",
    "--norm-lower-to-nvvm=format=isa cluster-size=0 streaming-stores=1",
    "--norm-extern-dynamic-shared-memory", "--norm-min-blocks-per-sm",
    "--norm-promote-scoped-buffers-to-stack=max-bytes=64",
    "--norm-check-constant-shapes",
    "--pass-pipeline=builtin.module(gpu.module(norm-nvvm-streaming-stores))",
    "--convert-norm-to-linalg|--canonicalize|--norm-fusion-report|"
    "--norm-tile-and-fuse-rows=tile-size=1",
    # The norm ops' sharding models (SyncBatchNorm.cpp, ShardingModels.cpp),
    # with the workaround for upstream's crash on unannotated arguments
    # (norm-shard-annotate-arguments), as norm-lower-to-cpu{mpi=1} runs them.
    "--pass-pipeline=builtin.module(func.func(norm-shard-annotate-arguments,"
    "sharding-propagation,norm-shard-annotate-arguments,shard-partition))",
    "--norm-lower-to-cpu=mpi=1 openmp=0",
]
CRASH_MARKS = ("Stack dump", "PLEASE submit", "Assertion", "runtime error",
               "Sanitizer", "LLVM ERROR")


def chunks(skip):
    for path in sorted((ROOT / "test").rglob("*.mlir")):
        rel = str(path.relative_to(ROOT / "test"))
        if skip and rel.startswith(tuple(skip)):
            continue
        text = path.read_text(errors="replace")
        if "XFAIL" in text or len(text) > 200000:
            continue
        for i, chunk in enumerate(
                re.split(r"^// -----[ \t]*$", text, flags=re.M)):
            if "expected-error" not in chunk:
                yield f"{rel}#{i}", chunk


def variants(name, chunk):
    yield name, chunk
    for t in ("f64", "f16", "bf16", "i32"):
        # Also the element type of shapes (`8xf32`), where \b sees no
        # boundary after the `x`.
        yield f"{name}@{t}", re.sub(r"(?<![A-Za-wyz0-9_])f32\b", t, chunk)
    # Every size dynamic, and every size but one: the channels of NCHW
    # (the second) or of NHWC and the hidden size of rows (the last), as a
    # model compiled for any batch and image size or sequence length keeps.
    def dynamic(kept):
        def shape(m):
            dims = m.group(2).split("x")[:-1]
            return m.group(1) + "<" + "x".join(
                d if kept is not None and k == kept % len(dims)
                else re.sub(r"[0-9]+", "?", d)
                for k, d in enumerate(dims)) + "x"
        return re.sub(r"(tensor|memref)<((?:[0-9?]+x)+)", shape, chunk)
    for label, kept in (("dyn", None), ("keep1", 1), ("keeplast", -1)):
        yield f"{name}@{label}", dynamic(kept)
    yield f"{name}@zero", re.sub(r"(tensor|memref)<([0-9]+)x",
                                 lambda m: m.group(1) + "<0x", chunk)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("opt", nargs="?", default=str(ROOT / "build/bin/norm-opt"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--skip", default="", help="test/ subdirectories to skip")
    ap.add_argument("--out", default="pass-sweep-crashes")
    ap.add_argument("--sets", default="",
                    help="run only the pass sets this regular expression "
                         "matches (re.search)")
    args = ap.parse_args()
    sets = [p for p in PASS_SETS if re.search(args.sets, p)]
    if not sets:
        ap.error(f"--sets {args.sets!r} matches no pass set")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def run(src, extra):
        return subprocess.run([args.opt, "-"] + extra, input=src,
                              capture_output=True, text=True, timeout=300)

    def job(item):
        name, src = item
        try:
            if run(src, []).returncode != 0:
                return name, None
        except subprocess.TimeoutExpired:
            return name, None
        found = []
        for p in sets:
            try:
                r = run(src, p.split("|"))
            except subprocess.TimeoutExpired:
                found.append((p, "timeout", ""))
                continue
            if (r.returncode not in (0, 1) or
                    any(m in r.stderr for m in CRASH_MARKS)):
                found.append((p, r.returncode, r.stderr[-4000:]))
        return name, found

    items, seen = [], set()
    for n, c in chunks([s for s in args.skip.split(",") if s]):
        for vn, vc in variants(n, c):
            if vc not in seen:
                seen.add(vc)
                items.append((vn, vc))
    verified = crashes = done = 0
    ex = concurrent.futures.ThreadPoolExecutor(args.j)
    try:
        for name, found in ex.map(job, items):
            done += 1
            if found is None:
                continue
            verified += 1
            for p, rc, err in found:
                crashes += 1
                fn = re.sub(r"[^A-Za-z0-9_.@-]", "_", name + p)[:180]
                (out / f"{fn}.txt").write_text(f"{name}\n{p}\nrc={rc}\n{err}")
                print(f"CRASH {name} {p} rc={rc}", flush=True)
    except KeyboardInterrupt:  # a time limit: report what ran
        print("pass-sweep: interrupted", flush=True)
        ex.shutdown(wait=False, cancel_futures=True)
    print(f"pass-sweep: {done} of {len(items)} candidate inputs tried, "
          f"{verified} verified, {verified * len(sets)} pass runs, "
          f"{crashes} crashes", flush=True)
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
