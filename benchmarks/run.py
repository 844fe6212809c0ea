"""CPU benchmarks of norm-mlir against copy rooflines and peer libraries.

    python benchmarks/run.py [--quick] [--threads 1,2] [--peers ...] [--cases REGEX]

Usually through `bash scripts/bench.sh` (setup + build + run). For every case
and thread count it times, in one run on one machine:

  norm        norm-mlir: the norm dialect op (python/norm_mlir builder),
              compiled by norm-opt --norm-lower-to-cpu (OpenMP) and called
              through the destination-passing C ABI on preallocated arrays;
              right after each case, in the same process and with the same
              threads, two copies of the same bytes (roofline/copy.c):
    memcpy    glibc memcpy;
    stream    an AVX2 streaming-store copy: the limit for a kernel that
              reads its input once and writes its output once;
  onednn      oneDNN (Debian libdnnl) primitives, preallocated memory;
  torch       PyTorch eager;
  inductor    torch.compile (inductor);
  ort         onnxruntime, IOBinding with preallocated inputs and outputs;
  iree        IREE llvm-cpu (the ONNX graph imported by iree-import-onnx).

Each peer runs in its own subprocess per thread count, with OMP_NUM_THREADS
and the peer's own thread setting; a peer or case that fails is reported as
n/a with the reason. Time = median of the timed calls after warm-up calls.
Results: benchmarks/results/<timestamp>.{json,csv,png} and a table on stdout.
See docs/benchmarks.md for the method.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = Path(os.environ.get("NORM_BENCH_BUILD", HERE / "build"))
EPS = 1e-5
PEERS = ["norm", "onednn", "torch", "inductor", "ort", "iree"]
PEER_COLUMNS = ["onednn", "torch", "inductor", "ort", "iree"]

# --- Cases -----------------------------------------------------------------


def _esize(dtype):
    return 2 if dtype == "bf16" else 4


def _case(op, dtype, shape, **extra):
    """A case dict: id, op, dtype, shape and the bytes that must move (input
    read once, output written once, weights, statistics)."""
    numel = math.prod(shape)
    es = _esize(dtype)
    x = numel * es
    if op in ("ln", "ln_gelu"):
        nbytes = 2 * x + 2 * shape[-1] * es
    elif op == "rms":
        nbytes = 2 * x + shape[-1] * es
    elif op == "res_rms":  # x, residual in; y, x + residual out
        nbytes = 4 * x + shape[-1] * es
    elif op == "bn_inf_relu":  # mean, var, weight, bias (f32)
        nbytes = 2 * x + 4 * extra["channels"] * 4
    elif op == "bn_train":  # + saved mean/rstd, new running mean/var
        nbytes = 2 * x + 8 * extra["channels"] * 4
    elif op in ("gn_silu", "ln2d"):
        nbytes = 2 * x + 2 * shape[1] * es
    elif op == "rms_mm":
        m, k = shape
        n = extra["n"]
        nbytes = (m * k + k * n + k + m * n) * es
        extra["flops"] = 2 * m * k * n
    else:
        raise ValueError(op)
    tag = "x".join(map(str, shape))
    suffix = "".join(f"_{v}" for k, v in extra.items()
                     if k in ("layout", "fold"))
    cid = f"{op}_{dtype}_{tag}{suffix}"
    return dict(id=cid, op=op, dtype=dtype, shape=list(shape), bytes=nbytes,
                **extra)


def make_cases(quick=False):
    """The benchmark cases (see _case)."""
    cases = []

    def add(op, dtype, shape, **extra):
        cases.append(_case(op, dtype, shape, **extra))

    widths = [768, 4096] if quick else [768, 4096, 8192]
    dtypes = ["f32"] if quick else ["f32", "bf16"]
    for op in ("ln", "rms", "res_rms"):
        for dtype in dtypes:
            for n in widths:
                if quick and op == "res_rms" and n != 768:
                    continue
                add(op, dtype, [8192, n])
    for n in ([768] if quick else widths):
        add("ln_gelu", "f32", [8192, n])
    for layout in ("nchw", "nhwc"):
        shape = [32, 64, 56, 56] if layout == "nchw" else [32, 56, 56, 64]
        add("bn_inf_relu", "f32", shape, layout=layout, channels=64)
        if not quick:
            add("bn_train", "f32", shape, layout=layout, channels=64)
    add("gn_silu", "f32", [8, 256, 64, 64], groups=32)
    # LayerNorm2d over the channels of NCHW (ConvNeXt's downsampling input,
    # SAM's neck).
    add("ln2d", "f32", [8, 96, 56, 56])
    if not quick:
        add("ln2d", "f32", [8, 256, 64, 64])
    for fold in ("nofold", "flashnorm"):
        if quick and fold == "flashnorm":
            continue
        add("rms_mm", "f32", [512, 768], n=768, fold=fold)
    return cases


def make_model_cases():
    """The normalization layers of real models at their own shapes (`--set
    models`): ResNet-50's batch norms (batch 32, every stage: 112 x 112 down
    to 7 x 7 pixels, whose 49 or 196 pixels a channel are no multiple of a
    vector; three stages also channels-last), ConvNeXt-T's LayerNorm2d (batch 32)
    and ConvNeXt-XL's at 384 x 384 (batch 8), Stable Diffusion's UNet
    GroupNorm + SiLU (batch 2), ViT-B/16's and ViT-L/16's LayerNorm (batch
    32 x 197 tokens), a 5120-wide bf16 RMSNorm (4000 tokens) and the SD VAE
    decoder's last GroupNorms (1 x 256 x 256 x 256, 1 x 128 x 512 x 512)."""
    cases = []
    for c, hw in ((64, 112), (256, 56), (512, 28), (1024, 14), (2048, 7)):
        for op in ("bn_inf_relu", "bn_train"):
            cases.append(_case(op, "f32", [32, c, hw, hw], layout="nchw",
                               channels=c))
    # The same in channels-last (PyTorch's torch.channels_last, oneDNN's
    # preferred CPU layout): the stem's 112 x 112 x 64 entry is 3 MiB.
    for c, hw in ((64, 112), (256, 56), (2048, 7)):
        for op in ("bn_inf_relu", "bn_train"):
            cases.append(_case(op, "f32", [32, hw, hw, c], layout="nhwc",
                               channels=c))
    for c, hw in ((96, 56), (192, 28), (384, 14), (768, 7)):
        cases.append(_case("ln2d", "f32", [32, c, hw, hw]))
    # ConvNeXt-XL at 384 x 384 pixels: the LayerNorm2d before its third
    # stage's downsampling, 512 channels of 48 x 48 (batch 8).
    cases.append(_case("ln2d", "f32", [8, 512, 48, 48]))
    for c, hw in ((320, 64), (640, 32), (1280, 16), (1280, 8)):
        cases.append(_case("gn_silu", "f32", [2, c, hw, hw], groups=32))
    # Its VAE decoder at 512 x 512 pixels (batch 1): groups of 2 and 4 MiB.
    for c, hw in ((256, 256), (128, 512)):
        cases.append(_case("gn_silu", "f32", [1, c, hw, hw], groups=32))
    cases.append(_case("ln", "f32", [32 * 197, 768]))
    cases.append(_case("ln", "f32", [32 * 197, 1024]))
    cases.append(_case("rms", "bf16", [4000, 5120]))
    return cases


# --- Timing ------------------------------------------------------------------


def time_calls(fn, warmup, reps, budget_s=3.0):
    """Median and min seconds of `reps` calls after `warmup` (>= 1) calls; the
    number of timed calls shrinks (to >= 3) when one call is slow."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    for _ in range(max(0, warmup - 1)):
        fn()
    n = max(3, min(reps, int(budget_s / max(first, 1e-6))))
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return dict(time_s=statistics.median(times), min_s=min(times), reps=n)


def _rng():
    import numpy as np
    return np.random.default_rng(0)


def _np_dtype(dtype):
    import numpy as np
    if dtype == "bf16":
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(np.float32)


def _rand(shape, dtype, positive=False):
    import numpy as np
    a = _rng().standard_normal(shape, dtype=np.float32)
    if positive:
        a = np.abs(a) + 0.5
    return a.astype(_np_dtype(dtype))


# --- norm-mlir -------------------------------------------------------------


def _dense_hex(a):
    import numpy as np
    return 'dense<"0x' + np.ascontiguousarray(a, np.float32).tobytes().hex().upper() + '">'


def _rms_mm_ir(case, w, W):
    m, k = case["shape"]
    n = case["n"]
    return f"""
func.func @rms_mm(%x: tensor<{m}x{k}xf32>, %out: tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant {_dense_hex(w)} : tensor<{k}xf32>
  %W = arith.constant {_dense_hex(W)} : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = norm.rms_norm %x weight(%w : tensor<{k}xf32>) axes = [1] epsilon = 1.0e-05 : tensor<{m}x{k}xf32>
  %r = linalg.matmul ins(%y, %W : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}
"""


def _norm_program(case, activation=True):
    """(IR text, function name, input arrays) of a case for norm-mlir."""
    import numpy as np
    from norm_mlir.builder import FunctionBuilder, TensorType as T
    op, dt, shape = case["op"], case["dtype"], case["shape"]
    if op == "rms_mm":
        k, n = shape[1], case["n"]
        w = _rand([k], "f32", positive=True)
        W = _rand([k, n], "f32") * np.float32(0.05)
        return _rms_mm_ir(case, w, W), "rms_mm", [_rand(shape, "f32")]
    fb = FunctionBuilder("f")
    x = fb.arg(T(shape, dt))
    ins = [_rand(shape, dt)]

    def vec(n, d=dt, positive=False):
        ins.append(_rand([n], d, positive))
        return fb.arg(T([n], d))

    act = None
    if op in ("ln", "ln_gelu"):
        w, b = vec(shape[-1]), vec(shape[-1])
        act = "gelu" if op == "ln_gelu" else None
        y = fb.layer_norm(x, weight=w, bias=b, eps=EPS,
                          activation=act if activation else None)
        fb.ret(y)
    elif op == "rms":
        y = fb.rms_norm(x, weight=vec(shape[-1]), eps=EPS)
        fb.ret(y)
    elif op == "res_rms":
        r = fb.arg(T(shape, dt))
        ins.append(_rand(shape, dt))
        y, h = fb.rms_norm(x, weight=vec(shape[-1]), residual=r, eps=EPS,
                           residual_sum=True)
        fb.ret(y, h)
    elif op in ("bn_inf_relu", "bn_train"):
        c = case["channels"]
        fa = 1 if case["layout"] == "nchw" else 3
        mean, var = vec(c, "f32"), vec(c, "f32", positive=True)
        w, b = vec(c, "f32"), vec(c, "f32")
        if op == "bn_train":
            outs = fb.batch_norm_training(x, mean, var, weight=w, bias=b,
                                          feature_axis=fa, eps=EPS, momentum=0.1)
            fb.ret(*outs)
        else:
            y = fb.batch_norm_inference(x, mean, var, weight=w, bias=b,
                                        feature_axis=fa, eps=EPS,
                                        activation="relu" if activation else None)
            fb.ret(y)
    elif op == "ln2d":
        w, b = vec(shape[1]), vec(shape[1])
        fb.ret(fb.layer_norm(x, axes=[1], weight=w, bias=b, eps=EPS))
    elif op == "gn_silu":
        w, b = vec(shape[1]), vec(shape[1])
        y = fb.group_norm(x, case["groups"], weight=w, bias=b, eps=EPS,
                          activation="silu" if activation else None)
        fb.ret(y)
    else:
        raise ValueError(op)
    return fb.module_text(), "f", ins


def _aligned_copy(array, offset=0):
    """A C-contiguous copy of `array` whose data start `offset` bytes after
    a 64-byte boundary."""
    import numpy as np
    raw = np.empty(array.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(
        array.shape)
    copy[...] = array
    return copy


def worker_norm(cases, threads, warmup, reps):
    sys.path.insert(0, str(ROOT / "python"))
    import numpy as np
    import norm_mlir
    from norm_mlir.compiler import parse_signatures
    opt = norm_mlir.find_opt()
    if "norm-opt" not in Path(opt).name:
        raise RuntimeError(f"need norm-opt (set NORM_OPT), found {opt}")
    base = norm_mlir.norm_pipeline(True)
    inner = base[len("builtin.module("):-1]
    copies = _copy_lib()
    results = {}
    for case in cases:
        try:
            res = {}
            variants = [("time", True)]
            if case["op"] in ("ln_gelu", "bn_inf_relu", "gn_silu"):
                variants.append(("alone", False))  # the same norm without activation
            for key, act in variants:
                text, name, ins = _norm_program(case, activation=act)
                pipeline = base
                if case.get("fold") == "flashnorm":
                    pipeline = f"builtin.module(norm-flash-norm,{inner})"
                t0 = time.perf_counter()
                mod = norm_mlir.compile_mlir(text, opt=opt, openmp=True,
                                             pipeline=pipeline)
                compile_s = time.perf_counter() - t0
                sig = parse_signatures(text)[name]
                nin = len(ins)
                # 64-byte aligned buffers, as PyTorch's CPU allocator and the
                # other peers' own allocations are (numpy's are 16-byte
                # aligned, which takes the loops' unaligned version).
                ins = [_aligned_copy(a) for a in ins]
                outs = [_aligned_copy(np.zeros([d for d in t.shape], t.dtype))
                        for t in sig.args[nin:]]
                fn = mod[name]
                r = time_calls(lambda: fn(*ins, *outs), warmup, reps)
                if key == "time":
                    res.update(r)
                    res["compile_s"] = compile_s
                    if case["op"] != "rms_mm":
                        res["stream_same"] = _stream_same_buffers(
                            copies, ins, outs, case["bytes"], threads, warmup,
                            reps)
                else:
                    res["alone_s"] = r["time_s"]
                del outs, ins, fn, mod
            results[case["id"]] = res
        except Exception as e:  # noqa: BLE001
            results[case["id"]] = dict(na=_reason(e))
        if copies is not None:  # same process, threads and moment as the case
            results[case["id"]].update(
                _copy_times(copies, case["bytes"], threads, warmup, reps))
    return results


# --- Rooflines -------------------------------------------------------------


def _copy_lib():
    """benchmarks/build/libcopy.so through ctypes, or None if not built."""
    import ctypes
    path = BUILD / "libcopy.so"
    if not path.exists():
        return None
    lib = ctypes.CDLL(str(path))
    lib.norm_bench_copy.restype = ctypes.c_double
    lib.norm_bench_copy.argtypes = [ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_int]
    lib.norm_bench_copy_between.restype = ctypes.c_double
    lib.norm_bench_copy_between.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
        ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return lib


def _stream_same_buffers(lib, ins, outs, nbytes, threads, warmup, reps):
    """Seconds of a streaming copy from the case's largest input into an
    output of the same size (the kernel's own pages, just after it ran),
    scaled to the case's `nbytes`; None without such a pair."""
    pairs = [(i, o) for i in ins for o in outs if i.nbytes == o.nbytes]
    if lib is None or not pairs:
        return None
    src, dst = max(pairs, key=lambda p: p[0].nbytes)
    t = lib.norm_bench_copy_between(dst.ctypes.data, src.ctypes.data,
                                    src.nbytes, 1, threads, max(2, warmup),
                                    max(5, reps))
    moved = 2 * (src.nbytes // 128 * 128)
    return t * nbytes / moved if t > 0 and moved else None


def _copy_times(lib, nbytes, threads, warmup, reps):
    """Median seconds of a memcpy and of a streaming copy that read and write
    `nbytes` in all (copies of nbytes / 2)."""
    half = nbytes // 2
    out = {}
    for i, kind in enumerate(("memcpy", "stream")):
        t = lib.norm_bench_copy(half, i, threads, max(2, warmup), max(5, reps))
        out[kind] = t if t > 0 else None
    return out


# --- oneDNN ----------------------------------------------------------------


def worker_onednn(cases, threads, warmup, reps):
    exe = BUILD / "onednn_bench"
    if not exe.exists():
        raise RuntimeError("benchmarks/build/onednn_bench not built (libdnnl-dev?)")
    results = {}
    for case in cases:
        op = case["op"]
        if op in ("rms", "res_rms", "rms_mm"):
            results[case["id"]] = dict(na="no RMSNorm in oneDNN 2.x")
            continue
        if op == "gn_silu":
            results[case["id"]] = dict(na="no group normalization in oneDNN 2.x")
            continue
        if op == "ln2d":
            results[case["id"]] = dict(
                na="oneDNN 2.x normalizes the last dimension only")
            continue
        if op.startswith("bn"):
            shape = case["shape"]
            nchw = shape if case["layout"] == "nchw" else \
                [shape[0], shape[3], shape[1], shape[2]]
            layouts = [case["layout"], "blocked"]
            dims = ",".join(map(str, nchw))
        else:
            layouts = ["ab"]
            dims = ",".join(map(str, case["shape"]))
        best, errors = None, []
        for layout in layouts:
            proc = subprocess.run(
                [str(exe), op, case["dtype"], layout, dims, str(max(1, warmup)),
                 str(reps)], capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                errors.append(f"{layout}: {proc.stderr.strip()[:200]}")
                continue
            t, impl = proc.stdout.split(maxsplit=1)
            if best is None or float(t) < best["time_s"]:
                best = dict(time_s=float(t), note=f"{layout} {impl.strip()}")
        results[case["id"]] = best or dict(na="; ".join(errors))
    return results


# --- PyTorch -----------------------------------------------------------------


def _torch_case(case):
    """(function, args) computing the case with torch ops."""
    import torch
    import torch.nn.functional as F
    op, shape = case["op"], case["shape"]
    dt = torch.bfloat16 if case["dtype"] == "bf16" else torch.float32
    g = torch.Generator().manual_seed(0)

    def rnd(s, d=dt, positive=False):
        t = torch.randn(s, generator=g, dtype=torch.float32)
        if positive:
            t = t.abs() + 0.5
        return t.to(d)

    x = rnd(shape)
    if op in ("ln", "ln_gelu"):
        n = shape[-1]
        w, b = rnd([n]), rnd([n])
        if op == "ln":
            return (lambda x, w, b: F.layer_norm(x, (n,), w, b, EPS)), (x, w, b)
        return (lambda x, w, b: F.gelu(F.layer_norm(x, (n,), w, b, EPS))), (x, w, b)
    if op == "rms":
        n = shape[-1]
        return (lambda x, w: F.rms_norm(x, (n,), w, EPS)), (x, rnd([n]))
    if op == "res_rms":
        n = shape[-1]

        def f(x, r, w):
            h = x + r
            return F.rms_norm(h, (n,), w, EPS), h
        return f, (x, rnd(shape), rnd([n]))
    if op in ("bn_inf_relu", "bn_train"):
        c = case["channels"]
        if case["layout"] == "nhwc":  # logical NCHW, channels_last memory
            x = rnd([shape[0], shape[3], shape[1], shape[2]]).contiguous(
                memory_format=torch.channels_last)
        m, v = rnd([c], torch.float32), rnd([c], torch.float32, positive=True)
        w, b = rnd([c], torch.float32), rnd([c], torch.float32)
        if op == "bn_train":
            def f(x, m, v, w, b):
                return F.batch_norm(x, m, v, w, b, True, 0.1, EPS)
        else:
            def f(x, m, v, w, b):
                return F.relu(F.batch_norm(x, m, v, w, b, False, 0.1, EPS))
        return f, (x, m, v, w, b)
    if op == "ln2d":
        def ln2d(x, w, b):  # ConvNeXt's LayerNorm, data_format channels_first
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            x = (x - u) / torch.sqrt(s + EPS)
            return w[:, None, None] * x + b[:, None, None]
        c = shape[1]
        return ln2d, (x, rnd([c]), rnd([c]))
    if op == "gn_silu":
        c = shape[1]
        return (lambda x, w, b: F.silu(F.group_norm(x, case["groups"], w, b, EPS))), \
            (x, rnd([c]), rnd([c]))
    if op == "rms_mm":
        k, n = shape[1], case["n"]
        w = rnd([k], positive=True)
        W = rnd([k, n]) * 0.05
        return (lambda x: F.rms_norm(x, (k,), w, EPS) @ W), (x,)
    raise ValueError(op)


def _worker_torch(cases, threads, warmup, reps, compiled):
    import torch
    torch.set_num_threads(threads)
    results = {}
    for case in cases:
        try:
            fn, args = _torch_case(case)
            note = ""
            with torch.inference_mode():
                if compiled:
                    torch._dynamo.reset()
                    fn = torch.compile(fn, dynamic=False, fullgraph=True)
                    t0 = time.perf_counter()
                    fn(*args)
                    note = f"compile {time.perf_counter() - t0:.1f}s"
                r = time_calls(lambda: fn(*args), warmup, reps)
            r["note"] = note
            results[case["id"]] = r
            del fn, args
        except Exception as e:  # noqa: BLE001
            results[case["id"]] = dict(na=_reason(e))
    return results


def worker_torch(cases, threads, warmup, reps):
    return _worker_torch(cases, threads, warmup, reps, compiled=False)


def worker_inductor(cases, threads, warmup, reps):
    return _worker_torch(cases, threads, warmup, reps, compiled=True)


# --- ONNX graphs (onnxruntime, IREE) ---------------------------------------


def _onnx_case(case, target):
    """(model, {input name: numpy array}, [(output name, shape, dtype)]).

    target "ort" uses onnxruntime's fused kernels where it has them
    (SimplifiedLayerNormalization, com.microsoft SkipSimplifiedLayerNormalization);
    target "iree" spells RMSNorm with standard ops (IREE's ONNX importer has
    no contrib ops); f32 statistics via Cast for bf16."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    op, dt, shape = case["op"], case["dtype"], case["shape"]
    bf16 = dt == "bf16"
    et = TensorProto.BFLOAT16 if bf16 else TensorProto.FLOAT
    nodes, inits, inputs, outputs, feeds, outspec = [], [], [], [], {}, []

    def init(name, arr, et_=et):
        arr32 = np.asarray(arr, np.float32)
        if et_ == TensorProto.BFLOAT16:
            t = helper.make_tensor(name, et_, arr32.shape,
                                   _bf16_bits(arr32).tobytes(), raw=True)
        else:
            t = numpy_helper.from_array(arr32, name)
        inits.append(t)
        return name

    def inp(name, s, et_=et, positive=False):
        inputs.append(helper.make_tensor_value_info(name, et_, s))
        a = _rand(s, "f32", positive)
        feeds[name] = _bf16_bits(a) if et_ == TensorProto.BFLOAT16 else a
        return name

    def out(name, s, et_=et):
        outputs.append(helper.make_tensor_value_info(name, et_, s))
        outspec.append((name, s, et_))

    def node(kind, ins, outs, domain="", **attrs):
        nodes.append(helper.make_node(kind, ins, outs, domain=domain, **attrs))

    def standardize_std(src, axes, dst):
        """dst = (src - mean) / sqrt(var + eps) over the `axes` initializer,
        with standard ops (f32)."""
        init("eps", np.array(EPS, np.float32), TensorProto.FLOAT)
        node("ReduceMean", [src, axes], ["mu"], keepdims=1)
        node("Sub", [src, "mu"], ["d"])
        node("Mul", ["d", "d"], ["d2"])
        node("ReduceMean", ["d2", axes], ["var"], keepdims=1)
        node("Add", ["var", "eps"], ["ve"])
        node("Sqrt", ["ve"], ["sd"])
        node("Div", ["d", "sd"], [dst])

    def rms_std(src, n, dst):
        """dst = rms_norm(src) * w with standard ops (f32 inside)."""
        s = src
        if bf16:
            node("Cast", [src], [src + "32"], to=TensorProto.FLOAT)
            s = src + "32"
        inits.append(numpy_helper.from_array(np.array([-1], np.int64), "axes"))
        init("eps", np.array(EPS, np.float32), TensorProto.FLOAT)
        node("Mul", [s, s], ["sq"])
        node("ReduceMean", ["sq", "axes"], ["ms"], keepdims=1)
        node("Add", ["ms", "eps"], ["mse"])
        node("Sqrt", ["mse"], ["rt"])
        node("Div", [s, "rt"], ["xn"])
        w32 = init("w", _rand([n], "f32"), TensorProto.FLOAT)
        if bf16:
            node("Mul", ["xn", w32], ["y32"])
            node("Cast", ["y32"], [dst], to=TensorProto.BFLOAT16)
        else:
            node("Mul", ["xn", w32], [dst])

    if op in ("ln", "ln_gelu"):
        n = shape[-1]
        inp("x", shape)
        init("w", _rand([n], "f32"))
        init("b", _rand([n], "f32"))
        node("LayerNormalization", ["x", "w", "b"],
             ["y" if op == "ln" else "t"], axis=-1, epsilon=EPS)
        if op == "ln_gelu":
            node("Gelu", ["t"], ["y"])
        out("y", shape)
    elif op in ("rms", "res_rms", "rms_mm"):
        n = shape[-1]
        inp("x", shape)
        src = "x"
        if op == "res_rms":
            inp("r", shape)
            if target == "ort":
                init("w", _rand([n], "f32"))
                node("SkipSimplifiedLayerNormalization", ["x", "r", "w"],
                     ["y", "", "", "h"], domain="com.microsoft", epsilon=EPS)
                out("y", shape)
                out("h", shape)
                src = None
            else:
                node("Add", ["x", "r"], ["h"])
                src = "h"
        if src is not None:
            y = "y" if op != "rms_mm" else "yn"
            if target == "ort":
                init("w", _rand([n], "f32", positive=op == "rms_mm"))
                node("SimplifiedLayerNormalization", [src, "w"], [y], axis=-1,
                     epsilon=EPS)
            else:
                rms_std(src, n, y)
            if op == "rms_mm":
                init("W", _rand([n, case["n"]], "f32") * np.float32(0.05))
                node("MatMul", ["yn", "W"], ["y"])
                out("y", [shape[0], case["n"]])
            else:
                out("y", shape)
                if op == "res_rms":
                    out("h", shape)
    elif op in ("bn_inf_relu", "bn_train"):
        c = case["channels"]
        if case["layout"] == "nhwc":
            if op == "bn_train":
                raise RuntimeError("ONNX BatchNormalization is NCHW-only")
            # Inference BN over the last axis: a per-channel affine map
            # (folded scale/shift constants, as graph optimizers do), + Relu.
            inp("x", shape)
            init("a", _rand([c], "f32"))
            init("c", _rand([c], "f32"))
            node("Mul", ["x", "a"], ["t0"])
            node("Add", ["t0", "c"], ["t1"])
            node("Relu", ["t1"], ["y"])
            out("y", shape)
        else:
            inp("x", shape)
            init("w", _rand([c], "f32"))
            init("b", _rand([c], "f32"))
            if op == "bn_train":
                inp("m", [c], TensorProto.FLOAT)
                inp("v", [c], TensorProto.FLOAT, positive=True)
                node("BatchNormalization", ["x", "w", "b", "m", "v"],
                     ["y", "rm", "rv"], epsilon=EPS, momentum=0.9,
                     training_mode=1)
                out("y", shape)
                out("rm", [c], TensorProto.FLOAT)
                out("rv", [c], TensorProto.FLOAT)
            else:
                init("m", _rand([c], "f32"))
                init("v", _rand([c], "f32", positive=True))
                node("BatchNormalization", ["x", "w", "b", "m", "v"], ["t"],
                     epsilon=EPS)
                node("Relu", ["t"], ["y"])
                out("y", shape)
    elif op == "ln2d":
        # As torch.onnx exports ConvNeXt's LayerNorm: ReduceMean over the
        # channels and elementwise ops (ONNX's LayerNormalization normalizes
        # trailing axes only).
        c = shape[1]
        inp("x", shape)
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "axes"))
        init("w", _rand([c, 1, 1], "f32"))
        init("b", _rand([c, 1, 1], "f32"))
        standardize_std("x", "axes", "xn")
        node("Mul", ["xn", "w"], ["xw"])
        node("Add", ["xw", "b"], ["y"])
        out("y", shape)
    elif op == "gn_silu":
        c, g = shape[1], case["groups"]
        inp("x", shape)
        if target == "ort":
            init("w", _rand([c], "f32"))
            init("b", _rand([c], "f32"))
            node("GroupNormalization", ["x", "w", "b"], ["t"], epsilon=EPS,
                 num_groups=g)
        else:
            # IREE's importer rejects GroupNormalization-21: standard ops.
            def const(name, arr):
                inits.append(numpy_helper.from_array(arr, name))
            const("gshape", np.array([shape[0], g, -1], np.int64))
            const("xshape", np.array(shape, np.int64))
            const("axes", np.array([2], np.int64))
            const("w", _rand([c, 1, 1], "f32"))
            const("b", _rand([c, 1, 1], "f32"))
            node("Reshape", ["x", "gshape"], ["xg"])
            standardize_std("xg", "axes", "ng")
            node("Reshape", ["ng", "xshape"], ["n4"])
            node("Mul", ["n4", "w"], ["nw"])
            node("Add", ["nw", "b"], ["t"])
        node("Sigmoid", ["t"], ["s"])
        node("Mul", ["t", "s"], ["y"])
        out("y", shape)
    else:
        raise ValueError(op)
    graph = helper.make_graph(nodes, "main_graph", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", 21)]
    if target == "ort":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10
    return model, feeds, outspec


def _bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns (round to nearest even)."""
    import numpy as np
    u = np.ascontiguousarray(a, np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def worker_ort(cases, threads, warmup, reps):
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto
    results = {}
    for case in cases:
        try:
            model, feeds, outspec = _onnx_case(case, "ort")
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sess = ort.InferenceSession(model.SerializeToString(), so,
                                        providers=["CPUExecutionProvider"])
            binding = sess.io_binding()
            keep = []
            for name, arr in feeds.items():
                if arr.dtype == np.uint16:
                    v = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(
                        arr, TensorProto.BFLOAT16)
                else:
                    v = ort.OrtValue.ortvalue_from_numpy(arr)
                keep.append(v)
                binding.bind_ortvalue_input(name, v)
            note = "outputs preallocated"
            for name, s, et in outspec:
                if et == TensorProto.BFLOAT16:
                    binding.bind_output(name, "cpu")  # ORT's arena allocates
                    note = "bf16 outputs from ORT's arena"
                else:
                    v = ort.OrtValue.ortvalue_from_numpy(np.zeros(s, np.float32))
                    keep.append(v)
                    binding.bind_ortvalue_output(name, v)
            r = time_calls(lambda: sess.run_with_iobinding(binding), warmup, reps)
            r["note"] = note
            results[case["id"]] = r
            del sess, binding, keep
        except Exception as e:  # noqa: BLE001
            results[case["id"]] = dict(na=_reason(e))
    return results


def _iree_tool(name):
    cand = Path(sys.executable).parent / name
    return str(cand) if cand.exists() else (shutil.which(name) or name)


def worker_iree(cases, threads, warmup, reps):
    import numpy as np
    import iree.runtime as rt
    if threads > 1:
        rt.flags.parse_flags(f"--task_topology_group_count={threads}")
        config = rt.Config("local-task")
    else:
        config = rt.Config("local-sync")  # inline execution on the caller
    cache = BUILD / "iree"
    cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for case in cases:
        try:
            model, feeds, outspec = _onnx_case(case, "iree")
            blob = model.SerializeToString()
            key = hashlib.sha256(blob).hexdigest()[:16]  # graph, not just id
            vmfb = cache / f"{case['id']}-{key}.vmfb"
            if not vmfb.exists():
                with tempfile.TemporaryDirectory() as tmp:
                    onnx_path = Path(tmp) / "m.onnx"
                    onnx_path.write_bytes(blob)
                    mlir = Path(tmp) / "m.mlir"
                    _check([_iree_tool("iree-import-onnx"), str(onnx_path),
                            "-o", str(mlir)])
                    _check([_iree_tool("iree-compile"), str(mlir),
                            "--iree-hal-target-device=local",
                            "--iree-hal-local-target-device-backends=llvm-cpu",
                            "--iree-llvmcpu-target-cpu=host",
                            "-o", str(Path(tmp) / "m.vmfb")])
                    shutil.move(str(Path(tmp) / "m.vmfb"), vmfb)
            ctx = rt.SystemContext(config=config)
            ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb.read_bytes()))
            fn = ctx.modules.module["main_graph"]
            args = []
            for name, arr in feeds.items():
                if arr.dtype == np.uint16:
                    import ml_dtypes
                    arr = arr.view(ml_dtypes.bfloat16)
                args.append(rt.asdevicearray(config.device, arr))
            r = time_calls(lambda: fn(*args), warmup, reps)
            r["note"] = "inputs on device; outputs allocated by IREE"
            results[case["id"]] = r
            del fn, ctx, args
        except Exception as e:  # noqa: BLE001
            results[case["id"]] = dict(na=_reason(e))
    return results


# --- Orchestration -----------------------------------------------------------


def _check(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[-400:]}")


def _reason(e):
    text = str(e).strip().replace("\n", " ")
    text = re.sub(r"\s+", " ", text)
    return f"{type(e).__name__}: {text[:240]}"


WORKERS = dict(norm=worker_norm, onednn=worker_onednn,
               torch=worker_torch, inductor=worker_inductor, ort=worker_ort,
               iree=worker_iree)


def peer_env(threads):
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads),
               # Keep glibc's heap warm: no mmap per large allocation (whose
               # pages would fault again on every call) and no trimming.
               MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_=str(1 << 40),
               MALLOC_TOP_PAD_=str(64 << 20))
    env.pop("KMP_AFFINITY", None)
    return env


def run_peer(peer, cases, threads, warmup, reps, timeout):
    """Runs one peer's worker in a subprocess; {case id: result}."""
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "cases.json", Path(tmp) / "out.json"
        spec.write_text(json.dumps(cases))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", peer,
               "--threads", str(threads), "--warmup", str(warmup), "--reps",
               str(reps), "--cases-file", str(spec), "--out-file", str(out)]
        try:
            proc = subprocess.run(cmd, env=peer_env(threads), capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {c["id"]: dict(na=f"timed out after {timeout}s") for c in cases}
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {c["id"]: dict(na=f"{peer} failed: {tail[:240]}") for c in cases}
        return json.loads(out.read_text())


#: Per-case numbers that merge_rounds takes the median of.
ROUND_KEYS = ("time_s", "min_s", "alone_s", "memcpy", "stream", "stream_same")


def merge_rounds(rounds):
    """One peer's results of several rounds ({case id: result} each, fresh
    processes and buffers) as one: per case the median of each of
    ROUND_KEYS over the rounds that measured it, the other fields of the
    first such round, and every round's time in `round_times_s`. A case
    that failed in every round keeps the first round's reason."""
    merged = {}
    for cid in dict.fromkeys(c for r in rounds for c in r):
        results = [r[cid] for r in rounds if cid in r]
        ok = [r for r in results if not r.get("na")]
        if not ok:
            merged[cid] = results[0]
            continue
        out = dict(ok[0])
        for key in ROUND_KEYS:
            values = [r[key] for r in ok if r.get(key) is not None]
            if values:
                out[key] = statistics.median(values)
        out["round_times_s"] = [r.get("time_s") for r in ok]
        merged[cid] = out
    return merged


def worker_main(args):
    cases = json.loads(Path(args.cases_file).read_text())
    try:
        res = WORKERS[args.worker](cases, args.threads, args.warmup, args.reps)
    except Exception as e:  # noqa: BLE001  (import errors, missing builds)
        traceback.print_exc()
        res = {c["id"]: dict(na=_reason(e)) for c in cases}
    Path(args.out_file).write_text(json.dumps(res))


def machine_info():
    info = dict(host=os.uname().nodename, cpus=os.cpu_count())
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["loadavg_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def _fmt_ms(s):
    return f"{s * 1e3:.2f}" if s is not None else "n/a"


def summarize(cases, threads_list, results):
    """Rows (one per case and thread count) with derived metrics."""
    rows = []
    for t in threads_list:
        R = results[str(t)]
        for case in cases:
            cid = case["id"]
            ours = R["norm"].get(cid, {})
            row = dict(case=cid, op=case["op"], dtype=case["dtype"],
                       shape="x".join(map(str, case["shape"])), threads=t,
                       bytes=case["bytes"], norm_ms=None, norm_gbs=None,
                       pct_memcpy=None, pct_stream=None,
                       pct_stream_same=None, alone_ms=None,
                       fused_overhead_pct=None, norm_na=ours.get("na"))
            mt, st = ours.get("memcpy"), ours.get("stream")
            row["memcpy_gbs"] = case["bytes"] / mt / 1e9 if mt and mt > 0 else None
            row["stream_gbs"] = case["bytes"] / st / 1e9 if st and st > 0 else None
            tn = ours.get("time_s")
            if tn:
                row["norm_ms"] = tn * 1e3
                row["norm_gbs"] = case["bytes"] / tn / 1e9
                if case["op"] != "rms_mm":
                    if mt and mt > 0:
                        row["pct_memcpy"] = 100 * mt / tn
                    if st and st > 0:
                        row["pct_stream"] = 100 * st / tn
                    ss = ours.get("stream_same")
                    if ss and ss > 0:
                        row["pct_stream_same"] = 100 * ss / tn
                else:
                    row["norm_gflops"] = case["flops"] / tn / 1e9
                if ours.get("alone_s"):
                    row["alone_ms"] = ours["alone_s"] * 1e3
                    row["fused_overhead_pct"] = 100 * (tn / ours["alone_s"] - 1)
            for p in PEER_COLUMNS:
                pr = R.get(p, {}).get(cid, {})
                tp = pr.get("time_s")
                row[f"{p}_ms"] = tp * 1e3 if tp else None
                row[f"{p}_ratio"] = tp / tn if tp and tn else None
                row[f"{p}_note"] = pr.get("na") or pr.get("note", "")
            rows.append(row)
    return rows


def markdown_table(rows):
    """The table as GitHub markdown (for docs/benchmarks.md)."""
    def f(v, spec):
        return format(v, spec) if v is not None else "n/a"
    out = ["| case | thr | ms | GB/s | % memcpy | % stream | % stream, same buffers | "
           + " | ".join(PEER_COLUMNS) + " |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | "
           + " | ".join("---:" for _ in PEER_COLUMNS) + " |"]
    for r in rows:
        peers = [f"{f(r[f'{p}_ms'], '.2f')} ({f(r[f'{p}_ratio'], '.2f')}x)"
                 if r[f"{p}_ms"] else "n/a" for p in PEER_COLUMNS]
        out.append(f"| `{r['case']}` | {r['threads']} | {f(r['norm_ms'], '.2f')} | "
                   f"{f(r['norm_gbs'], '.1f')} | {f(r['pct_memcpy'], '.0f')} | "
                   f"{f(r['pct_stream'], '.0f')} | "
                   f"{f(r['pct_stream_same'], '.0f')} | " + " | ".join(peers) + " |")
    return "\n".join(out)


def print_table(rows):
    head = (f"{'case':38} {'thr':>3} {'ms':>8} {'GB/s':>6} {'%cpy':>5} {'%str':>5} "
            f"{'%same':>5} "
            + " ".join(f"{p + '(x)':>11}" for p in PEER_COLUMNS))
    print(head)
    print("-" * len(head))
    for r in rows:
        def f(v, spec):
            return format(v, spec) if v is not None else "n/a"
        peers = []
        for p in PEER_COLUMNS:
            ms, ratio = r[f"{p}_ms"], r[f"{p}_ratio"]
            peers.append(f"{f(ms, '.2f')}({f(ratio, '.2f')})" if ms else "n/a")
        print(f"{r['case']:38} {r['threads']:>3} {f(r['norm_ms'], '8.2f'):>8} "
              f"{f(r['norm_gbs'], '6.1f'):>6} {f(r['pct_memcpy'], '5.0f'):>5} "
              f"{f(r['pct_stream'], '5.0f'):>5} "
              f"{f(r['pct_stream_same'], '5.0f'):>5} "
              + " ".join(f"{s:>11}" for s in peers))
    print("\nms: norm-mlir median time; GB/s of the bytes that must move; %cpy/%str: "
          "memcpy / streaming-copy time of the same bytes over ours (100 = at "
          "the copy's speed); %same: the streaming copy run on the case's own "
          "input and output buffers right after it; peers: ms(peer time / ours; "
          "> 1 means norm-mlir is "
          "faster). rms_mm is compute-bound: no copy percentages.")


def targets(rows):
    """The issue's targets, evaluated honestly from the rows."""
    lines = []
    roof = [r for r in rows if r["op"] in ("ln", "rms") and r["dtype"] == "f32"]
    ok = [r for r in roof if r["pct_stream"] and r["pct_stream"] >= 85]
    lines.append(f">=85% of streaming-copy roofline (LayerNorm/RMSNorm f32): "
                 f"{len(ok)}/{len(roof)} cases")
    for r in roof:
        same = (f" (on its own buffers: {r['pct_stream_same']:.0f}%)"
                if r["pct_stream_same"] else "")
        lines.append(f"  {r['case']} t={r['threads']}: "
                     f"{r['pct_stream']:.0f}%{same}" if r["pct_stream"] else
                     f"  {r['case']} t={r['threads']}: n/a")
    fused = [r for r in rows if r["fused_overhead_pct"] is not None]
    okf = [r for r in fused if r["fused_overhead_pct"] <= 5]
    lines.append(f"fused norm+activation within 5% of the norm alone: "
                 f"{len(okf)}/{len(fused)}")
    for r in fused:
        lines.append(f"  {r['case']} t={r['threads']}: {r['fused_overhead_pct']:+.1f}% "
                     f"({r['alone_ms']:.2f} ms alone)")
    lost = []
    total = nlost = 0
    for r in rows:
        slower = []
        for p in PEER_COLUMNS:
            if r[f"{p}_ratio"] is not None:
                total += 1
                if r[f"{p}_ratio"] < 1:
                    slower.append(f"{p} {r[f'{p}_ratio']:.2f}x")
        nlost += len(slower)
        if slower:
            lost.append(f"  {r['case']} t={r['threads']}: {', '.join(slower)}")
    lines.append(f"faster than the peer: {total - nlost}/{total} comparisons; "
                 f"slower (peer time / ours) on:")
    return lines + lost


def plot(rows, threads_list, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(threads_list), 1, figsize=(16, 5 * len(threads_list)),
                             squeeze=False)
    names = ["norm"] + PEER_COLUMNS
    for ax, t in zip(axes[:, 0], threads_list):
        rs = [r for r in rows if r["threads"] == t and r["op"] != "rms_mm"]
        width = 0.8 / len(names)
        for i, p in enumerate(names):
            vals = []
            for r in rs:
                ms = r["norm_ms"] if p == "norm" else r[f"{p}_ms"]
                vals.append(r["bytes"] / (ms * 1e-3) / 1e9 if ms else 0)
            ax.bar([j + i * width for j in range(len(rs))], vals, width,
                   label="norm-mlir" if p == "norm" else p)
        ax.plot([j + 0.4 for j in range(len(rs))],
                [r["stream_gbs"] or 0 for r in rs], "k_", markersize=14,
                label="streaming copy")
        ax.plot([j + 0.4 for j in range(len(rs))],
                [r["memcpy_gbs"] or 0 for r in rs], "r_", markersize=14,
                label="memcpy")
        ax.set_xticks([j + 0.4 for j in range(len(rs))])
        ax.set_xticklabels([r["case"] for r in rs], rotation=60, ha="right",
                           fontsize=7)
        ax.set_ylabel("GB/s (bytes that must move)")
        ax.set_title(f"{t} thread(s)")
        ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="few cases, few reps")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--peers", default=",".join(PEERS),
                   help="comma-separated subset of " + ",".join(PEERS))
    p.add_argument("--set", default="standard", choices=("standard", "models"),
                   help="the case set: the standard cases, or normalization "
                        "layers of real models at their shapes")
    p.add_argument("--cases", default=None, help="regex on case ids")
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--timeout", type=int, default=1800,
                   help="seconds per peer and thread count")
    p.add_argument("--rounds", type=int, default=1,
                   help="run every peer this many times, each time in fresh "
                        "processes with fresh buffers (rounds interleaved "
                        "across peers), and report per case the median of "
                        "the rounds' medians")
    p.add_argument("--out-dir", default=str(HERE / "results"))
    p.add_argument("--list", action="store_true", help="print the cases and exit")
    p.add_argument("--report", metavar="JSON",
                   help="print the table and targets of a saved result, run nothing")
    p.add_argument("--markdown", action="store_true",
                   help="print the table as markdown (with --report)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--cases-file", help=argparse.SUPPRESS)
    p.add_argument("--out-file", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.warmup is None:
        args.warmup = 2 if args.quick else 3
    if args.reps is None:
        args.reps = 5 if args.quick else 15
    if args.worker:
        args.threads = int(args.threads)
        return worker_main(args)

    if args.report:
        doc = json.loads(Path(args.report).read_text())
        if args.markdown:
            print(markdown_table(doc["rows"]))
        else:
            print_table(doc["rows"])
        print("\nTargets:")
        print("\n".join(targets(doc["rows"])))
        m = doc["machine"]
        print(f"\n{doc['started']}, {m.get('cpu')}, {m.get('cpus')} CPUs, load "
              f"{m.get('loadavg_start')} -> {m.get('loadavg_end')}")
        return

    cases = make_model_cases() if args.set == "models" else \
        make_cases(args.quick)
    if args.cases:
        cases = [c for c in cases if re.search(args.cases, c["id"])]
    if args.list:
        for c in cases:
            print(c["id"], c["bytes"])
        return
    threads_list = [int(t) for t in args.threads.split(",")]
    peers = [x for x in args.peers.split(",") if x]
    if "norm" not in peers:
        peers.insert(0, "norm")
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    info = machine_info()
    rounds = {str(t): {peer: [] for peer in peers} for t in threads_list}
    t_all = time.perf_counter()
    for r in range(max(1, args.rounds)):
        for t in threads_list:
            for peer in peers:
                t0 = time.perf_counter()
                label = f" (round {r + 1}/{args.rounds})" if args.rounds > 1 else ""
                print(f"[bench] {peer}, {t} thread(s), {len(cases)} cases"
                      f"{label} ...", file=sys.stderr, flush=True)
                rounds[str(t)][peer].append(run_peer(
                    peer, cases, t, args.warmup, args.reps, args.timeout))
                print(f"[bench]   {time.perf_counter() - t0:.0f}s",
                      file=sys.stderr, flush=True)
    results = {t: {peer: merge_rounds(rs) for peer, rs in by_peer.items()}
               for t, by_peer in rounds.items()}
    info["loadavg_end"] = os.getloadavg()
    info["wall_s"] = time.perf_counter() - t_all
    rows = summarize(cases, threads_list, results)
    print_table(rows)
    tl = targets(rows)
    print("\nTargets:")
    print("\n".join(tl))
    notes = {}
    for t in threads_list:
        for peer, res in results[str(t)].items():
            for cid, r in res.items():
                if r.get("na"):
                    notes.setdefault(f"{peer}: {r['na']}", []).append(f"{cid}@{t}")
    if notes:
        print("\nn/a reasons:")
        for reason, where in notes.items():
            print(f"  {reason}  [{len(where)} case(s), e.g. {where[0]}]")

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / (started.replace(":", "") + ("-quick" if args.quick else ""))
    doc = dict(started=started, machine=info, argv=sys.argv[1:],
               warmup=args.warmup, reps=args.reps, rounds=args.rounds,
               cases=cases, raw=results,
               rows=rows, targets=tl)
    Path(f"{stem}.json").write_text(json.dumps(doc, indent=1))
    with open(f"{stem}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else [],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    try:
        plot(rows, threads_list, f"{stem}.png")
    except Exception as e:  # noqa: BLE001
        print(f"[bench] no plot: {_reason(e)}", file=sys.stderr)
    print(f"\nwrote {stem}.json, .csv, .png ({info['wall_s']:.0f}s; load "
          f"{info.get('loadavg_start')} -> {info['loadavg_end']})")


if __name__ == "__main__":
    main()
