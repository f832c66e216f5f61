"""Tensor's elementwise math, linear-algebra combinations and in-place variants.

:class:`MathMethods` is a base class of :class:`~tinygrad_cnn.tensor.Tensor`; its methods
are thin, as Tensor's own: they promote dtypes the PyTorch way (integer inputs of
floating functions give the default float dtype), check arguments, and call the ops in
:mod:`tinygrad_cnn.ops.math` or compose differentiable Tensor ops. ``einsum`` and
``tensordot`` are functions (``tg.einsum``), as in PyTorch.

In-place forms (``x.exp_()``, ``x.lerp_(end, w)``) compute the result out of place and
write it into ``x``, keeping its dtype; inside a graph the tensor is rebound to the result
(see ``Tensor._rebind``), so autograd sees the update as PyTorch's version counters do.
"""
import math
import warnings

import numpy as np

from . import autograd
from . import tensor as T
from .backend import get_array_module
from .ops import einsum as _einsum
from .ops import math as F


def _shape_error(op, tensors):
    shapes = ' and '.join(str(tuple(t.shape)) for t in tensors)
    return RuntimeError(f"{op}: the shapes {shapes} cannot be broadcast together")


def _check_broadcast(op, *tensors):
    try:
        return np.broadcast_shapes(*[t.shape for t in tensors])
    except ValueError:
        raise _shape_error(op, tensors) from None


def _check_dims(op, **tensors):
    """Each named tensor must have the given number of dimensions: ``mat1=(t, 2)``."""
    for name, (t, ndim) in tensors.items():
        if t.ndim != ndim:
            kind = {1: 'a vector', 2: 'a matrix', 3: 'a 3-D batch of matrices'}[ndim]
            raise RuntimeError(f"{op}: {name} must be {kind}, got a {t.ndim}-D tensor of "
                               f"shape {tuple(t.shape)}")


def _check_same_dtype(op, **tensors):
    dtypes = {t.dtype for t in tensors.values()}
    if len(dtypes) > 1:
        found = ', '.join(f"{name} {t.dtype}" for name, t in tensors.items())
        raise RuntimeError(f"{op}: expected all tensors to have the same dtype, but got {found}")


def _floating_only(op, t):
    if t.dtype.kind != 'f':
        raise NotImplementedError(f"{op}: not implemented for dtype {t.dtype} (floating "
                                  "point tensors only)")


def _no_bools(op, *tensors):
    for t in tensors:
        if t.dtype.kind == 'b':
            raise NotImplementedError(f"{op}: not implemented for bool tensors")


def _integral_only(op, *tensors):
    for t in tensors:
        if t.dtype.kind not in 'biu':
            raise NotImplementedError(f"{op}: not implemented for dtype {t.dtype} (integer "
                                      "and bool tensors only)")


class MathMethods:
    """Math methods of Tensor (mixed into it); see the module docstring."""
    __slots__ = ()

    # ------------------------------------------------------------ helpers
    def _float_operands(self, op, other, integers=True):
        """self and other in their common dtype, which is made floating: integers give the
        default float dtype, or raise NotImplementedError (``integers=False``) where PyTorch
        has no integer kernel. Raises RuntimeError if the shapes don't broadcast."""
        other = self._other(other)
        dtype = T._result_type(self, other)
        if dtype.kind != 'f':
            if not integers:
                raise NotImplementedError(f"{op}: not implemented for dtype {dtype} (floating "
                                          "point tensors only)")
            dtype = T.get_default_dtype()
        _check_broadcast(op, self, other)
        return self.to(dtype), other.to(dtype)

    def _update(self, op, compute, *others):
        """The in-place form ``self.op(...)``: ``compute(self)``, written into self.

        Raises, before anything changes, when the result's dtype cannot be stored in
        self's (a float result in an int tensor) or its shape is not self's.
        """
        def checked(t):
            out = compute(t)
            if T._CATEGORY[out.dtype.kind] > T._CATEGORY[self.dtype.kind]:
                raise RuntimeError(f"{op}: result type {out.dtype} can't be cast to the "
                                   f"desired output type {self.dtype}")
            return out
        if autograd.is_grad_enabled() and (self.requires_grad or any(
                isinstance(o, T.Tensor) and o.requires_grad for o in others)):
            return self._rebind(op, checked)
        out = checked(self)
        self._inplace(op, out)                 # checks the shape, records the change
        self.data[...] = out.data
        return self

    # ------------------------------------------------------------ trigonometric, hyperbolic
    def tan(self):
        return F.Tan.apply(self._floating('tan'))

    def asin(self):
        return F.Asin.apply(self._floating('asin'))

    def acos(self):
        return F.Acos.apply(self._floating('acos'))

    def atan(self):
        return F.Atan.apply(self._floating('atan'))

    def sinh(self):
        return F.Sinh.apply(self._floating('sinh'))

    def cosh(self):
        return F.Cosh.apply(self._floating('cosh'))

    def asinh(self):
        return F.Asinh.apply(self._floating('asinh'))

    def acosh(self):
        return F.Acosh.apply(self._floating('acosh'))

    def atanh(self):
        return F.Atanh.apply(self._floating('atanh'))

    def atan2(self, other):
        """The angle of the point (other, self): atan(self / other) in the right quadrant."""
        return F.Atan2.apply(*self._float_operands('atan2', other))

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sinc(self):
        """sin(pi x) / (pi x), 1 at 0."""
        return F.Sinc.apply(self._floating('sinc'))

    def deg2rad(self):
        return self._floating('deg2rad') * (math.pi / 180)

    def rad2deg(self):
        return self._floating('rad2deg') * (180 / math.pi)

    # ------------------------------------------------------------ error functions
    def erf(self):
        return F.Erf.apply(self._floating('erf'))

    def erfc(self):
        return F.Erfc.apply(self._floating('erfc'))

    def erfinv(self):
        return F.Erfinv.apply(self._floating('erfinv'))

    # ------------------------------------------------------------ exponentials and logs
    def exp2(self):
        return F.Exp2.apply(self._floating('exp2'))

    def log2(self):
        return F.Log2.apply(self._floating('log2'))

    def log10(self):
        return F.Log10.apply(self._floating('log10'))

    def logaddexp(self, other):
        """log(e^self + e^other), without overflow."""
        return F.Logaddexp.apply(*self._float_operands('logaddexp', other, integers=False))

    def logaddexp2(self, other):
        """log2(2^self + 2^other), without overflow."""
        return F.Logaddexp2.apply(*self._float_operands('logaddexp2', other, integers=False))

    def xlogy(self, other):
        """self * log(other), 0 where self == 0 (unless other is nan)."""
        return F.Xlogy.apply(*self._float_operands('xlogy', other))

    def logit(self, eps=None):
        """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]."""
        return F.Logit.apply(self._floating('logit'), eps=eps)

    def float_power(self, exponent):
        """self ** exponent computed in float64 (the result is float64)."""
        exponent = exponent.double() if isinstance(exponent, T.Tensor) else float(exponent)
        return self.double() ** exponent

    # ------------------------------------------------------------ sign, magnitude, rounding
    def hypot(self, other):
        """sqrt(self^2 + other^2), without overflow."""
        return F.Hypot.apply(*self._float_operands('hypot', other, integers=False))

    def copysign(self, other):
        """|self| with the sign of other (floating result)."""
        return F.Copysign.apply(*self._float_operands('copysign', other))

    def fmod(self, other):
        """self - trunc(self / other) * other: the remainder with the sign of self."""
        return self._binary(F.Fmod, other)

    def fmax(self, other):
        """Elementwise max that ignores nan (nan only where both are nan)."""
        return self._binary(F.Fmax, other)

    def fmin(self, other):
        """Elementwise min that ignores nan."""
        return self._binary(F.Fmin, other)

    def frac(self):
        """self - trunc(self), the fractional part with self's sign."""
        _floating_only('frac', self)
        return self - self.trunc()

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """Covariance of the variables in the rows of ``self``, observations in the columns:
        (V, N) -> (V, V); a 1-d input is one variable (a 0-d result). ``fweights`` (integer
        counts) and ``aweights`` (float weights), each of shape (N,), weight the observations
        as ``numpy.cov`` does. Integer inputs give the default float dtype."""
        if self.ndim > 2:
            raise RuntimeError(f"cov: expected input to have two or fewer dimensions but got an "
                               f"input with {self.ndim} dimensions (shape {tuple(self.shape)})")
        x = self.reshape(1, -1) if self.ndim < 2 else self
        x = x if x.dtype.kind in 'fc' else x.to(T.get_default_dtype())
        w = fweights if aweights is None else aweights if fweights is None else fweights * aweights
        if w is None:
            if x.shape[1] - correction <= 0:         # the result is inf/nan, as PyTorch
                warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                              "less than the number of observations.", UserWarning, stacklevel=2)
            xm = x - x.mean(1, keepdim=True)
            c = xm.matmul(xm.t()) / float(max(x.shape[1] - correction, 0))
        else:
            w = w.to(x.dtype)
            w_sum = w.sum()
            xm = x - (x * w).sum(1, keepdim=True) / w_sum
            if correction == 0:
                norm = w_sum
            elif aweights is None:
                norm = w_sum - correction
            else:
                norm = w_sum - correction * (w * aweights).sum() / w_sum
            c = (xm * w).matmul(xm.t()) / norm.clamp(min=0)
        return c.reshape(()) if self.ndim < 2 else c

    def corrcoef(self):
        """Pearson correlation coefficients of the rows of ``self`` (see :meth:`cov`), clipped
        to [-1, 1]: (V, N) -> (V, V)."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        stddev = c.diagonal().sqrt()
        return (c / stddev.reshape(-1, 1) / stddev.reshape(1, -1)).clamp(-1, 1)

    def fix(self):
        return self.trunc()

    def sgn(self):
        """sign(self) (for real tensors the same as ``sign``)."""
        return self.sign()

    def absolute(self):
        return self.abs()

    def positive(self):
        if self.dtype.kind == 'b':
            raise RuntimeError("positive: the `+` operator on a bool tensor is not supported")
        return self

    def signbit(self):
        """True where the sign bit is set (also for -0.0 and -nan)."""
        xp = get_array_module(self.data)
        if self.dtype.kind == 'b':
            return T.Tensor._make(xp.zeros(self.shape, bool), False, None)
        return T.Tensor._make(xp.signbit(self.data), False, None)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """nan -> nan, +-inf -> posinf/neginf (default: the dtype's largest finite values)."""
        if self.dtype.kind != 'f':
            return self.clone()
        return F.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def heaviside(self, values):
        """0 where self < 0, ``values`` where self == 0, 1 where self > 0 (no gradient)."""
        values = self._other(values)
        if values.dtype != self.dtype:
            raise RuntimeError(f"heaviside: input and values must have the same dtype, got "
                               f"{self.dtype} and {values.dtype}")
        _check_broadcast('heaviside', self, values)
        xp = get_array_module(self.data)
        out = xp.where(self.data == 0, values.data, self.data > 0).astype(self.dtype)
        return T.Tensor._make(out, False, None)

    # ------------------------------------------------------------ interpolation, fused
    def lerp(self, end, weight):
        """self + weight * (end - self); ``weight`` is a number or a Tensor."""
        _floating_only('lerp', self)
        weight = self._other(weight)
        _check_same_dtype('lerp', input=self, end=end, weight=weight)
        _check_broadcast('lerp', self, end, weight)
        return F.Lerp.apply(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 * tensor2."""
        _check_broadcast('addcmul', self, tensor1, tensor2)
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 / tensor2 (true division; integer tensors are refused)."""
        if tensor1.dtype.kind != 'f' and tensor2.dtype.kind != 'f':
            raise RuntimeError("addcdiv: integer division with addcdiv is not supported; "
                               "use floating tensor1 or tensor2")
        _check_broadcast('addcdiv', self, tensor1, tensor2)
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    # ------------------------------------------------------------ products
    def _scaled_sum(self, op, product, beta, alpha):
        """beta * self + alpha * product, self broadcast to the product's shape;
        with beta == 0 self is ignored (nan and inf in it too), as in PyTorch."""
        if self.dtype.kind in 'biu' and any(isinstance(s, float) for s in (beta, alpha)):
            raise RuntimeError(f"{op}: for integral input tensors, beta and alpha must not be "
                               "floating point numbers")
        if not _broadcasts_to(self.shape, product.shape):
            raise RuntimeError(f"{op}: input of shape {tuple(self.shape)} cannot be broadcast "
                               f"to the product's shape {tuple(product.shape)}")
        out = product if alpha == 1 else product * alpha
        if beta == 0:       # self adds zeros, whatever it holds, and gets a zero gradient
            xp = get_array_module(self.data)
            return out + T.where(xp.ones((), bool), 0, self)
        return out + (self if beta == 1 else self * beta)

    def mv(self, vec):
        """Matrix (n, m) times vector (m,) -> (n,)."""
        _check_dims('mv', input=(self, 2), vec=(vec, 1))
        if self.shape[1] != vec.shape[0]:
            raise RuntimeError(f"mv: size mismatch, got matrix of shape {tuple(self.shape)} and "
                               f"vector of shape {tuple(vec.shape)}")
        return self.matmul(vec)

    def outer(self, vec2):
        """Outer product of vectors (n,) and (m,) -> (n, m)."""
        _check_dims('outer', input=(self, 1), vec2=(vec2, 1))
        return self.unsqueeze(1) * vec2

    ger = outer

    def inner(self, other):
        """Sum over the last dimensions: (..., k), (..., k) -> shape[:-1] + other.shape[:-1]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner: the last dimension must match on both inputs, but got "
                               f"shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return tensordot(self, other, dims=([-1], [-1]))

    def vdot(self, other):
        """Dot product of two vectors of the same size and dtype."""
        _check_dims('vdot', input=(self, 1), other=(other, 1))
        _check_same_dtype('vdot', input=self, other=other)
        if self.shape != other.shape:
            raise RuntimeError(f"vdot: inconsistent sizes {tuple(self.shape)} and "
                               f"{tuple(other.shape)}")
        return (self * other).sum()

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2): (n, m) @ (m, p), self broadcastable to (n, p)."""
        _check_dims('addmm', mat1=(mat1, 2), mat2=(mat2, 2))
        _check_same_dtype('addmm', input=self, mat1=mat1, mat2=mat2)
        return self._scaled_sum('addmm', mat1.matmul(mat2), beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec): (n, m) @ (m,), self broadcastable to (n,)."""
        _check_dims('addmv', mat=(mat, 2), vec=(vec, 1))
        _check_same_dtype('addmv', input=self, mat=mat, vec=vec)
        return self._scaled_sum('addmv', mat.matmul(vec), beta, alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2), self broadcastable to (n, m)."""
        return self._scaled_sum('addr', vec1.outer(vec2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2): (b, n, m) @ (b, m, p) -> (b, n, p)."""
        product = _batch_product('baddbmm', self, batch1, batch2)
        return self._scaled_sum('baddbmm', product, beta, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * sum_b (batch1[b] @ batch2[b]) -> (n, p)."""
        product = _batch_product('addbmm', self, batch1, batch2).sum(0)
        return self._scaled_sum('addbmm', product, beta, alpha)

    # ------------------------------------------------------------ comparisons, logic, bits
    def greater(self, other):
        return self > other

    def greater_equal(self, other):
        return self >= other

    def less(self, other):
        return self < other

    def less_equal(self, other):
        return self <= other

    def not_equal(self, other):
        return self != other

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other|, elementwise; equal infinities are close."""
        other = self._other(other)
        if other.dtype != self.dtype:
            raise RuntimeError(f"isclose: expected both inputs to have the same dtype, but got "
                               f"{self.dtype} and {other.dtype}")
        _check_broadcast('isclose', self, other)
        xp = get_array_module(self.data)
        return T.Tensor._make(xp.isclose(self.data, other.data, rtol, atol, equal_nan),
                              False, None)

    def isneginf(self):
        return T.Tensor._make(get_array_module(self.data).isneginf(self.data), False, None)

    def isposinf(self):
        return T.Tensor._make(get_array_module(self.data).isposinf(self.data), False, None)

    def isreal(self):
        """All True: real tensors have no imaginary part."""
        return T.Tensor._make(get_array_module(self.data).ones(self.shape, bool), False, None)

    def _elementwise(self, op, fn, other):
        """``fn(self, other)`` on arrays, both promoted to a common dtype; no gradient."""
        other = self._other(other)
        dtype = T._result_type(self, other)
        _check_broadcast(op, self, other)
        return T.Tensor._make(fn(self.data.astype(dtype, copy=False),
                                 other.data.astype(dtype, copy=False)), False, None)

    def logical_and(self, other):
        return self._elementwise('logical_and', get_array_module(self.data).logical_and, other)

    def logical_or(self, other):
        return self._elementwise('logical_or', get_array_module(self.data).logical_or, other)

    def logical_xor(self, other):
        return self._elementwise('logical_xor', get_array_module(self.data).logical_xor, other)

    def _bitwise(self, op, other):
        other = self._other(other)
        _integral_only(op, self, other)
        return self._elementwise(op, getattr(get_array_module(self.data), op), other)

    def bitwise_and(self, other):
        return self._bitwise('bitwise_and', other)

    def bitwise_or(self, other):
        return self._bitwise('bitwise_or', other)

    def bitwise_xor(self, other):
        return self._bitwise('bitwise_xor', other)

    def bitwise_not(self):
        _integral_only('bitwise_not', self)
        return T.Tensor._make(~self.data, False, None)

    def bitwise_left_shift(self, other):
        """self * 2^other for integers (0 once every bit is shifted out)."""
        _no_bools('bitwise_left_shift', self, self._other(other))
        return self._bitwise('left_shift', other)

    def bitwise_right_shift(self, other):
        """self // 2^other for integers (arithmetic: negative numbers stay negative)."""
        _no_bools('bitwise_right_shift', self, self._other(other))
        return self._bitwise('right_shift', other)

    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _batch_product(op, input, batch1, batch2):
    _check_dims(op, batch1=(batch1, 3), batch2=(batch2, 3))
    _check_same_dtype(op, input=input, batch1=batch1, batch2=batch2)
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"{op}: batch1 of shape {tuple(batch1.shape)} and batch2 of shape "
                           f"{tuple(batch2.shape)} cannot be multiplied batch by batch")
    return batch1.matmul(batch2)


def _inplace_form(name):
    """``x.name_(...)``: the in-place form of the method ``name``."""
    def method(self, *args, **kwargs):
        return self._update(name + '_', lambda t: getattr(t, name)(*args, **kwargs),
                            *args, *kwargs.values())
    method.__name__ = method.__qualname__ = name + '_'
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


for _name in ('abs exp log sqrt rsqrt sin cos tanh sigmoid relu neg reciprocal square floor ceil '
              'round trunc sign pow log1p expm1 clamp clamp_min clamp_max clip masked_fill '
              'tan asin acos atan sinh cosh asinh acosh atanh atan2 arcsin arccos arctan arctan2 '
              'arcsinh arccosh arctanh erf erfc erfinv exp2 log2 log10 xlogy logit sinc deg2rad '
              'rad2deg hypot copysign fmod frac fix sgn absolute negative nan_to_num heaviside '
              'lerp addcmul addcdiv addmm addmv addr baddbmm addbmm logical_and logical_or '
              'logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not '
              'bitwise_left_shift bitwise_right_shift eq ne lt le gt ge greater greater_equal less '
              'less_equal not_equal true_divide').split():
    setattr(MathMethods, _name + '_', _inplace_form(_name))
del _name


def _float_power_(self, exponent):
    """In-place ``float_power``: the tensor must already be float64."""
    if self.dtype != np.float64:
        raise RuntimeError(f"float_power_: the base has dtype {self.dtype} but the result "
                           "requires dtype float64")
    return self._update('float_power_', lambda t: t.float_power(exponent), exponent)


MathMethods.float_power_ = _float_power_


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the rows of ``input`` (see ``Tensor.cov``)."""
    return input.cov(correction=correction, fweights=fweights, aweights=aweights)


def corrcoef(input):
    """Correlation coefficients of the rows of ``input`` (see ``Tensor.corrcoef``)."""
    return input.corrcoef()


def xlogy(input, other):
    """``input * log(other)``, 0 where input == 0; ``input`` may be a number, as in PyTorch."""
    return (input if isinstance(input, T.Tensor) else other._other(input)).xlogy(other)


def float_power(input, exponent):
    """``input ** exponent`` in float64; ``input`` may be a number, as in PyTorch."""
    return (input if isinstance(input, T.Tensor) else exponent._other(input)).float_power(exponent)


def einsum(equation, *operands):
    """Einstein summation in PyTorch's format: ``einsum('bij,bjk->bik', a, b)``.

    Letters name dimensions; letters missing from the output are summed over; ``...``
    stands for broadcast batch dimensions; without ``->`` the output is ``...`` followed
    by the letters used once, in alphabetical order. Operands may also be given as one list.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if len({t.dtype for t in operands}) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got "
                           f"{[str(t.dtype) for t in operands]}")
    inputs, output, sizes = _einsum.parse_equation(equation, [t.shape for t in operands])
    # size-1 dimensions broadcast: expand them, so the op sees equal sizes per letter
    operands = [t if all(n == sizes[c] for c, n in zip(sub, t.shape))
                else t.expand(*[sizes[c] for c in sub]) for sub, t in zip(inputs, operands)]
    return _einsum.Einsum.apply(*operands, inputs=inputs, output=output)


def tensordot(a, b, dims=2):
    """Contract dimensions of ``a`` with dimensions of ``b``: ``dims=k`` pairs a's last k with
    b's first k; ``dims=([1, 2], [0, 1])`` names them. Result: a's free dims, then b's."""
    if isinstance(dims, T.Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot: dims must be non-negative, got {dims}")
        dims = (list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both dimension lists should have the same length, got "
                           f"{dims_a} and {dims_b}")
    dims_a = [T._dim(d, a.ndim, 'tensordot') for d in dims_a]
    dims_b = [T._dim(d, b.ndim, 'tensordot') for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but a (shape "
                               f"{tuple(a.shape)}) has size {a.shape[da]} in dim {da} and b "
                               f"(shape {tuple(b.shape)}) has size {b.shape[db]} in dim {db}")
    letters = iter(_einsum._LETTERS)
    sub_a = [next(letters) for _ in range(a.ndim)]
    sub_b = [next(letters) for _ in range(b.ndim)]
    for da, db in zip(dims_a, dims_b):
        sub_b[db] = sub_a[da]
    out = [c for i, c in enumerate(sub_a) if i not in dims_a] + \
          [c for i, c in enumerate(sub_b) if i not in dims_b]
    if a.dtype != b.dtype:
        dtype = T._result_type(a, b)
        a, b = a.to(dtype), b.to(dtype)
    return einsum(''.join(sub_a) + ',' + ''.join(sub_b) + '->' + ''.join(out), a, b)
