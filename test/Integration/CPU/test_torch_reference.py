"""Compiled kernels (and the numpy reference) against torch.nn.functional.

Skipped where torch is not importable (it is not installed by the project:
too big for a test dependency). Everything is f32 on the CPU; tolerance as
checks.py with rtol 1e-5.
"""

import numpy as np
import pytest

import cases as C
from checks import assert_close

torch = pytest.importorskip(
    "torch", reason="torch is not installed: no torch.nn.functional check")
F = torch.nn.functional

TORCH_ACT = {
    "none": lambda t: t,
    "relu": F.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
    "leaky_relu(0.2)": lambda t: F.leaky_relu(t, 0.2),
    "elu": lambda t: F.elu(t, 1.0),
    "elu(0.5)": lambda t: F.elu(t, 0.5),
    "gelu": lambda t: F.gelu(t),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu6": F.relu6,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "mish": F.mish,
}

CASES = []
for _act in C.ACTIVATIONS:
    CASES += [
        C.make_case("layer_norm", act=_act, tag="torch"),
        C.make_case("rms_norm", act=_act, tag="torch"),
        C.make_case("group_norm", act=_act, tag="torch"),
        C.make_case("batch_norm_inference", act=_act, tag="torch"),
        C.make_case("batch_norm_training", act=_act, tag="torch"),
    ]
CASES.append(C.make_case("spectral_norm", shape=(6, 9),
                         power_iterations=3, tag="torch"))
CFLAGS = None


def group_of(case):
    return [c for c in CASES if c.op == case.op]


def _t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float32).copy())


def torch_outputs(case, a):
    """The op computed with torch (f32), keyed like the case's results."""
    act = TORCH_ACT[case.act]
    # spectral_norm's operand is its weight matrix: no "input".
    x = _t(a["input"]) if "input" in a else None
    w = _t(a["weight"]) if "weight" in a else None
    b = _t(a["bias"]) if "bias" in a else None
    if case.op == "layer_norm":
        return {"output": act(F.layer_norm(x, x.shape[-1:], w, b, 1e-5))}
    if case.op == "rms_norm":
        return {"output": act(F.rms_norm(x, x.shape[-1:], w, 1e-6))}
    if case.op == "group_norm":
        return {"output": act(F.group_norm(x, 3, w, b, 1e-5))}
    if case.op == "batch_norm_inference":
        return {"output": act(F.batch_norm(
            x, _t(a["running_mean"]), _t(a["running_var"]), w, b,
            training=False, eps=1e-5))}
    if case.op == "batch_norm_training":
        rm, rv = _t(a["running_mean"]), _t(a["running_var"])
        y = act(F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1,
                             eps=1e-5))
        return {"output": y, "new_running_mean": rm, "new_running_var": rv}
    if case.op == "spectral_norm":
        # torch.nn.utils.spectral_norm with a given u: one power iteration
        # per forward in training mode, as the op with power_iterations.
        lin = torch.nn.Linear(9, 6, bias=False)
        with torch.no_grad():
            lin.weight.copy_(_t(a["weight"]))
        lin = torch.nn.utils.spectral_norm(lin, n_power_iterations=3,
                                           eps=1e-12)
        with torch.no_grad():
            lin.weight_u.copy_(_t(a["u"]))
        lin.train()
        lin(torch.zeros(1, 9))
        return {"output": lin.weight.detach(), "new_u": lin.weight_u}
    raise AssertionError(case.op)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reference_matches_torch(case):
    a = case.inputs()
    want = torch_outputs(case, a)
    got = case.reference(a)
    for name, value in want.items():
        assert_close(f"numpy reference vs torch: {name}", got[name],
                     value.numpy(), 1e-5, context=f"[{case.id}]")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_kernel_matches_torch(runner, case):
    func, inputs, got, _ = runner.call(case, group_of(case), cflags=CFLAGS)
    got = dict(zip((k for _, _, k in func.results), got))
    for name, value in torch_outputs(case, inputs).items():
        assert_close(f"kernel vs torch: {name}", got[name], value.numpy(),
                     1e-5, context=f"[{case.id}]")
