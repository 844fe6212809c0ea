"""Every norm op compiled for CPU against the float64 numpy reference.

The activation-normalization ops are parametrized over activation x residual
form (none / residual / residual + residual_sum) x stats results x element
type x static/dynamic shapes:

  * f32 with static shapes: the full product (every activation with every
    residual form and with and without statistics);
  * f32 dynamic, f16, bf16 (static and dynamic) and f64: every activation
    once, the residual form and the statistics cycling with the activation
    so that every combination of the two appears in each of these
    configurations (a covering design instead of the full product, to keep
    the compile time down).

Op attributes (axes, feature/channel axis and layout, groups, epsilon,
momentum, weight_offset, missing weight or bias) cycle through the variants
below in the same way. Tolerances: see checks.py and cases.RTOL.
"""

import itertools

import pytest

import cases as C
from checks import check_results

#: Attribute variants per op (cycled with the case index).
VARIANTS = {
    "layer_norm": [
        {},
        {"axes": (1, 2)},
        {"weight": False, "bias": False, "epsilon": 1e-3},
        {"bias": False, "shape": (3, 1023)},
        {"shape": (5, 3, 2, 8), "axes": (1, 2, 3)},
        # LayerNorm2d over the channels of NCHW: column tiles of 64 pixels
        # when static (norm-tile-and-fuse-rows), vectorized statistics.
        {"shape": (2, 24, 16, 16), "axes": (1,)},
        {"shape": (6, 5, 3), "axes": (0,)},
        # 130 pixels: with dynamic shapes, two full column tiles of 64 and a
        # partial one, each peeled (rows too: 3 of a tile of 8).
        {"shape": (3, 24, 10, 13), "axes": (1,)},
        # LayerNorm2d at 7 x 7: channel planes with the statistics per
        # pixel (a slice of them, repeated past the plane's 49 pixels).
        {"shape": (2, 32, 7, 7), "axes": (1,)},
        # 384 channels: column tiles of 64 pixels still (96 KiB over the
        # channels, within column-tile-bytes' 1 MiB).
        {"shape": (2, 384, 8, 8), "axes": (1,)},
    ],
    "rms_norm": [
        {},
        {"weight_offset": 1.0},
        {"weight": False, "epsilon": 1e-5},
        {"axes": (1, 2), "weight_offset": 0.5},
        {"shape": (3, 1023)},
        {"shape": (2, 4, 3, 32), "axes": (1, 2)},
    ],
    "batch_norm_inference": [
        {},
        {"shape": (3, 4, 7, 5), "feature_axis": 3},
        {"shape": (33, 5), "weight": False, "bias": False},
        {"epsilon": 1e-3, "bias": False},
        # NCHW planes of 8 x 6 = 48 (norm-collapse-inner-dims merges them).
        {"shape": (2, 3, 8, 6)},
        # 7 x 7 = 49 pixels, no multiple of a vector: vectors over the flat
        # plane of 32 channels (norm-vectorize-row-outputs, channel planes).
        {"shape": (2, 32, 7, 7)},
        # NHWC with 24 channels (no multiple of a vector): planes of W x C,
        # the per-channel values read as per-pixel ones of the plane's
        # innermost loop, repeated past its 24.
        {"shape": (2, 3, 2, 24), "feature_axis": 3},
    ],
    "batch_norm_training": [
        {},
        {"shape": (3, 4, 7, 5), "feature_axis": 3, "momentum": 0.25},
        {"shape": (33, 5), "weight": False, "bias": False},
        {"epsilon": 1e-3, "bias": False, "momentum": 1.0},
        {"shape": (2, 3, 37), "momentum": 0.0},
        {"shape": (2, 3, 8, 6), "momentum": 0.5},
        # 1024 channels: the running-statistics updates are tiled roots of
        # their own, which read the per-channel sums computed once.
        {"shape": (2, 1024, 3, 3), "momentum": 0.25},
        # 14 x 14 = 196 pixels: channel planes.
        {"shape": (2, 32, 14, 14), "momentum": 0.1},
        # 7 x 7: 196 bytes a channel and batch entry, summed batch entry by
        # batch entry across the tile's channels (norm-vectorize-row-outputs),
        # in statistics tiles of 16 channels for 1024 channels
        # (norm-tile-and-fuse-rows).
        {"shape": (2, 64, 7, 7), "momentum": 0.5},
        {"shape": (3, 1024, 7, 7), "momentum": 0.1},
    ],
    "inplace_abn": [
        {},
        {"shape": (3, 4, 7, 5), "feature_axis": 3, "momentum": 0.25},
        {"shape": (33, 5), "weight": False, "bias": False},
        {"shape": (2, 3, 8, 6)},
        {"shape": (2, 16, 7, 7)},  # channel planes
    ],
    "group_norm": [
        {},
        {"shape": (2, 5, 7, 6), "channel_axis": 3},
        {"groups": 6},  # instance norm
        {"groups": 1, "weight": False, "bias": False},
        {"shape": (3, 8, 37), "groups": 4, "epsilon": 1e-3},
        {"shape": (2, 3, 4, 8), "channel_axis": 3, "groups": 2},
        {"shape": (2, 4, 8, 6), "groups": 2},
        # Groups of 16 channels of 7 x 7: channel planes, the weight and
        # bias per channel, the statistics per group.
        {"shape": (2, 32, 7, 7), "groups": 2},
        # 8 x 8 pixels, collapsed to 64 (norm-collapse-inner-dims): the
        # result reaches the output through four reshapes, written in place.
        {"shape": (2, 32, 8, 8), "groups": 4},
    ],
}

#: Activations of inplace_abn must be invertible.
ABN_ACTIVATIONS = ("none", "leaky_relu", "leaky_relu(0.2)", "elu",
                   "elu(0.5)")
#: (element type, dynamic) configurations besides f32 static.
CONFIGS = [("f32", True), ("f16", False), ("f16", True), ("bf16", False),
           ("bf16", True), ("f64", False)]


def _combos(op):
    forms = C.RESIDUAL_FORMS if op != "inplace_abn" else ("nores",)
    stats = (False, True)
    if op in ("batch_norm_inference", "batch_norm_training", "inplace_abn"):
        stats = (False,)  # no optional statistics (training always has them)
    return list(itertools.product(forms, stats))


def activation_cases():
    cases = []
    for op, variants in VARIANTS.items():
        acts = ABN_ACTIVATIONS if op == "inplace_abn" else C.ACTIVATIONS
        combos = _combos(op)
        # f32 static: the full product.
        for i, (act, (form, stats)) in enumerate(
                itertools.product(acts, combos)):
            cases.append(C.make_case(op, "f32", False, act, form, stats,
                                     **variants[i % len(variants)]))
        # Other configurations: covering design.
        for elem, dyn in CONFIGS:
            n = max(len(acts), len(combos))
            for i in range(n):
                form, stats = combos[i % len(combos)]
                cases.append(C.make_case(op, elem, dyn, acts[i % len(acts)],
                                         form, stats,
                                         **variants[i % len(variants)]))
    return cases


def other_cases():
    cases = []
    for elem in C.FLOAT_TYPES:
        for dyn in (False, True):
            cases += [
                C.make_case("spectral_norm", elem, dyn),
                C.make_case("spectral_norm", elem, dyn, shape=(5, 9), dim=1,
                            power_iterations=3),
                C.make_case("spectral_norm", elem, dyn, shape=(4, 3, 5),
                            dim=2, power_iterations=2, epsilon=1e-8),
                C.make_case("moments", elem, dyn),
                C.make_case("moments", elem, dyn, shape=(4, 5, 6),
                            axes=(0, 2), correction=1),
                C.make_case("moments", elem, dyn, shape=(3, 1023), axes=(1,)),
                C.make_case("min_max", elem, dyn),
                C.make_case("min_max", elem, dyn, shape=(4, 5, 6),
                            axes=(1, 2)),
                C.make_case("standardize", elem, dyn),
                C.make_case("standardize", elem, dyn, shape=(4, 5, 6),
                            axes=(0, 2)),
                C.make_case("min_max_scale", elem, dyn),
                C.make_case("min_max_scale", elem, dyn, shape=(4, 5, 6),
                            axes=(1,), range_min=-1.0, range_max=1.0),
                C.make_case("image_normalize", elem, dyn,
                            scale=0.00392156862745098),
                C.make_case("image_normalize", elem, dyn, layout="nhwc",
                            scale=0.00392156862745098),
                C.make_case("image_normalize", elem, dyn, pixel="i8",
                            shape=(3, 6, 5), scale=0.00392156862745098),
                C.make_case("image_normalize", elem, dyn, pixel="ui8",
                            shape=(6, 5, 3), layout="nhwc"),
                C.make_case("image_normalize", elem, dyn, pixel=elem,
                            layout="nhwc"),
            ]
    return cases


#: Flags for clang: the runtime's default (-O3 -march=native) without loop
#: unrolling, which fully unrolls the small static shapes of this matrix and
#: multiplies the compile time by ~5 (13 s instead of 2.8 s of CPU for the 70
#: f32 layer_norm functions). Unrolling does not change the floating-point
#: operations; the edge-case tests use the runtime's default flags.
CFLAGS = ("-O3", "-march=native", "-fno-unroll-loops")

ACTIVATION_CASES = activation_cases()
OTHER_CASES = other_cases()

_GROUPS = {}
for _c in ACTIVATION_CASES + OTHER_CASES:
    _GROUPS.setdefault((_c.op, _c.elem), []).append(_c)


def group_of(case):
    """Cases compiled into one module: same op and element type."""
    return _GROUPS[(case.op, case.elem)]


def _check(runner, case):
    func, inputs, got, clobbered = runner.call(case, group_of(case),
                                               cflags=CFLAGS)
    check_results(case, func, got, case.reference(inputs))
    # Only inplace_abn may reuse its input buffer for the output.
    if case.op != "inplace_abn" and clobbered:
        raise AssertionError(
            f"[{case.id}] the kernel wrote into its input buffer(s) "
            f"{clobbered}: callers' arrays are modified (values are right)")


@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=lambda c: c.id)
def test_activation_norm(runner, case):
    _check(runner, case)


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda c: c.id)
def test_weight_and_data_norm(runner, case):
    _check(runner, case)
