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
cases compiled together) and every group is compiled once, in parallel,
before the first test; a group that fails to compile is retried case by case
so that the error is reported against the case that causes it.
"""

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
        self._modules = {}  # module text hash -> CompiledModule | Exception

    @staticmethod
    def _key(text):
        return hashlib.sha256(text.encode()).hexdigest()

    def _compile(self, text):
        key = self._key(text)
        if key not in self._modules:
            try:
                self._modules[key] = norm_mlir.compile_mlir(
                    text, opt=OPT, pipeline=PIPELINE)
            except Exception as err:  # noqa: BLE001 - reported per case
                self._modules[key] = err
        return self._modules[key]

    def precompile(self, groups, jobs):
        texts = {self._key(t): t for t in
                 (case_lib.module_text(g) for g in groups)}
        todo = [t for k, t in texts.items() if k not in self._modules]
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(self._compile, todo))

    def module(self, case, group=None):
        """The compiled module holding `case` (its group if it compiles)."""
        if group:
            mod = self._compile(case_lib.module_text(group))
            if not isinstance(mod, Exception):
                return mod
        mod = self._compile(case_lib.module_text([case]))
        if isinstance(mod, Exception):
            msg = str(mod)
            if len(msg) > 6000:
                msg = msg[:3000] + "\n[...]\n" + msg[-3000:]
            pytest.fail(f"compilation of {case.id} failed:\n{msg}",
                        pytrace=False)
        return mod

    def call(self, case, group=None, data=None):
        """Runs `case` (inputs from `data` or its seed).

        Returns (func, inputs, results) with results a list in the order of
        `func.results`.
        """
        func, names = case.build(data)
        fn = self.module(case, group)[case.fname]
        out = fn(*func.arrays)
        if not isinstance(out, tuple):
            out = (out,)
        return func, dict(zip(names, func.arrays)), list(out)


_RUNNER = Runner()


@pytest.fixture(scope="session")
def runner():
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    return _RUNNER


def pytest_collection_modifyitems(session, config, items):
    """Compiles every group needed by the selected tests, in parallel."""
    if SKIP_REASON or config.option.collectonly:
        return
    groups = {}
    for item in items:
        case = getattr(item, "callspec", None) and item.callspec.params.get(
            "case")
        group_of = getattr(item.module, "group_of", None)
        if isinstance(case, case_lib.Case) and group_of is not None:
            group = tuple(group_of(case))
            groups[case_lib.module_text(group)] = group
    jobs = int(os.environ.get("NORM_TEST_JOBS", os.cpu_count() or 1))
    _RUNNER.precompile(list(groups.values()), jobs)
