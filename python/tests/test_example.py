"""The runnable example in python/examples/ runs and passes its own checks."""

import os
import subprocess
import sys
from pathlib import Path

from norm_env import NORM_OPT, requires_norm_opt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@requires_norm_opt
def test_standardize_tabular(tmp_path):
    env = dict(os.environ, NORM_OPT=NORM_OPT,
               NORM_MLIR_CACHE=os.environ.get("NORM_MLIR_CACHE", str(tmp_path)))
    proc = subprocess.run([sys.executable, str(EXAMPLES / "standardize_tabular.py")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("OK")
    assert "refused" in proc.stdout
