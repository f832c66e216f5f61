"""LambdaLR, MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts,
CyclicLR, SequentialLR, ChainedScheduler and optim.swa_utils (AveragedModel, SWALR, update_bn):
sequences against closed forms and PyTorch reference values, state_dict round trips, errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.optim as optim
from tinygrad_cnn import Tensor
from tinygrad_cnn.optim import lr_scheduler as S
from tinygrad_cnn.optim import swa_utils

BASE = (0.1, 0.03)


def make_optimizer(kind='SGD', lrs=BASE):
    groups = [{'params': [Tensor(np.zeros(1), requires_grad=True)], 'lr': lr} for lr in lrs]
    if kind == 'SGD':
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == 'Adam':
        return optim.Adam(groups, lr=lrs[0])
    return optim.Adagrad(groups, lr=lrs[0])


def lr_sequence(optimizer, scheduler, n, key='lr', epochs=None):
    """``group[key]`` of each group at creation, then after each of n steps."""
    values = [[g[key] for g in optimizer.param_groups]]
    for i in range(n):
        optimizer.step()
        scheduler.step() if epochs is None else scheduler.step(epochs[i])
        values.append([g[key] for g in optimizer.param_groups])
        assert scheduler.get_last_lr() == [g['lr'] for g in optimizer.param_groups]
    return np.array(values)


class Power:
    """A callable object: LambdaLR saves its ``__dict__`` in state_dict (functions are not)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


@pytest.mark.parametrize('make,closed_form', [
    (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
    (lambda o: S.LambdaLR(o, [lambda e: 0.5 ** (e // 2), Power(0.8)]),
     lambda b, e: b * (0.5 ** (e // 2) if b == BASE[0] else 0.8 ** e)),
    (lambda o: S.MultiplicativeLR(o, lambda e: 0.9 + 0.001 * e),
     lambda b, e: b * math.prod(0.9 + 0.001 * k for k in range(1, e + 1))),
    (lambda o: S.ConstantLR(o, factor=0.25, total_iters=4),
     lambda b, e: b * (0.25 if e < 4 else 1)),
    (lambda o: S.ConstantLR(o), lambda b, e: b * (1 / 3 if e < 5 else 1)),
    (lambda o: S.LinearLR(o, start_factor=0.2, end_factor=0.8, total_iters=6),
     lambda b, e: b * (0.2 + 0.6 * min(e, 6) / 6)),
    (lambda o: S.LinearLR(o), lambda b, e: b * (1 / 3 + 2 / 3 * min(e, 5) / 5)),
    (lambda o: S.PolynomialLR(o, total_iters=8, power=2.0),
     lambda b, e: b * (1 - min(e, 8) / 8) ** 2),
    (lambda o: S.PolynomialLR(o), lambda b, e: b * (1 - min(e, 5) / 5)),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
     # periods 3, 6, 12: epoch e is T_cur into a period of length T_i
     lambda b, e: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * (
         e if e < 3 else e - 3 if e < 9 else e - 9) / (3 if e < 3 else 6 if e < 9 else 12))) / 2),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4),
     lambda b, e: b * (1 + math.cos(math.pi * (e % 4) / 4)) / 2),
], ids=['LambdaLR', 'LambdaLR-list', 'MultiplicativeLR', 'ConstantLR', 'ConstantLR-defaults',
        'LinearLR', 'LinearLR-defaults', 'PolynomialLR', 'PolynomialLR-defaults',
        'CosineAnnealingWarmRestarts', 'CosineAnnealingWarmRestarts-T_mult=1'])
def test_schedules_follow_their_closed_form(make, closed_form):
    opt = make_optimizer()
    sched = make(opt)
    values = lr_sequence(opt, sched, 20)
    expected = np.array([[closed_form(b, e) for b in BASE] for e in range(21)])
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)
    assert sched.last_epoch == 20


@pytest.mark.parametrize('make,closed_form', [
    (lambda o: S.ConstantLR(o, factor=0.25, total_iters=4),
     lambda b, e: b * (0.25 if e < 4 else 1)),
    (lambda o: S.LinearLR(o, start_factor=0.2, end_factor=0.8, total_iters=6),
     lambda b, e: b * (0.2 + 0.6 * min(e, 6) / 6)),
    (lambda o: S.PolynomialLR(o, total_iters=8, power=2.0),
     lambda b, e: b * (1 - min(e, 8) / 8) ** 2),
], ids=['ConstantLR', 'LinearLR', 'PolynomialLR'])
def test_step_to_epoch_uses_closed_form(make, closed_form):
    opt = make_optimizer()
    sched = make(opt)
    for epoch in [3, 1, 9, 2, 0, 5]:
        opt.step()
        with pytest.warns(UserWarning, match='deprecated'):
            sched.step(epoch)
        np.testing.assert_allclose(sched.get_last_lr(), [closed_form(b, epoch) for b in BASE],
                                   rtol=1e-12)


@settings(max_examples=20)
@given(T_0=st.integers(1, 5), T_mult=st.integers(1, 3),
       epochs=st.lists(st.floats(0, 40, allow_nan=False), min_size=1, max_size=6))
def test_warm_restarts_fractional_epochs(T_0, T_mult, epochs):
    opt = make_optimizer()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.002)
    for epoch in epochs:
        sched.step(epoch)
        # the period containing epoch: starts at T_0 (1 + m + ... + m^(n-1)), lasts T_0 m^n
        start, length = 0, T_0
        while epoch >= start + length:
            start, length = start + length, length * T_mult
        t_cur = epoch - start
        expected = [0.002 + (b - 0.002) * (1 + math.cos(math.pi * t_cur / length)) / 2
                    for b in BASE]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-9, atol=1e-12)
        assert sched.last_epoch == math.floor(epoch)


def _triangle(e, up, down):
    """The cycle number and the rising-then-falling position (0..1..0) of step e."""
    cycle = math.floor(1 + e / (up + down))
    x = e - (cycle - 1) * (up + down)
    return cycle, (x / up if x <= up else 1 - (x - up) / down)


@pytest.mark.parametrize('kind', ['SGD', 'Adam'])
@pytest.mark.parametrize('mode,scale', [
    ('triangular', lambda cycle, e: 1.0),
    ('triangular2', lambda cycle, e: 0.5 ** (cycle - 1)),
    ('exp_range', lambda cycle, e: 0.9 ** e),
])
def test_cyclic_lr(kind, mode, scale):
    opt = make_optimizer(kind)
    sched = S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                       mode=mode, gamma=0.9, base_momentum=0.8, max_momentum=0.95)
    key = 'betas' if kind == 'Adam' else 'momentum'
    lrs, momenta = [], []
    for _ in range(20):
        lrs.append(sched.get_last_lr())
        momenta.append([g[key][0] if kind == 'Adam' else g[key] for g in opt.param_groups])
        opt.step()
        sched.step()
    expected_lr, expected_momentum = [], []
    for e in range(20):
        cycle, h = _triangle(e, 3, 5)
        expected_lr.append([b + (0.1 - b) * h * scale(cycle, e) for b in (0.01, 0.02)])
        expected_momentum.append([0.95 - 0.15 * h * scale(cycle, e)] * 2)
    np.testing.assert_allclose(lrs, expected_lr, rtol=1e-12)
    np.testing.assert_allclose(momenta, expected_momentum, rtol=1e-12)
    if kind == 'Adam':
        assert opt.param_groups[0]['betas'][1] == 0.999


def test_cyclic_lr_custom_scale_fn_and_errors():
    opt = make_optimizer('Adagrad')
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x,
                       scale_mode='iterations', cycle_momentum=False)
    values = lr_sequence(opt, sched, 6)[:, 0]
    expected = [0.01 + 0.09 * _triangle(e, 2, 2)[1] * 0.5 ** e for e in range(7)]
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    with pytest.raises(ValueError, match='must support momentum'):
        S.CyclicLR(make_optimizer('Adagrad'), 0.01, 0.1)
    with pytest.raises(ValueError, match='mode'):
        S.CyclicLR(make_optimizer(), 0.01, 0.1, mode='sine')
    with pytest.raises(ValueError, match='same length'):
        S.CyclicLR(make_optimizer(), [0.01], 0.1)


# SequentialLR / ChainedScheduler / SWALR: the first group's rates computed with
# torch.optim.lr_scheduler (PyTorch 2.13), starting from lr 0.1
SEQUENTIAL = [0.010000000000000002, 0.04, 0.07, 0.1, 0.09000000000000001, 0.08100000000000002,
              0.07290000000000002, 0.1, 0.09045084971874738, 0.06545084971874737,
              0.03454915028125263, 0.009549150281252633, 0.0, 0.009549150281252628,
              0.03454915028125265]
CHAINED = [0.05, 0.045000000000000005, 0.04050000000000001, 0.07290000000000002,
           0.06561000000000002, 0.05904900000000002, 0.05314410000000002]


def test_sequential_and_chained_pytorch_reference():
    opt = make_optimizer()
    sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=3), S.ExponentialLR(opt, 0.9),
                                 S.CosineAnnealingLR(opt, 5)], milestones=[3, 7])
    assert lr_sequence(opt, sched, 14)[:, 0].tolist() == SEQUENTIAL
    assert sched.last_epoch == 14
    opt = make_optimizer()
    sched = S.ChainedScheduler([S.ConstantLR(opt, 0.5, 3), S.ExponentialLR(opt, 0.9)])
    assert lr_sequence(opt, sched, 6)[:, 0].tolist() == CHAINED


def test_scheduler_of_schedulers_errors():
    opt, other = make_optimizer(), make_optimizer()
    with pytest.raises(ValueError, match='one more than the number of milestone'):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt)], milestones=[1, 2])
    with pytest.raises(ValueError, match='same optimizer'):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(other)], milestones=[1])
    with pytest.raises(ValueError, match='ReduceLROnPlateau'):
        S.ChainedScheduler([S.ConstantLR(opt), S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match='at least one scheduler'):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match='between 0 and 1'):
        S.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match='greater than 0'):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match='positive integer T_0'):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match='T_mult'):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)
    with pytest.raises(ValueError, match='Expected 2 lr_lambdas'):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match='should be a function'):
        S.MultiplicativeLR(opt, 0.9)
    with pytest.raises(TypeError, match='verbose'):      # removed in PyTorch 2.13, as here
        S.LinearLR(opt, verbose=True)


def test_step_before_optimizer_step_warns():
    opt = make_optimizer()
    sched = S.LinearLR(opt)
    with pytest.warns(UserWarning, match='before `optimizer.step\\(\\)`'):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt = make_optimizer()
        sched = S.SequentialLR(opt, [S.ConstantLR(opt), S.LinearLR(opt)], milestones=[2])
        for _ in range(4):
            opt.step()
            sched.step()


@pytest.mark.parametrize('make', [
    lambda o: S.LambdaLR(o, [lambda e: 0.9 ** e, Power(0.8)]),
    lambda o: S.MultiplicativeLR(o, Power(0.95)),
    lambda o: S.LinearLR(o, 0.3, total_iters=6),
    lambda o: S.PolynomialLR(o, 9, 1.5),
    lambda o: S.CosineAnnealingWarmRestarts(o, 2, 2),
    lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode='triangular2'),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3), S.StepLR(o, 2)], [4]),
    lambda o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 5), S.ExponentialLR(o, 0.9)]),
    lambda o: swa_utils.SWALR(o, swa_lr=0.02, anneal_epochs=6),
], ids=['LambdaLR', 'MultiplicativeLR', 'LinearLR', 'PolynomialLR', 'WarmRestarts', 'CyclicLR',
        'SequentialLR', 'ChainedScheduler', 'SWALR'])
def test_state_dict_round_trip(tmp_path, make):
    opt = make_optimizer()
    sched = make(opt)
    lr_sequence(opt, sched, 4)
    tg.save({'opt': opt.state_dict(), 'sched': sched.state_dict()}, tmp_path / 'ckpt')
    expected = lr_sequence(opt, sched, 8)
    ckpt = tg.load(tmp_path / 'ckpt')
    opt2 = make_optimizer()
    sched2 = make(opt2)
    opt2.load_state_dict(ckpt['opt'])
    sched2.load_state_dict(ckpt['sched'])
    np.testing.assert_array_equal(lr_sequence(opt2, sched2, 8)[1:], expected[1:])


def test_lambda_state_dict_saves_callable_objects_only():
    opt = make_optimizer()
    power = Power(0.8)
    sd = S.LambdaLR(opt, [lambda e: 1.0, power]).state_dict()
    assert sd['lr_lambdas'] == [None, {'base': 0.8}]
    other = Power(0.5)
    S.LambdaLR(make_optimizer(), [lambda e: 1.0, other]).load_state_dict(sd)
    assert other.base == 0.8


# ---------------------------------------------------------------- swa_utils
SWALR_COS = [0.1, 0.09267766952966369, 0.075, 0.057322330470336316, 0.05, 0.05, 0.05]
SWALR_LINEAR = [0.1, 0.08333333333333334, 0.06666666666666668, 0.05, 0.05, 0.05]


def test_swalr_pytorch_reference():
    opt = make_optimizer()
    values = lr_sequence(opt, swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=4), 6)
    assert values[:, 0].tolist() == SWALR_COS
    opt = make_optimizer()
    sched = swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=3, anneal_strategy='linear')
    values = lr_sequence(opt, sched, 5)
    assert values[:, 0].tolist() == SWALR_LINEAR
    np.testing.assert_allclose(values[:, 1], [0.03, 0.03 - 0.02 / 3, 0.03 - 0.04 / 3, 0.01, 0.01,
                                              0.01], rtol=1e-12)
    with pytest.raises(ValueError, match='anneal_strategy'):
        swa_utils.SWALR(opt, 0.05, anneal_strategy='exp')
    with pytest.raises(ValueError, match='anneal_epochs'):
        swa_utils.SWALR(opt, 0.05, anneal_epochs=-1)


def _model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()


def _snapshots(model, averaged, rng, n=4):
    """Train-mode forwards (BatchNorm statistics move) and random weight changes; returns the
    model's state_dict after each, as numpy."""
    states = []
    for _ in range(n):
        model.train()
        model(tg.tensor(rng.standard_normal((5, 3))))
        with tg.no_grad():
            for p in model.parameters():
                p.data += rng.standard_normal(p.shape)
        averaged.update_parameters(model)
        states.append({k: v.numpy().copy() for k, v in model.state_dict().items()})
    return states


@pytest.mark.parametrize('use_buffers', [False, True])
def test_averaged_model_swa(rng, use_buffers):
    model = _model()
    swa = swa_utils.AveragedModel(model, use_buffers=use_buffers)
    assert swa.module is not model and swa.n_averaged.item() == 0
    states = _snapshots(model, swa, rng)
    assert swa.n_averaged.dtype == np.int64 and swa.n_averaged.item() == 4
    averaged = swa.module.state_dict()
    for key in averaged:
        values = np.array([s[key] for s in states])
        if key.endswith('weight') or key.endswith('bias') or (use_buffers and 'running' in key):
            expected = values.mean(0)                           # the equal-weight mean
        elif use_buffers:           # the integer counter: the mean truncated at every update
            expected = values[0]
            for n, v in enumerate(values[1:], 1):
                expected = np.trunc(expected + (v - expected) / (n + 1))
        else:
            expected = values[-1]                               # buffers: the latest model's
        np.testing.assert_allclose(averaged[key].numpy(), expected, rtol=1e-12, err_msg=key)
    x = tg.tensor(rng.standard_normal((2, 3)))
    swa.eval()
    np.testing.assert_array_equal(swa(x).numpy(), swa.module(x).numpy())


@pytest.mark.parametrize('how', ['multi_avg_fn', 'avg_fn'])
def test_averaged_model_ema(rng, how):
    model = _model()
    make = {'multi_avg_fn': swa_utils.get_ema_multi_avg_fn, 'avg_fn': swa_utils.get_ema_avg_fn}
    ema = swa_utils.AveragedModel(model, **{how: make[how](0.7)})
    states = _snapshots(model, ema, rng)
    for key in ('0.weight', '1.bias', '2.weight'):
        expected = states[0][key]
        for s in states[1:]:
            expected = 0.7 * expected + 0.3 * s[key]
        np.testing.assert_allclose(ema.module.state_dict()[key].numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match='Invalid decay'):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(AssertionError, match='Only one of'):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def test_averaged_model_float32_and_swa_multi_avg_fn(rng):
    model = nn.Linear(3, 2)
    swa = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    snapshots = []
    for _ in range(3):
        with tg.no_grad():
            model.weight.data += rng.standard_normal((2, 3)).astype(np.float32)
        swa.update_parameters(model)
        snapshots.append(model.weight.numpy().copy())
    assert swa.module.weight.dtype == np.float32
    np.testing.assert_allclose(swa.module.weight.numpy(), np.mean(snapshots, 0), atol=1e-6)


def test_update_bn(rng):
    model = _model()
    model.eval()
    data = [rng.standard_normal((6, 3)) for _ in range(3)]
    swa_utils.update_bn([(tg.tensor(x), 0) for x in data], model)
    assert not model.training                               # the mode is restored
    bn = model[1]
    assert bn.momentum == 0.1
    with tg.no_grad():
        features = np.concatenate([model[0](tg.tensor(x)).numpy() for x in data])
    # cumulative averages over the batches of each batch's mean and unbiased variance
    means = [f.mean(0) for f in np.split(features, 3)]
    variances = [f.var(0, ddof=1) for f in np.split(features, 3)]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, 0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(variances, 0), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3
    swa_utils.update_bn([], nn.Linear(2, 2))                # no BatchNorm: nothing to do
