"""Data normalization for ML pipelines, fitted on the training split only.

    from norm_mlir.data import Standardizer
    sc = Standardizer().fit(x_train, split="train")   # norm.moments
    x_val = sc.transform(x_val)                        # norm.standardize
    sc.save("scaler.npz"); sc = Standardizer.load("scaler.npz")

Statistics are computed and applied by compiled norm programs
(norm.moments / norm.min_max to fit; norm.standardize / norm.min_max_scale /
norm.image_normalize to apply; see norm_mlir.ops), on numpy arrays or CPU
DLPack tensors, without copying C-contiguous float inputs.

Fitting on an evaluation split leaks its statistics into the model, so
``fit`` refuses a split named validation or test (``split="val"`` /
``"validation"`` / ``"test"`` / ...) with a ValueError, and so does fitting
data marked with :func:`mark_split`. :class:`TextNormalizer` (Unicode
normalization, case folding, whitespace cleanup) has the same interface and
rule although it learns nothing from the data.
"""

import json
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import ops

#: Split names fit() accepts.
TRAIN_SPLITS = frozenset({"train", "training"})
#: Split names fit() refuses: they are for evaluation only.
EVAL_SPLITS = frozenset({"val", "valid", "validation", "dev", "test",
                         "testing", "eval", "evaluation", "holdout"})


class SplitArray(np.ndarray):
    """A numpy array marked with the dataset split it comes from."""

    split: Optional[str] = None

    def __array_finalize__(self, obj):
        self.split = getattr(obj, "split", None)


def mark_split(data, split: str) -> SplitArray:
    """View `data` as an array marked with `split` (no copy)."""
    arr = ops.as_array(data).view(SplitArray)
    arr.split = _normalize_split(split)
    return arr


def _normalize_split(split: str) -> str:
    if not isinstance(split, str):
        raise TypeError(f"split must be a string, got {type(split).__name__}")
    return split.strip().lower()


def check_fit_split(split: Optional[str], data=None) -> str:
    """The split to fit on, or a ValueError for an evaluation split."""
    marked = getattr(data, "split", None)
    if not isinstance(marked, str):  # e.g. torch.Tensor.split, str.split
        marked = None
    names = [_normalize_split(s) for s in (split, marked) if s is not None]
    for name in names:
        if name in EVAL_SPLITS:
            raise ValueError(
                f"refusing to fit on the {name!r} split: normalization "
                "statistics must be fitted on the training split only (fitting "
                "on validation/test data leaks it into the model); fit on "
                "split='train' and apply transform() to the other splits")
        if name not in TRAIN_SPLITS:
            raise ValueError(f"unknown split {name!r}: fit() accepts "
                             f"{sorted(TRAIN_SPLITS)}")
    return names[0] if names else "train"


def _float_array(data, dtype=None) -> np.ndarray:
    arr = ops.as_array(data)
    if isinstance(arr, SplitArray):
        arr = arr.view(np.ndarray)
    if dtype is not None:
        return np.ascontiguousarray(arr, dtype=dtype)
    if arr.dtype.kind != "f":
        return np.ascontiguousarray(arr, dtype=np.float32)
    return arr


class _Normalizer:
    """fit/transform/save/load shared by the normalizers."""

    #: Names of the fitted arrays (saved with the parameters).
    _STATE: Tuple[str, ...] = ()

    def __init__(self):
        self.fitted_split_: Optional[str] = None

    # Subclasses implement _params() -> dict of constructor arguments.
    def _params(self) -> Dict:
        raise NotImplementedError

    @property
    def is_fitted(self) -> bool:
        return self.fitted_split_ is not None

    def _require_fitted(self):
        if not self.is_fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call "
                               "fit(train_data, split='train') or load() first")

    def fit_transform(self, data, split: Optional[str] = "train", **kwargs):
        return self.fit(data, split=split).transform(data, **kwargs)

    def __call__(self, data, **kwargs):
        return self.transform(data, **kwargs)

    # -- Persistence ---------------------------------------------------------

    def save(self, path: Union[str, Path]) -> Path:
        """Save parameters and fitted state: JSON for a `.json` path, else
        a numpy `.npz` archive."""
        self._require_fitted()
        path = Path(path)
        meta = {"class": type(self).__name__, "params": self._params(),
                "fitted_split": self.fitted_split_}
        state = {k: np.asarray(getattr(self, k)) for k in self._STATE}
        if path.suffix == ".json":
            meta["state"] = {k: {"dtype": v.dtype.str, "shape": list(v.shape),
                                 "data": v.ravel().tolist()}
                             for k, v in state.items()}
            path.write_text(json.dumps(meta, indent=1))
        else:
            with open(path, "wb") as f:  # keep the name (savez adds .npz)
                np.savez(f, __meta__=np.array(json.dumps(meta)), **state)
        return path

    @classmethod
    def load(cls, path: Union[str, Path]):
        """Load an object saved by :meth:`save` (checks its class)."""
        obj = load(path)
        if not isinstance(obj, cls):
            raise TypeError(f"{path} holds a {type(obj).__name__}, not a "
                            f"{cls.__name__}")
        return obj

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        state = "fitted" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({params}) [{state}]"


def load(path: Union[str, Path]) -> "_Normalizer":
    """Load any normalizer saved with ``save``."""
    path = Path(path)
    if path.suffix == ".json":
        meta = json.loads(path.read_text())
        state = {k: np.asarray(v["data"], dtype=np.dtype(v["dtype"]))
                 .reshape(v["shape"]) for k, v in meta.get("state", {}).items()}
    else:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
            state = {k: z[k] for k in z.files if k != "__meta__"}
    classes = {c.__name__: c for c in (Standardizer, MinMaxScaler,
                                      ImageNormalizer, TextNormalizer)}
    if meta.get("class") not in classes:
        raise ValueError(f"{path}: unknown normalizer {meta.get('class')!r}")
    cls = classes[meta["class"]]
    obj = cls(**meta["params"])
    for k in cls._STATE:
        setattr(obj, k, state[k])
    obj.fitted_split_ = meta["fitted_split"]
    return obj


class Standardizer(_Normalizer):
    """Per-feature standardization ``(x - mean) / std`` (scikit-learn's
    StandardScaler): statistics over `axes` (default: the samples axis 0)
    with `correction` degrees of freedom (0: population std)."""

    _STATE = ("mean_", "std_")

    def __init__(self, axes: Sequence[int] = (0,), correction: int = 0):
        super().__init__()
        self.axes = [int(a) for a in axes]
        self.correction = int(correction)
        self.mean_: Optional[np.ndarray] = None
        self.std_: Optional[np.ndarray] = None

    def _params(self):
        return {"axes": self.axes, "correction": self.correction}

    def fit(self, data, split: Optional[str] = "train") -> "Standardizer":
        """Compute mean/std of the training split with norm.moments."""
        name = check_fit_split(split, data)
        x = _float_array(data)
        self.mean_, self.std_ = ops.moments(x, self.axes,
                                            correction=self.correction or None)
        self.fitted_split_ = name
        return self

    def transform(self, data, out=None):
        """Standardize any split with norm.standardize (into `out` if given)."""
        self._require_fitted()
        x = _float_array(data)
        return ops.standardize(x, self.mean_.astype(x.dtype, copy=False),
                               self.std_.astype(x.dtype, copy=False),
                               self.axes, out=out)

    def inverse_transform(self, data):
        self._require_fitted()
        x = _float_array(data)
        shape = [1 if i in _pos(self.axes, x.ndim) else d
                 for i, d in enumerate(x.shape)]
        # A constant feature was divided by 1, not by its std of 0 (as
        # norm.standardize and scikit-learn do): multiply it back by 1.
        std = np.where(self.std_ == 0, 1, self.std_)
        return x * std.reshape(shape) + self.mean_.reshape(shape)


class MinMaxScaler(_Normalizer):
    """Per-feature scaling to `feature_range` with the training min/max
    (scikit-learn's MinMaxScaler: a constant feature's width is taken as 1,
    so its training values map to the range's low end)."""

    _STATE = ("min_", "max_")

    def __init__(self, feature_range: Sequence[float] = (0.0, 1.0),
                 axes: Sequence[int] = (0,)):
        super().__init__()
        lo, hi = (float(v) for v in feature_range)
        if not lo < hi:
            raise ValueError(f"feature_range {feature_range} must be increasing")
        self.feature_range = [lo, hi]
        self.axes = [int(a) for a in axes]
        self.min_: Optional[np.ndarray] = None
        self.max_: Optional[np.ndarray] = None

    def _params(self):
        return {"feature_range": self.feature_range, "axes": self.axes}

    def fit(self, data, split: Optional[str] = "train") -> "MinMaxScaler":
        """Compute min/max of the training split with norm.min_max."""
        name = check_fit_split(split, data)
        self.min_, self.max_ = ops.min_max(_float_array(data), self.axes)
        self.fitted_split_ = name
        return self

    def transform(self, data, out=None):
        """Scale any split with norm.min_max_scale (into `out` if given)."""
        self._require_fitted()
        x = _float_array(data)
        lo, hi = self.feature_range
        return ops.min_max_scale(x, self.min_.astype(x.dtype, copy=False),
                                 self.max_.astype(x.dtype, copy=False),
                                 self.axes,
                                 range_min=lo if lo != 0.0 else None,
                                 range_max=hi if hi != 1.0 else None, out=out)


class ImageNormalizer(_Normalizer):
    """Per-channel image normalization ``(x * scale - mean[c]) / std[c]``.

    `layout` is "nchw" (also chw) or "nhwc" (also hwc). `scale` defaults to
    1/255 for uint8/int8 images and 1 for float ones. Either give `mean` and
    `std` (e.g. the ImageNet constants; then no fit is needed) or fit them
    per channel on the training images (scaled images through
    norm.image_normalize, then norm.moments)."""

    _STATE = ("mean_", "std_")
    IMAGENET_MEAN = (0.485, 0.456, 0.406)
    IMAGENET_STD = (0.229, 0.224, 0.225)

    def __init__(self, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, layout: str = "nchw",
                 scale: Optional[float] = None, dtype: str = "float32"):
        super().__init__()
        if layout not in ("nchw", "nhwc"):
            raise ValueError(f"layout must be 'nchw' or 'nhwc', got {layout!r}")
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std, or neither (then fit)")
        self.layout = layout
        self.scale = None if scale is None else float(scale)
        self.dtype = np.dtype(dtype).name
        self.mean_ = self.std_ = None
        if mean is not None:
            self.mean_ = np.asarray(mean, dtype=self.dtype)
            self.std_ = np.asarray(std, dtype=self.dtype)
            _check_channel_stats(self.mean_, self.std_)
            self.fitted_split_ = "given"

    def _params(self):
        return {"layout": self.layout, "scale": self.scale, "dtype": self.dtype}

    def _scale_for(self, x: np.ndarray) -> Optional[float]:
        if self.scale is not None:
            return self.scale
        return 1.0 / 255.0 if x.dtype.kind in "iu" else None

    def _channel_axis(self, ndim: int) -> int:
        if ndim not in (3, 4):
            raise ValueError(f"images must be CHW/HWC or NCHW/NHWC, got rank {ndim}")
        return ndim - 1 if self.layout == "nhwc" else ndim - 3

    def fit(self, data, split: Optional[str] = "train") -> "ImageNormalizer":
        """Per-channel mean/std of the (scaled) training images."""
        name = check_fit_split(split, data)
        x = _image_array(data)
        c = self._channel_axis(x.ndim)
        zeros = np.zeros(x.shape[c], self.dtype)
        scaled = ops.image_normalize(x, zeros, np.ones_like(zeros),
                                     layout=self.layout, scale=self._scale_for(x))
        axes = [i for i in range(x.ndim) if i != c]
        mean, std = ops.moments(scaled, axes)
        # A constant channel (a blank one) is shifted only, as the
        # Standardizer treats constant features: dividing by its std of 0
        # made every image's channel inf or NaN.
        self.mean_, self.std_ = mean, np.where(std == 0, 1, std).astype(
            std.dtype)
        self.fitted_split_ = name
        return self

    def transform(self, data, out=None):
        """Normalize images of any split with norm.image_normalize."""
        self._require_fitted()
        _check_channel_stats(self.mean_, self.std_)
        x = _image_array(data)
        self._channel_axis(x.ndim)
        return ops.image_normalize(x, self.mean_, self.std_, layout=self.layout,
                                   scale=self._scale_for(x), out=out)


def _check_channel_stats(mean: np.ndarray, std: np.ndarray) -> None:
    """Per-channel mean and std: two vectors of one length, std positive
    (torchvision's Normalize refuses a std of 0 too)."""
    if mean.ndim != 1 or std.shape != mean.shape:
        raise ValueError(f"mean and std must be vectors of one length (a "
                         f"value per channel), got shapes {mean.shape} and "
                         f"{std.shape}")
    if not np.all(std > 0):
        raise ValueError(f"std must be positive in every channel, got {std}")


def _image_array(data) -> np.ndarray:
    arr = ops.as_array(data)
    if isinstance(arr, SplitArray):
        arr = arr.view(np.ndarray)
    if arr.dtype == np.bool_ or arr.dtype.kind not in "fiu":
        raise TypeError(f"images must be uint8/int8 or float, got {arr.dtype}")
    if arr.dtype.kind in "iu" and arr.dtype.itemsize != 1:
        raise TypeError(f"integer images must be 8-bit, got {arr.dtype}")
    return arr


def _pos(axes, ndim):
    return {a + ndim if a < 0 else a for a in axes}


class TextNormalizer(_Normalizer):
    """Unicode text cleanup under the fit/transform interface.

    `form`: Unicode normalization form ("NFC", "NFKC", "NFD", "NFKD" or
    None); `casefold`: full Unicode case folding (str.casefold, e.g. "ß" ->
    "ss"); `collapse_whitespace`: every run of Unicode whitespace becomes one
    space; `strip`: trim both ends. ``fit`` learns nothing but enforces the
    training-split rule like the numeric normalizers."""

    _STATE = ()
    FORMS = ("NFC", "NFKC", "NFD", "NFKD")

    def __init__(self, form: Optional[str] = "NFKC", casefold: bool = True,
                 collapse_whitespace: bool = True, strip: bool = True):
        super().__init__()
        if form is not None and form not in self.FORMS:
            raise ValueError(f"form must be one of {self.FORMS} or None")
        self.form = form
        self.casefold = bool(casefold)
        self.collapse_whitespace = bool(collapse_whitespace)
        self.strip = bool(strip)

    def _params(self):
        return {"form": self.form, "casefold": self.casefold,
                "collapse_whitespace": self.collapse_whitespace,
                "strip": self.strip}

    def fit(self, texts=None, split: Optional[str] = "train") -> "TextNormalizer":
        self.fitted_split_ = check_fit_split(split, texts)
        return self

    def normalize(self, text: str) -> str:
        """Normalize one string."""
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        if self.form:
            text = unicodedata.normalize(self.form, text)
        if self.casefold:
            text = text.casefold()
            if self.form:  # folding can denormalize (e.g. U+0130)
                text = unicodedata.normalize(self.form, text)
        if self.collapse_whitespace:
            text = " ".join(text.split()) if self.strip else _collapse(text)
        elif self.strip:
            text = text.strip()
        return text

    def transform(self, texts: Union[str, Iterable[str]]):
        """Normalize a string, or each string of an iterable (a list)."""
        self._require_fitted()
        if isinstance(texts, str):
            return self.normalize(texts)
        return [self.normalize(t) for t in texts]


def _collapse(text: str) -> str:
    out: List[str] = []
    in_space = False
    for ch in text:
        if ch.isspace():
            if not in_space:
                out.append(" ")
            in_space = True
        else:
            out.append(ch)
            in_space = False
    return "".join(out)
