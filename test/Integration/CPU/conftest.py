"""pytest configuration of the CPU numerical tests.

The tests compile MLIR with the project's runtime package (python/norm_mlir:
norm-opt --norm-lower-to-cpu, mlir-translate, clang, cached shared
libraries) and call the functions on numpy arrays.

Environment:
  NORM_BUILD_DIR / NORM_OPT  which norm-opt to use (see norm_mlir.find_opt)
  NORM_TEST_PIPELINE         a --pass-pipeline to use instead of the default
                             norm-lower-to-cpu (debugging other pipelines)
  NORM_TEST_JOBS             parallel compilations before the tests (default:
                             the CPU count)

Cases are grouped into modules (a test module's `group_of(case)` names the
cases compiled together, its `CFLAGS` the clang flags, default: the
runtime's) and every group is compiled once, in parallel, before the first
test; a group that fails to compile is bisected so that the error is
reported against the case that causes it.
"""

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parents[2]
sys.path.insert(0, str(_HERE))
sys.path.insert(0, str(_REPO / "python"))

import norm_mlir  # noqa: E402

import cases as case_lib  # noqa: E402


def _probe_pipeline():
    """(opt, pipeline or None, skip reason or None)."""
    opt = norm_mlir.find_opt()
    override = os.environ.get("NORM_TEST_PIPELINE")
    if Path(opt).name != "norm-opt" and not os.path.exists(opt):
        return opt, None, f"no norm-opt found ({opt})"
    if Path(opt).name != "norm-opt":
        return opt, None, (f"norm_mlir.find_opt() gave {opt}, not norm-opt: "
                           "set NORM_BUILD_DIR or NORM_OPT")
    try:
        help_text = subprocess.run([opt, "--help"], capture_output=True,
                                   text=True, timeout=60).stdout
    except OSError as err:
        return opt, None, f"cannot run {opt}: {err}"
    if override:
        return opt, override, None
    if "norm-lower-to-cpu" not in help_text:
        return opt, None, f"{opt} has no --norm-lower-to-cpu pipeline yet"
    return opt, None, None


OPT, PIPELINE, SKIP_REASON = _probe_pipeline()


def pytest_report_header(config):
    if SKIP_REASON:
        return [f"norm numerics: SKIPPED ({SKIP_REASON})"]
    return [f"norm numerics: {OPT}, pipeline "
            f"{PIPELINE or norm_mlir.default_pipeline(OPT)}"]


class Runner:
    """Compiles groups of cases (memoized) and calls their functions."""

    def __init__(self):
        self._modules = {}  # hash of (text, cflags) -> module | Exception

    @staticmethod
    def _key(text, cflags):
        return hashlib.sha256(repr((text, cflags)).encode()).hexdigest()

    def _compile(self, text, cflags=None):
        key = self._key(text, cflags)
        if key not in self._modules:
            kwargs = {"cflags": tuple(cflags)} if cflags is not None else {}
            try:
                self._modules[key] = norm_mlir.compile_mlir(
                    text, opt=OPT, pipeline=PIPELINE, **kwargs)
            except Exception as err:  # noqa: BLE001 - reported per case
                self._modules[key] = err
        return self._modules[key]

    def precompile(self, groups, jobs):
        """Compiles `(cases, cflags)` pairs in parallel."""
        todo = {}
        for cases, cflags in groups:
            text = case_lib.module_text(cases)
            key = self._key(text, cflags)
            if key not in self._modules:
                todo[key] = (text, cflags)
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(lambda tc: self._compile(*tc), todo.values()))

    def module(self, case, group=None, cflags=None):
        """The compiled module holding `case`.

        Tries the whole group, then bisects it down to the half holding
        `case` until a module compiles, so that a case that fails to compile
        costs its group O(log n) extra compilations and is reported alone.
        """
        cases = list(group) if group else [case]
        if case not in cases:
            cases = [case]
        while True:
            mod = self._compile(case_lib.module_text(cases), cflags)
            if not isinstance(mod, Exception):
                return mod
            if len(cases) == 1:
                msg = str(mod)
                if len(msg) > 6000:
                    msg = msg[:3000] + "\n[...]\n" + msg[-3000:]
                pytest.fail(f"compilation of {case.id} failed:\n{msg}",
                            pytrace=False)
            half = len(cases) // 2
            cases = cases[:half] if case in cases[:half] else cases[half:]

    def call(self, case, group=None, data=None, cflags=None):
        """Runs `case` (inputs from `data` or its seed).

        Returns (func, inputs, results, clobbered): results in the order of
        `func.results`; `clobbered` lists the inputs whose buffers the kernel
        wrote (it gets copies, so `inputs` hold the original values).
        """
        func, names = case.build(data)
        fn = self.module(case, group, cflags)[case.fname]
        args = [a.copy() for a in func.arrays]
        out = fn(*args)
        if not isinstance(out, tuple):
            out = (out,)
        clobbered = [name for name, before, after in
                     zip(names, func.arrays, args)
                     if not np.array_equal(before.view(np.uint8),
                                           after.view(np.uint8))]
        return func, dict(zip(names, func.arrays)), list(out), clobbered


_RUNNER = Runner()


@pytest.fixture(scope="session")
def runner():
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    return _RUNNER


def pytest_collection_finish(session):
    """Compiles every group needed by the selected tests, in parallel."""
    if SKIP_REASON or session.config.option.collectonly:
        return
    groups = {}
    for item in session.items:
        case = getattr(item, "callspec", None) and item.callspec.params.get(
            "case")
        group_of = getattr(item.module, "group_of", None)
        if isinstance(case, case_lib.Case) and group_of is not None:
            group = tuple(group_of(case))
            cflags = getattr(item.module, "CFLAGS", None)
            groups[(case_lib.module_text(group), cflags)] = (group, cflags)
    jobs = int(os.environ.get("NORM_TEST_JOBS", os.cpu_count() or 1))
    _RUNNER.precompile(list(groups.values()), jobs)
