"""Autograd tools around the engine, as in PyTorch: anomaly detection, ``autograd.grad``'s extra
options, ``backward(inputs=...)``, what tensor hooks may return, and
``tg.utils.checkpoint``. Error texts were checked against torch 2.13."""
import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.utils.checkpoint import checkpoint, checkpoint_sequential


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------- anomaly detection

def test_detect_anomaly_names_the_node_that_made_nan():
    x = leaf([0.0, 1.0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = tg.autograd.detect_anomaly()
    with ctx, np.errstate(all='ignore'):
        assert tg.is_anomaly_enabled()
        y = (x.sqrt() * 0).sum()                  # sqrt' at 0 is inf, times 0: nan
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in "
                                               "its 0th output."):
            y.backward()
    assert not tg.is_anomaly_enabled()
    with np.errstate(all='ignore'):
        (x.sqrt() * 0).sum().backward()           # off: nan goes into .grad silently
    assert np.isnan(x.grad.numpy()[0])


def test_set_detect_anomaly_as_call_and_context_and_check_nan_off():
    x = leaf([0.0, 1.0])
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
        with pytest.raises(RuntimeError, match="SqrtBackward0"), np.errstate(all='ignore'):
            (x.sqrt() * 0).sum().backward()
    finally:
        tg.autograd.set_detect_anomaly(False)
    with tg.autograd.set_detect_anomaly(True, check_nan=False), np.errstate(all='ignore'):
        assert not tg.is_anomaly_check_nan_enabled()
        (x.sqrt() * 0).sum().backward()           # no check: no error
    assert not tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()


# ---------------------------------------------------------------- autograd.grad options

def test_grad_allow_unused_and_materialize_grads():
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 .*appears to not "
                                           "have been used in the graph"):
        tg.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = tg.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert gb is None
    ga, gb = tg.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    np.testing.assert_array_equal(ga.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(gb.numpy(), [0.0])
    assert gb.dtype == np.float64
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when "
                                         "materialize_grads=True"):
        tg.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True, allow_unused=False)


def test_grad_only_inputs_is_deprecated_and_dict_inputs():
    a = leaf([1.0, 2.0])
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        (g,) = tg.autograd.grad((a * 2).sum(), [a], only_inputs=False)
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])
    grads = tg.autograd.grad((a * 3).sum(), {'a': a})
    assert list(grads) == ['a']
    np.testing.assert_array_equal(grads['a'].numpy(), [3.0, 3.0])


def test_grad_is_grads_batched_gives_one_row_per_grad_output():
    x = leaf([1.0, 2.0, 3.0])
    y = x ** 2
    (rows,) = tg.autograd.grad(y, x, Tensor(np.eye(3)), is_grads_batched=True)
    np.testing.assert_allclose(rows.numpy(), np.diag([2.0, 4.0, 6.0]))   # the Jacobian
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()                        # freed after the last row


def test_backward_inputs_leaf_non_leaf_and_empty():
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    assert b.grad is None
    (a * b).sum().backward(inputs=b)
    np.testing.assert_array_equal(b.grad.numpy(), [3.0])
    c = a * 2
    (c * b).sum().backward(inputs=[c])           # a non-leaf gets .grad too (PyTorch)
    np.testing.assert_array_equal(c.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be "
                                           "empty."):
        (a * b).sum().backward(inputs=[])


# ---------------------------------------------------------------- hooks

def test_hook_results_are_checked():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        y.sum().backward()
    x = leaf([1.0, 2.0], np.float32)
    y = x * 2
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        y.sum().backward()
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
        (x * 1).sum().backward()


def test_hooks_chain_and_see_the_summed_gradient():
    x = leaf([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    y = x * 2
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: g * 10)
    (y + x * 3).sum().backward()
    np.testing.assert_array_equal(calls[0], [43.0, 43.0])   # (1 + 1) * 10 * 2 + 3, summed once
    assert len(calls) == 1
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 0 + 7)
    np.testing.assert_array_equal(tg.autograd.grad((x * 2).sum(), x)[0].numpy(), [7.0, 7.0])


# ---------------------------------------------------------------- checkpoint

def _block(lin):
    return lambda x: tg.nn.functional.dropout(lin(x).tanh(), 0.5, True) * 2


@pytest.mark.parametrize('use_reentrant', [False, True])
def test_checkpoint_same_values_and_gradients_with_dropout(use_reentrant):
    tg.manual_seed(0)
    lin = tg.nn.Linear(3, 4).double()
    x = leaf(np.random.default_rng(0).standard_normal((5, 3)))
    state = tg.get_rng_state()
    ref = _block(lin)(x)
    ref.sum().backward()
    ref_grads = [x.grad.numpy(), lin.weight.grad.numpy(), lin.bias.grad.numpy()]
    x.grad = lin.weight.grad = lin.bias.grad = None
    tg.set_rng_state(state)
    y = checkpoint(_block(lin), x, use_reentrant=use_reentrant)
    assert repr(y.grad_fn) == '<CheckpointFunctionBackward>'
    np.testing.assert_allclose(y.numpy(), ref.numpy())
    tg.manual_seed(123)                  # backward replays the forward's random state
    y.sum().backward()
    for got, want in zip([x.grad, lin.weight.grad, lin.bias.grad], ref_grads):
        np.testing.assert_allclose(got.numpy(), want)


def test_checkpoint_autograd_grad_double_backward_and_tuple_outputs():
    w = leaf([1.0, -2.0, 0.5])
    x = leaf([0.3, 0.4, 0.5])
    y = checkpoint(lambda a: (a ** 3 * w).sum(), x, use_reentrant=False)
    gx, gw = tg.autograd.grad(y, [x, w], create_graph=True)
    np.testing.assert_allclose(gx.numpy(), 3 * x.numpy() ** 2 * w.numpy())
    np.testing.assert_allclose(gw.numpy(), x.numpy() ** 3)
    (ggx,) = tg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), 6 * x.numpy() * w.numpy())
    p, q = checkpoint(lambda a, k: (a * k, a + k), x, 2.0, use_reentrant=False)
    (p * q).sum().backward()             # d/dx (2x (x + 2)) = 4x + 4
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy() + 4)


def test_checkpoint_inputs_without_grad_and_warnings():
    lin = tg.nn.Linear(3, 2)
    x = Tensor(np.ones((1, 3), dtype=np.float32))
    y = checkpoint(lin, x, use_reentrant=False)       # the parameters still get gradients
    y.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.ones((2, 3)))
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(lin, x, use_reentrant=True)   # PyTorch's reentrant rule
    assert not y.requires_grad
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lin, leaf(np.ones((1, 3)), np.float32))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
        checkpoint(lambda a, k=1: a * k, x, k=2, use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np.testing.assert_allclose(
            checkpoint(lambda a, k=1: a * k, x, k=2, use_reentrant=False).numpy(), 2 * x.numpy())


def test_checkpoint_sequential_matches_plain_sequential():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 4), tg.nn.Tanh(),
                             tg.nn.Linear(4, 1)).double()
    x = leaf(np.random.default_rng(1).standard_normal((2, 3)))
    model(x).sum().backward()
    ref = [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()]
    model.zero_grad()
    x.grad = None
    checkpoint_sequential(model, 2, x, use_reentrant=False).sum().backward()
    for got, want in zip([p.grad for p in model.parameters()] + [x.grad], ref):
        np.testing.assert_allclose(got.numpy(), want)
