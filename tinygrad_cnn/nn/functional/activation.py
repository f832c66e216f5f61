"""Activation functions (``F.relu``, ``F.gelu``, ...), as in ``torch.nn.functional``.

The piecewise ones (leaky_relu, hardtanh, elu, softplus, hardswish) and
logsigmoid are single ops whose backward multiplies the gradient by the local
slope; the rest are short compositions of Tensor ops, so their gradients come
for free. ``inplace=True`` is accepted for compatibility with PyTorch code; the
result is always a new Tensor (the graph never overwrites values that backward
needs).
"""
import math
import warnings

import numpy as np

from ...autograd import Function
from ...backend import get_array_module, to_device
from ...ops import special
from ...ops.elementwise import _const
from ...random import get_rng
from ...tensor import where

__all__ = ['relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'celu', 'gelu', 'silu', 'mish', 'softplus',
           'sigmoid', 'logsigmoid', 'hardsigmoid', 'hardswish', 'tanh', 'hardtanh', 'softsign',
           'tanhshrink', 'threshold', 'prelu', 'glu', 'softmax', 'softmin', 'log_softmax',
           'hardshrink', 'softshrink', 'rrelu', 'gumbel_softmax', 'relu_', 'elu_', 'leaky_relu_',
           'hardtanh_', 'threshold_', 'selu_', 'celu_', 'rrelu_']

# SELU's constants (Klambauer et al. 2017), as in PyTorch
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class LeakyRelu(Function):
    """y = x if x > 0 else slope * x."""
    def forward(self, x, *, negative_slope):
        xp = get_array_module(x)
        self.slope = xp.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        return x * self.slope

    def backward(self, grad):
        return grad * _const(self.slope)


class Hardtanh(Function):
    """y = clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 outside and at
    the corners (PyTorch's convention, so relu6'(0) = 0 like relu'(0))."""
    def forward(self, x, *, min_val, max_val):
        self.inside = ((x > min_val) & (x < max_val)).astype(x.dtype)
        return get_array_module(x).clip(x, min_val, max_val)

    def backward(self, grad):
        return grad * _const(self.inside)


class Elu(Function):
    """y = scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)); SELU is ELU with fixed
    constants, CELU has input_scale = 1 / alpha.

    For x <= 0 the slope is scale * alpha * input_scale * exp(input_scale * x). (It also
    equals input_scale * (y + scale * alpha), but that sum cancels catastrophically for very
    negative x: exp(-20) ~ 2e-9 vs 1.)
    """
    def forward(self, x, *, alpha, scale, input_scale=1.0):
        xp = get_array_module(x)
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        self.positive = (x > 0).astype(x.dtype)
        # minimum: no overflow for big x
        negative = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
        return xp.where(x > 0, x, negative) * x.dtype.type(scale)

    def backward(self, grad):
        (x,) = self.inputs
        pos = _const(self.positive)
        slope_neg = (x.minimum(0) * self.input_scale).exp() * (
            self.scale * self.alpha * self.input_scale)
        return grad * (pos * self.scale + (1 - pos) * slope_neg)


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (for stability)."""
    def forward(self, x, *, beta, threshold):
        xp = get_array_module(x)
        self.beta = beta
        z = x * beta
        self.linear = z > threshold
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): never overflows
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(self.linear, x, soft)

    def backward(self, grad):
        (x,) = self.inputs
        linear = _const(self.linear.astype(grad.dtype))
        return grad * (linear + (1 - linear) * (x * self.beta).sigmoid())


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)) (never overflows), with
    y' = sigmoid(-x), taken as (1 or e) / (1 + e) with e = exp(-|x|) so that it keeps full
    relative precision in both tails (e.g. y'(20) ~ 2e-9 in float32)."""
    def forward(self, x):
        xp = get_array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        (x,) = self.inputs
        e = (-x.abs()).exp()
        return grad * where(x < 0, 1, e) / (e + 1)


class Hardswish(Function):
    """y = x * relu6(x + 3) / 6, with PyTorch's slope: 0 for x <= -3, x / 3 + 1/2 for
    -3 < x < 3, 1 from 3 on."""
    def forward(self, x):
        xp = get_array_module(x)
        self.middle = ((x > -3) & (x < 3)).astype(x.dtype)
        self.upper = (x >= 3).astype(x.dtype)
        return x * xp.clip(x + 3, 0, 6) / 6

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (_const(self.middle) * (x / 3 + 0.5) + _const(self.upper))


class NormalCdf(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF, with
    Phi'(x) = exp(-x^2 / 2) / sqrt(2 pi). erf is the vectorised one of
    :mod:`tinygrad_cnn.ops.special` (numpy has none).
    """
    def forward(self, x):
        return (special.erf(x * x.dtype.type(1 / math.sqrt(2))) + 1) * x.dtype.type(0.5)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


def relu(input, inplace=False):
    """max(x, 0)."""
    return input.relu()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return Elu.apply(input, alpha=alpha, scale=1.0)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants alpha ~ 1.6733, scale ~ 1.0507."""
    return Elu.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1): ELU whose slope is continuous at 0."""
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (the input is divided by it)")
    return Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def gelu(input, approximate='none'):
    """x * Phi(x) (Phi: the standard normal CDF); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == 'none':
        return input * NormalCdf.apply(input)
    if approximate == 'tanh':
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return input * input.sigmoid()


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return input * softplus(input).tanh()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return LogSigmoid.apply(input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: a piecewise-linear sigmoid (slope 1/6 strictly between -3 and 3)."""
    return hardtanh(input + 3, 0.0, 6.0) / 6


def hardswish(input, inplace=False):
    """x * hardsigmoid(x) (MobileNetV3's cheap swish)."""
    return Hardswish.apply(input)


def tanh(input):
    return input.tanh()


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value (the gradient is 1 where x > threshold, else 0)."""
    # x <= threshold, not x > threshold: NaN stays NaN, as in PyTorch
    return where(input <= threshold, value, input)


def prelu(input, weight):
    """x if x > 0 else weight * x, with a learnable slope ``weight``: one number, or one per
    channel (shape (C,), broadcast over dim 1 of input (N, C, *))."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: expected weight to be a scalar or 1-D tensor, got "
                           f"weight.shape={tuple(weight.shape)}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: expected input and weight of the same dtype, got "
                           f"input.dtype={input.dtype} and weight.dtype={weight.dtype}")
    channels = input.shape[1] if input.ndim > 1 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"prelu: expected weight with 1 element or one per channel (dim 1 "
                           f"of input), got weight.shape={tuple(weight.shape)} for "
                           f"input.shape={tuple(input.shape)}")
    if input.ndim != weight.ndim:          # (C,) -> (1, C, 1, ...): one slope per channel
        shape = [1] * input.ndim
        if input.ndim > 1:
            shape[1] = weight.numel()
        weight = weight.reshape(tuple(shape))
    return where(input > 0, input, input * weight)


def glu(input, dim=-1):
    """Gated linear unit: a * sigmoid(b), where a, b are the two halves of input along dim."""
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if input.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]} for input.shape={tuple(input.shape)}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(name, ndim, stacklevel=3):
    """PyTorch's legacy choice when ``dim`` is omitted: 0 for 0-, 1- and 3-d input, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim('softmax', input.ndim, _stacklevel)
    return input.softmax(dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``; ``dtype`` casts the input first."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim('softmin', input.ndim, _stacklevel)
    return (-input).softmax(dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along ``dim`` (computed stably in one op)."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim('log_softmax', input.ndim, _stacklevel)
    return input.log_softmax(dim)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return where((input >= -lambd) & (input <= lambd), 0, input)


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0 (``lambd >= 0``)."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, "
                           f"{float(np.finfo(input.dtype).max):g}] for input dtype {input.dtype}, "
                           f"but found {lambd}")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: x for x > 0, else a x with the slope a drawn from
    U(lower, upper) per element when ``training`` (from the global generator), and the
    fixed slope (lower + upper) / 2 otherwise."""
    if lower > upper:
        raise RuntimeError("rrelu: Lower bound should be less than or equal to the upper bound "
                           f"(lower={lower}, upper={upper})")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    # the slopes are constants of the step: the gradient is the drawn slope (1 for x > 0)
    slope = get_rng().uniform(lower, upper, input.shape).astype(input.dtype)
    noise = get_array_module(input.data).where(input.data > 0, input.dtype.type(1),
                                               to_device(slope, input.device))
    return input * _const(noise)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with
    ``g = -log(Exponential(1))`` Gumbel noise from the global generator.

    ``hard=True`` returns the one-hot vector of the argmax along ``dim`` in the forward
    pass, with the gradient of the soft sample (straight-through estimator).
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    noise = -np.log(get_rng().exponential(size=logits.shape)).astype(logits.dtype)
    gumbels = (logits + _const(to_device(noise, logits.device))) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    xp = get_array_module(y_soft.data)
    index = xp.expand_dims(y_soft.data.argmax(axis=dim), dim)
    y_hard = xp.zeros_like(y_soft.data)
    xp.put_along_axis(y_hard, index, 1, axis=dim)
    return _const(y_hard) - y_soft.detach() + y_soft


# ----------------------------------------------------------------------------- in place
# ``Tensor._update`` writes the result into the input: recorded for autograd inside a graph
# (a leaf that requires grad raises, as in PyTorch), a plain data write otherwise.

def relu_(input):
    """In-place :func:`relu`."""
    return input._update('relu_', relu)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return input._update('elu_', lambda x: elu(x, alpha))


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return input._update('leaky_relu_', lambda x: leaky_relu(x, negative_slope))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return input._update('hardtanh_', lambda x: hardtanh(x, min_val, max_val))


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return input._update('threshold_', lambda x: where(x <= threshold, value, x))


def selu_(input):
    """In-place :func:`selu`."""
    return input._update('selu_', selu)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return input._update('celu_', lambda x: celu(x, alpha))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return input._update('rrelu_', lambda x: rrelu(x, lower, upper, training))
