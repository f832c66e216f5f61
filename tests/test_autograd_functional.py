"""``tg.autograd.functional`` (jacobian, hessian, vjp, jvp, vhp, hvp) and ``tg.func`` (grad,
grad_and_value, vjp): values against closed-form numpy derivatives, the nesting of tuples,
create_graph/strict, and PyTorch's errors (texts checked against torch 2.13)."""
import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from tinygrad_cnn.testing import strategies as S

A = np.array([[0.5, -1.0, 2.0], [0.3, 0.2, 0.1]])
B = np.array([1.5, 0.7])


def t(a, requires_grad=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def diag_jacobian(d):
    """Jacobian of an elementwise function with derivative ``d``: shape d.shape * 2."""
    return np.diag(d.ravel()).reshape(d.shape + d.shape)


def f_pair(x, y):
    """Two outputs of two inputs: (sum_j exp(x_ij) * y_i, tanh(x_ij * y_i))."""
    return x.exp().sum(1) * y, (x * y.reshape(2, 1)).tanh()


# ---------------------------------------------------------------- jacobian

def test_jacobian_single_tensor():
    J = jacobian(lambda x: x.sin() * 2, t(A))
    assert J.shape == (2, 3, 2, 3) and J.dtype == np.float64 and not J.requires_grad
    np.testing.assert_allclose(J.numpy(), diag_jacobian(2 * np.cos(A)))
    np.testing.assert_allclose(jacobian(lambda x: x.sum(), t(A)).numpy(), np.ones((2, 3)))


def test_jacobian_tuples_nest_outputs_then_inputs():
    J = jacobian(f_pair, (t(A), t(B)))
    assert isinstance(J, tuple) and len(J) == 2 and all(len(row) == 2 for row in J)
    assert [j.shape for j in J[0]] == [(2, 2, 3), (2, 2)]
    assert [j.shape for j in J[1]] == [(2, 3, 2, 3), (2, 3, 2)]
    ref = np.zeros((2, 2, 3))
    for i in range(2):
        ref[i, i] = np.exp(A[i]) * B[i]
    np.testing.assert_allclose(J[0][0].numpy(), ref)
    np.testing.assert_allclose(J[0][1].numpy(), np.diag(np.exp(A).sum(1)))
    sech2 = 1 - np.tanh(A * B[:, None]) ** 2
    ref = np.zeros((2, 3, 2))
    for i in range(2):
        ref[i, :, i] = sech2[i] * A[i]
    np.testing.assert_allclose(J[1][1].numpy(), ref)
    (J0,) = jacobian(lambda x: (x.sum(),), (t(A),))[0]       # one-tuples stay tuples
    assert J0.shape == (2, 3)


def test_jacobian_unused_input_zeros_or_strict_error():
    J = jacobian(lambda x, y: x * 2, (t(A), t(B)))
    np.testing.assert_array_equal(J[1].numpy(), np.zeros((2, 3, 2)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        jacobian(lambda x, y: x * 2, (t(A), t(B)), strict=True)
    np.testing.assert_array_equal(
        jacobian(lambda x: Tensor(np.ones(2)), t(A)).numpy(), np.zeros((2, 2, 3)))


def test_jacobian_create_graph_and_input_in_a_graph():
    x = t(A, requires_grad=True)
    J = jacobian(lambda z: z ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()                  # d/dx sum(3 x^2 on the diagonal) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), 6 * A)
    assert not jacobian(lambda z: z ** 3, x).requires_grad


def test_jacobian_options_and_errors():
    x = t(A)
    ref = diag_jacobian(np.cos(A))
    np.testing.assert_allclose(jacobian(Tensor.sin, x, vectorize=True).numpy(), ref)
    np.testing.assert_allclose(
        jacobian(Tensor.sin, x, vectorize=True, strategy='forward-mode').numpy(), ref)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(Tensor.sin, x, strategy='forward-mode')
    with pytest.raises(ValueError, match='Expected strategy to be either "forward-mode" or '
                                         '"reverse-mode"'):
        jacobian(Tensor.sin, x, strategy='sideways')
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or "
                                        "a tuple of Tensors but the given inputs has type "
                                        "<class 'list'>"):
        jacobian(Tensor.sin, [x])
    with pytest.raises(TypeError, match="The outputs of the user-provided function given to "
                                        "jacobian must be either a Tensor or a tuple of Tensors"):
        jacobian(lambda z: 3.0, x)


def test_jacobian_of_empty_output_and_float32():
    J = jacobian(lambda z: z[:0], t(B))
    assert J.shape == (0, 2)
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    J = jacobian(lambda z: z * z, x)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J.numpy(), [[2.0, 0.0], [0.0, 4.0]])


# ---------------------------------------------------------------- hessian

def test_hessian_single_and_tuple():
    H = hessian(lambda x: (x.sin() * x).sum(), t(A))         # d2/dx2 x sin x = 2cos x - x sin x
    np.testing.assert_allclose(H.numpy(), diag_jacobian(2 * np.cos(A) - A * np.sin(A)))
    H = hessian(lambda x, y: (x.sin().sum(1) * y ** 2).sum(), (t(A), t(B)))
    assert [[h.shape for h in row] for row in H] == [[(2, 3, 2, 3), (2, 3, 2)],
                                                     [(2, 2, 3), (2, 2)]]
    np.testing.assert_allclose(H[1][1].numpy(), np.diag(2 * np.sin(A).sum(1)))
    np.testing.assert_allclose(H[0][1].numpy(), np.transpose(H[1][0].numpy(), (1, 2, 0)))
    ref = np.zeros((2, 3, 2))
    for i in range(2):
        ref[i, :, i] = np.cos(A[i]) * 2 * B[i]
    np.testing.assert_allclose(H[0][1].numpy(), ref)
    H = hessian(lambda x: (x ** 3).sum(), Tensor(np.array([1.0, 2.0], dtype=np.float32)))
    assert H.dtype == np.float32
    np.testing.assert_allclose(H.numpy(), [[6.0, 0.0], [0.0, 12.0]])


def test_hessian_needs_a_single_element():
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hessian "
                                           "should contain a single element"):
        hessian(Tensor.sin, t(A))


# ---------------------------------------------------------------- vjp, jvp, vhp, hvp

def test_vjp_and_jvp_single():
    x, v = t(A), t(np.ones_like(A))
    out, g = vjp(lambda z: z.sin() * 2, x, v)
    np.testing.assert_allclose(out.numpy(), 2 * np.sin(A))
    np.testing.assert_allclose(g.numpy(), 2 * np.cos(A))
    out, g = jvp(lambda z: z.sin() * 2, x, v)
    np.testing.assert_allclose(g.numpy(), 2 * np.cos(A))
    out, g = vjp(lambda z: (z.sin() * z).sum(), x)            # v may be omitted for one element
    assert out.shape == () and not out.requires_grad
    np.testing.assert_allclose(g.numpy(), np.sin(A) + A * np.cos(A))
    out, g = jvp(lambda z: z * 3, t(2.0))
    assert g.item() == 3.0


def test_vjp_and_jvp_tuples_match_the_jacobian():
    x, y = t(A), t(B)
    J = jacobian(f_pair, (x, y))
    u = (t([1.0, -2.0]), t(np.arange(6.0).reshape(2, 3)))    # one per output
    _, (gx, gy) = vjp(f_pair, (x, y), u)
    ref_x = np.tensordot(u[0].numpy(), J[0][0].numpy(), 1) + np.tensordot(u[1].numpy(),
                                                                          J[1][0].numpy(), 2)
    ref_y = np.tensordot(u[0].numpy(), J[0][1].numpy(), 1) + np.tensordot(u[1].numpy(),
                                                                          J[1][1].numpy(), 2)
    np.testing.assert_allclose(gx.numpy(), ref_x)
    np.testing.assert_allclose(gy.numpy(), ref_y)
    v = (t(np.arange(6.0).reshape(2, 3) / 5), t([0.5, -1.0]))    # one per input
    (o1, o2), (j1, j2) = jvp(f_pair, (x, y), v)
    np.testing.assert_allclose(o1.numpy(), np.exp(A).sum(1) * B)
    np.testing.assert_allclose(j1.numpy(), np.tensordot(J[0][0].numpy(), v[0].numpy(), 2)
                               + J[0][1].numpy() @ v[1].numpy())
    np.testing.assert_allclose(j2.numpy(), np.tensordot(J[1][0].numpy(), v[0].numpy(), 2)
                               + J[1][1].numpy() @ v[1].numpy())


def test_vhp_and_hvp():
    x, y = t(A), t(B)
    f = lambda x, y: (x.sin().sum(1) * y ** 2).sum()     # noqa: E731
    H = hessian(f, (x, y))
    v = (t(np.ones_like(A)), t([1.0, 2.0]))
    for fn in (vhp, hvp):
        out, (hx, hy) = fn(f, (x, y), v)
        np.testing.assert_allclose(out.item(), (np.sin(A).sum(1) * B ** 2).sum())
        np.testing.assert_allclose(hx.numpy(), np.tensordot(H[0][0].numpy(), v[0].numpy(), 2)
                                   + np.tensordot(H[0][1].numpy(), v[1].numpy(), 1))
        np.testing.assert_allclose(hy.numpy(), np.tensordot(H[1][0].numpy(), v[0].numpy(), 2)
                                   + H[1][1].numpy() @ v[1].numpy())
    out, h = hvp(lambda z: (z ** 3).sum(), t(A), t(np.ones_like(A)), create_graph=True)
    np.testing.assert_allclose(h.numpy(), 6 * A)


def test_vjp_jvp_errors():
    x = t(A)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        vjp(Tensor.sin, x)
    with pytest.raises(RuntimeError, match="v has invalid size: should be \\(2, 3\\) but got "
                                           "\\(3,\\)"):
        vjp(Tensor.sin, x, t([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                                           "user-provided function is a single Tensor with a "
                                           "single element."):
        jvp(Tensor.sin, x)
    with pytest.raises(RuntimeError, match="independent of input 0"):
        vjp(lambda z: Tensor(np.ones(2)), x, t([1.0, 1.0]), strict=True)


@settings(max_examples=10, deadline=None)
@given(S.arrays(S.shapes(1, 2, 1, 3)), S.arrays(S.shapes(1, 2, 1, 3)))
def test_vjp_jvp_of_tanh_match_closed_form(a, v):
    v = np.resize(v, a.shape)
    d = 1 - np.tanh(a) ** 2
    _, g = vjp(Tensor.tanh, t(a), t(v))
    np.testing.assert_allclose(g.numpy(), d * v)
    _, g = jvp(Tensor.tanh, t(a), t(v))
    np.testing.assert_allclose(g.numpy(), d * v)


# ---------------------------------------------------------------- tg.func

def test_func_grad_argnums_has_aux_and_nesting():
    x, y = t(A), t(B)
    f = lambda x: (x.sin() * x).sum()                    # noqa: E731
    g = tg.func.grad(f)(x)
    assert not g.requires_grad
    np.testing.assert_allclose(g.numpy(), np.sin(A) + A * np.cos(A))
    gx, gy = tg.func.grad(lambda x, y: (x.sin().sum(1) * y ** 2).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.numpy(), np.cos(A) * (B ** 2)[:, None])
    np.testing.assert_allclose(gy.numpy(), 2 * np.sin(A).sum(1) * B)
    g, aux = tg.func.grad(lambda x: (f(x), x * 2), has_aux=True)(x)
    np.testing.assert_allclose(aux.numpy(), 2 * A)
    assert not aux.requires_grad
    gg = tg.func.grad(lambda x: tg.func.grad(lambda z: (z ** 3).sum())(x).sum())(x)
    np.testing.assert_allclose(gg.numpy(), 6 * A)
    g, value = tg.func.grad_and_value(f)(x)
    np.testing.assert_allclose(value.item(), (np.sin(A) * A).sum())
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        tg.func.grad(Tensor.sin)(x)


def test_func_grad_composes_with_backward():
    w = t(B, requires_grad=True)
    g = tg.func.grad(lambda w: (w ** 3).sum())(w)        # 3 w^2, still a function of w
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 6 * B)


def test_func_vjp():
    out, fn = tg.func.vjp(lambda z: z.sin() * 2, t(A))
    np.testing.assert_allclose(out.numpy(), 2 * np.sin(A))
    (g,) = fn(t(np.ones_like(A)))
    np.testing.assert_allclose(g.numpy(), 2 * np.cos(A))
    (g,) = fn(t(np.full_like(A, 2.0)))                    # vjp_fn can be called again
    np.testing.assert_allclose(g.numpy(), 4 * np.cos(A))
