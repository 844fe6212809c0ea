"""Smoke test of benchmarks/run.py: the case list, the bytes it counts, the
report, and one tiny case through the norm-mlir worker. No timing is checked
(the numbers come from `bash scripts/bench.sh`, docs/benchmarks.md)."""

import importlib.util
import sys
from pathlib import Path

import pytest

from norm_env import NORM_OPT, requires_norm_opt

_RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
_spec = importlib.util.spec_from_file_location("bench_run", _RUN)
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_run"] = bench
_spec.loader.exec_module(bench)


def test_cases_cover_the_issue():
    ids = {c["id"] for c in bench.make_cases()}
    for op in ("ln", "rms", "res_rms"):
        for dt in ("f32", "bf16"):
            for n in (768, 4096, 8192):
                assert f"{op}_{dt}_8192x{n}" in ids
    assert "bn_inf_relu_f32_32x64x56x56_nchw" in ids
    assert "bn_inf_relu_f32_32x56x56x64_nhwc" in ids
    assert "bn_train_f32_32x64x56x56_nchw" in ids
    assert "gn_silu_f32_8x256x64x64" in ids
    assert "ln2d_f32_8x96x56x56" in ids
    assert {"rms_mm_f32_512x768_nofold", "rms_mm_f32_512x768_flashnorm"} <= ids
    assert len({c["id"] for c in bench.make_cases(quick=True)}) < len(ids)


def test_bytes_counted():
    cases = {c["id"]: c for c in bench.make_cases()}
    # x read once, y written once, weight and bias.
    assert cases["ln_f32_8192x768"]["bytes"] == 2 * 8192 * 768 * 4 + 2 * 768 * 4
    assert cases["rms_bf16_8192x768"]["bytes"] == 2 * 8192 * 768 * 2 + 768 * 2
    # x and residual read, y and the residual sum written.
    assert cases["res_rms_f32_8192x768"]["bytes"] == 4 * 8192 * 768 * 4 + 768 * 4
    n = 32 * 64 * 56 * 56
    assert cases["bn_train_f32_32x64x56x56_nchw"]["bytes"] == 2 * n * 4 + 8 * 64 * 4


def test_model_cases():
    cases = bench.make_model_cases()
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids)
    by_id = {c["id"]: c for c in cases}
    # ResNet-50's last stage: 2048 channels of 7 x 7.
    n = 32 * 2048 * 7 * 7
    assert by_id["bn_train_f32_32x2048x7x7_nchw"]["bytes"] == \
        2 * n * 4 + 8 * 2048 * 4
    assert by_id["gn_silu_f32_2x320x64x64"]["groups"] == 32
    assert "ln2d_f32_32x384x14x14" in by_id
    # None of them is a standard case (ab.py looks up both lists).
    assert not set(ids) & {c["id"] for c in bench.make_cases()}


def test_report_from_synthetic_results():
    cases = [c for c in bench.make_cases(quick=True) if c["op"] in ("ln", "ln_gelu")]
    raw = {"1": {
        "norm": {c["id"]: dict(time_s=0.010, alone_s=0.0099, memcpy=0.012,
                               stream=0.008, stream_same=0.007)
                 for c in cases},
        "torch": {c["id"]: dict(time_s=0.020) for c in cases},
        "ort": {c["id"]: dict(na="not installed") for c in cases},
    }}
    rows = bench.summarize(cases, [1], raw)
    r = rows[0]
    assert r["pct_stream"] == pytest.approx(80.0)
    assert r["pct_memcpy"] == pytest.approx(120.0)
    assert r["pct_stream_same"] == pytest.approx(70.0)
    assert r["torch_ratio"] == pytest.approx(2.0)
    assert r["ort_ms"] is None and r["ort_note"] == "not installed"
    lines = bench.targets(rows)
    assert lines[0].startswith(">=85% of streaming-copy roofline")
    assert "80% (on its own buffers: 70%)" in lines[1]
    assert any("within 5%" in line for line in lines)


def test_rounds_merge_to_medians():
    rounds = [
        {"a": dict(time_s=3.0, stream=1.0, compile_s=9.0), "b": dict(na="x")},
        {"a": dict(time_s=1.0, stream=2.0), "b": dict(time_s=5.0)},
        {"a": dict(na="flaked"), "b": dict(time_s=7.0)},
        {"a": dict(time_s=2.0, stream=4.0), "b": dict(na="y")},
    ]
    merged = bench.merge_rounds(rounds)
    # Medians over the rounds that measured the case; failures left out.
    assert merged["a"]["time_s"] == 2.0 and merged["a"]["stream"] == 2.0
    assert merged["a"]["compile_s"] == 9.0
    assert merged["a"]["round_times_s"] == [3.0, 1.0, 2.0]
    assert merged["b"]["time_s"] == 6.0
    # Failed in every round: the first reason.
    only_failed = bench.merge_rounds([{"c": dict(na="r1")}, {"c": dict(na="r2")}])
    assert only_failed["c"] == dict(na="r1")


@requires_norm_opt
def test_norm_worker_tiny_cases(monkeypatch):
    monkeypatch.setenv("NORM_OPT", NORM_OPT)
    cases = [
        dict(id="ln_gelu_tiny", op="ln_gelu", dtype="f32", shape=[16, 64],
             bytes=1 << 16),
        dict(id="res_rms_tiny", op="res_rms", dtype="f32", shape=[16, 64],
             bytes=1 << 16),
        dict(id="bn_tiny", op="bn_inf_relu", dtype="f32", shape=[2, 4, 3, 8],
             layout="nhwc", channels=8, bytes=1 << 16),
    ]
    res = bench.worker_norm(cases, 1, warmup=1, reps=1)
    for c in cases:
        assert "na" not in res[c["id"]], res[c["id"]]
        assert res[c["id"]]["time_s"] > 0
        if (bench.BUILD / "libcopy.so").exists():  # copies of the same bytes
            assert res[c["id"]]["stream"] > 0 and res[c["id"]]["memcpy"] > 0
            # The copy on the case's own input and output (same byte size).
            assert res[c["id"]]["stream_same"] > 0
    assert res["ln_gelu_tiny"]["alone_s"] > 0  # the norm without activation
