#!/usr/bin/env python3
"""Compares the candidate bundles of a GPU check with the default bundle.

    benchmarks/gpu/compare_bundles.py RESULTS_DIR

RESULTS_DIR is what `scripts/gpu-check.sh device` wrote ($OUT):
`benchmarks.md` (the default bundle), `benchmarks-NAME.md` (each candidate
or other bundle, measured in the same call) and `gpu-tests[-NAME].txt`
(their GPU tests). For each candidate, each case it shares with the default
and each norm-mlir column (plain, CUDA graph, cold L2), prints the default's
and the candidate's bandwidth as % of the device-to-device copy that each
run measured itself, and the candidate's change in TB/s, then a verdict per
case: faster or slower in every column by more than the noise (`--noise`,
default 3 %), else mixed. A candidate whose GPU tests failed is marked so:
it cannot become the default, whatever its speed.
"""
import argparse
import re
import sys
from pathlib import Path

#: The norm-mlir columns of bench_norm.py's table.
COLUMNS = ("norm-mlir", "norm-mlir, CUDA graph", "norm-mlir, cold L2")
_CELL = re.compile(r"([0-9.]+) us, ([0-9.]+) TB/s \(([0-9.]+) %\)")


def parse_table(text):
    """{case: {column: (us, TB/s, % of copy) or None}} of a bench_norm.py
    table; cells that are not measurements (n/a, failures) are None."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if len(lines) < 2:
        return {}
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(header):
            continue
        row = {}
        for column, cell in zip(header[1:], cells[1:]):
            m = _CELL.fullmatch(cell)
            row[column] = (tuple(float(g) for g in m.groups()) if m else None)
        rows[cells[0]] = row
    return rows


def test_summary(path):
    """The last pytest summary line of a GPU-test log ("12 passed, 3
    skipped in 40s"), or a note that the log is missing; and whether
    anything failed."""
    if not path.exists():
        return "no GPU-test log", True
    lines = [line.strip("= \n") for line in path.read_text().splitlines()
             if re.search(r"\b(passed|failed|error|no tests ran)\b", line)]
    summary = lines[-1] if lines else "no pytest summary"
    failed = (not lines or bool(re.search(r"\b(failed|error)", summary))
              or "no tests ran" in summary)
    return summary, failed


def compare(default, candidate, noise):
    """Markdown lines comparing the candidate's rows with the default's."""
    out = ["| case | column | default | candidate | change |",
           "| --- | --- | --- | --- | --- |"]
    verdicts = []
    for case, row in candidate.items():
        base = default.get(case)
        if base is None:
            continue
        changes = []
        for column in COLUMNS:
            a, b = base.get(column), row.get(column)
            if a is None or b is None:
                continue
            change = 100.0 * (b[1] / a[1] - 1.0)
            changes.append(change)
            out.append(f"| {case} | {column} | {a[2]:.0f} % ({a[0]:.0f} us) "
                       f"| {b[2]:.0f} % ({b[0]:.0f} us) | {change:+.1f} % |")
        if not changes:
            verdicts.append(f"- {case}: no measurement in both")
        elif all(c > noise for c in changes):
            verdicts.append(f"- {case}: **faster** in every column")
        elif all(c < -noise for c in changes):
            verdicts.append(f"- {case}: slower in every column")
        else:
            verdicts.append(f"- {case}: mixed or within {noise:g} %")
    return out, verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--noise", type=float, default=3.0,
                    help="changes within this %% count as noise")
    args = ap.parse_args(argv)
    default_md = args.results / "benchmarks.md"
    if not default_md.exists():
        print(f"{default_md}: missing (the default bundle's benchmark)",
              file=sys.stderr)
        return 1
    default = parse_table(default_md.read_text())
    summary, _ = test_summary(args.results / "gpu-tests.txt")
    print(f"default bundle: GPU tests: {summary}\n")
    found = False
    for md in sorted(args.results.glob("benchmarks-*.md")):
        name = md.stem[len("benchmarks-"):]
        found = True
        summary, failed = test_summary(args.results / f"gpu-tests-{name}.txt")
        print(f"## {name}\n\nGPU tests: {summary}"
              + (" -- **not a candidate for the default**" if failed else "")
              + "\n")
        table, verdicts = compare(default, parse_table(md.read_text()),
                                  args.noise)
        print("\n".join(table + [""] + verdicts) + "\n")
    if not found:
        print("no candidate benchmarks (benchmarks-*.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
