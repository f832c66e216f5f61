"""Hypothesis strategies for Tensors and op configurations.

For users testing their own ops as this project tests its own::

    from hypothesis import given
    from tinygrad_cnn.testing import strategies as tst

    @given(tst.tensors(tst.shapes(max_dims=3)))
    def test_double_neg(x):
        assert (-(-x)).allclose(x)

Values are drawn away from zero by default (``min_magnitude``) so that kinks
(relu, abs, max ties) are not hit by accident; keep shapes small so a full
finite-difference Jacobian stays cheap.
"""
import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor

__all__ = ['shapes', 'broadcastable_shapes', 'arrays', 'tensors', 'dims', 'assume']


def shapes(min_dims=1, max_dims=3, min_side=1, max_side=4):
    """Array shapes, e.g. ``(2, 3)``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """Tuples of ``num_shapes`` shapes that broadcast together (numpy/PyTorch rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda r: r.input_shapes)


def arrays(shape, dtype=np.float64, low=-2.0, high=2.0, min_magnitude=0.1, unique=False):
    """numpy arrays with values in ``[low, high]`` and ``|v| >= min_magnitude``."""
    if isinstance(shape, tuple):
        shape = st.just(shape)
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if min_magnitude:
        elements = elements.filter(lambda v: abs(v) >= min_magnitude)
    return shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements, unique=unique)
                         .map(lambda a: a.astype(dtype)))


def tensors(shape, dtype=np.float64, requires_grad=False, **kwargs):
    """Tensors built from :func:`arrays` (float64 by default, for gradcheck)."""
    return arrays(shape, dtype, **kwargs).map(lambda a: Tensor(a, requires_grad=requires_grad))


def dims(ndim, allow_none=False):
    """A valid ``dim`` argument (possibly negative) for a tensor with ``ndim`` dimensions."""
    s = st.integers(-ndim, ndim - 1) if ndim else st.just(0)
    return st.one_of(st.none(), s) if allow_none else s
