"""norm_mlir.ops on CPU torch tensors (needs torch; skipped without it):
the tensors ML code passes as they come.

* bf16 tensors (DLPack has no bf16 numpy can read: passed as their bits);
* parameters and tensors that require grad (DLPack refuses to export them);
* lazily negated views (`conj().imag`: DLPack exports the raw bits, so the
  sign was lost).
"""

import numpy as np
import pytest

from norm_mlir import ops

from norm_env import requires_norm_opt

torch = pytest.importorskip("torch", reason="torch is not installed")


def _layer_norm_ref(x, w=None, b=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True)
                                                  + eps)
    if w is not None:
        y = y * np.asarray(w, np.float64)
    if b is not None:
        y = y + np.asarray(b, np.float64)
    return y


@requires_norm_opt
def test_bf16_tensor():
    torch.manual_seed(0)
    x = torch.randn(4, 32).bfloat16()
    y = ops.rms_norm(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.bfloat16
    xf = x.float().numpy().astype(np.float64)
    want = xf / np.sqrt((xf * xf).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(y.float().numpy(), want, rtol=2 ** -7,
                               atol=2 ** -7)


@requires_norm_opt
def test_module_parameters_that_require_grad():
    torch.manual_seed(1)
    ln = torch.nn.LayerNorm(16)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.normal_()
    x = torch.randn(3, 16, requires_grad=True)
    y = ops.layer_norm(x, ln.weight, ln.bias)
    want = _layer_norm_ref(x.detach(), ln.weight.detach(), ln.bias.detach())
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)


@requires_norm_opt
def test_negated_view():
    torch.manual_seed(2)
    z = torch.complex(torch.randn(3, 8), torch.randn(3, 8))
    x = z.conj().imag  # -imag, held as a negative bit
    assert x.is_neg()
    y = ops.layer_norm(x)
    np.testing.assert_allclose(y.numpy(), _layer_norm_ref(-z.imag), rtol=1e-5,
                               atol=1e-5)


@requires_norm_opt
def test_negated_view_as_output_is_refused():
    """Results written through a lazily negated `out` would land in the copy
    that resolving the negation makes: refused."""
    z = torch.complex(torch.zeros(3, 8), torch.zeros(3, 8))
    out = z.conj().imag
    assert out.is_neg()
    with pytest.raises(ValueError, match="negated or conjugated"):
        ops.layer_norm(torch.randn(3, 8), out=out)
