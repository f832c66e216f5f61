"""Custom ops written PyTorch's way: static ``forward(ctx, ...)``/``backward(ctx, ...)`` on
``tg.autograd.Function``, ctx methods, several outputs, double backward, PyTorch's errors.
Expected values are numpy references; error texts were checked against torch 2.13."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.autograd.function import once_differentiable
from tinygrad_cnn.testing import strategies as S


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


class MyExp(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class SinCos(tg.autograd.Function):
    """Two outputs and a non-Tensor argument."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x.sin() * scale, x.cos() * scale

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return (grad_sin * x.cos() - grad_cos * x.sin()) * ctx.scale, None


class ExpAndDouble(tg.autograd.Function):
    """Two outputs, one of them saved for backward (kept without a reference cycle)."""

    @staticmethod
    def forward(ctx, x):
        a = x.exp()
        ctx.save_for_backward(a)
        return a, x * 2

    @staticmethod
    def backward(ctx, grad_a, grad_b):
        (a,) = ctx.saved_tensors
        return grad_a * a + grad_b * 2


X = [0.5, -1.0, 2.0]


# ---------------------------------------------------------------- one output

def test_ctx_style_values_gradient_and_grad_fn_name():
    x = leaf(X)
    y = MyExp.apply(x)
    np.testing.assert_allclose(y.numpy(), np.exp(X))
    assert type(y.grad_fn).__name__ == 'MyExpBackward' and repr(y.grad_fn) == '<MyExpBackward>'
    assert y.grad_fn.name() == 'MyExpBackward'
    np.testing.assert_allclose(y.grad_fn.saved_tensors[0].numpy(), np.exp(X))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X))


def test_ctx_style_gradcheck_and_double_backward_through_saved_output():
    x = leaf(X)
    assert tg.gradcheck(MyExp.apply, (x,))
    assert tg.gradgradcheck(MyExp.apply, (x,))
    (g,) = tg.autograd.grad(MyExp.apply(x).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(X))


def test_forward_runs_under_no_grad_and_gets_non_tensor_args_and_keywords():
    seen = {}

    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=2.0):
            seen['grad_enabled'] = tg.is_grad_enabled()
            seen['needs'] = ctx.needs_input_grad
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    x = leaf(X)
    y = Scale.apply(x, k=3.0)           # a keyword argument counts as positional (PyTorch)
    assert seen == {'grad_enabled': False, 'needs': (True, False)}
    assert y.grad_fn.k == 3.0           # ctx is the node
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0] * 3)


def test_needs_input_grad_lets_backward_skip_work():
    class Mul(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad * w if ctx.needs_input_grad[0] else None, None

    x, w = leaf(X), Tensor(np.array([1.0, 2.0, 3.0]))
    Mul.apply(x, w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_no_graph_without_grad_or_under_no_grad():
    y = MyExp.apply(Tensor(np.array(X)))
    assert not y.requires_grad and y.grad_fn is None
    with tg.no_grad():
        y = MyExp.apply(leaf(X))
    assert not y.requires_grad and y.grad_fn is None


def test_float32_stays_float32_and_gradient_dtype_is_cast_to_the_input():
    class ToDouble(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return (grad * 2).double()

    x = leaf(X, np.float32)
    assert MyExp.apply(x).dtype == np.float32
    ToDouble.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)


# ---------------------------------------------------------------- PyTorch's checks on backward

def _returning(grads, n_inputs=1):
    """A custom Function with ``n_inputs`` arguments whose backward returns ``grads(grad)``."""
    class Op(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, *rest):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grads(grad)
    Op.__name__ = 'Op'
    return Op


@pytest.mark.parametrize('grads, args, message', [
    (lambda g: (g, g), (), r"function OpBackward returned an incorrect number of gradients "
                           r"\(expected 1, got 2\)"),
    (lambda g: (g, g), (2.0,), r"function OpBackward returned a gradient different than None at "
                               r"position 2, but the corresponding forward input was not a "
                               r"Variable"),
    (lambda g: g.sum(), (), r"Function OpBackward returned an invalid gradient at index 0 - got "
                            r"\[\] but expected shape compatible with \[3\]"),
    (lambda g: 3.0, (), r"expected Variable or None \(got float\)"),
])
def test_backward_results_are_checked_like_pytorch(grads, args, message):
    x = leaf(X)
    with pytest.raises(RuntimeError, match=message):
        _returning(grads).apply(x, *args).sum().backward()


def test_extra_trailing_nones_are_allowed_and_a_broadcast_gradient_is_summed():
    x = leaf(X)
    _returning(lambda g: (g, None, None)).apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0] * 3)
    x.grad = None
    _returning(lambda g: g.expand(2, 3)).apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)


def test_missing_backward_raises_not_implemented():
    class NoBackward(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="implement either the backward or vjp"):
        NoBackward.apply(leaf(X)).sum().backward()


def test_vjp_may_stand_for_backward():
    class Twice(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, grad):
            return grad * 2

    x = leaf(X)
    Twice.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)


def test_subclass_overriding_only_backward_uses_its_own_backward():
    class Zero(MyExp):
        @staticmethod
        def backward(ctx, grad):
            return grad * 0

    x = leaf(X)
    y = Zero.apply(x)
    assert type(y.grad_fn).__name__ == 'ZeroBackward'
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0] * 3)


# ---------------------------------------------------------------- saved tensors

def test_saved_tensor_changed_in_place_raises_and_freed_after_backward():
    class SaveInput(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = leaf(X)
    z = x * 1
    y = SaveInput.apply(z)
    with tg.no_grad():
        z.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = MyExp.apply(x)
    y.mul_(2)                              # the saved output itself
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = MyExp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn.saved_tensors


def test_save_for_backward_refuses_non_tensors():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        Bad.apply(leaf(X))


def test_saved_output_makes_no_reference_cycle():
    gc.collect()
    gc.disable()
    try:
        y = MyExp.apply(leaf(X))
        a, b = ExpAndDouble.apply(leaf(X))
        refs = [weakref.ref(y.grad_fn), weakref.ref(a.grad_fn.parents[0])]
        del y, a, b
        assert all(r() is None for r in refs)     # freed by reference counting alone
    finally:
        gc.enable()


# ---------------------------------------------------------------- several outputs

def test_two_outputs_gradcheck_gradgradcheck_and_shared_name():
    x = leaf(X)
    s, c = SinCos.apply(x, 2.0)
    assert repr(s.grad_fn) == repr(c.grad_fn) == '<SinCosBackward>'
    assert s.grad_fn.scale == 2.0           # the node's attributes show through
    assert tg.gradcheck(lambda t: SinCos.apply(t, 3.0), (x,))
    assert tg.gradgradcheck(lambda t: SinCos.apply(t, 3.0), (x,))
    assert tg.gradgradcheck(ExpAndDouble.apply, (x,))
    (g,) = tg.autograd.grad((s * c).sum(), x, create_graph=True)     # d(2 sin 2x)/dx
    np.testing.assert_allclose(g.numpy(), 4 * np.cos(2 * np.array(X)))
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -8 * np.sin(2 * np.array(X)))


def test_unused_output_gets_zeros_or_none_without_materialize():
    seen = []

    class Two(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3, 5

        @staticmethod
        def backward(ctx, g1, g2, g3):
            seen.append((g1, g2, g3))
            return g1 * 2, None

    x = leaf(X)
    a, b, five = Two.apply(x, True)
    assert five == 5 and not isinstance(five, Tensor)
    a.sum().backward()
    g1, g2, g3 = seen.pop()
    np.testing.assert_array_equal(g2.numpy(), np.zeros(3))
    assert g3 is None                       # a non-Tensor output has no gradient
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)
    a, b, _ = Two.apply(x, False)
    a.sum().backward()
    assert seen.pop()[1] is None


def test_non_differentiable_outputs():
    class SortIdx(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, grad_values, grad_idx):
            (idx,) = ctx.saved_tensors
            np.testing.assert_array_equal(grad_idx.numpy(), [0, 0, 0])
            g = np.zeros(grad_values.shape)
            g[idx.numpy()] = grad_values.numpy() * np.array([1.0, 10.0, 100.0])
            return Tensor(g)

    x = leaf([3.0, 1.0, 2.0])
    values, idx = SortIdx.apply(x)
    assert values.requires_grad and not idx.requires_grad and idx.grad_fn is None
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 1.0, 10.0])


# ---------------------------------------------------------------- in place, aliases

def test_mark_dirty_makes_the_input_the_output():
    class Double_(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = leaf(X)
    z = x * 1
    out = Double_.apply(z)
    assert out is z and repr(z.grad_fn) == '<Double_Backward>'
    np.testing.assert_allclose(z.numpy(), 2 * np.array(X))
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in "
                                           "an in-place operation"):
        Double_.apply(leaf(X))


def test_input_returned_as_is_becomes_a_new_tensor():
    class Identity(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    x = leaf(X)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and repr(y.grad_fn) == '<IdentityBackward>'
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0] * 3)


# ---------------------------------------------------------------- setup_context, once_diff.

def test_setup_context_style():
    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]
            np.testing.assert_allclose(output.numpy(), np.array(X) * 4)

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    x = leaf(X)
    y = Scale.apply(x, 4.0)
    assert repr(y.grad_fn) == '<ScaleBackward>'
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0] * 3)


def test_once_differentiable_raises_on_double_backward():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            assert not tg.is_grad_enabled()
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = leaf(X)
    (g,) = tg.autograd.grad(Square.apply(x).sum(), x)       # first order works
    np.testing.assert_allclose(g.numpy(), 2 * np.array(X))
    gy = leaf([1.0, 1.0, 1.0])
    (g,) = tg.autograd.grad(Square.apply(x), x, gy, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_builtin_instance_style_ops_are_untouched():
    from tinygrad_cnn.ops.elementwise import Mul
    assert Mul.apply.__func__ is tg.autograd.Function.apply.__func__
    assert not hasattr(Mul, '_backward_cls')


# ---------------------------------------------------------------- property test

def _sum_to(g, shape):
    """numpy reference: a broadcast gradient summed back to ``shape``."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


@settings(max_examples=15, deadline=None)
@given(S.broadcastable_shapes(2, min_dims=1))
def test_broadcasting_custom_mul_matches_numpy(shapes):
    class BMul(tg.autograd.Function):
        """x * w with broadcasting; backward returns unreduced gradients (summed by apply)."""
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return grad * w, grad * x

    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 2.0, s) for s in shapes)
    x, w = leaf(a), leaf(b)
    out = BMul.apply(x, w)
    np.testing.assert_allclose(out.numpy(), a * b)
    out.sum().backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    np.testing.assert_allclose(x.grad.numpy(), _sum_to(np.broadcast_to(b, full), a.shape))
    np.testing.assert_allclose(w.grad.numpy(), _sum_to(np.broadcast_to(a, full), b.shape))
    assert tg.gradcheck(BMul.apply, (leaf(a), leaf(b)))


def test_draw_graph_shows_a_multi_output_node():
    pytest.importorskip('graphviz')
    s, c = SinCos.apply(leaf(X), 2.0)
    source = tg.viz.draw_graph((s * c).sum()).source
    assert 'SinCosBackward\n(3) (3)' in source
