"""Elementwise math beyond arithmetic: trigonometric, hyperbolic, error functions, logs and
exponentials to other bases, and binary functions (atan2, hypot, logaddexp, xlogy, fmod, ...).

Each op's forward works on arrays, its backward on Tensors (so second derivatives work).
Where a derivative formula gives 0 * inf or 0 / 0 at an edge point, the backward returns
PyTorch's value there; the docstrings say which. Inputs arrive already promoted to a
common floating dtype (``Tensor`` methods do that); binary backwards sum the gradient back
to each input's shape, as in :mod:`.elementwise`.
"""
import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from . import special
from .elementwise import Where, _const


def _zero_where(mask, t):
    """``t`` with 0 where the constant bool array ``mask`` holds (t stays in the graph)."""
    xp = get_array_module(t.data)
    return Where.apply(_const(xp.zeros((), t.dtype)), t, condition=mask)


def _one_where(mask, t):
    """``t`` with 1 where ``mask`` holds: a safe divisor or argument at an edge point."""
    xp = get_array_module(t.data)
    return Where.apply(_const(xp.ones((), t.dtype)), t, condition=mask)


def _reduced(grads, needs, inputs):
    """Each gradient summed back to its input's shape (None where no gradient is needed)."""
    return tuple(g._sum_to(t.shape) if need else None for g, need, t in zip(grads, needs, inputs))


# ---------------------------------------------------------------- trigonometric, hyperbolic
class Tan(Function):
    def forward(self, x):
        return get_array_module(x).tan(x)

    def backward(self, grad):
        y = self.saved_output()
        return grad * (1 + y * y)


class Asin(Function):
    """asin; d/dx = 1 / sqrt(1 - x^2) (inf at +-1, as PyTorch)."""
    def forward(self, x):
        return get_array_module(x).arcsin(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (1 - x * x).rsqrt()


class Acos(Function):
    def forward(self, x):
        return get_array_module(x).arccos(x)

    def backward(self, grad):
        (x,) = self.inputs
        return -grad * (1 - x * x).rsqrt()


class Atan(Function):
    def forward(self, x):
        return get_array_module(x).arctan(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad / (1 + x * x)


class Sinh(Function):
    def forward(self, x):
        return get_array_module(x).sinh(x)

    def backward(self, grad):
        return grad * self.inputs[0].cosh()


class Cosh(Function):
    def forward(self, x):
        return get_array_module(x).cosh(x)

    def backward(self, grad):
        return grad * self.inputs[0].sinh()


class Asinh(Function):
    def forward(self, x):
        return get_array_module(x).arcsinh(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (x * x + 1).rsqrt()


class Acosh(Function):
    """acosh; d/dx = 1 / sqrt(x^2 - 1) (inf at 1)."""
    def forward(self, x):
        return get_array_module(x).arccosh(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (x * x - 1).rsqrt()


class Atanh(Function):
    def forward(self, x):
        return get_array_module(x).arctanh(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad / (1 - x * x)


class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y); its gradient is (x, -y) / (x^2 + y^2),
    0 at the origin (PyTorch's choice)."""
    def forward(self, y, x):
        return get_array_module(y, x).arctan2(y, x)

    def backward(self, grad):
        y, x = self.inputs
        r2 = x * x + y * y
        r2 = _one_where(r2.data == 0, r2)           # at the origin x = y = 0: gradients 0
        return _reduced((grad * x / r2, -grad * y / r2), self.needs_input_grad, (y, x))


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0; its derivative is 0 where pi x^2 is 0 (PyTorch's rule)."""
    def forward(self, x):
        xp = get_array_module(x)
        px = x * x.dtype.type(math.pi)
        with np.errstate(invalid='ignore', divide='ignore'):
            return xp.where(x == 0, x.dtype.type(1), xp.sin(px) / px)

    def backward(self, grad):
        (x,) = self.inputs
        flat = x.data * x.data * math.pi == 0         # the formula is 0 / 0 here: PyTorch's 0
        x = _one_where(flat, x)
        px = x * math.pi
        slope = (px.cos() * px - px.sin()) / (px * x)
        return grad * _zero_where(flat, slope)


# ---------------------------------------------------------------- error functions
class Erf(Function):
    def forward(self, x):
        return special.erf(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (-x * x).exp() * (2 / math.sqrt(math.pi))


class Erfc(Function):
    def forward(self, x):
        return special.erfc(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (-x * x).exp() * (-2 / math.sqrt(math.pi))


class Erfinv(Function):
    """The inverse of erf on [-1, 1]; d/dx = sqrt(pi) / 2 * exp(erfinv(x)^2)."""
    def forward(self, x):
        return special.erfinv(x)

    def backward(self, grad):
        y = self.saved_output()
        return grad * (y * y).exp() * (math.sqrt(math.pi) / 2)


# ---------------------------------------------------------------- exponentials and logs
class Exp2(Function):
    def forward(self, x):
        return get_array_module(x).exp2(x)

    def backward(self, grad):
        return grad * self.saved_output() * math.log(2)


class Log2(Function):
    def forward(self, x):
        return get_array_module(x).log2(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * math.log(2))


class Log10(Function):
    def forward(self, x):
        return get_array_module(x).log10(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * math.log(10))


class Logit(Function):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given.

    d/dx = 1 / (x (1 - x)); with eps it is 0 outside [eps, 1 - eps], without eps it is nan
    outside [0, 1] (PyTorch's conventions).
    """
    def forward(self, x, *, eps=None):
        xp = get_array_module(x)
        if eps is None:
            self.outside = ((x < 0) | (x > 1), np.nan)
        else:
            self.outside = (~((x >= eps) & (x <= 1 - eps)), 0.0)    # nan too
            x = xp.clip(x, eps, 1 - eps)
        with np.errstate(invalid='ignore', divide='ignore'):
            return xp.log(x / (1 - x))

    def backward(self, grad):
        (x,) = self.inputs
        mask, value = self.outside
        xp = get_array_module(x.data)
        return Where.apply(_const(xp.asarray(value, grad.dtype)), grad / (x * (1 - x)),
                           condition=mask)


class Xlogy(Function):
    """x * log(y), defined as 0 where x == 0 (unless y is nan).

    PyTorch's gradients: d/dx = log(y), 0 where x == 0 and y <= 0; d/dy = x / y.
    """
    def forward(self, x, y):
        xp = get_array_module(x, y)
        with np.errstate(invalid='ignore', divide='ignore'):
            return xp.where((x == 0) & ~xp.isnan(y), x.dtype.type(0), x * xp.log(y))

    def backward(self, grad):
        x, y = self.inputs
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = _zero_where((x.data == 0) & (y.data <= 0), grad.xlogy(y))
        if self.needs_input_grad[1]:
            gy = grad * x / y
        return _reduced((gx, gy), self.needs_input_grad, (x, y))


class Logaddexp(Function):
    """log(e^x + e^y) without overflow: max(x, y) + log(1 + e^-|x - y|); two equal infinities
    give that infinity. d/dx = 1 / (1 + e^(y - x))."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        with np.errstate(invalid='ignore'):
            out = xp.maximum(x, y) + self.log1p_power(xp, -xp.abs(x - y))
        return xp.where((x == y) & xp.isinf(x), x, out)

    @staticmethod
    def log1p_power(xp, t):
        """log(1 + e^t), on arrays."""
        return xp.log1p(xp.exp(t))

    @staticmethod
    def power(t):
        """e^t, on Tensors."""
        return t.exp()

    def backward(self, grad):
        x, y = self.inputs
        return _reduced((grad / (1 + self.power(y - x)), grad / (1 + self.power(x - y))),
                        self.needs_input_grad, (x, y))


class Logaddexp2(Logaddexp):
    """log2(2^x + 2^y), the same way; d/dx = 1 / (1 + 2^(y - x))."""
    @staticmethod
    def log1p_power(xp, t):
        return xp.log1p(xp.exp2(t)) / math.log(2)

    @staticmethod
    def power(t):
        return 2 ** t


# ---------------------------------------------------------------- sign and magnitude
class Hypot(Function):
    """sqrt(x^2 + y^2) without overflow; d/dx = x / hypot (nan at the origin, as PyTorch)."""
    def forward(self, x, y):
        return get_array_module(x, y).hypot(x, y)

    def backward(self, grad):
        x, y = self.inputs
        r = self.saved_output()
        return _reduced((grad * x / r, grad * y / r), self.needs_input_grad, (x, y))


class Copysign(Function):
    """|x| with the sign of y; d/dx = copysign(1, y) * sign(x) (0 at x == 0), d/dy = 0."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        out = xp.copysign(x, y)
        with np.errstate(invalid='ignore', divide='ignore'):
            self.slope = xp.where(x == 0, 0, out / x).astype(out.dtype, copy=False)
        self.shapes = x.shape, y.shape
        return out

    def backward(self, grad):
        xs, ys = self.shapes
        xp = get_array_module(grad.data)
        return ((grad * _const(self.slope))._sum_to(xs) if self.needs_input_grad[0] else None,
                _const(xp.zeros(ys, grad.dtype)) if self.needs_input_grad[1] else None)


class Fmod(Function):
    """C's fmod: x - trunc(x / y) * y, with the sign of x (``remainder`` has y's sign)."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        if x.dtype.kind in 'iub' and (y == 0).any():
            raise RuntimeError("fmod: integer division by zero (ZeroDivisionError)")
        return xp.fmod(x, y)

    def backward(self, grad):
        x, y = self.inputs
        xp = get_array_module(grad.data)
        quotient = _const(xp.trunc(x.data / y.data))       # piecewise constant
        return _reduced((grad, -grad * quotient), self.needs_input_grad, (x, y))


class Fmax(Function):
    """max(x, y) ignoring nan (nan only where both are); ties give x all the gradient."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        self.from_x = (x >= y) | xp.isnan(y)
        self.shapes = x.shape, y.shape
        return xp.fmax(x, y)

    def backward(self, grad):
        xs, ys = self.shapes
        mask = _const(self.from_x.astype(grad.dtype))
        return (grad * mask)._sum_to(xs), (grad * (1 - mask))._sum_to(ys)


class Fmin(Fmax):
    """min(x, y) ignoring nan; ties give x all the gradient."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        self.from_x = (x <= y) | xp.isnan(y)
        self.shapes = x.shape, y.shape
        return xp.fmin(x, y)


class NanToNum(Function):
    """nan -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf``; the gradient passes where x is
    finite."""
    def forward(self, x, *, nan, posinf, neginf):
        xp = get_array_module(x)
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        return grad * _const(self.finite.astype(grad.dtype))


class Lerp(Function):
    """start + weight * (end - start), evaluated from the nearer end (exact at weight 0 and 1,
    as PyTorch); the weight is a Tensor (0-d for a Python number)."""
    def forward(self, start, end, weight):
        xp = get_array_module(start, end, weight)
        diff = end - start
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, grad):
        start, end, weight = self.inputs
        return _reduced((grad * (1 - weight), grad * weight, grad * (end - start)),
                        self.needs_input_grad, (start, end, weight))
