"""The backward pass as PyTorch users know it: accumulation, retain_graph, errors, grad modes,
hooks, retain_grad, autograd.grad, higher-order derivatives, in-place rules, deep graphs and
memory that comes back without the cyclic garbage collector."""
import gc
import threading
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------- backward()

def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 2, 2 + 4])
    x.grad = None                                     # what zero_grad(set_to_none=True) does
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_diamond_graph_sums_all_paths():
    x = leaf([0.5, -1.5])
    h = x * x                                         # used by three consumers
    y = (h * 3 + h.exp() - h / 2).sum()
    y.backward()
    a = np.array([0.5, -1.5])
    np.testing.assert_allclose(x.grad.numpy(), 2 * a * (3 + np.exp(a * a) - 0.5))


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "retain_graph=True"):
        y.backward()
    h = x.exp()                                       # a shared part freed by a first backward
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 3).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x.exp()).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(3,\)"):
        y.backward()
    y.backward(gradient=Tensor([1.0, 0.5, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, -6])
    x.grad = None
    (x * 2).backward(np.array([1.0, 2.0, 3.0]))       # a numpy gradient is accepted
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4, 6])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\).*\(3,\)"):
        (x * 2).backward(Tensor([1.0, 2.0]))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        with tg.no_grad():
            y = (leaf([1.0]) * 2).sum()
        y.backward()


def test_backward_on_a_leaf_and_several_roots():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0
    x.grad = None
    y1, y2 = (x * 3), (x * x)
    tg.autograd.backward([y1, y2], [Tensor(1.0), Tensor(2.0)])
    assert x.grad.item() == 3 + 2 * 4


def test_leaf_grad_does_not_alias_the_callers_gradient():
    x = leaf([1.0, 2.0])
    g = Tensor([1.0, 1.0], dtype=tg.float64)
    (x + 0).backward(g)
    with tg.no_grad():
        x.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), [1, 1])
    y, z = leaf([1.0, 2.0]), leaf([[3.0, 4.0]])       # two leaves, one gradient array
    (y.reshape(1, 2) + z).sum().backward()
    with tg.no_grad():
        y.grad.mul_(0)
    np.testing.assert_array_equal(z.grad.numpy(), [[1, 1]])


def test_requires_grad_flags_and_graph_structure():
    x, c = leaf([1.0]), Tensor([2.0])
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and y.grad_fn is not None
    assert x.grad_fn is None and y.grad_fn.name() == 'MulBackward0'
    z = c * 2
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.data, y.data)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([True]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    t = Tensor([1.0]).requires_grad_()
    assert t.requires_grad and t.requires_grad_(False) is t and not t.requires_grad
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_detach_and_casts_in_the_graph():
    x = leaf([1.0, 2.0])
    (x * x.detach()).sum().backward()                 # the detached factor is a constant
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2])
    x.grad = None
    (x.float() * 2).sum().backward()                  # a cast is differentiable
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])


# ---------------------------------------------------------------- grad mode

def test_no_grad_context_and_nesting():
    x = leaf([1.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            z = x * 2
            with tg.no_grad():
                assert not (x * 2).requires_grad
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_backward_inside_no_grad_uses_the_recorded_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with tg.no_grad():
        y.backward()
        assert not tg.is_grad_enabled()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4])


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            1 / 0
    assert tg.is_grad_enabled()


def test_no_grad_as_decorator_with_and_without_parentheses():
    @tg.no_grad
    def bare(x):
        return x * 2

    @tg.no_grad()
    def called(x):
        return x * 2

    @tg.enable_grad()
    def enabled(x):
        return x * 2

    x = leaf([1.0])
    assert not bare(x).requires_grad and not called(x).requires_grad
    assert bare.__name__ == 'bare'
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert enabled(x).requires_grad
        assert not tg.is_grad_enabled()


def test_set_grad_enabled_forms():
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)                        # a plain call takes effect at once
    try:
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def f():
        return tg.is_grad_enabled()
    assert tg.is_grad_enabled()                       # decorating changes nothing by itself
    assert f() is False and f() is False
    assert tg.is_grad_enabled()


def test_no_grad_decorator_recursion():
    @tg.no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)
    assert depth(5) == 5 and tg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    with tg.no_grad():
        t = threading.Thread(target=lambda: seen.setdefault('thread', tg.is_grad_enabled()))
        t.start()
        t.join()
        assert not tg.is_grad_enabled()
    assert seen['thread'] is True

    def disable():
        tg.set_grad_enabled(False)
        seen['inner'] = tg.is_grad_enabled()
    t = threading.Thread(target=disable)
    t.start()
    t.join()
    assert seen['inner'] is False and tg.is_grad_enabled()


def test_decorated_function_called_from_two_threads_at_once():
    # thread A enters, thread B enters, A leaves, B leaves: each restores its own mode
    @tg.no_grad
    def wait(entered, release):
        entered.set()
        release.wait(5)

    events = {k: threading.Event() for k in ('a_in', 'a_out', 'b_in', 'b_out')}
    after = {}

    def run(name, start_mode):
        tg.set_grad_enabled(start_mode)
        wait(events[name + '_in'], events[name + '_out'])
        after[name] = tg.is_grad_enabled()

    a = threading.Thread(target=run, args=('a', True))
    b = threading.Thread(target=run, args=('b', False))
    a.start()
    assert events['a_in'].wait(5)
    b.start()
    assert events['b_in'].wait(5)
    events['a_out'].set()
    a.join()
    events['b_out'].set()
    b.join()
    assert after == {'a': True, 'b': False}


# ---------------------------------------------------------------- hooks and retain_grad

def test_hooks_on_leaf_and_non_leaf_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(('y', g.numpy().copy())))        # observe only
    y.register_hook(lambda g: g * 10)                                       # replace
    x.register_hook(lambda g: seen.append(('x', g.numpy().copy())) or g + 1)
    (y * Tensor([1.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [21, 61])
    assert [name for name, _ in seen] == ['y', 'x']
    np.testing.assert_array_equal(seen[0][1], [1, 3])
    np.testing.assert_array_equal(seen[1][1], [20, 60])
    with pytest.raises(RuntimeError, match="doesn't require"):
        Tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_gradients():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = h * h
    assert h.grad is None
    h.retain_grad()
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.numpy(), 2 * 3 * np.array([1, 2]))
    assert y.grad is None and not h.grad.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), 2 * 2 * 3 * np.array([1, 2]))   # accumulates
    x.retain_grad()                                   # a no-op on leaves
    np.testing.assert_array_equal(x.grad.numpy(), 2 * 18 * np.array([1, 2]))   # 2 x dy/dx


def test_retain_grad_sees_the_hooked_gradient_and_is_idempotent():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.retain_grad()                                   # twice: still stored once
    y.register_hook(lambda g: g * 10)                 # registered later, but runs before
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [10, 10])
    np.testing.assert_array_equal(x.grad.numpy(), [20, 20])


# ---------------------------------------------------------------- autograd.grad

def test_autograd_grad_returns_gradients_without_touching_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    y = (x * w).sum()
    gx, gw = tg.autograd.grad(y, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3, -1])
    np.testing.assert_array_equal(gw.numpy(), [1, 2])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad
    h = x * w                                          # a non-leaf input and grad_outputs
    z = (h * h).sum()
    (gh,) = tg.autograd.grad(z, h, retain_graph=True)
    np.testing.assert_array_equal(gh.numpy(), 2 * np.array([3, -2]))
    (gx,) = tg.autograd.grad([h], [x], grad_outputs=[Tensor([1.0, 10.0], dtype=tg.float64)])
    np.testing.assert_array_equal(gx.numpy(), [3, -10])


def test_autograd_grad_allow_unused_and_errors():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"not have been used.*allow_unused=True"):
        tg.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = tg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2 and gu is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad((x * 2).sum(), [Tensor([1.0])])
    y = (x * x).sum()
    tg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        tg.autograd.grad(y, x)


def hessian(f, x):
    """Rows of d^2 f / dx^2 by differentiating each component of a create_graph gradient."""
    (g,) = tg.autograd.grad(f(x), x, create_graph=True)
    assert g.requires_grad
    flat = g.reshape(-1)
    return np.stack([tg.autograd.grad(flat[i], x, retain_graph=True)[0].numpy().ravel()
                     for i in range(flat.shape[0])])


def sig(a):
    return 1 / (1 + np.exp(-a))


@pytest.mark.parametrize('name,f,d2', [
    ('tanh', lambda x: x.tanh(), lambda a: -2 * np.tanh(a) * (1 - np.tanh(a) ** 2)),
    ('sigmoid', lambda x: x.sigmoid(), lambda a: sig(a) * (1 - sig(a)) * (1 - 2 * sig(a))),
    ('cube', lambda x: x ** 3, lambda a: 6 * a),
    ('exp', lambda x: x.exp(), np.exp),
    ('log', lambda x: x.log(), lambda a: -1 / a ** 2),
    ('sqrt', lambda x: x.sqrt(), lambda a: -0.25 * a ** -1.5),
    ('sin', lambda x: x.sin(), lambda a: -np.sin(a)),
    ('recip', lambda x: 1 / x, lambda a: 2 / a ** 3),
])
def test_second_derivatives_of_elementwise_ops(name, f, d2):
    a = np.array([0.3, 0.9, 1.7])
    x = leaf(a)
    np.testing.assert_allclose(hessian(lambda x: f(x).sum(), x), np.diag(d2(a)), atol=1e-12)


def test_second_derivative_of_softmax():
    a = np.array([0.2, -0.4, 1.1])
    x = leaf(a)
    p = np.exp(a) / np.exp(a).sum()
    eye = np.eye(3)
    # p0 = softmax(x)[0]: dp0/dxj = p0 (d0j - pj); d2p0/dxj dxk = p0 (d0k - pk)(d0j - pj)
    #                                                            - p0 pj (djk - pk)
    expected = p[0] * (np.outer(eye[0] - p, eye[0] - p) - p[:, None] * (eye - p[None, :]))
    np.testing.assert_allclose(hessian(lambda x: x.softmax(0)[0], x), expected, atol=1e-12)


def test_second_derivative_of_a_matmul_chain():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x = leaf(rng.standard_normal(2))
    # f(x) = |A B x|^2 / 2: gradient (AB)^T (AB) x, Hessian (AB)^T (AB)
    f = lambda x: (Tensor(A) @ (Tensor(B) @ x)).square().sum() / 2   # noqa: E731
    np.testing.assert_allclose(hessian(f, x), (A @ B).T @ (A @ B), rtol=1e-12)
    # and through a matrix: d2/dW2 of sum((x W)^3) at x fixed
    W = leaf(rng.standard_normal((2, 2)))
    xv = rng.standard_normal((1, 2))
    H = hessian(lambda W: ((Tensor(xv) @ W) ** 3).sum(), W)
    z = (xv @ W.numpy()).ravel()
    # d/dW_ab = 3 z_b^2 x_a; d2/dW_ab dW_cd = 6 z_b x_a x_c [b == d]
    expected = np.einsum('b,a,c,bd->abcd', 6 * z, xv[0], xv[0], np.eye(2)).reshape(4, 4)
    np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_third_derivative_and_backward_with_create_graph():
    x = leaf([1.5])
    (g,) = tg.autograd.grad((x ** 4).sum(), x, create_graph=True)      # 4x^3
    (h,) = tg.autograd.grad(g.sum(), x, create_graph=True)              # 12x^2
    (k,) = tg.autograd.grad(h.sum(), x)                                 # 24x
    assert (g.item(), h.item(), k.item()) == pytest.approx((13.5, 27.0, 36.0))
    y = leaf([2.0])
    (y ** 3).sum().backward(create_graph=True)
    assert y.grad.requires_grad and y.grad.item() == 12
    (gg,) = tg.autograd.grad(y.grad.sum(), y)
    assert gg.item() == 12                                              # 6y


# ---------------------------------------------------------------- in-place updates

def test_in_place_on_leaf_requiring_grad_raises_and_changes_nothing():
    x = leaf([1.0, 2.0])
    for op in [lambda: x.__iadd__(1), lambda: x.mul_(2), lambda: x.sub_(1), lambda: x.div_(2),
               lambda: x.zero_(), lambda: x.fill_(3), lambda: x.copy_(Tensor([5.0, 6.0])),
               lambda: x.__setitem__(0, 7.0), lambda: x.clamp_(0, 1), lambda: x.normal_()]:
        with pytest.raises(RuntimeError, match="leaf.*in-place.*no_grad"):
            op()
        np.testing.assert_array_equal(x.numpy(), [1, 2])


def test_sgd_step_under_no_grad_keeps_the_same_parameter():
    w = leaf([1.0, -2.0], np.float32)
    (w * w).sum().backward()
    ident, data = id(w), w.data
    with tg.no_grad():
        w -= 0.1 * w.grad
    assert id(w) == ident and w.data is data               # updated in place
    assert w.requires_grad and w.is_leaf and w.grad_fn is None and w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6], rtol=1e-6)
    with tg.no_grad():
        w.add_(w.grad, alpha=-0.5)
        w.mul_(2)
    np.testing.assert_allclose(w.numpy(), [(0.8 - 1) * 2, (-1.6 + 2) * 2], rtol=1e-6)


def test_failed_in_place_op_leaves_data_unchanged():
    x = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"add_.*\(2, 3\).*\(3,\)"):
        x += Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"copy_.*\(2,\).*\(3,\)"):
        x.copy_(Tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3])
    x += Tensor([[1.0, 1.0, 1.0]])[0]                   # broadcastable into (3,) is fine
    x.add_(Tensor([1.0]), alpha=2)
    np.testing.assert_array_equal(x.numpy(), [4, 5, 6])


# ---------------------------------------------------------------- deep graphs, memory

def test_100k_node_chain_backpropagates_without_recursion_error():
    x = leaf([1.0])
    start = time.process_time()         # CPU time: other processes' load doesn't count
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.sum().backward()
    assert time.process_time() - start < 5.0
    np.testing.assert_allclose(x.grad.numpy(), [1.0000001 ** 100_000], rtol=1e-9)


def test_backward_releases_saved_tensors_and_graph_has_no_cycles():
    gc.disable()                                       # only reference counting may free things
    try:
        x = leaf(np.linspace(-1, 1, 12).reshape(3, 4))
        w = leaf(np.linspace(0.5, 1.5, 8).reshape(4, 2))
        h = (x @ w).tanh()
        hidden = h * h                                 # kept alive only by the graph
        hidden_ref = weakref.ref(hidden)
        y = hidden.exp().log_softmax(1).sum()
        del hidden
        node_refs = [weakref.ref(y.grad_fn), weakref.ref(h.grad_fn)]
        assert hidden_ref() is not None                # saved for backward
        y.backward()
        assert hidden_ref() is None                    # released by backward, y still alive
        del y, h
        assert all(r() is None for r in node_refs)     # no cycles kept the nodes
        # without backward, dropping the output frees the whole graph as well
        out = ((x @ w).sigmoid() * 2).softmax(0)
        out.retain_grad()
        out.register_hook(lambda g: g)
        refs = [weakref.ref(out), weakref.ref(out.grad_fn)]
        del out
        assert all(r() is None for r in refs)
        # autograd.grad(create_graph=True) results hold their graph; dropping them frees it
        (g,) = tg.autograd.grad((x.exp() * x).sum(), x, create_graph=True)
        ref = weakref.ref(g.grad_fn)
        del g
        assert ref() is None
    finally:
        gc.enable()


def numpy_bytes():
    """Bytes of numpy array data alive now (numpy traces its buffers in its own domain;
    Python's object free lists would blur a plain tracemalloc total)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)])
    return sum(stat.size for stat in snapshot.statistics('filename'))


@pytest.mark.parametrize('keep_losses', [False, True])
def test_training_loop_memory_returns_to_baseline(keep_losses):
    rng = np.random.default_rng(0)
    w1 = Tensor(rng.standard_normal((32, 64)).astype(np.float32), requires_grad=True)
    w2 = Tensor(rng.standard_normal((64, 10)).astype(np.float32), requires_grad=True)
    x = Tensor(rng.standard_normal((16, 32)).astype(np.float32))
    losses = []

    def step():
        loss = -((x @ w1).relu() @ w2).log_softmax(1)[:, 0].mean()
        loss.backward()
        if keep_losses:                  # the graph stays reachable, but its arrays are freed
            losses.append(loss)
        with tg.no_grad():
            for p in (w1, w2):
                p -= 0.01 * p.grad
                p.grad = None

    gc.disable()
    tracemalloc.start()
    try:
        step()
        baseline = numpy_bytes()
        tracemalloc.reset_peak()
        for _ in range(20):
            step()
        grown, peak = numpy_bytes() - baseline, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak > 16 * 64 * 4                          # the steps did allocate activations...
    assert grown <= (20 * 16 if keep_losses else 0)    # ...and gave back all but the loss values


# ---------------------------------------------- regressions found by differential testing vs PyTorch

def test_in_place_ops_on_graph_tensors_are_recorded():
    x, r = leaf([1.0, -2.0]), leaf([0.5, 0.5])
    out = x * 2
    out += r            # a residual block's ``out += identity``
    out *= r
    out -= 1
    out /= 2
    assert not out.is_leaf and out.tolist() == [0.125, -1.375]     # ((2x + r) r - 1) / 2
    out.sum().backward()
    assert x.grad.tolist() == [0.5, 0.5] and r.grad.tolist() == [1.5, -1.5]   # r; x + r
    # accumulating into a tensor that needs no grad connects it to the graph
    total = tg.zeros(())
    for k in range(3):
        total += (x * k).sum()
    x.grad = None
    total.backward()
    assert total.requires_grad and x.grad.tolist() == [3, 3]
    # a node's saved output is unaffected: sigmoid's backward still sees sigmoid(x)
    x.grad = None
    y = x.sigmoid()
    y += 1
    y.sum().backward()
    s = 1 / (1 + np.exp(-np.array([1.0, -2.0])))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s))


def test_changing_a_saved_input_in_place_raises_at_backward():
    w = leaf([3.0, 4.0])
    for change in (lambda y: y.__iadd__(1), lambda y: y.__setitem__(0, 5.0),
                   lambda y: y.mul_(2), lambda y: y.fill_(0.0)):
        y = tg.tensor([1.0, 2.0], dtype=tg.float64)  # needs no grad: changed as plain data
        z = (y * w).sum()                            # Mul keeps y for w's gradient
        with tg.no_grad():
            change(y)
        with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward0"):
            z.backward()
    # recorded in-place on a graph tensor, then used by a node recorded before: also an error
    y = w * 1
    z = (y * w).sum()
    y += 1
    with pytest.raises(RuntimeError, match="input 0 of MulBackward0"):
        z.backward()
    # changed before the node was recorded, or an input whose values backward doesn't need: fine
    w.grad = None
    y = tg.tensor([1.0, 2.0], dtype=tg.float64)
    y += 1
    a = w * 1
    z = (y * w).sum() + (a + 1).sum()
    a += 1                                           # Add's backward needs no values
    z.backward()
    assert w.grad.tolist() == [3.0, 4.0]             # y + 1


def test_setitem_on_graph_tensors_routes_gradients():
    x, v = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), leaf([10.0, 20.0])
    y = x * 1
    y[0, :2] = v
    y[1, [0, 0]] = 7.0
    assert y.tolist() == [[10, 20, 3], [7, 5, 6]]
    (y * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert x.grad.tolist() == [[0, 0, 3], [0, 5, 6]] and v.grad.tolist() == [1, 2]
    z = tg.zeros(2)
    z[1] = v[0] * 2                              # writing a graph value into a plain tensor
    v.grad = None
    z.sum().backward()
    assert v.grad.tolist() == [2, 0]
    with pytest.raises(RuntimeError, match="leaf.*in-place"):
        v[0] = 1.0


def test_backward_inputs_accumulates_only_into_the_given_leaves():
    x, z = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * z).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3, 4] and z.grad is None


def test_cast_to_integer_leaves_the_graph():
    x = leaf([1.5, 2.5])
    assert not x.long().requires_grad and not x.to(tg.bool).requires_grad
    assert x.float().requires_grad
