"""tg.gradcheck / tg.gradgradcheck themselves: they pass correct ops, catch wrong backward
passes (naming the worst element, analytic and numeric values) and refuse float32."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.autograd import Function
from tinygrad_cnn.ops.elementwise import _const
from tinygrad_cnn.testing import strategies as tst


class WrongSquare(Function):
    """x**2 with a deliberately wrong derivative: 2x everywhere except 3x at flat index 4."""
    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        factor = np.full(x.shape, 2.0)
        factor.reshape(-1)[4] = 3.0
        return grad * x * _const(factor)


class FirstOrderOnlySquare(Function):
    """x**2 whose backward is right but uses x as a constant: second derivatives come out 0."""
    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return grad * _const(2 * x.data)


def test_passes_a_correct_function(rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert tg.gradcheck(lambda x, w: (x @ w).tanh() * x.sum(), (x, w)) is True
    assert tg.gradgradcheck(lambda x, w: (x @ w).tanh() * x.sum(), (x, w)) is True


def test_catches_wrong_backward_and_names_worst_element():
    a = np.arange(1.0, 7.0).reshape(2, 3)           # x[1, 1] = 5 is flat index 4
    x = Tensor(a, requires_grad=True)
    with pytest.raises(AssertionError) as info:
        tg.gradcheck(WrongSquare.apply, (x,))
    msg = str(info.value)
    assert "input 0" in msg and "(2, 3)" in msg
    assert "element (1, 1)" in msg                   # the worst element's index
    analytic = float(re.search(r"analytic (\S+),", msg).group(1))
    numeric = float(re.search(r"numeric (\S+) ", msg).group(1))
    assert analytic == pytest.approx(15.0) and numeric == pytest.approx(10.0, rel=1e-6)
    assert "1 of 36 entries differ" in msg
    assert tg.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert np.array_equal(x.numpy(), a)              # inputs restored after perturbation


def test_catches_wrong_gradient_of_second_input():
    def f(x, y):
        return x * WrongSquare.apply(y)
    x = Tensor(np.ones(6) * 0.5, requires_grad=True)
    y = Tensor(np.arange(1.0, 7.0), requires_grad=True)
    with pytest.raises(AssertionError, match=r"input 1 \(shape \(6,\)\) at element \(4,\)"):
        tg.gradcheck(f, (x, y))


def test_gradgradcheck_catches_a_non_differentiable_backward():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    assert tg.gradcheck(FirstOrderOnlySquare.apply, (x,))        # first order is right
    # the second derivative d(2xv)/dx = 2v comes out 0 when x is taken as a constant
    with pytest.raises(AssertionError, match=r"input 0 .*analytic 0, numeric"):
        tg.gradgradcheck(FirstOrderOnlySquare.apply, (x,))
    assert tg.gradgradcheck(lambda x: x * x, (x,))


def test_refuses_float32_and_no_grad_inputs():
    with pytest.raises(ValueError, match="float64"):
        tg.gradcheck(lambda x: x * 2, (Tensor(np.ones(3, np.float32), requires_grad=True),))
    with pytest.raises(ValueError, match="requires grad"):
        tg.gradcheck(lambda x: x * 2, (Tensor(np.ones(3)),))


def test_non_tensor_and_constant_inputs_and_several_outputs(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    x, c = Tensor(a, requires_grad=True), Tensor(b)        # c needs no grad: not checked

    def f(x, c, scale):
        return x * c * scale, (x ** 2).sum(), Tensor([1, 2])    # int outputs are skipped
    assert tg.gradcheck(f, (x, c, 3.0))
    assert tg.gradcheck(lambda x: x[0], x)                      # a single Tensor input
    assert tg.gradcheck(lambda x, y: x * 2, (x, Tensor(b, requires_grad=True)))   # y unused


def test_tolerances_are_honoured():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    class Scaled(Function):        # gradient off by a relative 1e-4
        def forward(self, x):
            return x * 3

        def backward(self, grad):
            return grad * (3 * (1 + 1e-4))
    assert tg.gradcheck(Scaled.apply, (x,))                     # within rtol=1e-3
    with pytest.raises(AssertionError, match="rtol=1e-05"):
        tg.gradcheck(Scaled.apply, (x,), rtol=1e-5, atol=1e-8)


@settings(deadline=None, max_examples=15)
@given(shape=tst.shapes(max_dims=2, max_side=3), data=st.data())
def test_gradcheck_property(shape, data):
    x = data.draw(tst.tensors(shape, requires_grad=True))
    assert tg.gradcheck(lambda x: (x.sin() * x).sum(-1), (x,))
    if x.numel() > 4:                                  # index 4 exists: the wrong derivative shows
        with pytest.raises(AssertionError):
            tg.gradcheck(WrongSquare.apply, (x,))
