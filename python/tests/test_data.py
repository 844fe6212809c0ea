"""norm_mlir.data: normalizers fitted on the training split only, applied
through compiled norm programs, saved and loaded."""

import numpy as np
import pytest

from norm_mlir import data
from norm_mlir.data import (ImageNormalizer, MinMaxScaler, Standardizer,
                            TextNormalizer, mark_split)

from norm_env import _session_cache, requires_norm_opt  # noqa: F401

RNG = np.random.default_rng(1)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=tol, atol=tol)


@pytest.fixture(scope="module")
def splits():
    scale = np.array([1.0, 10.0, 0.1, 5.0], np.float32)
    make = lambda n: (RNG.standard_normal((n, 4)) * scale + 3).astype(np.float32)  # noqa: E731
    return {"train": make(200), "val": make(50), "test": make(50)}


# -- Split rule (no compilation needed) --------------------------------------


@pytest.mark.parametrize("cls", [Standardizer, MinMaxScaler, ImageNormalizer,
                                 TextNormalizer])
@pytest.mark.parametrize("split", ["val", "validation", "test", "eval", "Test"])
def test_fit_refuses_eval_split(cls, split):
    sample = ["a"] if cls is TextNormalizer else np.zeros((2, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match="training split only"):
        cls().fit(sample, split=split)


def test_fit_refuses_marked_split():
    x = mark_split(np.zeros((4, 2), np.float32), "validation")
    assert x.split == "validation"
    with pytest.raises(ValueError, match="'validation' split"):
        Standardizer().fit(x)
    with pytest.raises(ValueError, match="'test' split"):
        Standardizer().fit(mark_split(x, "test"), split="train")
    with pytest.raises(ValueError, match="unknown split"):
        Standardizer().fit(x, split="trian")


def test_transform_needs_fit():
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(np.zeros((2, 2), np.float32))


# -- Numeric normalizers -----------------------------------------------------


@requires_norm_opt
def test_standardizer(splits, tmp_path):
    sc = Standardizer().fit(mark_split(splits["train"], "train"))
    tr = splits["train"].astype(np.float64)
    close(sc.mean_, tr.mean(0))
    close(sc.std_, tr.std(0), 1e-4)
    for name in ("train", "val", "test"):
        close(sc.transform(splits[name]),
              (splits[name] - tr.mean(0)) / tr.std(0), 1e-4)
    y = sc.transform(splits["train"])
    close(y.mean(0), 0, 1e-4)
    close(y.std(0), 1, 1e-4)
    # Into a preallocated output, without allocating.
    out = np.empty_like(splits["val"])
    assert sc.transform(splits["val"], out=out) is out
    for suffix in (".npz", ".json"):
        path = sc.save(tmp_path / f"scaler{suffix}")
        back = Standardizer.load(path)
        assert back.fitted_split_ == "train" and back.axes == [0]
        np.testing.assert_array_equal(back.mean_, sc.mean_)
        np.testing.assert_array_equal(back.std_, sc.std_)
        np.testing.assert_array_equal(back.transform(splits["test"]),
                                      sc.transform(splits["test"]))
    with pytest.raises(TypeError, match="not a MinMaxScaler"):
        MinMaxScaler.load(tmp_path / "scaler.npz")


@requires_norm_opt
def test_standardizer_constant_feature_and_ints():
    x = np.array([[1, 5], [3, 5], [5, 5]], np.int64)
    sc = Standardizer(correction=1).fit(x)
    close(sc.std_, [2.0, 0.0])
    close(sc.transform(x), [[-1, 0], [0, 0], [1, 0]])  # std 0: centred only


@requires_norm_opt
def test_min_max_scaler(splits, tmp_path):
    tr = splits["train"]
    sc = MinMaxScaler(feature_range=(-1, 1)).fit(tr, split="train")
    close(sc.min_, tr.min(0), 0)
    close(sc.max_, tr.max(0), 0)
    y = sc.transform(tr)
    close(y.min(0), -1)
    close(y.max(0), 1)
    t = splits["test"]
    close(sc.transform(t), (t - tr.min(0)) / (tr.max(0) - tr.min(0)) * 2 - 1, 1e-4)
    back = data.load(sc.save(tmp_path / "mm.npz"))
    assert isinstance(back, MinMaxScaler) and back.feature_range == [-1.0, 1.0]
    np.testing.assert_array_equal(back.transform(t), sc.transform(t))


@requires_norm_opt
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_image_normalizer_fit(layout, tmp_path):
    imgs = RNG.integers(0, 256, (6, 3, 5, 4), dtype=np.uint8)
    if layout == "nhwc":
        imgs = np.ascontiguousarray(imgs.transpose(0, 2, 3, 1))
    caxis = 1 if layout == "nchw" else 3
    axes = tuple(i for i in range(4) if i != caxis)
    norm = ImageNormalizer(layout=layout).fit(imgs, split="train")
    f = imgs / 255.0
    close(norm.mean_, f.mean(axes))
    close(norm.std_, f.std(axes))
    shape = [1, 1, 1, 1]
    shape[caxis] = 3
    y = norm.transform(imgs)
    assert y.dtype == np.float32
    close(y, (f - f.mean(axes).reshape(shape)) / f.std(axes).reshape(shape), 1e-4)
    back = ImageNormalizer.load(norm.save(tmp_path / "img.json"))
    np.testing.assert_array_equal(back.transform(imgs), y)
    # A single CHW/HWC image uses the same statistics.
    close(norm.transform(imgs[0]), y[0])


@requires_norm_opt
def test_image_normalizer_imagenet():
    norm = ImageNormalizer(ImageNormalizer.IMAGENET_MEAN,
                           ImageNormalizer.IMAGENET_STD)
    img = RNG.random((2, 3, 8, 8), dtype=np.float32)
    m = np.array(ImageNormalizer.IMAGENET_MEAN)[:, None, None]
    s = np.array(ImageNormalizer.IMAGENET_STD)[:, None, None]
    close(norm.transform(img), (img - m) / s)


# -- Text ---------------------------------------------------------------------


def test_text_normalizer(tmp_path):
    tn = TextNormalizer().fit(["whatever"], split="train")
    assert tn.transform("  Stra\u00dfe\t\u2003 \uff26\uff55\uff4c\uff4c\n") == "strasse full"
    assert tn.transform(["\ufb01ne", "Caf\u0065\u0301"]) == ["fine", "caf\u00e9"]
    nfc = TextNormalizer(form="NFC", casefold=False, strip=False).fit()
    assert nfc.transform(" A\u030a  \ufb01 ") == " \u00c5 \ufb01 "
    raw = TextNormalizer(form=None, casefold=False, collapse_whitespace=False,
                         strip=False).fit()
    assert raw.transform(" x  y ") == " x  y "
    back = TextNormalizer.load(nfc.save(tmp_path / "text.json"))
    assert back.form == "NFC" and not back.casefold
    assert back.transform(" A\u030a  b") == nfc.transform(" A\u030a  b")
    with pytest.raises(RuntimeError, match="not fitted"):
        TextNormalizer().transform("x")


@requires_norm_opt
def test_standardizer_inverse_of_constant_feature():
    """transform divides a constant feature by 1, so inverse_transform must
    multiply it by 1 (multiplying by its std of 0 gave the training mean
    for every value)."""
    x = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]], np.float32)
    sc = Standardizer().fit(x)
    t = np.array([[2.0, 9.0], [4.0, 5.0]], np.float32)
    close(sc.inverse_transform(sc.transform(t)), t, 1e-6)


@requires_norm_opt
def test_min_max_scaler_constant_feature_as_scikit_learn():
    """A constant feature's width is taken as 1 (scikit-learn's
    _handle_zeros_in_scale): y = lo + (x - min) * (hi - lo); its training
    values map to lo."""
    tr = np.array([[0.0, 1.0], [4.0, 1.0]], np.float32)
    sc = MinMaxScaler(feature_range=(-1, 1)).fit(tr)
    close(sc.transform(tr)[:, 1], [-1, -1], 0)
    x = np.array([[2.0, 3.0], [1.0, 0.5]], np.float32)
    close(sc.transform(x), [[0.0, -1 + 2 * 2.0], [-0.5, -1 + 2 * -0.5]], 1e-6)


@requires_norm_opt
def test_image_normalizer_zero_std():
    """A constant channel fitted is shifted only (std taken as 1, as the
    Standardizer does); a given std of 0 or mismatched lengths are refused
    (torchvision's Normalize refuses a zero std too)."""
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (4, 3, 5, 5)).astype(np.uint8)
    img[:, 1] = 7
    norm = ImageNormalizer().fit(img)
    close(norm.std_[1], 1.0, 0)
    y = norm.transform(img)
    assert np.all(np.isfinite(y))
    close(y[:, 1], 0.0, 1e-6)  # the centred constant, unscaled
    with pytest.raises(ValueError, match="std must be positive"):
        ImageNormalizer(mean=[0.5, 0.5, 0.5], std=[0.2, 0.0, 0.2])
    with pytest.raises(ValueError, match="one length"):
        ImageNormalizer(mean=[0.5, 0.5], std=[0.2, 0.2, 0.2])
