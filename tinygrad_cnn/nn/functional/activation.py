"""Activation functions (``F.relu``, ``F.gelu``, ...), as in ``torch.nn.functional``.

The piecewise ones (leaky_relu, hardtanh, elu, softplus) are single ops whose
backward multiplies the gradient by the local slope; the rest are short
compositions of Tensor ops, so their gradients come for free. ``inplace=True``
is accepted for compatibility with PyTorch code; the result is always a new
Tensor (the graph never overwrites values that backward needs).
"""
import math
import warnings

import numpy as np

from ...autograd import Function
from ...backend import device_of, get_array_module, to_device, to_numpy
from ...ops.elementwise import _const

__all__ = ['relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'sigmoid',
           'tanh', 'hardtanh', 'softmax', 'log_softmax']

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
    """y = scale * (x if x > 0 else alpha * (exp(x) - 1)); SELU is ELU with fixed constants.

    For x <= 0 the slope is scale * alpha * exp(x). (It also equals y + scale * alpha,
    but that sum cancels catastrophically for very negative x: exp(-20) ~ 2e-9 vs 1.)
    """
    def forward(self, x, *, alpha, scale):
        xp = get_array_module(x)
        self.alpha, self.scale = alpha, scale
        self.positive = (x > 0).astype(x.dtype)
        negative = alpha * xp.expm1(xp.minimum(x, 0))      # minimum: no overflow for big x
        return xp.where(x > 0, x, negative) * x.dtype.type(scale)

    def backward(self, grad):
        (x,) = self.inputs
        pos = _const(self.positive)
        slope_neg = x.minimum(0).exp() * (self.scale * self.alpha)
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


_erf_host = np.frompyfunc(math.erf, 1, 1)


class NormalCdf(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF, with
    Phi'(x) = exp(-x^2 / 2) / sqrt(2 pi).

    numpy has no vectorised erf, so the forward maps ``math.erf`` over the
    elements on the host: exact, but ~50x slower than tanh (use
    ``gelu(approximate='tanh')`` where speed matters).
    """
    def forward(self, x):
        # np.asarray: a ufunc from frompyfunc returns a bare Python float for 0-d input
        erf = np.asarray(_erf_host(to_numpy(x) * (1 / math.sqrt(2))), dtype=x.dtype)
        return to_device((erf + 1) * x.dtype.type(0.5), device_of(x))

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


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input):
    return input.tanh()


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


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along ``dim`` (computed stably in one op)."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim('log_softmax', input.ndim, _stacklevel)
    return input.log_softmax(dim)
