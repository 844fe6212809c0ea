"""benchmarks/gpu/compare_bundles.py on results shaped like a GPU check's
(bench_norm.py tables, pytest logs): the numbers it reads, the changes it
computes, its verdicts, and candidates whose GPU tests failed."""

import importlib.util

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "compare_bundles", REPO / "benchmarks" / "gpu" / "compare_bundles.py")
compare_bundles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_bundles)

HEADER = ("| case | norm-mlir | norm-mlir, CUDA graph | norm-mlir, cold L2 | "
          "torch eager | torch eager, cold L2 | torch.compile | max abs err |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- |\n")


def cell(us, tbs, pct):
    return f"{us} us, {tbs:.2f} TB/s ({pct} %)"


def table(rows):
    """A bench_norm.py table: rows of (case, plain, graph, cold) cells."""
    text = "GPU: H100; copy **2.97 TB/s**\n\n" + HEADER
    for case, *cells in rows:
        text += (f"| {case} | " + " | ".join(cells) +
                 " | 140 us, 0.48 TB/s (16 %) | n/a | n/a | 0.0156 |\n")
    return text


GN = "GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]"
BN = "BatchNorm training+ReLU f32 [32, 64, 56, 56]"
LN = "LayerNorm bf16 [32768 x 4096]"


def write_results(tmp_path, candidate_tests):
    (tmp_path / "benchmarks.md").write_text(table([
        (GN, cell(35, 1.91, 64), cell(33, 2.02, 68), cell(36, 1.87, 63)),
        (BN, cell(27, 1.87, 63), cell(24, 2.15, 72), cell(32, 1.62, 54)),
        (LN, cell(183, 2.94, 99), cell(181, 2.96, 100), "failed: timeout"),
    ]))
    (tmp_path / "gpu-tests.txt").write_text(
        "....\n42 passed, 3 skipped in 40.1s\n")
    # The candidate's own run measured a slightly faster copy: % of copy
    # and TB/s do not move together.
    (tmp_path / "benchmarks-resident.md").write_text(table([
        (GN, cell(28, 2.40, 79), cell(27, 2.49, 82), cell(29, 2.31, 76)),
        (BN, cell(27, 1.88, 62), cell(23, 2.20, 73), cell(33, 1.58, 53)),
    ]))
    (tmp_path / "gpu-tests-resident.txt").write_text(candidate_tests)
    (tmp_path / "benchmarks-slow.md").write_text(table([
        (GN, cell(40, 1.67, 56), cell(38, 1.76, 59), "n/a"),
    ]))
    (tmp_path / "gpu-tests-slow.txt").write_text("45 passed in 41.0s\n")


def test_parse_table():
    rows = compare_bundles.parse_table(table([
        (GN, cell(35, 1.91, 64), "n/a", "failed: CUDA error")]))
    assert rows[GN]["norm-mlir"] == (35.0, 1.91, 64.0)
    assert rows[GN]["norm-mlir, CUDA graph"] is None
    assert rows[GN]["norm-mlir, cold L2"] is None
    assert rows[GN]["torch eager"] == (140.0, 0.48, 16.0)


def test_compare_verdicts(tmp_path, capsys):
    write_results(tmp_path, "45 passed, 3 skipped in 42.0s\n")
    assert compare_bundles.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "default bundle: GPU tests: 42 passed, 3 skipped in 40.1s" in out
    resident = out.split("## resident")[1].split("## slow")[0]
    assert "not a candidate" not in resident
    # TB/s 1.91 -> 2.40: +25.7 %; the row shows % of each run's copy.
    assert f"| {GN} | norm-mlir | 64 % (35 us) | 79 % (28 us) | +25.7 % |" \
        in resident
    assert f"- {GN}: **faster** in every column" in resident
    # +0.5 %, +2.3 %, -2.5 %: within the noise.
    assert f"- {BN}: mixed or within 3 %" in resident
    # A case the candidate did not run is not compared.
    assert LN not in resident
    slow = out.split("## slow")[1]
    assert f"- {GN}: slower in every column" in slow
    assert "norm-mlir, cold L2" not in slow  # n/a there


def test_failed_candidate_is_not_eligible(tmp_path, capsys):
    write_results(tmp_path, "..F.\n1 failed, 44 passed in 42.0s\n")
    compare_bundles.main([str(tmp_path)])
    resident = capsys.readouterr().out.split("## resident")[1]
    assert "GPU tests: 1 failed, 44 passed in 42.0s -- **not a candidate " \
        "for the default**" in resident


def test_missing_logs(tmp_path, capsys):
    write_results(tmp_path, "")
    (tmp_path / "gpu-tests-slow.txt").unlink()
    compare_bundles.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "GPU tests: no pytest summary -- **not a candidate" in out
    assert "GPU tests: no GPU-test log -- **not a candidate" in out


def test_no_default(tmp_path, capsys):
    assert compare_bundles.main([str(tmp_path)]) == 1
    assert "benchmarks.md: missing" in capsys.readouterr().err

