"""Elementwise ops (with numpy broadcasting): forward on arrays, backward on Tensors.

Binary ops broadcast; their backward sums the gradient back to each input's
shape with ``_sum_to`` (the adjoint of broadcasting). Ops whose derivative is
piecewise constant (relu, abs, clamp) multiply by a mask that is a constant,
so their second derivative is zero, as it is almost everywhere.
"""
from ..autograd import Function
from ..backend import get_array_module


def _const(array):
    """Wrap a constant array (a mask, a sign) as a Tensor that needs no grad."""
    from ..tensor import Tensor
    return Tensor._make(array, False, None)


class Add(Function):
    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return x + y

    def backward(self, grad):
        xs, ys = self.shapes
        return (grad._sum_to(xs) if self.needs_input_grad[0] else None,
                grad._sum_to(ys) if self.needs_input_grad[1] else None)


class Sub(Function):
    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return x - y

    def backward(self, grad):
        xs, ys = self.shapes
        return (grad._sum_to(xs) if self.needs_input_grad[0] else None,
                (-grad)._sum_to(ys) if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, x, y):
        return x * y

    def backward(self, grad):
        x, y = self.inputs
        return ((grad * y)._sum_to(x.shape) if self.needs_input_grad[0] else None,
                (grad * x)._sum_to(y.shape) if self.needs_input_grad[1] else None)


class Div(Function):
    def forward(self, x, y):
        return x / y

    def backward(self, grad):
        x, y = self.inputs
        gx = grad / y
        return (gx._sum_to(x.shape) if self.needs_input_grad[0] else None,
                (-gx * x / y)._sum_to(y.shape) if self.needs_input_grad[1] else None)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Pow(Function):
    """x ** y for two tensors; d/dx = y x^(y-1), d/dy = x^y log x.

    PyTorch's conventions where these formulas give 0 * inf: d/dx is 0 where y == 0,
    d/dy is 0 where x == 0 and y >= 0 (a negative base gives nan, as log x does).
    """
    def forward(self, x, y):
        return x ** y

    def backward(self, grad):
        x, y = self.inputs
        xp = get_array_module(x.data)
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = Where.apply(_const(xp.zeros((), grad.dtype)), grad * y * x ** (y - 1),
                             condition=y.data == 0)._sum_to(x.shape)
        if self.needs_input_grad[1]:
            # log(where(x == 0 and y >= 0, 1, x)) keeps x in the graph (the second derivative
            # needs its x^(y-1) term) and gives log 1 = 0 where PyTorch's gradient is 0
            flat = (x.data == 0) & (y.data >= 0)
            log_x = Where.apply(_const(xp.ones((), x.dtype)), x, condition=flat).log()
            gy = (grad * self.saved_output() * log_x)._sum_to(y.shape)
        return gx, gy


class PowScalar(Function):
    """x ** p for a Python number p."""
    def forward(self, x, *, exponent):
        self.exponent = exponent
        return x ** exponent

    def backward(self, grad):
        (x,) = self.inputs
        p = self.exponent
        if p == 0:
            return grad * 0
        return grad * p * x ** (p - 1) if p != 2 else grad * 2 * x


class RPowScalar(Function):
    """c ** x for a Python number c; d/dx = c^x log c."""
    def forward(self, x, *, base):
        self.base = base
        return base ** x

    def backward(self, grad):
        import math
        if self.base == 0:      # 0**x: flat for x >= 0 (PyTorch: 0, not 0 * -inf); inf * log 0 below
            xp = get_array_module(grad.data)
            return grad * _const(xp.where(self.inputs[0].data >= 0, 0, -xp.inf).astype(grad.dtype))
        return grad * self.saved_output() * (math.log(self.base) if self.base > 0 else math.nan)


class Exp(Function):
    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, grad):
        return grad * self.saved_output()


class Log(Function):
    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, grad):
        return grad / self.inputs[0]


class Log1p(Function):
    """log(1 + x), exact for tiny x where computing 1 + x first would round it away."""
    def forward(self, x):
        return get_array_module(x).log1p(x)

    def backward(self, grad):
        return grad / (1 + self.inputs[0])


class Expm1(Function):
    """exp(x) - 1, exact for tiny x."""
    def forward(self, x):
        return get_array_module(x).expm1(x)

    def backward(self, grad):
        return grad * (self.saved_output() + 1)


class Sqrt(Function):
    def forward(self, x):
        return get_array_module(x).sqrt(x)

    def backward(self, grad):
        return grad / (2 * self.saved_output())


class NormSqrt(Sqrt):
    """sqrt whose gradient is 0 where the output is 0 (not inf): PyTorch's subgradient for
    ``std`` and ``norm`` of inputs with no spread / all zeros."""
    def backward(self, grad):
        y = self.saved_output()
        xp = get_array_module(y.data)
        zero = y.data == 0
        safe = Where.apply(_const(xp.ones((), y.dtype)), y, condition=zero)   # 1 where y == 0
        return grad * _const((~zero).astype(y.dtype)) / (2 * safe)


class Sin(Function):
    def forward(self, x):
        return get_array_module(x).sin(x)

    def backward(self, grad):
        return grad * self.inputs[0].cos()


class Cos(Function):
    def forward(self, x):
        return get_array_module(x).cos(x)

    def backward(self, grad):
        return -grad * self.inputs[0].sin()


class Tanh(Function):
    def forward(self, x):
        return get_array_module(x).tanh(x)

    def backward(self, grad):
        y = self.saved_output()
        return grad * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # e^-|x| never overflows; sigmoid(-|x|) = e/(1+e) keeps full relative precision
        # in the far negative tail (1 - sigmoid(|x|) would round to 0 there)
        e = xp.exp(-xp.abs(x))
        positive = 1 / (1 + e)                  # sigmoid(|x|)
        return xp.where(x >= 0, positive, e * positive)

    def backward(self, grad):
        y = self.saved_output()
        return grad * y * (1 - y)


class Relu(Function):
    def forward(self, x):
        self.mask = ~(x <= 0)                      # nan passes the gradient, as in PyTorch
        return get_array_module(x).maximum(x, 0)   # not x * mask: that gives -0.0

    def backward(self, grad):
        # Mul directly: float * bool is float in numpy, so the mask needs no cast pass
        return Mul.apply(grad, _const(self.mask))


class Abs(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.sign = xp.where(xp.isnan(x), 0, xp.sign(x))    # PyTorch's sgn(nan) is 0
        return xp.abs(x)

    def backward(self, grad):
        return grad * _const(self.sign)


class Step(Function):
    """A piecewise-constant function (``fn`` = floor, ceil, round, sign): gradient 0, as PyTorch."""
    def forward(self, x, *, fn):
        xp = get_array_module(x)
        out = getattr(xp, fn)(x)
        if fn == 'sign' and x.dtype.kind == 'f':
            out = xp.where(xp.isnan(x), x.dtype.type(0), out)       # PyTorch: sign(nan) = 0
        return out

    def backward(self, grad):
        return _const(get_array_module(grad.data).zeros_like(grad.data))


class FloorDiv(Function):
    """x // y, rounding toward -inf; piecewise constant, so its gradients are 0."""
    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return x // y

    def backward(self, grad):
        xp = get_array_module(grad.data)
        return tuple(_const(xp.zeros(s, grad.dtype)) for s in self.shapes)


class Remainder(Function):
    """x % y with the sign of y (Python's and PyTorch's ``remainder``): x - floor(x / y) * y."""
    def forward(self, x, y):
        return x % y

    def backward(self, grad):
        x, y = self.inputs
        xp = get_array_module(grad.data)
        quotient = _const(xp.floor(x.data / y.data))     # piecewise constant: a constant here
        return (grad._sum_to(x.shape) if self.needs_input_grad[0] else None,
                (-grad * quotient)._sum_to(y.shape) if self.needs_input_grad[1] else None)


class Clamp(Function):
    """clamp(x, min, max) for Python numbers; the gradient flows where min <= x <= max."""
    def forward(self, x, *, min=None, max=None):
        xp = get_array_module(x)
        inside = xp.ones(x.shape, bool)        # PyTorch's mask: at a bound the gradient passes
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        self.mask = inside.astype(x.dtype)
        return xp.clip(x, min, max)

    def backward(self, grad):
        return grad * _const(self.mask)


class ClampTensor(Function):
    """clamp(x, min, max) with Tensor bounds (one may be None): min(max(x, min), max).

    Each element's gradient goes to whichever of x, min, max it was taken from (at a bound
    x wins); where min > max the result is max, as in PyTorch.
    """
    def forward(self, x, lo, hi):
        xp = get_array_module(x)
        out = x if lo is None else xp.maximum(x, lo)
        out = out if hi is None else xp.minimum(out, hi)
        keep = xp.ones(out.shape, bool)
        if lo is not None:
            keep = keep & (x >= lo)
        if hi is not None:
            keep = keep & (x <= hi)
        # PyTorch's masks: min wins below it unless min > max; max wins above it or if min > max
        lo_wins = None if lo is None else (x < lo) & (True if hi is None else lo < hi)
        hi_wins = None if hi is None else (x > hi) | (False if lo is None else hi < lo)
        self.masks = [None if m is None else xp.broadcast_to(m, out.shape).astype(x.dtype)
                      for m in (keep, lo_wins, hi_wins)]
        return out

    def backward(self, grad):
        return tuple(None if not need else (grad * _const(m))._sum_to(t.shape)
                     for need, m, t in zip(self.needs_input_grad, self.masks, self.inputs))


class Maximum(Function):
    """Elementwise max; on ties the gradient is split evenly (as PyTorch)."""
    def forward(self, x, y):
        xp = get_array_module(x, y)
        dtype = xp.result_type(x, y)
        self.share = ((x > y) + (x == y) * dtype.type(0.5)).astype(dtype)   # x's share of grad
        self.shapes = x.shape, y.shape
        return xp.maximum(x, y)

    def backward(self, grad):
        xs, ys = self.shapes
        share = _const(self.share)
        return (grad * share)._sum_to(xs), (grad * (1 - share))._sum_to(ys)


class Minimum(Maximum):
    def forward(self, x, y):
        return -super().forward(-x, -y)


class Where(Function):
    """where(condition, x, y); the condition is a constant bool array."""
    def forward(self, x, y, *, condition):
        xp = get_array_module(x, y)
        self.condition = condition
        self.shapes = x.shape, y.shape
        return xp.where(condition, x, y)

    def backward(self, grad):
        xs, ys = self.shapes
        mask = _const(self.condition.astype(grad.dtype))
        return (grad * mask)._sum_to(xs), (grad * (1 - mask))._sum_to(ys)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""
    def forward(self, x, *, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.to(self.in_dtype)
