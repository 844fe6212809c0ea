"""Data normalization fitted on a training split spread over MPI processes:
the shard-annotated module, the inputs (the same on every rank, from a
seed), how the ranks split them, and the float64 numpy reference over the
whole data.

@fit: the training table's per-feature moments (sample std) and min/max,
which standardize and min-max scale each rank's validation rows; the
per-channel statistics (batch_stats) of an f16 activation batch; the
moments of a bf16 table far from zero (fitted in f32 on every rank); and
the images of each rank normalized with fixed channel mean/std. Every split
dimension is dynamic: each rank passes its own rows, so the splits may be
uneven and a rank may have none (it must add nothing to the statistics).
"""

import numpy as np

FEATURES = 5
TRAIN_ROWS, VAL_ROWS, BATCH, IMAGES, HALF_ROWS = 23, 9, 10, 6, 40

#: Rows of (train, val, batch, images, half) on each rank, per rank count.
SPLITS = {
    2: [(23, 4, 10, 3, 13), (0, 5, 0, 3, 27)],
    4: [(6, 0, 3, 1, 13), (0, 3, 0, 2, 0), (9, 2, 4, 0, 20), (8, 4, 3, 3, 7)],
}

#: @fit's results: the fitted statistics (the same on every rank), then
#: each rank's rows.
REPLICATED = ["mean", "std", "lo", "hi", "count", "bmean", "m2", "hmean",
              "hstd"]
SPLIT = ["standardized", "scaled", "images"]


def module_text(ranks):
    t = f"tensor<?x{FEATURES}xf32>"
    s = f"tensor<{FEATURES}xf32>"
    b = "tensor<?x4x3xf16>"
    img_in, img_out = "tensor<?x4x4x3xui8>", "tensor<?x4x4x3xf32>"
    c = "tensor<3xf32>"
    h, hs = "tensor<?x3xbf16>", "tensor<3xbf16>"
    results = [s, s, s, s, "tensor<f32>", "tensor<4xf32>", "tensor<4xf32>",
               hs, hs, t, t, img_out]
    return f"""
module attributes {{dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}} {{
  shard.grid @data(shape = {ranks}) {{sym_visibility = "private"}}
  func.func @fit(%train: {t}, %val: {t}, %batch: {b}, %img: {img_in},
                 %half: {h}, %img_mean: {c}, %img_std: {c})
      -> ({", ".join(results)})
      attributes {{llvm.emit_c_interface}} {{
    %split = shard.sharding @data split_axes = [[0]] : !shard.sharding
    %trains = shard.shard %train to %split : {t}
    %vals = shard.shard %val to %split : {t}
    %batchs = shard.shard %batch to %split : {b}
    %imgs = shard.shard %img to %split : {img_in}
    %halfs = shard.shard %half to %split : {h}
    %mean, %std = norm.moments %trains axes = [0] correction = 1 : {t} -> {s}
    %lo, %hi = norm.min_max %trains axes = [0] : {t} -> {s}
    %z = norm.standardize %vals, %mean, %std axes = [0] : {t}, {s}
    %m = norm.min_max_scale %vals, %lo, %hi axes = [0] range_min = -1.0 : {t}, {s}
    %n, %bmean, %m2 = norm.batch_stats %batchs : {b} -> tensor<f32>, tensor<4xf32>
    %hmean, %hstd = norm.moments %halfs axes = [0] correction = 1 : {h} -> {hs}
    %y = norm.image_normalize %imgs, %img_mean, %img_std layout = nhwc
        scale = 0.00392156862745098 : {img_in}, {c} -> {img_out}
    %zs = shard.shard %z to %split : {t}
    %ms = shard.shard %m to %split : {t}
    %ys = shard.shard %y to %split : {img_out}
    return %mean, %std, %lo, %hi, %n, %bmean, %m2, %hmean, %hstd, %zs, %ms,
        %ys
        : {", ".join(results)}
  }}
}}
"""


def make_inputs(seed=0):
    """train (far from zero: the merged variance must not cancel), val,
    an f16 batch, u8 images, a bf16 table (far from zero too) and the
    images' channel mean/std."""
    rng = np.random.default_rng(seed)
    train = (rng.standard_normal((TRAIN_ROWS, FEATURES)) * 3.0
             + 1000.0).astype(np.float32)
    val = (rng.standard_normal((VAL_ROWS, FEATURES)) * 3.0
           + 1000.0).astype(np.float32)
    batch = (rng.standard_normal((BATCH, 4, 3)) + 2.0).astype(np.float16)
    img = rng.integers(0, 256, (IMAGES, 4, 4, 3), dtype=np.uint8)
    import ml_dtypes
    half = (rng.standard_normal((HALF_ROWS, 3)) * 2.0 + 1000.0).astype(
        ml_dtypes.bfloat16)
    img_mean = np.array([0.485, 0.456, 0.406], np.float32)
    img_std = np.array([0.229, 0.224, 0.225], np.float32)
    return train, val, batch, img, half, img_mean, img_std


def rank_parts(inputs, ranks, rank):
    """This rank's rows of the five split inputs, and the channel mean/std."""
    parts = []
    for i, array in enumerate(inputs[:5]):
        begin = sum(SPLITS[ranks][r][i] for r in range(rank))
        parts.append(np.ascontiguousarray(
            array[begin:begin + SPLITS[ranks][rank][i]]))
    return parts + list(inputs[5:])


def reference(train, val, batch, img, half, img_mean, img_std):
    train, val = train.astype(np.float64), val.astype(np.float64)
    mean, std = train.mean(0), train.std(0, ddof=1)
    lo, hi = train.min(0), train.max(0)
    b = batch.astype(np.float64)
    bmean = b.mean((0, 2))
    return {
        "mean": mean, "std": std, "lo": lo, "hi": hi,
        "count": np.float64(b.size // 4), "bmean": bmean,
        "m2": ((b - bmean[None, :, None]) ** 2).sum((0, 2)),
        "hmean": half.astype(np.float64).mean(0),
        "hstd": half.astype(np.float64).std(0, ddof=1),
        "standardized": (val - mean) / std,
        "scaled": (val - lo) / (hi - lo) * 2.0 - 1.0,
        "images": (img / 255.0 - img_mean) / img_std,
    }
