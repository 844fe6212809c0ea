"""InPlace-ABN vs batch norm + activation: saved activation memory and the
compute cost of recovering x from y in the backward.

    NORM_OPT=build/bin/norm-opt python3 benchmarks/inplace_abn_memory.py \
        [--batch 8 --channels 32 --size 32 --blocks 4 --iters 10]

1. Memory. A forward training pass through `blocks` conv3x3 -> BN -> act
   blocks that keeps what the backward needs, in three forms:

     separate  batch_norm_training, then leaky_relu as its own op: saves
               the conv output (BN backward), the BN output (activation
               backward) and the activation output (next conv, output);
     fused     batch_norm_training with `activation = leaky_relu`: the
               backward recomputes the pre-activation from x and the
               statistics, so it saves the conv output and the output;
     inplace   inplace_abn: y overwrites the conv output; saves y only.

   The function is bufferized with norm-opt (convert-norm-to-linalg,
   one-shot-bufferize over function boundaries) and its buffers are
   measured on that IR: each memref.alloc (and its views) is live from its
   definition to its last use, or to the end when returned; the peak is the
   largest sum of live bytes over the straight-line function.

2. Compute. The backward of one block's normalization, timed on the
   compiled CPU code (norm-lower-to-cpu, tile-size 0, OpenMP):
   batch_norm_grad (reads x and dy) vs inplace_abn_grad (reads y and dy,
   inverts the activation, writes dx over dy), best of `iters` runs.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python")]

import norm_mlir  # noqa: E402

ACT = "leaky_relu(1.000000e-02)"
BYTES = {"f32": 4, "f16": 2, "bf16": 2, "f64": 8, "i64": 8, "index": 8}


def stack_mlir(form, n, c, size, blocks):
    """The forward of `blocks` conv -> BN -> act blocks, returning what the
    backward needs."""
    lines, saved, args = [], [], [f"%a0: tensor<{n}x{c}x{size}x{size}xf32>"]
    vec = f"tensor<{c}xf32>"
    lines.append("%zero = arith.constant 0.0 : f32")
    lines.append("%slope = arith.constant 0.01 : f32")
    s = size
    for i in range(blocks):
        t_in = f"tensor<{n}x{c}x{s}x{s}xf32>"
        s -= 2
        t = f"tensor<{n}x{c}x{s}x{s}xf32>"
        args += [f"%k{i}: tensor<{c}x{c}x3x3xf32>", f"%rm{i}: {vec}",
                 f"%rv{i}: {vec}", f"%w{i}: {vec}", f"%b{i}: {vec}"]
        lines += [
            f"%e{i} = tensor.empty() : {t}",
            f"%f{i} = linalg.fill ins(%zero : f32) outs(%e{i} : {t}) -> {t}",
            f"%c{i} = linalg.conv_2d_nchw_fchw ins(%a{i}, %k{i} : {t_in}, "
            f"tensor<{c}x{c}x3x3xf32>) outs(%f{i} : {t}) -> {t}",
        ]
        params = (f"%c{i} mean(%rm{i} : {vec}) var(%rv{i} : {vec}) "
                  f"weight(%w{i} : {vec}) bias(%b{i} : {vec})")
        res = f"%sm{i}, %sr{i}, %nm{i}, %nv{i}"
        if form == "inplace":
            lines.append(f"%a{i + 1}, {res} = norm.inplace_abn {params} "
                         f"activation = {ACT} : {t} stats({vec}, {vec})")
            saved += [(f"%a{i + 1}", t)]
        elif form == "fused":
            lines.append(f"%a{i + 1}, {res} = norm.batch_norm_training "
                         f"{params} activation = {ACT} : {t} "
                         f"stats({vec}, {vec})")
            saved += [(f"%c{i}", t), (f"%a{i + 1}", t)]
        else:
            lines += [
                f"%z{i}, {res} = norm.batch_norm_training {params} : {t} "
                f"stats({vec}, {vec})",
                f"%g{i} = tensor.empty() : {t}",
                f"%a{i + 1} = linalg.generic {{indexing_maps = [#id, #id], "
                f"iterator_types = [\"parallel\", \"parallel\", \"parallel\", "
                f"\"parallel\"]}} ins(%z{i} : {t}) outs(%g{i} : {t}) {{\n"
                f"  ^bb0(%v: f32, %o: f32):\n"
                f"    %p = arith.mulf %v, %slope : f32\n"
                f"    %r = arith.maximumf %v, %p : f32\n"
                f"    linalg.yield %r : f32\n  }} -> {t}",
            ]
            saved += [(f"%c{i}", t), (f"%z{i}", t), (f"%a{i + 1}", t)]
        saved += [(f"%sm{i}", vec), (f"%sr{i}", vec)]
    body = "\n".join("  " + line for line in lines)
    return (f"#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>\n"
            f"func.func @stack({', '.join(args)}) -> "
            f"({', '.join(t for _, t in saved)}) {{\n{body}\n"
            f"  return {', '.join(v for v, _ in saved)} : "
            f"{', '.join(t for _, t in saved)}\n}}\n")


def memref_bytes(type_text):
    m = re.match(r"memref<((?:\d+x)*)(\w+)", type_text)
    dims = [int(d) for d in m.group(1).split("x") if d]
    return int(np.prod(dims, dtype=np.int64)) * BYTES[m.group(2)]


def peak_live_bytes(bufferized):
    """(peak bytes, allocation count, activation-sized allocations) of the
    straight-line function in `bufferized`."""
    lines = bufferized.splitlines()
    root, size, first, last = {}, {}, {}, {}
    alloc_re = re.compile(r"^\s*(%[\w]+) = memref\.alloc\(\).*: (memref<[^>]*>)")
    view_re = re.compile(r"^\s*(%[\w]+) = memref\.(?:expand_shape|"
                         r"collapse_shape|subview|cast|reinterpret_cast) "
                         r"(%[\w]+)")
    use_re = re.compile(r"%[\w]+")
    for i, line in enumerate(lines):
        if m := alloc_re.match(line):
            name = m.group(1)
            root[name], size[name], first[name] = name, memref_bytes(
                m.group(2)), i
            last[name] = i
            continue
        if m := view_re.match(line):
            if m.group(2) in root:
                root[m.group(1)] = root[m.group(2)]
        for name in use_re.findall(line):
            if name in root:
                last[root[name]] = (len(lines) if "return" in line.split()
                                    else max(last[root[name]], i))
    events = sorted([(first[b], size[b]) for b in size]
                    + [(last[b] + 0.5, -size[b]) for b in size])
    live = peak = 0
    for _, delta in events:
        live += delta
        peak = max(peak, live)
    return peak, len(size), sorted(size.values(), reverse=True)


def bufferize(ir, opt):
    return subprocess.run(
        [opt, "--convert-norm-to-linalg", "--canonicalize",
         "--one-shot-bufferize=bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map",
         "--canonicalize", "--cse"],
        input=ir, capture_output=True, text=True, check=True).stdout


GRAD_IR = """
func.func @bn_grad(%dy: {T}, %x: {T}, %m: {C}, %r: {C}, %w: {C}, %b: {C})
    -> ({T}, {C}, {C}) attributes {{llvm.emit_c_interface}} {{
  %dx, %dw, %db = norm.batch_norm_grad %dy, %x mean(%m : {C}) rstd(%r : {C})
      weight(%w : {C}) bias(%b : {C}) activation = {ACT} : {T}
      grad_weight({C}) grad_bias({C})
  return %dx, %dw, %db : {T}, {C}, {C}
}}
func.func @abn_grad(%dy: {T}, %y: {T}, %r: {C}, %w: {C}, %b: {C})
    -> ({T}, {C}, {C}) attributes {{llvm.emit_c_interface}} {{
  %dx, %dw, %db = norm.inplace_abn_grad %dy, %y rstd(%r : {C})
      weight(%w : {C}) bias(%b : {C}) activation = {ACT} : {T}
      grad_weight({C}) grad_bias({C})
  return %dx, %dw, %db : {T}, {C}, {C}
}}
"""


def best_time(fn, args, iters):
    fn(*[a.copy() for a in args])
    best = float("inf")
    for _ in range(iters):
        copies = [a.copy() for a in args]  # abn_grad overwrites dy
        t = time.perf_counter()
        fn(*copies)
        best = min(best, time.perf_counter() - t)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--grad-shape", default="32x64x56x56",
                   help="NxCxHxW of the timed backward")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--opt", default=None)
    args = p.parse_args()
    opt = args.opt or norm_mlir.find_opt()
    if "norm-opt" not in Path(opt).name:
        sys.exit(f"{opt}: need norm-opt (set NORM_OPT)")

    n, c, s, blocks = args.batch, args.channels, args.size, args.blocks
    print(f"conv3x3 -> BN -> leaky_relu x {blocks}, input {n}x{c}x{s}x{s} "
          f"f32 (bufferized IR, saved for the backward):")
    results = {}
    for form in ("separate", "fused", "inplace"):
        peak, count, sizes = peak_live_bytes(
            bufferize(stack_mlir(form, n, c, s, blocks), opt))
        results[form] = peak
        big = [b for b in sizes if b > 4096]
        print(f"  {form:9s} peak live {peak / 2**20:8.2f} MiB, "
              f"{len(big)} activation-sized allocations of {count}")
    for form in ("separate", "fused"):
        print(f"  inplace / {form}: {results['inplace'] / results[form]:.2f}")

    shape = tuple(int(d) for d in args.grad_shape.split("x"))
    T = "tensor<" + "x".join(map(str, shape)) + "xf32>"
    C = f"tensor<{shape[1]}xf32>"
    pipeline = norm_mlir.norm_pipeline(True, **{"tile-size": 0})
    mod = norm_mlir.compile_mlir(GRAD_IR.format(T=T, C=C, ACT=ACT), opt=opt,
                                 pipeline=pipeline)
    rng = np.random.default_rng(0)
    cshape = [1, shape[1]] + [1] * (len(shape) - 2)
    x = rng.standard_normal(shape, dtype=np.float32)
    mean = x.mean(axis=(0, 2, 3))
    rstd = (1 / np.sqrt(x.var(axis=(0, 2, 3)) + 1e-5)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, shape[1]).astype(np.float32)
    b = rng.normal(0, 0.5, shape[1]).astype(np.float32)
    pre = ((x - mean.reshape(cshape)) * rstd.reshape(cshape)
           * w.reshape(cshape) + b.reshape(cshape))
    y = np.where(pre > 0, pre, 0.01 * pre).astype(np.float32)
    dy = rng.standard_normal(shape, dtype=np.float32)
    t_bn = best_time(mod.bn_grad, [dy, x, mean, rstd, w, b], args.iters)
    t_abn = best_time(mod.abn_grad, [dy, y, rstd, w, b], args.iters)
    print(f"backward of one BN+leaky_relu on {args.grad_shape} f32 "
          f"(norm-lower-to-cpu, tile-size=0, OpenMP), best of {args.iters}:")
    print(f"  batch_norm_grad (from x)  {t_bn * 1e3:8.2f} ms")
    print(f"  inplace_abn_grad (from y) {t_abn * 1e3:8.2f} ms "
          f"({t_abn / t_bn:.2f}x)")


if __name__ == "__main__":
    main()
