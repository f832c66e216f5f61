"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS: trajectories against the update formulas
written out in numpy (grids and hypothesis over the options); LBFGS against numbers computed
with torch.optim.LBFGS; PyTorch's param_groups keys, flags, hooks, named parameters and
state_dict round trips for every optimizer."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.optim as optim
from tinygrad_cnn import Tensor

STEPS = 6


# ---------------------------------------------------------------- reference updates (numpy)
def ref_adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    v = u = np.zeros_like(p)
    for g in grads:
        if g is None:
            continue
        g = (-g if maximize else g) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


def ref_adamax(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    m = u = np.zeros_like(p)
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = (-g if maximize else g) + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        u = np.maximum(betas[1] * u, np.abs(g) + eps)
        p = p - lr / (1 - betas[0] ** t) * m / u
    return p


def ref_nadam(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m = v = np.zeros_like(p)
    mu_product = np.float32(1.0)        # a float32 scalar in PyTorch's state
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = np.float32(mu_product * np.float32(mu))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        d = np.sqrt(v / (1 - b2 ** t)) + eps
        p = p - lr * (1 - mu) / (1 - float(mu_product)) * g / d
        p = p - lr * mu_next / (1 - float(mu_product) * mu_next) * m / d
    return p


def ref_radam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m = v = np.zeros_like(p)
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
    return p


def ref_asgd(p, grads, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    eta, mu = np.float32(lr), np.float32(1.0)       # float32 scalars in PyTorch's state
    ax = np.zeros_like(p)
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        g = (-g if maximize else g) + weight_decay * p
        p = p * (1 - lambd * float(eta)) - float(eta) * g
        ax = p.copy() if mu == 1 else ax + (p - ax) * float(mu)
        eta = np.float32(lr / (1 + lambd * lr * t) ** alpha)
        mu = np.float32(1 / max(1, t - t0))
    return p, ax


def ref_rprop(p, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    prev = np.zeros_like(p)
    size = np.full_like(p, lr)
    for g in grads:
        if g is None:
            continue
        g = -g if maximize else g
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0)), *step_sizes)
        g = np.where(s < 0, 0.0, g)
        p = p - np.sign(g) * size
        prev = g
    return p


REFERENCES = {'Adadelta': ref_adadelta, 'Adamax': ref_adamax, 'NAdam': ref_nadam,
              'RAdam': ref_radam, 'ASGD': lambda p, g, **kw: ref_asgd(p, g, **kw)[0],
              'Rprop': ref_rprop}


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


CASES = (
    [('Adadelta', kw) for kw in grid(lr=[1.0, 0.5], rho=[0.9, 0.3], eps=[1e-6, 0.1],
                                     weight_decay=[0, 0.1], maximize=[False, True])]
    + [('Adamax', kw) for kw in grid(lr=[0.1], betas=[(0.9, 0.999), (0.3, 0.6)], eps=[1e-8, 0.5],
                                     weight_decay=[0, 0.1], maximize=[False, True])]
    + [('NAdam', kw) for kw in grid(lr=[0.1], betas=[(0.9, 0.999), (0.3, 0.6)],
                                    weight_decay=[0, 0.1], momentum_decay=[4e-3, 0.5],
                                    decoupled_weight_decay=[False, True], maximize=[False, True])]
    # betas (0.3, 0.6): rho_t > 5 from step 1; (0.9, 0.999): the un-rectified start
    + [('RAdam', kw) for kw in grid(lr=[0.1], betas=[(0.9, 0.999), (0.3, 0.6)], eps=[1e-8, 0.5],
                                    weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                    maximize=[False, True])]
    + [('ASGD', kw) for kw in grid(lr=[0.01, 0.3], lambd=[1e-4, 0.1], alpha=[0.75, 0.3],
                                   t0=[1e6, 2], weight_decay=[0, 0.1], maximize=[False, True])]
    + [('Rprop', kw) for kw in grid(lr=[0.01, 0.3], etas=[(0.5, 1.2), (0.1, 3.0)],
                                    step_sizes=[(1e-6, 50), (0.05, 0.2)], maximize=[False, True])]
)


def _grads(rng, shape, steps=STEPS, skip=()):
    return [None if k in skip else rng.standard_normal(shape) for k in range(steps)]


def _run(opt, params, grads_per_param):
    for k in range(len(grads_per_param[0])):
        for p, grads in zip(params, grads_per_param):
            p.grad = None if grads[k] is None else Tensor(grads[k].astype(p.dtype))
        opt.step()


def _check_trajectory(rng, name, kwargs):
    inits = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    grads = [_grads(rng, (3, 2)), _grads(rng, 4, skip={1, 4})]    # p1 skips two steps
    params = [Tensor(a.copy(), requires_grad=True) for a in inits]
    _run(getattr(optim, name)(params, **kwargs), params, grads)
    for p, a, g in zip(params, inits, grads):
        np.testing.assert_allclose(p.numpy(), REFERENCES[name](a, g, **kwargs),
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('name,kwargs', CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for n, kw in CASES])
def test_trajectory_matches_formula(rng, name, kwargs):
    _check_trajectory(rng, name, kwargs)


@settings(max_examples=25)
@given(data=st.data(), name=st.sampled_from(sorted(REFERENCES)), seed=st.integers(0, 2 ** 16))
def test_trajectory_matches_formula_random_options(data, name, seed):
    unit = st.floats(0.05, 0.95)
    options = {
        'Adadelta': dict(lr=unit, rho=unit, eps=st.sampled_from([1e-6, 1e-2])),
        'Adamax': dict(lr=unit, betas=st.tuples(unit, unit), eps=st.sampled_from([1e-8, 0.1])),
        'NAdam': dict(lr=unit, betas=st.tuples(unit, unit), momentum_decay=unit,
                      decoupled_weight_decay=st.booleans()),
        'RAdam': dict(lr=unit, betas=st.tuples(unit, st.floats(0.05, 0.999)),
                      decoupled_weight_decay=st.booleans()),
        'ASGD': dict(lr=unit, lambd=unit, alpha=unit, t0=st.sampled_from([0, 1, 3, 1e6])),
        'Rprop': dict(lr=unit, etas=st.tuples(unit, st.floats(1.05, 3.0)),
                      step_sizes=st.tuples(st.floats(1e-6, 0.05), st.floats(0.1, 50))),
    }[name]
    if name != 'Rprop':
        options['weight_decay'] = st.sampled_from([0, 0.1])
    options['maximize'] = st.booleans()
    kwargs = data.draw(st.fixed_dictionaries(options))
    _check_trajectory(np.random.default_rng(seed), name, kwargs)


def test_asgd_average():
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal(3)
    grads = _grads(rng, 3, steps=8)
    p = Tensor(p0.copy(), requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.01, t0=3)
    _run(opt, [p], [grads])
    expected_p, expected_ax = ref_asgd(p0, grads, lr=0.1, lambd=0.01, t0=3)
    np.testing.assert_allclose(p.numpy(), expected_p, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]['ax'].numpy(), expected_ax, rtol=1e-12)
    assert opt.state[p]['eta'].dtype == np.float32 and opt.state[p]['mu'].dtype == np.float32


def test_adagrad_sums_start_at_the_constructors_value():
    # PyTorch's quirk: a group's own initial_accumulator_value is ignored, also for groups
    # added later; every sum starts at the value given to the constructor
    a, b, c = (Tensor(np.ones(2), requires_grad=True) for _ in range(3))
    opt = optim.Adagrad([{'params': [a]}, {'params': [b], 'initial_accumulator_value': 5.0}],
                        initial_accumulator_value=0.5)
    opt.add_param_group({'params': [c], 'initial_accumulator_value': 7.0})
    for p in (a, b, c):
        p.grad = Tensor(np.ones(2))
    opt.step()
    for p in (a, b, c):
        np.testing.assert_array_equal(opt.state[p]['sum'].numpy(), [1.5, 1.5])
        np.testing.assert_allclose(p.numpy(), 1 - 0.01 / (np.sqrt(1.5) + 1e-10), rtol=1e-15)


@pytest.mark.parametrize('name', sorted(REFERENCES))
def test_float32_stays_float32_and_grad_none_untouched(rng, name):
    used = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    unused = Tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    before = unused.numpy().copy()
    opt = getattr(optim, name)([used, unused], lr=np.float64(0.1))
    for _ in range(3):
        used.grad = Tensor(rng.standard_normal((2, 3)).astype(np.float32))
        opt.step()
    np.testing.assert_array_equal(unused.numpy(), before)
    assert len(opt.state[unused]) == 0 and used.dtype == np.float32
    for key, value in opt.state[used].items():
        assert value.dtype == np.float32, (key, value.dtype)    # 'step' too: float32 scalar


# ---------------------------------------------------------------- LBFGS
A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def _lbfgs_problem(**kwargs):
    """A quadratic in x plus a Rosenbrock valley in y; three step() calls of LBFGS."""
    x = tg.tensor([0.3, -0.2, 0.8], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([-1.2, 1.0], dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x, y], **kwargs)

    def closure():
        opt.zero_grad()
        loss = (0.5 * (x @ tg.tensor(A) @ x) - (tg.tensor(B) * x).sum()
                + 10 * (y[1] - y[0] ** 2) ** 2 + (1 - y[0]) ** 2)
        loss.backward()
        return loss
    losses = [opt.step(closure).item() for _ in range(3)]
    return opt, x, y, losses


# (kwargs, losses returned by the three steps, final x and y, func_evals, n_iter), computed with
# torch.optim.LBFGS (PyTorch 2.13, float64)
LBFGS_REFERENCE = [
    (dict(max_iter=5), [6.093, 2.8459570325151766, 0.48105836501643795],
     [0.5183558500052112, -1.2429591117042946, 1.0504086527949614, 0.5251809453499316,
      0.22194696085195098], 15, 15),
    (dict(line_search_fn='strong_wolfe', max_iter=5), [6.093, 2.071539666947717,
                                                       -0.47094829114218417],
     [0.28006651242202574, -1.229636695134253, 1.1003515879238177, 0.7443108350785704,
      0.5392194052846744], 19, 12),
    (dict(line_search_fn='strong_wolfe', history_size=2, max_iter=6, lr=0.8),
     [6.093, 0.40882111142676436, -1.5029730465397837],
     [0.4905653965380988, -1.2872756578712237, 0.9408930141265404, 0.9577898413346493,
      0.924083801152525], 22, 16),
    (dict(history_size=2, max_iter=4, lr=0.5), [6.093, 3.11273062447964, 1.3546329173105744],
     [0.5444309062225752, -1.6055931360728564, 0.6883821403705123, 0.09452472849812361,
      -0.05745271181143839], 12, 12),
]


@pytest.mark.parametrize('kwargs,losses,final,func_evals,n_iter', LBFGS_REFERENCE)
def test_lbfgs_pytorch_reference(kwargs, losses, final, func_evals, n_iter):
    opt, x, y, got = _lbfgs_problem(**kwargs)
    np.testing.assert_allclose(got, losses, rtol=1e-12)
    np.testing.assert_allclose(np.concatenate([x.numpy(), y.numpy()]), final, rtol=1e-10)
    state = opt.state[x]
    assert (state['func_evals'], state['n_iter']) == (func_evals, n_iter)
    assert list(state) == ['func_evals', 'n_iter', 'al', 'd', 't', 'old_dirs', 'old_stps', 'ro',
                           'H_diag', 'prev_flat_grad', 'prev_loss']
    assert len(state['old_dirs']) <= kwargs.get('history_size', 100)


@pytest.mark.parametrize('line_search_fn', [None, 'strong_wolfe'])
def test_lbfgs_solves_a_quadratic(line_search_fn):
    x = tg.zeros(3, dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ tg.tensor(A) @ x) - (tg.tensor(B) * x).sum()
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    # stops once the loss changes by less than tolerance_change (1e-9): near, not at, the optimum
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(A, B), atol=1e-4)


def test_lbfgs_state_dict_round_trip_and_errors(tmp_path):
    opt, x, y, _ = _lbfgs_problem(max_iter=3, history_size=3)
    tg.save({'opt': opt.state_dict(), 'x': x.detach(), 'y': y.detach()}, tmp_path / 'ckpt')
    ckpt = tg.load(tmp_path / 'ckpt')
    x2 = Tensor(ckpt['x'].numpy(), requires_grad=True)
    y2 = Tensor(ckpt['y'].numpy(), requires_grad=True)
    opt2 = optim.LBFGS([x2, y2], max_iter=3, history_size=3)
    opt2.load_state_dict(ckpt['opt'])
    for o, (u, v) in ((opt, (x, y)), (opt2, (x2, y2))):
        def closure(o=o, u=u, v=v):
            o.zero_grad()
            loss = (0.5 * (u @ tg.tensor(A) @ u) - (tg.tensor(B) * u).sum()
                    + 10 * (v[1] - v[0] ** 2) ** 2 + (1 - v[0]) ** 2)
            loss.backward()
            return loss
        o.step(closure)
    np.testing.assert_array_equal(x2.numpy(), x.numpy())
    np.testing.assert_array_equal(y2.numpy(), y.numpy())
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{'params': [x]}, {'params': [y]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe'"):
        _lbfgs_problem(line_search_fn='armijo')


# ---------------------------------------------------------------- PyTorch's API
# opt.param_groups[0] keys (in order) with default arguments, as in PyTorch 2.13
GROUP_KEYS = {
    'SGD': ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach',
            'differentiable', 'fused'],
    'Adam': ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach',
             'capturable', 'differentiable', 'fused', 'decoupled_weight_decay'],
    'AdamW': ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach',
              'capturable', 'differentiable', 'fused', 'decoupled_weight_decay'],
    'Adagrad': ['lr', 'lr_decay', 'eps', 'weight_decay', 'initial_accumulator_value', 'foreach',
                'maximize', 'differentiable', 'fused'],
    'RMSprop': ['lr', 'momentum', 'alpha', 'eps', 'centered', 'weight_decay', 'capturable',
                'foreach', 'maximize', 'differentiable'],
    'Adadelta': ['lr', 'rho', 'eps', 'weight_decay', 'maximize', 'capturable', 'foreach',
                 'differentiable'],
    'Adamax': ['lr', 'betas', 'eps', 'weight_decay', 'foreach', 'maximize', 'differentiable',
               'capturable'],
    'NAdam': ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'decoupled_weight_decay',
              'maximize', 'foreach', 'capturable', 'differentiable'],
    'RAdam': ['lr', 'betas', 'eps', 'weight_decay', 'maximize', 'foreach', 'capturable',
              'decoupled_weight_decay', 'differentiable'],
    'ASGD': ['lr', 'lambd', 'alpha', 't0', 'weight_decay', 'foreach', 'maximize',
             'differentiable', 'capturable'],
    'Rprop': ['lr', 'etas', 'step_sizes', 'foreach', 'maximize', 'differentiable', 'capturable'],
    'LBFGS': ['lr', 'max_iter', 'max_eval', 'tolerance_grad', 'tolerance_change', 'history_size',
              'line_search_fn'],
}
DEFAULTS = {
    'SGD': dict(lr=1e-3, momentum=0), 'Adam': dict(lr=1e-3, eps=1e-8),
    'AdamW': dict(weight_decay=1e-2, decoupled_weight_decay=True),
    'Adagrad': dict(lr=1e-2, eps=1e-10, initial_accumulator_value=0, lr_decay=0),
    'RMSprop': dict(lr=1e-2, alpha=0.99, centered=False),
    'Adadelta': dict(lr=1.0, rho=0.9, eps=1e-6),
    'Adamax': dict(lr=2e-3), 'NAdam': dict(lr=2e-3, momentum_decay=4e-3), 'RAdam': dict(lr=1e-3),
    'ASGD': dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6), 'Rprop': dict(lr=1e-2, etas=(0.5, 1.2)),
    'LBFGS': dict(lr=1, max_iter=20, max_eval=25, history_size=100, line_search_fn=None),
}


@pytest.mark.parametrize('name', sorted(GROUP_KEYS))
def test_param_group_keys_and_defaults(name):
    p = Tensor(np.ones(2), requires_grad=True)
    opt = getattr(optim, name)([p])
    group = opt.param_groups[0]
    assert list(group) == ['params'] + GROUP_KEYS[name]
    assert {k: group[k] for k in DEFAULTS[name]} == DEFAULTS[name]
    for flag in ('foreach', 'fused'):
        assert group.get(flag, None) is None
    assert group.get('differentiable', False) is False and group.get('capturable', False) is False
    sd = opt.state_dict()
    assert list(sd['param_groups'][0]) == GROUP_KEYS[name] + ['params']


def test_flags():
    p = Tensor(np.ones(2), requires_grad=True)
    optim.Adam([p], foreach=False, fused=True, capturable=True)     # no effect here
    with pytest.raises(RuntimeError, match='cannot be `True` together'):
        optim.SGD([p], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match='does not support `differentiable`'):
        optim.AdamW([p], fused=True, differentiable=True)
    with pytest.raises(NotImplementedError, match='differentiable=True'):
        optim.RMSprop([p], differentiable=True)
    with pytest.raises(ValueError, match='Invalid eta values'):
        optim.Rprop([p], etas=(1.2, 0.5))
    with pytest.raises(ValueError, match='Invalid rho value'):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match='Invalid momentum_decay'):
        optim.NAdam([p], momentum_decay=-1)


def test_step_hooks_and_closure():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.NAdam([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(('pre', o is opt)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(('post', args)))
    glob = optim.optimizer.register_optimizer_step_post_hook(lambda o, a, k: calls.append('g'))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 5.0
    assert calls == [('pre', True), ('post', (closure,)), 'g']
    pre.remove()
    post.remove()
    glob.remove()
    opt.step()
    assert len(calls) == 3
    # a pre-hook may replace the arguments
    opt.register_step_pre_hook(lambda o, args, kwargs: ((), {'closure': lambda: 7}))
    assert opt.step() == 7


def test_named_parameters_and_repr():
    w = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(1), requires_grad=True)
    opt = optim.SGD([('w', w), ('b', b)], lr=0.1)
    assert opt.param_groups[0]['params'] == [w, b]
    assert opt.param_groups[0]['param_names'] == ['w', 'b']
    assert opt.state_dict()['param_groups'][0]['param_names'] == ['w', 'b']
    with pytest.raises(ValueError, match='with/without names'):
        opt.add_param_group({'params': [Tensor(np.ones(1), requires_grad=True)]})
    with pytest.raises(ValueError, match='Some param names are missing'):
        optim.SGD([('w', w), b])
    two = optim.Rprop([{'params': [w]}, {'params': [b], 'lr': 0.5}])
    assert repr(two) == (
        'Rprop (\nParameter Group 0\n    capturable: False\n    differentiable: False\n'
        '    etas: (0.5, 1.2)\n    foreach: None\n    lr: 0.01\n    maximize: False\n'
        '    step_sizes: (1e-06, 50)\n\nParameter Group 1\n    capturable: False\n'
        '    differentiable: False\n    etas: (0.5, 1.2)\n    foreach: None\n    lr: 0.5\n'
        '    maximize: False\n    step_sizes: (1e-06, 50)\n)')


@pytest.mark.parametrize('make', [
    lambda ps: optim.Adadelta(ps, lr=0.5, weight_decay=0.01),
    lambda ps: optim.Adamax(ps, lr=0.05),
    lambda ps: optim.NAdam(ps, lr=0.05, decoupled_weight_decay=True, weight_decay=0.1),
    lambda ps: optim.RAdam(ps, lr=0.05, betas=(0.5, 0.7)),
    lambda ps: optim.ASGD(ps, lr=0.05, t0=2),
    lambda ps: optim.Rprop(ps, lr=0.05),
], ids=['Adadelta', 'Adamax', 'NAdam', 'RAdam', 'ASGD', 'Rprop'])
def test_state_dict_round_trip_continues_identically(rng, make):
    # float32: float scalars in the state (NAdam's mu_product, ASGD's eta and mu) are float32
    # and are loaded in the parameter's dtype (PyTorch's rule), so they stay float32
    inits = [rng.standard_normal(s).astype(np.float32) for s in [(2, 3), (3,)]]
    grads = [_grads(rng, (2, 3), 8), _grads(rng, 3, 8, skip={0})]
    ref = [Tensor(a.copy(), requires_grad=True) for a in inits]
    _run(make([{'params': [ref[0]]}, {'params': [ref[1]], 'lr': 0.02}]), ref, grads)
    params = [Tensor(a.copy(), requires_grad=True) for a in inits]
    opt = make([{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.02}])
    _run(opt, params, [g[:4] for g in grads])
    # a checkpoint as numpy arrays (as a converted PyTorch state_dict would be)
    sd = opt.state_dict()
    sd = {'state': {k: {n: v.numpy().copy() for n, v in s.items()} for k, s in sd['state'].items()},
          'param_groups': sd['param_groups']}
    params = [Tensor(p.numpy().copy(), requires_grad=True) for p in params]
    fresh = make([{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.5}])
    fresh.load_state_dict(sd)
    assert fresh.param_groups[1]['lr'] == 0.02
    _run(fresh, params, [g[4:] for g in grads])
    for p, r in zip(params, ref):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), r.numpy())
