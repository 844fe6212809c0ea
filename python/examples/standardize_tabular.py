"""Standardize a tabular dataset with compiled norm programs.

Fits a Standardizer (norm.moments) and a MinMaxScaler (norm.min_max) on the
training split only, applies them (norm.standardize / norm.min_max_scale) to
the train, validation and test splits, checks the results against numpy,
shows that fitting on the test split is refused, and saves/reloads the
fitted scaler.

    NORM_BUILD_DIR=build python3 python/examples/standardize_tabular.py
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import norm_mlir  # noqa: F401  (installed with pip)
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from norm_mlir.data import MinMaxScaler, Standardizer, mark_split  # noqa: E402


def main() -> int:
    rng = np.random.default_rng(0)
    n_features = 8
    scale = rng.uniform(0.1, 100.0, n_features)
    shift = rng.uniform(-50.0, 50.0, n_features)
    table = (rng.standard_normal((10_000, n_features)) * scale + shift).astype(np.float32)
    train = mark_split(table[:8_000], "train")
    val = mark_split(table[8_000:9_000], "val")
    test = mark_split(table[9_000:], "test")

    scaler = Standardizer().fit(train, split="train")
    z_train, z_val, z_test = (scaler.transform(s) for s in (train, val, test))

    tr = np.asarray(train, np.float64)
    mu, sd = tr.mean(0), tr.std(0)
    err = max(np.abs(z - (np.asarray(s) - mu) / sd).max()
              for z, s in ((z_train, train), (z_val, val), (z_test, test)))
    print(f"standardizer: train mean {np.abs(z_train.mean(0)).max():.2e}, "
          f"train std {z_train.std(0).min():.4f}..{z_train.std(0).max():.4f}, "
          f"max |error| vs numpy on all splits {err:.2e}")

    mm = MinMaxScaler(feature_range=(-1.0, 1.0)).fit(train)
    s_test = mm.transform(test)
    ref = (np.asarray(test) - tr.min(0)) / (tr.max(0) - tr.min(0)) * 2 - 1
    mm_err = np.abs(s_test - ref).max()
    print(f"min-max scaler: train range [{mm.transform(train).min():.3f}, "
          f"{mm.transform(train).max():.3f}], max |error| on test {mm_err:.2e}")

    try:
        Standardizer().fit(test)
        refused = False
    except ValueError as err_msg:
        refused = True
        print(f"fit on the test split refused: {err_msg}")

    with tempfile.TemporaryDirectory() as tmp:
        path = scaler.save(Path(tmp) / "standardizer.npz")
        again = Standardizer.load(path).transform(test)
    same = np.array_equal(again, z_test)
    print(f"saved and reloaded: identical test output: {same}")

    ok = err < 1e-3 and mm_err < 1e-4 and refused and same
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
