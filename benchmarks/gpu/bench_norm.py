#!/usr/bin/env python3
"""GPU benchmark: the norm-mlir kernels against torch eager and torch.compile.

Runs on the GPU machine (PyTorch, a CUDA driver; no MLIR), on the bundle
built by `scripts/gpu-check.sh build`. Each case reports the time, the
effective bandwidth (bytes that must move: inputs read once, outputs written
once) in TB/s, and that bandwidth as a percentage of a device-to-device copy
measured in the same run. Targets (issue): LayerNorm/RMSNorm bf16
[32768 x 4096] >= 85 % of the copy; residual + RMSNorm the same;
GroupNorm+SiLU bf16 [8, 512, 64, 64] >= 75 %. BatchNorm [32, 64, 56, 56]
(inference + ReLU, f32 and bf16; training f32) is measured too. For the
split reductions (GroupNorm, BatchNorm training) the bytes counted are still
one read and one write, although the kernels read the input twice (the
second read may hit L2). Each case is also compared with a copy of its own
bytes (half read, half written), hot and with a cold L2: the 256 MiB copy
never fits L2, while GroupNorm's and BatchNorm's tensors do.

    python3 benchmarks/gpu/bench_norm.py --bundle build-gpu/gpu-bundle \
        --output $OUT/benchmarks.md [--no-compile] [--cases 'GroupNorm|BatchNorm']
"""

import argparse
import platform
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from norm_mlir.gpu import GpuLibrary  # noqa: E402


def bench(fn, iters=50, warmup=10, reps=5):
    """Median over `reps` of the mean time (s) of `iters` calls."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3 / iters)
    times.sort()
    return times[len(times) // 2]


def bench_cold(fn, scratch, iters=20, warmup=3):
    """Median seconds of one call that finds nothing of its data in L2:
    `scratch` (twice the L2) is overwritten before every call, and the
    events bracket the call alone. While the GPU clears `scratch`, the host
    has already queued the call, so the launch latency is hidden as in
    `bench`."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        scratch.zero_()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    times.sort()
    return times[len(times) // 2]


def bench_graph(lib, name, descriptors, calls=10):
    """Seconds per call of `calls` calls captured in one CUDA graph."""
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        lib.set_stream(torch.cuda.current_stream().cuda_stream)
        try:
            for _ in range(calls):
                lib.call_descriptors(name, descriptors)
        finally:
            lib.set_stream(None)
    lib.check()
    return bench(graph.replay, iters=10) / calls


def copy_bandwidth(nbytes):
    """TB/s of a device-to-device copy of `nbytes` (read + write counted)."""
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    t = bench(lambda: dst.copy_(src))
    return 2 * nbytes / t / 1e12


def same_bytes_copy(nbytes):
    """A device-to-device copy that moves `nbytes` in all (half read, half
    written): the roofline of a case whose traffic is `nbytes`, at its own
    size (a case that fits L2 is compared with a copy that fits it too)."""
    src = torch.empty(nbytes // 2, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    return lambda: dst.copy_(src)


def rms_norm_ref(x, w, eps=1e-6):
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
            * w.float()).to(x.dtype)


def add_rms_norm_ref(x, r, w, eps=1e-6):
    s = x + r
    return rms_norm_ref(s, w, eps), s


def cases(rows, n, device="cuda"):
    bf16 = torch.bfloat16
    x = torch.randn(rows, n, device=device, dtype=bf16)
    r = torch.randn_like(x)
    w = torch.randn(n, device=device, dtype=bf16)
    b = torch.randn(n, device=device, dtype=bf16)
    y, s = torch.empty_like(x), torch.empty_like(x)
    row_bytes = x.numel() * x.element_size()
    gx = torch.randn(8, 512, 64, 64, device=device, dtype=bf16)
    gw = torch.randn(512, device=device, dtype=bf16)
    gb = torch.randn(512, device=device, dtype=bf16)
    gy = torch.empty_like(gx)
    g_bytes = gx.numel() * gx.element_size()
    bn = {}
    for name, dt in (("f32", torch.float32), ("bf16", bf16)):
        bx = torch.randn(32, 64, 56, 56, device=device, dtype=dt)
        params = [torch.randn(64, device=device, dtype=dt) for _ in range(4)]
        params[1] = params[1].abs().add_(0.5)  # running variance > 0
        bn[name] = (bx, *params, torch.empty_like(bx))
    bx, bm, bv, bw, bb, by = bn["f32"]
    tm, tv = bm.clone(), bv.clone()  # torch's training updates them in place
    saved = [torch.empty(64, device=device) for _ in range(2)]
    new_stats = [torch.empty_like(bm), torch.empty_like(bv)]
    b_bytes = bx.numel() * bx.element_size()
    # NHWC bf16 training: ours on [32, 56, 56, 64]; torch on the same memory
    # as a channels_last NCHW view.
    hx = torch.randn(32, 56, 56, 64, device=device, dtype=bf16)
    hy = torch.empty_like(hx)
    hm = torch.zeros(64, device=device)
    hv = torch.ones(64, device=device)
    hw = torch.randn(64, device=device, dtype=bf16)
    hb = torch.randn(64, device=device, dtype=bf16)
    h_stats = [torch.empty(64, device=device) for _ in range(4)]
    hx_nchw = hx.permute(0, 3, 1, 2)  # channels_last strides
    htm, htv = hm.clone(), hv.clone()
    # torch's mixed-precision BatchNorm: bf16 input, f32 parameters.
    hwf, hbf = hw.float(), hb.float()

    # LayerNorm backward (training): dy, x and the forward's statistics in;
    # dx and the f32 parameter gradients out. Bytes: x, dy read once, dx
    # written once (the copy's traffic for 3 tensors).
    ldy = torch.randn_like(x)
    lmean = x.float().mean(-1, keepdim=True)
    lrstd = torch.rsqrt(x.float().var(-1, correction=0, keepdim=True) + 1e-5)
    ldx = torch.empty_like(x)
    ldw, ldb = (torch.empty(n, device=device) for _ in range(2))

    def ln_backward():
        return torch.ops.aten.native_layer_norm_backward.default(
            ldy, x, [n], lmean, lrstd, w, b, [True, True, True])

    def ln_backward_check():
        xr = x.float().requires_grad_()
        F.layer_norm(xr, (n,), w.float(), b.float(), 1e-5).backward(
            ldy.float())
        return ldx, xr.grad.to(bf16)

    # BatchNorm backward (training), f32 NCHW without an activation: dy, x
    # and the forward's saved statistics in; dx and the parameter gradients
    # out. Bytes: x, dy read once, dx written once.
    bdy = torch.randn_like(bx)
    bmean = bx.mean((0, 2, 3))
    brstd = torch.rsqrt(bx.var((0, 2, 3), correction=0) + 1e-5)
    bdx = torch.empty_like(bx)
    bdw, bdb = torch.empty_like(bw), torch.empty_like(bw)

    def bn_backward():
        return torch.ops.aten.native_batch_norm_backward.default(
            bdy, bx, bw, None, None, bmean, brstd, True, 1e-5,
            [True, True, True])

    def bn_backward_check():
        xr = bx.clone().requires_grad_()
        F.batch_norm(xr, None, None, bw, None, True, 0.1, 1e-5).backward(bdy)
        return bdx, xr.grad

    def bn_inference(dtype):
        x_, m_, v_, w_, b_, _ = bn[dtype]
        return lambda: F.relu(F.batch_norm(x_, m_, v_, w_, b_, False, 0.1,
                                           1e-5))

    def bn_inference_check(dtype):
        x_, m_, v_, w_, b_, y_ = bn[dtype]
        return lambda: (y_, F.relu(F.batch_norm(
            x_.float(), m_.float(), v_.float(), w_.float(), b_.float(),
            False, 0.1, 1e-5)).to(x_.dtype))

    return [
        dict(name=f"LayerNorm bf16 [{rows} x {n}]", bytes=2 * row_bytes,
             ours=("layer_norm_bf16_4096", (x, w, b, y)),
             torch=lambda: F.layer_norm(x, (n,), w, b, 1e-5),
             check=lambda: (y, F.layer_norm(x.float(), (n,), w.float(),
                                            b.float(), 1e-5).to(bf16))),
        dict(name=f"RMSNorm bf16 [{rows} x {n}]", bytes=2 * row_bytes,
             ours=("rms_norm_bf16_4096", (x, w, y)),
             torch=lambda: rms_norm_ref(x, w),
             check=lambda: (y, rms_norm_ref(x, w))),
        dict(name=f"residual + RMSNorm bf16 [{rows} x {n}]",
             bytes=4 * row_bytes,
             ours=("add_rms_norm_bf16_4096", (x, r, w, y, s)),
             torch=lambda: add_rms_norm_ref(x, r, w),
             check=lambda: (y, add_rms_norm_ref(x, r, w)[0])),
        dict(name=f"LayerNorm backward bf16 [{rows} x {n}]",
             bytes=3 * row_bytes,
             ours=("layer_norm_grad_bf16_4096",
                   (ldy, x, lmean, lrstd, w, ldx, ldw, ldb)),
             torch=ln_backward, check=ln_backward_check),
        dict(name="GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]",
             bytes=2 * g_bytes,
             ours=("group_norm_silu_bf16", (gx, gw, gb, gy)),
             torch=lambda: F.silu(F.group_norm(gx, 32, gw, gb, 1e-5)),
             check=lambda: (gy, F.silu(F.group_norm(
                 gx.float(), 32, gw.float(), gb.float(), 1e-5)).to(bf16))),
    ] + [
        dict(name=f"BatchNorm inference+ReLU {dtype} [32, 64, 56, 56]",
             bytes=2 * bn[dtype][0].numel() * bn[dtype][0].element_size(),
             ours=(f"batch_norm_inference_relu_{dtype}", bn[dtype]),
             torch=bn_inference(dtype), check=bn_inference_check(dtype))
        for dtype in ("f32", "bf16")
    ] + [
        dict(name="BatchNorm training+ReLU f32 [32, 64, 56, 56]",
             bytes=2 * b_bytes,
             ours=("batch_norm_training_f32",
                   (bx, bm, bv, bw, bb, by, *saved, *new_stats)),
             torch=lambda: F.relu(F.batch_norm(bx, tm, tv, bw, bb, True, 0.1,
                                               1e-5)),
             check=lambda: (by, F.relu(F.batch_norm(
                 bx, None, None, bw, bb, True, 0.1, 1e-5)))),
        dict(name="BatchNorm backward f32 [32, 64, 56, 56]",
             bytes=3 * b_bytes,
             ours=("batch_norm_grad_f32",
                   (bdy, bx, bmean, brstd, bw, bdx, bdw, bdb)),
             torch=bn_backward, check=bn_backward_check),
        dict(name="BatchNorm training+ReLU NHWC bf16 [32, 56, 56, 64]",
             bytes=2 * hx.numel() * hx.element_size(),
             ours=("batch_norm_training_nhwc_bf16",
                   (hx, hm, hv, hw, hb, hy, *h_stats)),
             torch=lambda: F.relu(F.batch_norm(hx_nchw, htm, htv, hwf, hbf,
                                               True, 0.1, 1e-5)),
             check=lambda: (hy, F.relu(F.batch_norm(
                 hx_nchw.float(), None, None, hw.float(), hb.float(), True,
                 0.1, 1e-5)).permute(0, 2, 3, 1).to(bf16))),
    ]


#: --simt: largest max abs error accepted per output type (bf16 outputs
#: round at 2^-8 of values up to about 8 here).
SIMT_TOLERANCE = {torch.bfloat16: 0.05, torch.float32: 1e-3}


def simt_check(rows, cols, cases_regex):
    """Every case's kernel once on the SIMT interpreter (CPU tensors, `rows`
    rows), its output against the case's reference: a check of the case
    list (argument tuples, shapes, references) before a device call. No
    timing, no torch baselines. Returns the number of failed cases."""
    sys.path.insert(0, str(REPO / "test" / "Integration" / "GPU"))
    from simt_device import SimtLibrary
    from norm_mlir import find_opt
    lib = SimtLibrary(find_opt())
    failed = 0
    for case in cases(rows, cols, device="cpu"):
        if cases_regex and not re.search(cases_regex, case["name"]):
            continue
        name, tensors = case["ours"]
        started = time.monotonic()
        try:
            lib.call(name, *tensors)
            actual, expected = case["check"]()
            err = (actual.float() - expected.float()).abs().max().item()
            ok = err <= SIMT_TOLERANCE[actual.dtype]
        except Exception as e:  # noqa: BLE001 - report and go on
            err, ok = f"{type(e).__name__}: {e}", False
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case['name']}: max abs err {err} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default=str(REPO / "build-gpu" /
                                                "gpu-bundle"))
    parser.add_argument("--rows", type=int, default=None,
                        help="rows of the LayerNorm/RMSNorm cases (32768; "
                             "64 with --simt)")
    parser.add_argument("--cols", type=int, default=4096)
    parser.add_argument("--no-compile", action="store_true",
                        help="skip torch.compile")
    parser.add_argument("--compile-deadline", type=float, default=240.0,
                        help="seconds after the start past which no further "
                             "case is compiled with torch.compile")
    parser.add_argument("--output", help="also write the markdown here "
                                         "(rewritten after every case)")
    parser.add_argument("--cases", default="",
                        help="only the cases whose name matches this regex")
    parser.add_argument("--simt", action="store_true",
                        help="no GPU: run each case once on the SIMT "
                             "interpreter (CPU tensors, 64 rows unless "
                             "--rows) and check it; exit 1 on a failure")
    args = parser.parse_args()
    if args.simt:
        sys.exit(1 if simt_check(args.rows or 64, args.cols, args.cases)
                 else 0)
    args.rows = args.rows or 32768

    started = time.monotonic()
    torch.manual_seed(0)
    lib = GpuLibrary(Path(args.bundle) / "libnorm_gpu_kernels.so")
    props = torch.cuda.get_device_properties(0)
    # Everything on one side stream: torch's default stream is the legacy
    # stream (handle 0), which the runtime takes as "no caller stream" and
    # answers with a synchronizing call.
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    torch.cuda.set_stream(stream)
    copy_tbs = copy_bandwidth(args.rows * args.cols * 2)
    # Overwritten before every cold call: twice the L2, so that nothing of
    # a case's inputs is left in it (BatchNorm's 25.7 MB input, GroupNorm's
    # 33.5 MB fit the H100's 50 MB L2 across the hot loop).
    l2_bytes = getattr(props, "L2_cache_size", 50 << 20) or (50 << 20)
    scratch = torch.empty(2 * l2_bytes, dtype=torch.uint8, device="cuda")

    header = [
        f"GPU: {props.name}, {props.multi_processor_count} SMs; torch "
        f"{torch.__version__}; {time.strftime('%Y-%m-%d')}; "
        f"python {platform.python_version()}",
        "",
        f"Device-to-device copy (same run, {args.rows * args.cols * 2 >> 20}"
        f" MiB): **{copy_tbs:.2f} TB/s** (bytes read + written). Each cell: "
        "median of 5 means of 50 calls, CUDA events, one stream; bandwidth "
        "counts each input read once and each output written once. "
        f"Cold L2: median of 20 single calls, each after overwriting "
        f"{2 * l2_bytes >> 20} MiB (twice the L2), events around the call "
        "only; launch latency hidden behind the overwrite.",
        "",
        "The last two columns compare with a copy of the case's own bytes "
        "(half read, half written), hot and after the L2 is overwritten: "
        "the copy's time over norm-mlir's (plain and cold-L2 columns).",
        "",
        "| case | norm-mlir | norm-mlir, CUDA graph | norm-mlir, cold L2 | "
        "torch eager | torch eager, cold L2 | torch.compile | max abs err | "
        "same-bytes copy (hot / cold L2) | % of the same-bytes copy "
        "(hot / cold L2) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = {}

    def cell(t, nbytes):
        if t is None:
            return "n/a"
        if isinstance(t, str):
            return t
        tbs = nbytes / t / 1e12
        return f"{t * 1e6:.0f} us, {tbs:.2f} TB/s ({100 * tbs / copy_tbs:.0f} %)"

    def us(t):
        return f"{t * 1e6:.0f} us" if isinstance(t, float) else "n/a"

    def percent(ours, copy):
        if isinstance(ours, float) and isinstance(copy, float):
            return f"{100 * copy / ours:.0f} %"
        return "n/a"

    def write():
        lines = header + [
            f"| {name} | {cell(r['ours'], r['bytes'])} | "
            f"{cell(r['graph'], r['bytes'])} | "
            f"{cell(r['cold'], r['bytes'])} | "
            f"{cell(r['eager'], r['bytes'])} | "
            f"{cell(r['eager_cold'], r['bytes'])} | "
            f"{cell(r['compiled'], r['bytes'])} | {r['err']} | "
            f"{us(r['copy'])} / {us(r['copy_cold'])} | "
            f"{percent(r['ours'], r['copy'])} / "
            f"{percent(r['cold'], r['copy_cold'])} |"
            for name, r in rows.items()]
        text = "\n".join(lines) + "\n"
        if args.output:
            Path(args.output).write_text(text)
        return text

    selected = [c for c in cases(args.rows, args.cols)
                if not args.cases or re.search(args.cases, c["name"])]
    # First ours and eager for every case, then torch.compile (tens of
    # seconds a case) while time is left: a short device lease still gets
    # the whole first pass.
    for case in selected:
        r = rows[case["name"]] = dict(bytes=case["bytes"], ours=None,
                                      graph=None, cold=None, eager=None,
                                      eager_cold=None, compiled=None,
                                      err="n/a", copy=None, copy_cold=None)
        name, tensors = case["ours"]
        try:
            descriptors = lib.descriptors(name, *tensors)
            lib.set_stream(stream.cuda_stream)
            try:
                r["ours"] = bench(
                    lambda: lib.call_descriptors(name, descriptors))
            finally:
                lib.set_stream(None)
            stream.synchronize()
            lib.check()
            actual, expected = case["check"]()
            err = (actual.float() - expected.float()).abs().max().item()
            r["err"] = f"{err:.3g}"
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"norm-mlir failed for {case['name']}: {e}",
                  file=sys.stderr)
            r["ours"] = "failed"
        if r["ours"] != "failed":
            try:
                lib.set_stream(stream.cuda_stream)
                try:
                    r["cold"] = bench_cold(
                        lambda: lib.call_descriptors(name, descriptors),
                        scratch)
                finally:
                    lib.set_stream(None)
                lib.check()
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"cold-L2 timing failed for {case['name']}: {e}",
                      file=sys.stderr)
                r["cold"] = "failed"
        try:
            r["eager"] = bench(case["torch"])
            r["eager_cold"] = bench_cold(case["torch"], scratch)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"torch eager failed for {case['name']}: {e}",
                  file=sys.stderr)
        try:
            copy = same_bytes_copy(case["bytes"])
            r["copy"] = bench(copy)
            r["copy_cold"] = bench_cold(copy, scratch)
            del copy  # frees its buffers
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"same-bytes copy failed for {case['name']}: {e}",
                  file=sys.stderr)
        # The same calls captured in a CUDA graph: the kernels' time without
        # the host's (ctypes, launches, the workspace's stream-ordered
        # allocation).
        if r["ours"] != "failed":
            try:
                r["graph"] = bench_graph(lib, name, descriptors)
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"CUDA graph failed for {case['name']}: {e}",
                      file=sys.stderr)
                r["graph"] = "failed"
        write()
        print(case["name"], r, flush=True)
    for case in selected:
        r = rows[case["name"]]
        if args.no_compile:
            r["compiled"] = "not run"
            continue
        if time.monotonic() - started > args.compile_deadline:
            r["compiled"] = "not run (time)"
            continue
        try:
            r["compiled"] = bench(torch.compile(case["torch"]))
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"torch.compile failed for {case['name']}: {e}",
                  file=sys.stderr)
        write()
        print(case["name"], "compiled", r["compiled"], flush=True)
    print(write())


if __name__ == "__main__":
    main()
