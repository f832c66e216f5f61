"""Optimisers: trajectories against the update formulas written out in numpy, for every option
combination; parameters without gradients; dtypes; param groups; state_dict round trips."""
import itertools

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.optim as optim
from tinygrad_cnn import Tensor
from tinygrad_cnn.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                                   vector_to_parameters)

STEPS = 6


# ---------------------------------------------------------------- reference updates (numpy)
def ref_sgd(p, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    buf = None
    for g in grads:
        if g is None:
            continue
        g = (-g if maximize else g) + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def ref_adam(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    m = v = vmax = np.zeros_like(p)
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        v_hat = (vmax if amsgrad else v) / (1 - b2 ** t)
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps)
    return p


def ref_adagrad(p, grads, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    s = np.full_like(p, initial_accumulator_value)
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = (-g if maximize else g) + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


def ref_rmsprop(p, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    v = a = buf = np.zeros_like(p)
    for g in grads:
        if g is None:
            continue
        g = (-g if maximize else g) + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        d = np.sqrt(v - a * a if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / d
            p = p - lr * buf
        else:
            p = p - lr * g / d
    return p


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


CASES = (
    [('SGD', kw, lambda p, g, kw=kw: ref_sgd(p, g, **kw))
     for kw in grid(lr=[0.1], momentum=[0, 0.9], dampening=[0, 0.3], weight_decay=[0, 0.1],
                    nesterov=[False, True], maximize=[False, True])
     if not (kw['nesterov'] and (kw['momentum'] == 0 or kw['dampening'] != 0))]
    + [('Adam', kw, lambda p, g, kw=kw: ref_adam(p, g, **kw))
       for kw in grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.8)], eps=[1e-8, 0.1],
                      weight_decay=[0, 0.1], amsgrad=[False, True], maximize=[False, True])]
    + [('AdamW', kw, lambda p, g, kw=kw: ref_adam(p, g, decoupled=True, **kw))
       for kw in grid(lr=[0.01], weight_decay=[0, 0.1], amsgrad=[False, True],
                      maximize=[False, True])]
    + [('Adagrad', kw, lambda p, g, kw=kw: ref_adagrad(p, g, **kw))
       for kw in grid(lr=[0.1], lr_decay=[0, 0.05], weight_decay=[0, 0.1],
                      initial_accumulator_value=[0, 0.5], eps=[1e-10, 0.1],
                      maximize=[False, True])]
    + [('RMSprop', kw, lambda p, g, kw=kw: ref_rmsprop(p, g, **kw))
       for kw in grid(lr=[0.01], alpha=[0.99, 0.7], weight_decay=[0, 0.1], momentum=[0, 0.9],
                      centered=[False, True], maximize=[False, True])]
)


def _grads(rng, shape, steps=STEPS, skip=()):
    """Per-step gradients; None on the steps in ``skip`` (the parameter got no gradient)."""
    return [None if k in skip else rng.standard_normal(shape) for k in range(steps)]


def _run(opt, params, grads_per_param):
    for k in range(len(grads_per_param[0])):
        for p, grads in zip(params, grads_per_param):
            p.grad = None if grads[k] is None else Tensor(grads[k].astype(p.dtype))
        opt.step()


@pytest.mark.parametrize('name,kwargs,reference', CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for n, kw, _ in CASES])
def test_trajectory_matches_formula(rng, name, kwargs, reference):
    inits = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    grads = [_grads(rng, (3, 2)), _grads(rng, 4, skip={1, 4})]    # p1 skips two steps
    params = [Tensor(a.copy(), requires_grad=True) for a in inits]
    _run(getattr(optim, name)(params, **kwargs), params, grads)
    for p, a, g in zip(params, inits, grads):
        np.testing.assert_allclose(p.numpy(), reference(a, g), rtol=1e-12, atol=1e-14)


# Adam after 3 steps on f(p) = sum(p^2 * c), computed with torch.optim.Adam (PyTorch 2.13, float64)
def test_adam_pytorch_reference_numbers():
    p = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    opt = optim.Adam([p], lr=0.1, betas=(0.8, 0.9), weight_decay=0.05, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        (p * p * tg.tensor([1.0, 3.0, -2.0], dtype=tg.float64)).sum().backward()
        opt.step()
    np.testing.assert_allclose(p.numpy(), [0.7017192268225052, -1.700683404553463,
                                           0.8004975819050826], rtol=1e-12)


def test_sgd_minimises_a_quadratic():
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                 lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1),
                 lambda ps: optim.RMSprop(ps, lr=0.03), lambda ps: optim.Adagrad(ps, lr=0.5)):
        p = Tensor(np.array([3.0, -2.0]), requires_grad=True)
        opt = make([p])
        for _ in range(200):
            opt.zero_grad()
            loss = ((p - tg.tensor([1.0, 0.5], dtype=tg.float64)) ** 2).sum()
            loss.backward()
            opt.step()
        np.testing.assert_allclose(p.numpy(), [1.0, 0.5], atol=0.05)


@pytest.mark.parametrize('name', ['SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop'])
def test_grad_none_is_untouched_and_float32_stays_float32(rng, name):
    kwargs = dict(lr=np.float64(0.1), weight_decay=np.float64(0.1))   # float64 scalars on purpose
    kwargs.update({'SGD': dict(momentum=0.9), 'Adam': dict(amsgrad=True),
                   'RMSprop': dict(momentum=0.5, centered=True)}.get(name, {}))
    used = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    unused = Tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    before = unused.numpy().copy()
    opt = getattr(optim, name)([used, unused], **kwargs)
    for _ in range(3):
        used.grad = Tensor(rng.standard_normal((2, 3)).astype(np.float32))
        opt.step()
    np.testing.assert_array_equal(unused.numpy(), before)
    assert unused.grad is None
    if name != 'Adagrad':                     # Adagrad creates its state up front, like PyTorch
        assert len(opt.state[unused]) == 0
    assert used.dtype == np.float32
    for key, value in opt.state[used].items():
        expected = np.float32 if key != 'step' else tg.get_default_dtype()
        assert value.dtype == expected, (key, value.dtype)


def test_zero_grad_and_closure():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0])     # p - 0.5 * 2p
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad                                 # zeroed in place, as PyTorch
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_param_groups():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([{'params': [a]}, {'params': b, 'lr': 0.5, 'momentum': 0.9}], lr=0.1)
    assert opt.param_groups[0]['lr'] == 0.1 and opt.param_groups[0]['momentum'] == 0
    assert opt.param_groups[1]['lr'] == 0.5 and opt.param_groups[1]['momentum'] == 0.9
    a.grad, b.grad = Tensor(np.ones(2)), Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    c = Tensor(np.ones(1), requires_grad=True)
    opt.add_param_group({'params': [c], 'weight_decay': 0.1})
    assert opt.param_groups[2]['lr'] == 0.1 and opt.param_groups[2]['weight_decay'] == 0.1
    with pytest.raises(ValueError, match='more than one parameter group'):
        opt.add_param_group({'params': [a]})
    assert 'Parameter Group 2' in repr(opt) and repr(opt).startswith('SGD (')


def test_invalid_arguments():
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match='Invalid learning rate'):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match='Nesterov momentum requires'):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match='beta parameter at index 1'):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match='Invalid alpha'):
        optim.RMSprop([p], alpha=-0.1)
    with pytest.raises(ValueError, match='Invalid lr_decay'):
        optim.Adagrad([p], lr_decay=-1)
    with pytest.raises(ValueError, match='empty parameter list'):
        optim.Adam([])
    with pytest.raises(TypeError, match='iterable of Tensors'):
        optim.Adam(p)
    with pytest.raises(TypeError, match='ordered collections'):
        optim.Adam([{'params': {p}}])
    with pytest.raises(ValueError, match='non-leaf'):
        optim.Adam([p * 2])


@pytest.mark.parametrize('make', [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.05),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
], ids=['SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop'])
def test_state_dict_round_trip_continues_identically(rng, tmp_path, make):
    inits = [rng.standard_normal(s).astype(np.float32) for s in [(2, 3), (3,)]]
    grads = [_grads(rng, (2, 3), 8), _grads(rng, 3, 8, skip={0})]
    # uninterrupted run
    ref = [Tensor(a.copy(), requires_grad=True) for a in inits]
    _run(make([{'params': [ref[0]]}, {'params': [ref[1]], 'lr': 0.02}]), ref, grads)
    # 4 steps, checkpoint through a file, a fresh optimizer, 4 more steps
    params = [Tensor(a.copy(), requires_grad=True) for a in inits]
    opt = make([{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.02}])
    _run(opt, params, [g[:4] for g in grads])
    sd = opt.state_dict()
    assert sorted(sd) == ['param_groups', 'state']
    assert [g['params'] for g in sd['param_groups']] == [[0], [1]]
    assert set(sd['state']) <= {0, 1} and all(isinstance(k, int) for k in sd['state'])
    tg.save({'optimizer': sd, 'params': [p.detach() for p in params]}, tmp_path / 'ckpt')
    _run(opt, params, [[rng.standard_normal(p.shape) for _ in range(3)] for p in params])  # drift
    checkpoint = tg.load(tmp_path / 'ckpt')
    params = [Tensor(t.numpy(), requires_grad=True) for t in checkpoint['params']]
    fresh = make([{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.5}])
    fresh.load_state_dict(checkpoint['optimizer'])
    assert fresh.param_groups[1]['lr'] == 0.02                      # hyperparameters restored
    _run(fresh, params, [g[4:] for g in grads])
    for p, r in zip(params, ref):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), r.numpy())
    # the loaded state is a copy: the checkpoint's arrays were not changed by the steps
    for state in checkpoint['optimizer']['state'].values():
        for key, value in state.items():
            if key != 'step':
                assert not any(np.shares_memory(value.numpy(), s.numpy())
                               for s in fresh.state[params[0]].values())


def test_load_state_dict_errors():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    sd = optim.Adam([a, b]).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.Adam([a]).load_state_dict(sd)
    with pytest.raises(ValueError, match='different number of parameter groups'):
        optim.Adam([{'params': [a]}, {'params': [b]}]).load_state_dict(sd)


# ---------------------------------------------------------------- gradient clipping
@pytest.mark.parametrize('norm_type', [2.0, 1, 3.0, float('inf')])
def test_clip_grad_norm(rng, norm_type):
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    params = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = Tensor(g.copy())
    flat = np.concatenate([g.ravel() for g in grads])
    expected = np.abs(flat).max() if norm_type == float('inf') else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    total = clip_grad_norm_(params + [Tensor(np.zeros(2), requires_grad=True)], 0.5, norm_type)
    assert isinstance(total, Tensor) and total.item() == pytest.approx(expected, rel=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * 0.5 / (expected + 1e-6), rtol=1e-12)
    # already small enough: unchanged
    before = [p.grad.numpy().copy() for p in params]
    clip_grad_norm_(params, 10.0, norm_type)
    for p, b in zip(params, before):
        np.testing.assert_allclose(p.grad.numpy(), b, rtol=1e-12)


def test_clip_grad_norm_edge_cases():
    p = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    assert clip_grad_norm_([p], 1.0).item() == 0.0                  # no gradients at all
    p.grad = tg.ones(2).expand(2)                                   # read-only broadcast view
    total = clip_grad_norm_(p, 1.0)                                 # a single Tensor works too
    assert total.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad.numpy(), 1 / (np.sqrt(2) + 1e-6), rtol=1e-6)
    p.grad = Tensor(np.array([np.inf, 1.0], dtype=np.float32))
    with pytest.raises(RuntimeError, match='non-finite'):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vectors():
    a, b = Tensor(np.zeros(3), requires_grad=True), Tensor(np.zeros((1, 2)), requires_grad=True)
    a.grad = Tensor(np.array([1.0, -5.0, 0.2]))
    clip_grad_value_([a, b], 0.5)
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, -0.5, 0.2])
    vec = parameters_to_vector([a, b])
    assert vec.shape == (5,)
    vector_to_parameters(Tensor(np.arange(5.0)), [a, b])
    np.testing.assert_array_equal(a.numpy(), [0, 1, 2])
    np.testing.assert_array_equal(b.numpy(), [[3, 4]])
    with pytest.raises(RuntimeError, match='5 elements'):
        vector_to_parameters(Tensor(np.arange(4.0)), [a, b])
