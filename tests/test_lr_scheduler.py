"""Learning-rate schedulers: sequences against closed forms and PyTorch reference values,
momentum cycling, ReduceLROnPlateau traced by hand, state_dict round trips, errors."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.optim as optim
from tinygrad_cnn import Tensor
from tinygrad_cnn.optim import lr_scheduler as S


def make_optimizer(kind='SGD', lrs=(0.1,)):
    groups = [{'params': [Tensor(np.zeros(1), requires_grad=True)], 'lr': lr} for lr in lrs]
    if kind == 'SGD':
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    return optim.Adam(groups, lr=lrs[0])


def lr_sequence(optimizer, scheduler, n, metrics=None, key='lr'):
    """The value of ``group[key]`` for each group: at creation, then after each of n steps."""
    values = [[g[key] for g in optimizer.param_groups]]
    for i in range(n):
        optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
        values.append([g[key] for g in optimizer.param_groups])
    return np.array(values)


@pytest.mark.parametrize('make,closed_form', [
    (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    (lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
     lambda b, e: b * 0.3 ** sum(m <= e for m in [2, 5, 5, 9])),
    (lambda o: S.ExponentialLR(o, gamma=0.9), lambda b, e: b * 0.9 ** e),
    (lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
     lambda b, e: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 7)) / 2),
], ids=['StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR'])
def test_schedules_follow_their_closed_form(make, closed_form):
    opt = make_optimizer(lrs=(0.1, 0.03))
    sched = make(opt)
    values = lr_sequence(opt, sched, 25)        # 25 > 2 * T_max: the cosine comes back up
    expected = np.array([[closed_form(b, e) for b in (0.1, 0.03)] for e in range(26)])
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert sched.get_last_lr() == [g['lr'] for g in opt.param_groups]
    assert sched.last_epoch == 25
    # jumping to an epoch uses the closed form (deprecated, warns as PyTorch)
    with pytest.warns(UserWarning, match='deprecated'):
        sched.step(4)
    np.testing.assert_allclose(sched.get_last_lr(), [closed_form(b, 4) for b in (0.1, 0.03)],
                               rtol=1e-12)


def test_cosine_pytorch_reference():
    # torch.optim.lr_scheduler.CosineAnnealingLR(T_max=4, eta_min=0.02), lr=0.1 (PyTorch 2.13)
    opt = make_optimizer()
    values = lr_sequence(opt, S.CosineAnnealingLR(opt, T_max=4, eta_min=0.02), 10)[:, 0]
    np.testing.assert_allclose(values, [0.1, 0.08828427124746191, 0.06, 0.0317157287525381, 0.02,
                                        0.0317157287525381, 0.06000000000000001,
                                        0.08828427124746194, 0.10000000000000005,
                                        0.08828427124746195, 0.06000000000000004], rtol=1e-15)


def test_schedulers_are_chainable():
    # the recursive forms multiply whatever lr is current, so two schedulers compose
    opt = make_optimizer()
    a, b = S.ExponentialLR(opt, gamma=0.9), S.StepLR(opt, step_size=2, gamma=0.5)
    for epoch in range(1, 7):
        opt.step()
        a.step()
        b.step()
        assert opt.param_groups[0]['lr'] == pytest.approx(0.1 * 0.9 ** epoch * 0.5 ** (epoch // 2))


def test_one_cycle_pytorch_reference():
    # torch.optim.lr_scheduler.OneCycleLR(max_lr=1.0, total_steps=10) on SGD(momentum=0.9)
    opt = make_optimizer()
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs = lr_sequence(opt, sched, 9)[:, 0]
    np.testing.assert_allclose(lrs, [0.040000000000000036, 0.52, 1.0, 0.9504846320134737,
                                     0.8117456539497631, 0.6112620219362893, 0.38874197806371075,
                                     0.18825834605023697, 0.049519367986526286, 4e-06],
                               rtol=1e-15)
    assert opt.param_groups[0]['momentum'] == 0.95
    with pytest.raises(ValueError, match='Tried to step 11 times'):
        sched.step()
        sched.step()
    # three phases, linear, cycling Adam's beta1 (beta2 untouched)
    opt = make_optimizer('Adam')
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy='linear',
                         three_phase=True)
    betas = [opt.param_groups[0]['betas']]
    lrs = [opt.param_groups[0]['lr']]
    for _ in range(9):
        opt.step()
        sched.step()
        betas.append(opt.param_groups[0]['betas'])
        lrs.append(opt.param_groups[0]['lr'])
    np.testing.assert_allclose(lrs, [0.04, 0.52, 1.0, 0.52, 0.040000000000000036,
                                     0.032000799999999996, 0.024001599999999998, 0.0160024,
                                     0.008003199999999995, 3.9999999999970615e-06], rtol=1e-13)
    np.testing.assert_allclose([b[0] for b in betas],
                               [0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
                               rtol=1e-15)
    assert all(b[1] == 0.999 for b in betas)


def test_one_cycle_formula_and_errors():
    opt = make_optimizer(lrs=(0.1, 0.2))
    sched = S.OneCycleLR(opt, max_lr=[2.0, 4.0], epochs=2, steps_per_epoch=10, pct_start=0.25,
                         div_factor=10.0, final_div_factor=100.0, cycle_momentum=False)
    values = lr_sequence(opt, sched, 19)
    for step, (lr0, lr1) in enumerate(values):
        if step <= 4:           # warm-up: cos from max_lr/10 to max_lr over steps 0..4
            expected = 2.0 + (0.2 - 2.0) / 2 * (math.cos(math.pi * step / 4) + 1)
        else:                   # anneal: to initial_lr / 100 over steps 4..19
            expected = 0.002 + (2.0 - 0.002) / 2 * (math.cos(math.pi * (step - 4) / 15) + 1)
        assert lr0 == pytest.approx(expected, rel=1e-12)
        assert lr1 == pytest.approx(2 * expected, rel=1e-12)
    assert opt.param_groups[0]['momentum'] == 0.9               # not cycled
    with pytest.raises(ValueError, match='total_steps OR'):
        S.OneCycleLR(make_optimizer(), max_lr=1.0)
    with pytest.raises(ValueError, match='anneal_strategy'):
        S.OneCycleLR(make_optimizer(), max_lr=1.0, total_steps=5, anneal_strategy='exp')
    with pytest.raises(ValueError, match='same length'):
        S.OneCycleLR(make_optimizer(), max_lr=[1.0, 2.0], total_steps=5)
    with pytest.raises(ValueError, match='momentum or beta1'):
        S.OneCycleLR(optim.Adagrad([Tensor(np.zeros(1), requires_grad=True)]), max_lr=1.0,
                     total_steps=5)


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer(lrs=(1.0, 0.5))
    sched = S.ReduceLROnPlateau(opt, mode='min', factor=0.5, patience=1, cooldown=1,
                                threshold=0.1, threshold_mode='abs', min_lr=[0.2, 0.0])
    metrics = [10, 9, 9.5, 9.0, 8.95, 8.9, 7, 7, 7, 7, 7, 7]
    lrs = lr_sequence(opt, sched, len(metrics), metrics)[1:, 0]
    # best=10 | 9 better | 9.5 bad(1) | 9.0 bad(2 > 1): halve, cooldown | 8.95 (cooldown) |
    # 8.9 bad(1) | 7 better | 7 bad(1) | 7 bad(2): halve -> 0.25 | cooldown | bad(1) |
    # bad(2): 0.125 would be below min_lr 0.2 -> 0.2
    np.testing.assert_allclose(lrs, [1, 1, 1, .5, .5, .5, .5, .5, .25, .25, .25, .2])
    assert sched.get_last_lr()[1] == 0.5 * 0.5 ** 3
    # 'max' with a relative threshold: 10 -> 10.5 is not 10 % better
    opt = make_optimizer()
    sched = S.ReduceLROnPlateau(opt, mode='max', patience=0, threshold=0.1)
    lrs = lr_sequence(opt, sched, 3, [10, 10.5, 12])[1:, 0]
    np.testing.assert_allclose(lrs, [0.1, 0.01, 0.01])
    # eps: a reduction smaller than eps is skipped
    opt = make_optimizer(lrs=(1e-8,))
    sched = S.ReduceLROnPlateau(opt, patience=0)
    assert lr_sequence(opt, sched, 2, [1.0, 2.0])[-1, 0] == 1e-8
    # PyTorch's state_dict keys, 'mode_worse' included
    assert set(S.ReduceLROnPlateau(make_optimizer(), mode='max').state_dict()) >= {
        'factor', 'min_lrs', 'patience', 'cooldown', 'cooldown_counter', 'mode', 'threshold',
        'threshold_mode', 'best', 'num_bad_epochs', 'mode_worse', 'eps', 'last_epoch', '_last_lr'}
    assert S.ReduceLROnPlateau(make_optimizer(), mode='max').state_dict()['mode_worse'] == -np.inf
    with pytest.raises(ValueError, match='Factor should be < 1.0'):
        S.ReduceLROnPlateau(make_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match='mode'):
        S.ReduceLROnPlateau(make_optimizer(), mode='down')
    with pytest.raises(ValueError, match='threshold mode'):
        S.ReduceLROnPlateau(make_optimizer(), threshold_mode='pct')


@pytest.mark.parametrize('make,metric', [
    (lambda o: S.StepLR(o, 3), None),
    (lambda o: S.MultiStepLR(o, [2, 4, 4]), None),
    (lambda o: S.ExponentialLR(o, 0.8), None),
    (lambda o: S.CosineAnnealingLR(o, 5), None),
    (lambda o: S.OneCycleLR(o, 1.0, total_steps=12, three_phase=True), None),
    (lambda o: S.ReduceLROnPlateau(o, patience=1, cooldown=1), 1.0),
], ids=['StepLR', 'MultiStepLR', 'ExponentialLR', 'Cosine', 'OneCycle', 'Plateau'])
def test_state_dict_round_trip(tmp_path, make, metric):
    def run(sched, opt, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step() if metric is None else sched.step(metric)
            out.append(sched.get_last_lr() + [opt.param_groups[0]['momentum']])
        return out

    opt = make_optimizer()
    reference = run(make(opt), opt, 11)
    opt = make_optimizer()
    sched = make(opt)
    run(sched, opt, 5)
    tg.save({'optimizer': opt.state_dict(), 'scheduler': sched.state_dict()}, tmp_path / 'ck')
    checkpoint = tg.load(tmp_path / 'ck')
    opt = make_optimizer(lrs=(0.7,))
    sched = make(opt)                        # a scheduler is made before loading, as in PyTorch
    opt.load_state_dict(checkpoint['optimizer'])
    sched.load_state_dict(checkpoint['scheduler'])
    assert run(sched, opt, 6) == reference[5:]


def test_resume_with_last_epoch_and_errors():
    opt = make_optimizer()
    with pytest.raises(KeyError, match='initial_lr'):
        S.StepLR(opt, 2, last_epoch=3)
    opt.param_groups[0]['initial_lr'] = 0.1
    sched = S.ExponentialLR(opt, gamma=0.5, last_epoch=3)    # resumed: lr is left as it is
    assert sched.last_epoch == 4 and opt.param_groups[0]['lr'] == 0.1
    with pytest.raises(TypeError, match='is not an Optimizer'):
        S.StepLR(object(), 2)
    with warnings.catch_warnings():
        warnings.simplefilter('error')       # no warnings on ordinary use
        opt = make_optimizer()
        sched = S.StepLR(opt, 2)
        opt.step()
        sched.step()
