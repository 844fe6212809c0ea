"""A small typed builder that emits norm-dialect IR text.

Build a function argument by argument and op by op, then return values::

    from norm_mlir.builder import FunctionBuilder, TensorType

    fb = FunctionBuilder("ln")
    x = fb.arg(TensorType([None, 768], "f32"))
    w = fb.arg(TensorType([768], "f32"))
    y = fb.layer_norm(x, axes=[1], weight=w, eps=1e-5, activation="gelu")
    fb.ret(y)
    text = fb.module_text()      # MLIR text of a module with @ln

Every op of the norm dialect has a method (layer_norm, rms_norm,
batch_norm_inference, batch_norm_training, inplace_abn, group_norm,
spectral_norm, moments, min_max, standardize, min_max_scale,
image_normalize; the backward ops layer_norm_grad, rms_norm_grad,
batch_norm_grad, group_norm_grad, inplace_abn_grad; batch_stats and
batch_stats_merge); result types are inferred from the operand types with
the rules of include/norm/Dialect/Norm/IR/NormOps.td. Shapes use ``None`` for
dynamic dimensions.

The function carries ``llvm.emit_c_interface``. With ``ret(...,
destination=True)`` (the default) each returned value is written into an
extra trailing ``outs`` argument of its type
(``bufferization.materialize_in_destination``), so the CPU pipeline ties
the result to that argument and the compiled function writes into the
caller's array instead of allocating (see compiler.py, "destination
passing").
"""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from . import memref as _memref

#: Element types of norm's float tensors.
FLOAT_DTYPES = ("f16", "bf16", "f32", "f64")
#: Element types image_normalize accepts as input.
IMAGE_DTYPES = FLOAT_DTYPES + ("i8", "ui8")

#: Activation kinds (``activation=`` of the normalization ops).
ACTIVATIONS = ("none", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh",
               "silu", "sigmoid", "tanh", "relu6", "hardsigmoid", "hardswish",
               "mish")

_NUMPY_TO_MLIR = {
    np.dtype(np.float64): "f64",
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint8): "ui8",
}
if _memref.bfloat16 is not None:
    _NUMPY_TO_MLIR[_memref.bfloat16] = "bf16"

Shape = Sequence[Optional[int]]
Activation = Union[None, str, Tuple[str, float]]


def mlir_dtype(dtype) -> str:
    """The MLIR element type of a numpy dtype (or an MLIR name, returned as is)."""
    if isinstance(dtype, str) and dtype in IMAGE_DTYPES:
        return dtype
    try:
        return _NUMPY_TO_MLIR[np.dtype(dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"unsupported element type {dtype!r}; expected one of "
                        f"{', '.join(IMAGE_DTYPES)}") from None


def stats_dtype(elem: str) -> str:
    """Element type of statistics results: f32 for f16/bf16 inputs."""
    return "f32" if elem in ("f16", "bf16") else elem


def format_float(value: float) -> str:
    """A float literal MLIR parses (always with a decimal point)."""
    text = repr(float(value))
    if text in ("inf", "-inf", "nan"):
        raise ValueError(f"non-finite attribute value {value}")
    if "." not in text:
        mant, _, exp = text.partition("e")
        text = mant + ".0" + (("e" + exp) if exp else "")
    return text


@dataclass(frozen=True)
class TensorType:
    """A ranked tensor type: shape (None = dynamic) and MLIR element type."""

    shape: Tuple[Optional[int], ...]
    dtype: str

    def __init__(self, shape: Shape, dtype="f32"):
        object.__setattr__(self, "shape", tuple(
            None if d is None else int(d) for d in shape))
        object.__setattr__(self, "dtype", mlir_dtype(dtype))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def numpy_dtype(self) -> np.dtype:
        return _memref.numpy_dtype(self.dtype)

    def __str__(self) -> str:
        dims = "".join(("?" if d is None else str(d)) + "x" for d in self.shape)
        return f"tensor<{dims}{self.dtype}>"

    def with_dtype(self, dtype: str) -> "TensorType":
        return TensorType(self.shape, dtype)

    @staticmethod
    def of(array, dynamic: Union[bool, Sequence[int]] = False) -> "TensorType":
        """The type of an array; `dynamic`: True for all dims, or dim indices."""
        shape = list(array.shape)
        dyn = range(len(shape)) if dynamic is True else (dynamic or ())
        for d in dyn:
            shape[d] = None
        return TensorType(shape, array.dtype)


@dataclass(frozen=True)
class Value:
    """An SSA value of the function being built."""

    name: str
    type: TensorType

    def __str__(self) -> str:
        return self.name


def _axes(axes: Sequence[int], rank: int) -> List[int]:
    out = sorted({a + rank if a < 0 else a for a in axes})
    if not out or out[0] < 0 or out[-1] >= rank:
        raise ValueError(f"axes {list(axes)} out of range for rank {rank}")
    return out


def _axis(axis: int, rank: int) -> int:
    return _axes([axis], rank)[0]


def _activation(act: Activation) -> str:
    """`activation = ...` text (empty for None)."""
    if act is None:
        return ""
    param = None
    if isinstance(act, tuple):
        act, param = act
    kind = act
    if isinstance(act, str) and "(" in act:  # "leaky_relu(0.2)"
        kind, _, rest = act.partition("(")
        param = float(rest.rstrip(")"))
    if kind not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; expected one of "
                         f"{', '.join(ACTIVATIONS)}")
    if param is not None:
        if kind not in ("leaky_relu", "elu"):
            raise ValueError(f"activation {kind} takes no parameter")
        return f" activation = {kind}({format_float(param)})"
    return f" activation = {kind}"


def _opt_operand(keyword: str, value: Optional[Value]) -> str:
    return f" {keyword}({value} : {value.type})" if value is not None else ""


def _opt_attr(keyword: str, value, fmt=format_float) -> str:
    return f" {keyword} = {fmt(value)}" if value is not None else ""


def _check_float(v: Value, what: str):
    if v.type.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{what} must be a float tensor, got {v.type}")


class FunctionBuilder:
    """Builds one `func.func` with `llvm.emit_c_interface` out of norm ops."""

    def __init__(self, name: str):
        if not name.replace("_", "a").isalnum():
            raise ValueError(f"bad function name {name!r}")
        self.name = name
        self.args: List[Value] = []
        #: Arguments the compiled function must not write (see `arg`).
        self._read_only: set = set()
        self.results: List[Value] = []
        self._lines: List[str] = []
        self._counter = 0
        self._done = False

    # -- Structure ------------------------------------------------------------

    def arg(self, type_: TensorType, name: Optional[str] = None, *,
            writable: bool = True) -> Value:
        """Add a function argument of `type_`. With `writable` False the
        argument carries `bufferization.writable = false`: bufferization
        then never reuses its buffer for a result, even where an op writes
        in place (inplace_abn over x, inplace_abn_grad over dy), so the
        caller's array is left as it was."""
        if self._done:
            raise RuntimeError("function already returned")
        v = Value(f"%{name or 'arg'}{len(self.args)}", type_)
        self.args.append(v)
        if not writable:
            self._read_only.add(v.name)
        return v

    def _fresh(self) -> str:
        self._counter += 1
        return f"%v{self._counter}"

    def _op(self, text: str, types: Sequence[TensorType]):
        names = [self._fresh() for _ in types]
        self._lines.append(f"{', '.join(names)} = {text}")
        vals = [Value(n, t) for n, t in zip(names, types)]
        return vals[0] if len(vals) == 1 else tuple(vals)

    def ret(self, *values: Value, destination: bool = True) -> None:
        """Return `values`. With `destination`, each is written into a new
        trailing argument of its type (the caller's output array)."""
        if self._done:
            raise RuntimeError("function already returned")
        results = []
        for v in values:
            if destination:
                out = self.arg(v.type, "out")
                r = self._fresh()
                self._lines.append(
                    f"{r} = bufferization.materialize_in_destination {v} in "
                    f"{out} : ({v.type}, {v.type}) -> {v.type}")
                v = Value(r, v.type)
            results.append(v)
        self.results = results
        self._done = True

    @property
    def num_inputs(self) -> int:
        """Arguments that are not destinations."""
        return sum(1 for a in self.args if not a.name.startswith("%out"))

    def text(self) -> str:
        """The `func.func` text (call after `ret`)."""
        if not self._done:
            raise RuntimeError("call ret() first")
        args = ", ".join(
            f"{a}: {a.type}" + (" {bufferization.writable = false}"
                                if a.name in self._read_only else "")
            for a in self.args)
        rtypes = ", ".join(str(r.type) for r in self.results)
        body = "\n".join("  " + line for line in self._lines)
        rvals = ", ".join(str(r) for r in self.results)
        ret = f"  return {rvals} : {rtypes}" if self.results else "  return"
        return (f"func.func @{self.name}({args}) -> ({rtypes})\n"
                f"    attributes {{llvm.emit_c_interface}} {{\n{body}\n{ret}\n}}\n")

    def module_text(self) -> str:
        return module_text([self])

    # -- Activation normalizations -----------------------------------------

    def _stats_type(self, x: Value, axes) -> TensorType:
        shape = [1 if i in axes else d for i, d in enumerate(x.type.shape)]
        return TensorType(shape, stats_dtype(x.type.dtype))

    def layer_norm(self, x: Value, axes: Sequence[int] = (-1,), *,
                   weight: Optional[Value] = None, bias: Optional[Value] = None,
                   residual: Optional[Value] = None, eps: Optional[float] = None,
                   activation: Activation = None, stats: bool = False,
                   residual_sum: bool = False):
        """norm.layer_norm over adjacent `axes` (the trailing ones, or e.g.
        `[1]` over the channels of NCHW). Returns y, then (mean, rstd) if
        `stats`, then the residual sum if `residual_sum`."""
        _check_float(x, "layer_norm input")
        ax = _axes(axes, x.type.rank)
        text = (f"norm.layer_norm {x}{_opt_operand('weight', weight)}"
                f"{_opt_operand('bias', bias)}{_opt_operand('residual', residual)}"
                f" axes = {ax}{_opt_attr('epsilon', eps)}{_activation(activation)}"
                f" : {x.type}")
        types = [x.type]
        if stats:
            st = self._stats_type(x, ax)
            text += f" stats({st}, {st})"
            types += [st, st]
        types += self._residual_sum(x, residual, residual_sum)
        if residual_sum:
            text += f" residual_sum({x.type})"
        return self._op(text, types)

    @staticmethod
    def _residual_sum(x, residual, wanted) -> List[TensorType]:
        if wanted and residual is None:
            raise ValueError("residual_sum needs a residual operand")
        return [x.type] if wanted else []

    def rms_norm(self, x: Value, axes: Sequence[int] = (-1,), *,
                 weight: Optional[Value] = None, residual: Optional[Value] = None,
                 eps: Optional[float] = None, weight_offset: Optional[float] = None,
                 activation: Activation = None, rstd: bool = False,
                 residual_sum: bool = False):
        """norm.rms_norm. Returns y [, rstd] [, residual sum]."""
        _check_float(x, "rms_norm input")
        ax = _axes(axes, x.type.rank)
        text = (f"norm.rms_norm {x}{_opt_operand('weight', weight)}"
                f"{_opt_operand('residual', residual)} axes = {ax}"
                f"{_opt_attr('epsilon', eps)}{_opt_attr('weight_offset', weight_offset)}"
                f"{_activation(activation)} : {x.type}")
        types = [x.type]
        if rstd:
            st = self._stats_type(x, ax)
            text += f" rstd({st})"
            types.append(st)
        types += self._residual_sum(x, residual, residual_sum)
        if residual_sum:
            text += f" residual_sum({x.type})"
        return self._op(text, types)

    def _batch_norm(self, opname, x, mean, var, weight, bias, residual,
                    feature_axis, eps, momentum, activation, training,
                    residual_sum):
        _check_float(x, f"{opname} input")
        fa = _axis(feature_axis, x.type.rank)
        text = (f"norm.{opname} {x} mean({mean} : {mean.type}) "
                f"var({var} : {var.type}){_opt_operand('weight', weight)}"
                f"{_opt_operand('bias', bias)}{_opt_operand('residual', residual)}"
                f"{' feature_axis = %d' % fa if fa != 1 else ''}"
                f"{_opt_attr('epsilon', eps)}{_opt_attr('momentum', momentum)}"
                f"{_activation(activation)} : {x.type}")
        types = [x.type]
        if training:
            st = TensorType([x.type.shape[fa]], stats_dtype(x.type.dtype))
            text += f" stats({st}, {st})"
            types += [st, st, mean.type, var.type]
        types += self._residual_sum(x, residual, residual_sum)
        if residual_sum:
            text += f" residual_sum({x.type})"
        return self._op(text, types)

    def batch_norm_inference(self, x: Value, mean: Value, var: Value, *,
                             weight: Optional[Value] = None,
                             bias: Optional[Value] = None,
                             residual: Optional[Value] = None,
                             feature_axis: int = 1, eps: Optional[float] = None,
                             activation: Activation = None,
                             residual_sum: bool = False):
        """norm.batch_norm_inference with running `mean`/`var`. Returns y
        [, residual sum]."""
        return self._batch_norm("batch_norm_inference", x, mean, var, weight,
                                bias, residual, feature_axis, eps, None,
                                activation, False, residual_sum)

    def batch_norm_training(self, x: Value, mean: Value, var: Value, *,
                            weight: Optional[Value] = None,
                            bias: Optional[Value] = None,
                            residual: Optional[Value] = None,
                            feature_axis: int = 1, eps: Optional[float] = None,
                            momentum: Optional[float] = None,
                            activation: Activation = None,
                            residual_sum: bool = False):
        """norm.batch_norm_training. Returns (y, saved_mean, saved_rstd,
        new_running_mean, new_running_var [, residual sum])."""
        return self._batch_norm("batch_norm_training", x, mean, var, weight,
                                bias, residual, feature_axis, eps, momentum,
                                activation, True, residual_sum)

    def inplace_abn(self, x: Value, mean: Value, var: Value, *,
                    weight: Optional[Value] = None, bias: Optional[Value] = None,
                    feature_axis: int = 1, eps: Optional[float] = None,
                    momentum: Optional[float] = None,
                    activation: Activation = None):
        """norm.inplace_abn (activation: none, leaky_relu(>0) or elu(>0)).
        Returns (y, saved_mean, saved_rstd, new_running_mean,
        new_running_var)."""
        return self._batch_norm("inplace_abn", x, mean, var, weight, bias,
                                None, feature_axis, eps, momentum, activation,
                                True, False)

    def group_norm(self, x: Value, groups: int, *, weight: Optional[Value] = None,
                   bias: Optional[Value] = None, residual: Optional[Value] = None,
                   channel_axis: int = 1, eps: Optional[float] = None,
                   activation: Activation = None, stats: bool = False,
                   residual_sum: bool = False):
        """norm.group_norm. Returns y [, mean, rstd of shape [N, groups]]
        [, residual sum]."""
        _check_float(x, "group_norm input")
        ca = _axis(channel_axis, x.type.rank)
        text = (f"norm.group_norm {x}{_opt_operand('weight', weight)}"
                f"{_opt_operand('bias', bias)}{_opt_operand('residual', residual)}"
                f" groups = {int(groups)}"
                f"{' channel_axis = %d' % ca if ca != 1 else ''}"
                f"{_opt_attr('epsilon', eps)}{_activation(activation)} : {x.type}")
        types = [x.type]
        if stats:
            st = TensorType([x.type.shape[0], int(groups)], stats_dtype(x.type.dtype))
            text += f" stats({st}, {st})"
            types += [st, st]
        types += self._residual_sum(x, residual, residual_sum)
        if residual_sum:
            text += f" residual_sum({x.type})"
        return self._op(text, types)

    # -- Backward (docs/training.md) ------------------------------------------

    @staticmethod
    def _grad_results(x: Value, weight: Optional[Value], bias: Optional[Value],
                      param_shape, grad_weight: bool, grad_bias: bool,
                      has_bias: bool = True):
        """The ` grad_weight(T) grad_bias(T)` suffix and the result types:
        grad_input like x, the parameter gradients of the parameter's type
        (the statistics type and `param_shape` without one)."""
        types, text = [x.type], ""
        for wanted, param, keyword in ((grad_weight, weight, "grad_weight"),
                                       (grad_bias, bias, "grad_bias")):
            if not wanted:
                continue
            if keyword == "grad_bias" and not has_bias:
                raise ValueError("this op has no grad_bias")
            t = param.type if param is not None else TensorType(
                param_shape, stats_dtype(x.type.dtype))
            text += f" {keyword}({t})"
            types.append(t)
        return text, types

    @staticmethod
    def _micro_batch(batch_grad_sums, count) -> str:
        """The micro-batch form's ` batch_grad_sums(...) count(...)`."""
        if (batch_grad_sums is None) != (count is None):
            raise ValueError("batch_grad_sums and count go together")
        if batch_grad_sums is None:
            return ""
        sum_dpre, sum_dpre_xhat = batch_grad_sums
        return (f" batch_grad_sums({sum_dpre}, {sum_dpre_xhat} : "
                f"{sum_dpre.type}, {sum_dpre_xhat.type}) "
                f"count({count} : {count.type})")

    def layer_norm_grad(self, dy: Value, x: Value, mean: Value, rstd: Value,
                        axes: Sequence[int] = (-1,), *,
                        weight: Optional[Value] = None,
                        bias: Optional[Value] = None,
                        residual: Optional[Value] = None,
                        residual_sum_grad: Optional[Value] = None,
                        activation: Activation = None,
                        grad_weight: bool = False, grad_bias: bool = False):
        """norm.layer_norm_grad from the forward's input and its (mean,
        rstd). Returns grad_input [, grad_weight] [, grad_bias]."""
        _check_float(x, "layer_norm_grad input")
        ax = _axes(axes, x.type.rank)
        suffix, types = self._grad_results(
            x, weight, bias, [x.type.shape[a] for a in ax], grad_weight,
            grad_bias)
        text = (f"norm.layer_norm_grad {dy}, {x}"
                f"{_opt_operand('residual', residual)} mean({mean} : "
                f"{mean.type}) rstd({rstd} : {rstd.type})"
                f"{_opt_operand('weight', weight)}{_opt_operand('bias', bias)}"
                f"{_opt_operand('residual_sum_grad', residual_sum_grad)}"
                f" axes = {ax}{_activation(activation)} : {x.type}{suffix}")
        return self._op(text, types)

    def rms_norm_grad(self, dy: Value, x: Value, rstd: Value,
                      axes: Sequence[int] = (-1,), *,
                      weight: Optional[Value] = None,
                      residual: Optional[Value] = None,
                      residual_sum_grad: Optional[Value] = None,
                      weight_offset: Optional[float] = None,
                      activation: Activation = None,
                      grad_weight: bool = False):
        """norm.rms_norm_grad. Returns grad_input [, grad_weight]."""
        _check_float(x, "rms_norm_grad input")
        ax = _axes(axes, x.type.rank)
        suffix, types = self._grad_results(
            x, weight, None, [x.type.shape[a] for a in ax], grad_weight,
            False)
        text = (f"norm.rms_norm_grad {dy}, {x}"
                f"{_opt_operand('residual', residual)} rstd({rstd} : "
                f"{rstd.type}){_opt_operand('weight', weight)}"
                f"{_opt_operand('residual_sum_grad', residual_sum_grad)}"
                f" axes = {ax}{_opt_attr('weight_offset', weight_offset)}"
                f"{_activation(activation)} : {x.type}{suffix}")
        return self._op(text, types)

    def batch_norm_grad(self, dy: Value, x: Value, mean: Value, rstd: Value,
                        *, weight: Optional[Value] = None,
                        bias: Optional[Value] = None,
                        residual: Optional[Value] = None,
                        residual_sum_grad: Optional[Value] = None,
                        batch_grad_sums: Optional[Tuple[Value, Value]] = None,
                        count: Optional[Value] = None, feature_axis: int = 1,
                        activation: Activation = None,
                        grad_weight: bool = False, grad_bias: bool = False):
        """norm.batch_norm_grad from the forward's input and its saved
        (mean, rstd); with `batch_grad_sums=(sum_dpre, sum_dpre_xhat)` and
        `count`, the micro-batch form. Returns grad_input [, grad_weight]
        [, grad_bias]."""
        _check_float(x, "batch_norm_grad input")
        fa = _axis(feature_axis, x.type.rank)
        suffix, types = self._grad_results(
            x, weight, bias, [x.type.shape[fa]], grad_weight, grad_bias)
        text = (f"norm.batch_norm_grad {dy}, {x}"
                f"{_opt_operand('residual', residual)} mean({mean} : "
                f"{mean.type}) rstd({rstd} : {rstd.type})"
                f"{_opt_operand('weight', weight)}{_opt_operand('bias', bias)}"
                f"{_opt_operand('residual_sum_grad', residual_sum_grad)}"
                f"{self._micro_batch(batch_grad_sums, count)}"
                f"{' feature_axis = %d' % fa if fa != 1 else ''}"
                f"{_activation(activation)} : {x.type}{suffix}")
        return self._op(text, types)

    def group_norm_grad(self, dy: Value, x: Value, mean: Value, rstd: Value,
                        groups: int, *, weight: Optional[Value] = None,
                        bias: Optional[Value] = None,
                        residual: Optional[Value] = None,
                        residual_sum_grad: Optional[Value] = None,
                        channel_axis: int = 1, activation: Activation = None,
                        grad_weight: bool = False, grad_bias: bool = False):
        """norm.group_norm_grad from the forward's input and its (mean,
        rstd) of shape [N, groups]. Returns grad_input [, grad_weight]
        [, grad_bias]."""
        _check_float(x, "group_norm_grad input")
        ca = _axis(channel_axis, x.type.rank)
        suffix, types = self._grad_results(
            x, weight, bias, [x.type.shape[ca]], grad_weight, grad_bias)
        text = (f"norm.group_norm_grad {dy}, {x}"
                f"{_opt_operand('residual', residual)} mean({mean} : "
                f"{mean.type}) rstd({rstd} : {rstd.type})"
                f"{_opt_operand('weight', weight)}{_opt_operand('bias', bias)}"
                f"{_opt_operand('residual_sum_grad', residual_sum_grad)}"
                f" groups = {int(groups)}"
                f"{' channel_axis = %d' % ca if ca != 1 else ''}"
                f"{_activation(activation)} : {x.type}{suffix}")
        return self._op(text, types)

    def inplace_abn_grad(self, dy: Value, y: Value, rstd: Value, *,
                         weight: Optional[Value] = None,
                         bias: Optional[Value] = None,
                         batch_grad_sums: Optional[Tuple[Value, Value]] = None,
                         count: Optional[Value] = None, feature_axis: int = 1,
                         activation: Activation = None,
                         grad_weight: bool = False, grad_bias: bool = False):
        """norm.inplace_abn_grad from the forward's output `y` and saved
        rstd (the activation is inverted); with `batch_grad_sums` and
        `count`, the micro-batch form. Returns grad_input [, grad_weight]
        [, grad_bias]."""
        _check_float(y, "inplace_abn_grad output")
        fa = _axis(feature_axis, y.type.rank)
        suffix, types = self._grad_results(
            y, weight, bias, [y.type.shape[fa]], grad_weight, grad_bias)
        text = (f"norm.inplace_abn_grad {dy}, {y} rstd({rstd} : {rstd.type})"
                f"{_opt_operand('weight', weight)}{_opt_operand('bias', bias)}"
                f"{self._micro_batch(batch_grad_sums, count)}"
                f"{' feature_axis = %d' % fa if fa != 1 else ''}"
                f"{_activation(activation)} : {y.type}{suffix}")
        return self._op(text, types)

    # -- Micro-batch statistics (gradient accumulation) ------------------------

    def batch_stats(self, x: Value, *, feature_axis: int = 1):
        """norm.batch_stats: (count, mean, m2) of a micro-batch per channel
        (count rank 0; statistics type)."""
        _check_float(x, "batch_stats input")
        fa = _axis(feature_axis, x.type.rank)
        st = stats_dtype(x.type.dtype)
        count, mean = TensorType([], st), TensorType([x.type.shape[fa]], st)
        text = (f"norm.batch_stats {x}"
                f"{' feature_axis = %d' % fa if fa != 1 else ''} : {x.type} "
                f"-> {count}, {mean}")
        return self._op(text, [count, mean, mean])

    def batch_stats_merge(self, a: Tuple[Value, Value, Value],
                          b: Tuple[Value, Value, Value], *, var: bool = False):
        """norm.batch_stats_merge of two parts' (count, mean, m2) (Chan's
        update). Returns (count, mean, m2 [, var])."""
        (na, ma, qa), (nb, mb, qb) = a, b
        if nb.type != na.type or {qa.type, mb.type, qb.type} != {ma.type}:
            raise ValueError(
                f"batch_stats_merge: the parts must have the same types, got "
                f"({na.type}, {ma.type}, {qa.type}) and ({nb.type}, "
                f"{mb.type}, {qb.type})")
        types = [na.type, ma.type, ma.type] + ([ma.type] if var else [])
        text = (f"norm.batch_stats_merge {na}, {ma}, {qa}, {nb}, {mb}, {qb} : "
                f"{na.type}, {ma.type}{f' var({ma.type})' if var else ''}")
        return self._op(text, types)

    # -- Weight normalization ------------------------------------------------

    def spectral_norm(self, weight: Value, u: Value, *, dim: int = 0,
                      power_iterations: Optional[int] = None,
                      eps: Optional[float] = None):
        """norm.spectral_norm. Returns (normalized weight, new u, sigma)."""
        _check_float(weight, "spectral_norm weight")
        d = _axis(dim, weight.type.rank)
        sigma = TensorType([], stats_dtype(weight.type.dtype))
        text = (f"norm.spectral_norm {weight}, {u}"
                f"{' dim = %d' % d if d else ''}"
                f"{_opt_attr('power_iterations', power_iterations, int)}"
                f"{_opt_attr('epsilon', eps)} : {weight.type}, {u.type} -> {sigma}")
        return self._op(text, [weight.type, u.type, sigma])

    # -- Data normalization --------------------------------------------------

    @staticmethod
    def _reduced(x: Value, ax) -> TensorType:
        return TensorType([d for i, d in enumerate(x.type.shape) if i not in ax],
                          x.type.dtype)

    def moments(self, x: Value, axes: Sequence[int] = (0,), *,
                correction: Optional[int] = None):
        """norm.moments: (mean, std) over `axes` (removed from the shape)."""
        _check_float(x, "moments input")
        ax = _axes(axes, x.type.rank)
        r = self._reduced(x, ax)
        text = (f"norm.moments {x} axes = {ax}"
                f"{_opt_attr('correction', correction, int)} : {x.type} -> {r}")
        return self._op(text, [r, r])

    def min_max(self, x: Value, axes: Sequence[int] = (0,)):
        """norm.min_max: (min, max) over `axes` (removed from the shape)."""
        _check_float(x, "min_max input")
        ax = _axes(axes, x.type.rank)
        r = self._reduced(x, ax)
        return self._op(f"norm.min_max {x} axes = {ax} : {x.type} -> {r}", [r, r])

    def standardize(self, x: Value, mean: Value, std: Value,
                    axes: Sequence[int] = (0,)):
        """norm.standardize: (x - mean) / std with statistics over `axes`."""
        _check_float(x, "standardize input")
        ax = _axes(axes, x.type.rank)
        return self._op(f"norm.standardize {x}, {mean}, {std} axes = {ax} : "
                        f"{x.type}, {mean.type}", [x.type])

    def min_max_scale(self, x: Value, lo: Value, hi: Value,
                      axes: Sequence[int] = (0,), *,
                      range_min: Optional[float] = None,
                      range_max: Optional[float] = None):
        """norm.min_max_scale to [range_min, range_max] (default [0, 1])."""
        _check_float(x, "min_max_scale input")
        ax = _axes(axes, x.type.rank)
        return self._op(
            f"norm.min_max_scale {x}, {lo}, {hi} axes = {ax}"
            f"{_opt_attr('range_min', range_min)}{_opt_attr('range_max', range_max)}"
            f" : {x.type}, {lo.type}", [x.type])

    def image_normalize(self, x: Value, mean: Value, std: Value, *,
                        layout: str = "nchw", scale: Optional[float] = None,
                        out_dtype: Optional[str] = None):
        """norm.image_normalize: (x * scale - mean[c]) / std[c]; `layout`
        nchw/chw or nhwc/hwc; output dtype defaults to mean's dtype."""
        if x.type.dtype not in IMAGE_DTYPES:
            raise TypeError(f"image_normalize input must be one of "
                            f"{IMAGE_DTYPES}, got {x.type}")
        if layout not in ("nchw", "nhwc"):
            raise ValueError(f"layout must be 'nchw' or 'nhwc', got {layout!r}")
        out = x.type.with_dtype(mlir_dtype(out_dtype) if out_dtype
                                else mean.type.dtype)
        text = (f"norm.image_normalize {x}, {mean}, {std}"
                f"{' layout = nhwc' if layout == 'nhwc' else ''}"
                f"{_opt_attr('scale', scale)} : {x.type}, {mean.type} -> {out}")
        return self._op(text, [out])


def module_text(functions: Sequence[FunctionBuilder]) -> str:
    """MLIR text of a module holding `functions`."""
    return "module {\n" + "\n".join(f.text() for f in functions) + "}\n"
