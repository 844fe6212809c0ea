"""norm_mlir.compile: torch.nn.Module -> torch-mlir -> norm-opt -> CPU.

Needs torch and torch-mlir (skipped without them); ctest `pytest-torch` runs
it with the Python given by -DNORM_TORCH_PYTHON=... (see python/README.md).
Every module is compared with its own PyTorch forward on random data
(f32: max |y - y_ref| <= 1e-4 * max(1, |y_ref|)).
"""

import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed: norm_mlir.compile needs it "
    "(NORM_WITH_TORCH=1 bash scripts/setup.sh)")
pytest.importorskip(
    "torch_mlir", reason="torch-mlir is not installed: it is the importer "
    "norm_mlir.compile uses")
nn = torch.nn
F = torch.nn.functional

import norm_mlir  # noqa: E402
from norm_env import requires_norm_opt  # noqa: E402

pytestmark = requires_norm_opt


def _randomize(module, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() == 1 and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1 and name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(1.0 + 0.5 * torch.rand(b.shape, generator=g))
    return module.eval()


def _close(got, ref, rtol=1e-4):
    got, ref = got.detach().float(), ref.detach().float()
    assert got.shape == ref.shape
    err = ((got - ref).abs() / ref.abs().clamp(min=1.0)).max().item()
    assert err <= rtol, f"max relative error {err}"


class NormAct(nn.Module):
    def __init__(self, norm, act=None):
        super().__init__()
        self.norm, self.act = norm, act

    def forward(self, x):
        y = self.norm(x)
        return self.act(y) if self.act is not None else y


class PreNormMLP(nn.Module):
    """x + W2 silu(W1 rmsnorm(x)): a residual stream around a pre-norm."""

    def __init__(self, dim=64, hidden=96):
        super().__init__()
        self.norm = nn.RMSNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(F.silu(self.fc1(self.norm(x))))


class ConvBNReLU(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class QKNormAttention(nn.Module):
    def __init__(self, dim=64, heads=4):
        super().__init__()
        self.h, self.d = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.q_norm = nn.RMSNorm(self.d, eps=1e-6)
        self.k_norm = nn.RMSNorm(self.d, eps=1e-6)

    def forward(self, x):
        b, s, dim = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.h, self.d).unbind(2)
        q = self.q_norm(q).transpose(1, 2)
        k = self.k_norm(k).transpose(1, 2)
        y = F.softmax(q @ k.transpose(-1, -2) / self.d ** 0.5, dim=-1)
        return self.o((y @ v.transpose(1, 2)).transpose(1, 2).reshape(b, s, dim))


class LayerNorm2d(nn.Module):
    """ConvNeXt's LayerNorm with data_format="channels_first" (SAM and
    Detectron2 write the same): each pixel normalized over its channels."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


CASES = {
    "layer_norm_gelu": (lambda: NormAct(nn.LayerNorm(64), nn.GELU()),
                        (4, 8, 64), {"layer_norm": (1, 1)}),
    "rms_norm_silu": (lambda: NormAct(nn.RMSNorm(48, eps=1e-6), nn.SiLU()),
                      (6, 48), {"rms_norm": (1, 1)}),
    "pre_norm_mlp": (PreNormMLP, (2, 5, 64), {"rms_norm": (1, 1)}),
    "conv_bn_relu": (ConvBNReLU, (2, 8, 6, 6), {"batch_norm": (1, 1)}),
    "softmax": (lambda: nn.Softmax(dim=-1), (3, 7, 33), {"softmax": (1, 1)}),
    "qk_norm_attention": (QKNormAttention, (2, 8, 64),
                          {"rms_norm": (2, 2), "softmax": (1, 1)}),
    # torch-mlir gathers GroupNorm's per-channel scale and shift with
    # tensor.extract; norm-raise resolves the gather (docs/raising.md).
    "group_norm_silu": (lambda: NormAct(nn.GroupNorm(4, 16), nn.SiLU()),
                        (2, 16, 5, 5), {"group_norm": (1, 1)}),
    "group_norm_one_group": (lambda: nn.GroupNorm(1, 8), (2, 8, 4, 3),
                             {"group_norm": (1, 1)}),
    # InstanceNorm2d with affine parameters: group_norm, one channel a group.
    "instance_norm_affine": (lambda: nn.InstanceNorm2d(6, affine=True),
                             (2, 6, 5, 4),
                             {"instance_norm": (None, 1), "group_norm": (1, 0)}),
    # Written with mean/pow/sqrt, no aten norm op: raised over axes [1].
    "layer_norm_2d_gelu": (lambda: NormAct(LayerNorm2d(24), nn.GELU()),
                           (2, 24, 8, 16), {"layer_norm": (1, 0)}),
}


class MobileNetBlock(nn.Module):
    """MobileNetV2/V3 and YOLOv4 activations after BatchNorm: conv-BN-
    hardswish, depthwise conv-BN-ReLU6, conv-BN-Mish, conv-BN-hardsigmoid."""

    def __init__(self, c=8):
        super().__init__()
        self.stages = nn.ModuleList()
        for act, groups in ((nn.Hardswish(), 1), (nn.ReLU6(), c),
                            (nn.Mish(), 1), (nn.Hardsigmoid(), 1)):
            self.stages.append(nn.Sequential(
                nn.Conv2d(c, c, 3, padding=1, groups=groups, bias=False),
                nn.BatchNorm2d(c), act))

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return x


def test_mobilenet_activations_are_fused(tmp_path):
    torch.manual_seed(0)
    module = _randomize(MobileNetBlock())
    x = torch.randn(2, 8, 7, 7)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    assert compiled.report.raised.get("batch_norm") == 4, compiled.report
    assert compiled.report.fused_activations == 4, compiled.report
    # Scaled inputs: the BN outputs cross the kinks at -3, 0, 3 and 6.
    for seed in (1, 2):
        x = 3 * torch.randn(2, 8, 7, 7,
                            generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = module(x)
        _close(compiled(x), ref)


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_matches_pytorch(name, tmp_path):
    make, shape, expect = CASES[name]
    torch.manual_seed(0)
    module = _randomize(make())
    x = torch.randn(shape)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    for kind, (raised, present) in expect.items():
        assert compiled.report.present.get(kind, 0) == present, compiled.report
        if raised is not None:
            assert compiled.report.raised.get(kind, 0) == raised, compiled.report
    # Fresh data, not the example the program was traced with.
    for seed in (1, 2):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = module(x)
        _close(compiled(x), ref)


class PermutedLayerNorm2d(nn.LayerNorm):
    """timm's LayerNorm2d: F.layer_norm between two permutes."""

    def forward(self, x):
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape,
                         self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def test_permuted_layer_norm_2d_is_one_op_without_transposes(tmp_path):
    """The raised op reads the NCHW input directly (axes [1]): neither
    permute is left as a transpose pass over the tensor."""
    torch.manual_seed(0)
    module = _randomize(PermutedLayerNorm2d(16, eps=1e-6))
    x = torch.randn(2, 16, 8, 8)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    assert compiled.report.raised.get("layer_norm") == 1, compiled.report
    assert "axes = [1]" in compiled.raised_mlir
    assert "linalg." not in compiled.raised_mlir
    x = torch.randn(2, 16, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = module(x)
    _close(compiled(x), ref)


def test_raising_changes_the_program_not_the_result(tmp_path):
    torch.manual_seed(0)
    module = _randomize(NormAct(nn.LayerNorm(64), nn.GELU()))
    x = torch.randn(4, 64)
    raised = norm_mlir.compile(module, (x,), cache_dir=tmp_path / "a")
    plain = norm_mlir.compile(module, (x,), raise_norms=False,
                              cache_dir=tmp_path / "b")
    assert "norm.layer_norm" in raised.raised_mlir
    assert "activation = gelu" in raised.raised_mlir
    assert "norm.layer_norm" not in plain.raised_mlir
    _close(raised(x), plain(x), rtol=1e-5)


def test_qk_norm_is_fused(tmp_path):
    torch.manual_seed(0)
    module = _randomize(QKNormAttention())
    x = torch.randn(2, 8, 64)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    # Both norms keep only their statistics: the normalized q and k are
    # used by nothing (the contraction reads the raw ones).
    import re
    ir = compiled.raised_mlir
    assert ir.count("rstd(") == 2
    normalized = re.findall(r"(%[\w]+), %[\w]+ = norm\.rms_norm", ir)
    assert len(normalized) == 2
    for name in normalized:
        assert len(re.findall(re.escape(name) + r"\b", ir)) == 1, name
    with torch.no_grad():
        _close(compiled(x), module(x))


def test_tosa_path(tmp_path):
    torch.manual_seed(0)
    module = _randomize(NormAct(nn.RMSNorm(32, eps=1e-6), nn.SiLU()))
    x = torch.randn(5, 32)
    compiled = norm_mlir.compile(module, (x,), output_type="tosa",
                                 cache_dir=tmp_path)
    assert compiled.report.raised.get("rms_norm") == 1, compiled.report
    with torch.no_grad():
        _close(compiled(x), module(x))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_tosa_half_precision_gelu_is_fused(dtype, tmp_path):
    """TOSA's bf16/f16 GELU rounds 1/sqrt(2) to the element type; it is
    recognized at that type's precision and fused into the layer norm."""
    torch.manual_seed(0)
    module = _randomize(NormAct(nn.LayerNorm(64), nn.GELU())).to(dtype)
    x = torch.randn(4, 8, 64).to(dtype)
    compiled = norm_mlir.compile(module, (x,), output_type="tosa",
                                 cache_dir=tmp_path)
    assert compiled.report.raised.get("layer_norm") == 1, compiled.report
    assert compiled.report.fused_activations == 1, compiled.report
    with torch.no_grad():
        # Two ulps of the element type relative to max(1, |y|): eager
        # rounds the normalized value before its GELU (the fused op does
        # not), and both round the output.
        _close(compiled(x), module(x),
               rtol=2.0 ** -6 if dtype == torch.bfloat16 else 2.0 ** -9)


def test_weights_changed_after_compile_are_used(tmp_path):
    torch.manual_seed(0)
    module = _randomize(nn.LayerNorm(16))
    x = torch.randn(3, 16)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    with torch.no_grad():
        module.weight.mul_(3.0)
        module.bias.add_(1.0)
        ref = module(x)
    _close(compiled(x), ref)


def test_dynamic_batch(tmp_path):
    torch.manual_seed(0)
    module = _randomize(NormAct(nn.LayerNorm(32), nn.ReLU()))
    batch = torch.export.Dim("batch", min=2, max=1024)
    compiled = norm_mlir.compile(module, (torch.randn(4, 32),),
                                 dynamic_shapes=({0: batch},),
                                 cache_dir=tmp_path)
    assert "tensor<?x32xf32>" in compiled.raised_mlir
    # Raised and fused with the dynamic batch (norm-raise's probe sizes).
    assert compiled.report.raised.get("layer_norm") == 1, compiled.report
    assert compiled.report.fused_activations == 1, compiled.report
    for n in (2, 7, 300):
        x = torch.randn(n, 32)
        with torch.no_grad():
            _close(compiled(x), module(x))


# pre_norm_mlp with a dynamic sequence too is not here: torch-mlir (20261001)
# gives its normalized value a static size 1 for the sequence and the
# program stops at its broadcast check ("mismatched size for broadcast"),
# raised or not.
@pytest.mark.parametrize("name,dynamic", [("conv_bn_relu", 1),
                                          ("pre_norm_mlp", 1),
                                          ("layer_norm_gelu", 2),
                                          ("group_norm_silu", 1),
                                          ("group_norm_one_group", 1),
                                          ("instance_norm_affine", 1),
                                          ("softmax", 1),
                                          ("qk_norm_attention", 1),
                                          ("layer_norm_2d_gelu", 1)])
def test_dynamic_batch_and_sequence_are_raised(name, dynamic, tmp_path):
    """A dynamic batch (and sequence length: two dynamic sizes, given
    distinct probe sizes) raised like the static shapes. GroupNorm through
    the frontend's own decomposition (_native_group_norm: PyTorch's uses
    as_strided, which torch-mlir imports with static sizes only)."""
    make, shape, expect = CASES[name]
    torch.manual_seed(0)
    module = _randomize(make())
    dims = {0: torch.export.Dim("batch", min=2, max=64)}
    if dynamic == 2:
        dims[1] = torch.export.Dim("seq", min=2, max=128)
    compiled = norm_mlir.compile(module, (torch.randn(shape),),
                                 dynamic_shapes=(dims,), cache_dir=tmp_path)
    for kind, (raised, present) in expect.items():
        if raised is not None:
            assert compiled.report.raised.get(kind, 0) == raised, \
                compiled.report
    for seed, n in ((1, 3), (2, 9)):
        sizes = (n,) + ((n + 4,) if dynamic == 2 else ()) + shape[len(dims):]
        x = torch.randn(sizes, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = module(x)
        _close(compiled(x), ref)


def test_inputs_without_copies_and_other_array_types(tmp_path):
    torch.manual_seed(0)
    module = _randomize(nn.RMSNorm(16, eps=1e-6))
    x = torch.randn(4, 16)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    with torch.no_grad():
        ref = module(x)
    _close(compiled(x.numpy()), ref)          # numpy
    _close(compiled(x.t().contiguous().t().contiguous()), ref)
    _close(compiled(x[:, :].T.T), ref)        # a view
    y = compiled(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32


def test_training_batch_norm_is_refused(tmp_path):
    module = nn.BatchNorm2d(4).train()
    with pytest.raises(norm_mlir.TorchCompileError,
                       match="mutates buffers.*module.eval"):
        norm_mlir.compile(module, (torch.randn(2, 4, 3, 3),),
                          cache_dir=tmp_path)


def test_cuda_inputs_are_refused(tmp_path):
    module = _randomize(nn.LayerNorm(8))
    compiled = norm_mlir.compile(module, (torch.randn(2, 8),),
                                 cache_dir=tmp_path)
    with pytest.raises(TypeError, match="inputs"):
        compiled(torch.randn(2, 8), torch.randn(2, 8))
    if torch.cuda.is_available():
        with pytest.raises(TypeError, match="runs on the CPU"):
            compiled(torch.randn(2, 8, device="cuda"))


def test_bf16_module(tmp_path):
    """bf16 in and out, statistics in f32. PyTorch rounds to bf16 after each
    eager op, the compiled program once: allow 2 bf16 ulps (2^-6 relative)."""
    torch.manual_seed(0)
    module = _randomize(NormAct(nn.RMSNorm(64, eps=1e-6), nn.SiLU()))
    module = module.to(torch.bfloat16)
    x = torch.randn(8, 64).to(torch.bfloat16)
    compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
    assert compiled.report.raised.get("rms_norm") == 1, compiled.report
    y = compiled(x)
    assert y.dtype == torch.bfloat16
    with torch.no_grad():
        ref = module(x)
    _close(y, ref, rtol=2.0 ** -6)
    # And against float64 math, where the compiled program is closer.
    with torch.no_grad():
        exact = module.double()(x.double())
    _close(y, exact, rtol=2.0 ** -7)


def test_example_runs():
    import os
    import subprocess
    import sys
    from pathlib import Path
    example = (Path(__file__).resolve().parents[1] / "examples"
               / "compile_torch_module.py")
    proc = subprocess.run([sys.executable, str(example)], capture_output=True,
                          text=True, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SwiGLUBlock: raised/present rms_norm: 1/1" in proc.stdout
    assert "Stem: raised/present batch_norm: 1/1" in proc.stdout


def test_rms_norm_default_eps_is_raised_and_matches_eager(tmp_path):
    """nn.RMSNorm(eps=None) adds finfo(dtype).eps in eager mode; torch.export
    traces it without any, so a zero (padding) row gave NaN. The export now
    sees the eager epsilon: raised, and equal to eager (zero row included);
    the module's eps is None again afterwards."""
    for dtype, rtol in ((torch.float32, 1e-4), (torch.bfloat16, 2 ** -6)):
        torch.manual_seed(0)
        module = _randomize(nn.RMSNorm(64)).to(dtype)
        x = torch.randn(4, 64)
        x[2] = 0
        x[3] = 1e-4  # where the epsilon (f32's, for bf16 too) matters
        x = x.to(dtype)
        compiled = norm_mlir.compile(module, (x,), cache_dir=tmp_path)
        assert module.eps is None
        assert compiled.report.raised.get("rms_norm") == 1
        with torch.no_grad():
            ref = module(x)
        y = compiled(x)
        assert torch.all(y[2] == 0)
        _close(y, ref, rtol)
