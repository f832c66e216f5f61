"""Lazy layers (nn.LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*,
LazyInstanceNorm*) and Uninitialized parameters/buffers. Reprs, shapes and state_dict
layouts were checked against PyTorch 2.13."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn


def test_lazy_linear_materialises_and_becomes_linear():
    m = nn.LazyLinear(4)
    assert repr(m) == 'LazyLinear(in_features=0, out_features=4, bias=True)'
    assert isinstance(m.weight, nn.UninitializedParameter) and m.has_uninitialized_params()
    assert [name for name, _ in m.named_parameters()] == ['weight', 'bias']
    with pytest.raises(RuntimeError, match='uninitialized parameter'):
        m.weight.shape
    w_ref = m.weight
    y = m(tg.ones(5, 2, 3))
    assert y.shape == (5, 2, 4)
    assert type(m) is nn.Linear and type(m.weight) is nn.Parameter and m.weight is w_ref
    assert repr(m) == 'Linear(in_features=3, out_features=4, bias=True)'
    assert [(k, v.shape) for k, v in m.state_dict().items()] == [('weight', (4, 3)), ('bias', (4,))]
    assert not hasattr(m, '_initialize_hook') and not m._forward_pre_hooks
    np.testing.assert_allclose(y.numpy(), (tg.ones(5, 2, 3) @ m.weight.T + m.bias).numpy(),
                               rtol=1e-6)


def test_lazy_linear_init_bounds_and_dtype():
    tg.manual_seed(0)
    m = nn.LazyLinear(300, dtype=tg.float64)
    m(tg.ones(1, 50, dtype=tg.float64))
    bound = 1 / math.sqrt(50)               # kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), ...)
    w = m.weight.numpy()
    assert w.dtype == np.float64 and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(m.bias.numpy()).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01
    no_bias = nn.LazyLinear(2, bias=False)
    no_bias(tg.ones(1, 3))
    assert no_bias.bias is None and list(no_bias.state_dict()) == ['weight']


@pytest.mark.parametrize('cls, args, kwargs, shape, weight, out', [
    ('LazyConv1d', (4, 3), {}, (2, 3, 9), (4, 3, 3), (2, 4, 7)),
    ('LazyConv1d', (4, 3), {}, (3, 9), (4, 3, 3), (4, 7)),                  # unbatched
    ('LazyConv2d', (6, 3), dict(groups=3, padding=1, bias=False), (2, 3, 5, 5), (6, 1, 3, 3),
     (2, 6, 5, 5)),
    ('LazyConv3d', (2, (1, 2, 3)), dict(stride=2), (1, 2, 4, 5, 6), (2, 2, 1, 2, 3), (1, 2, 2, 2, 2)),
    ('LazyConvTranspose1d', (4, 3), dict(stride=2), (2, 3, 5), (3, 4, 3), (2, 4, 11)),
    ('LazyConvTranspose2d', (4, 3), dict(groups=2, output_padding=1, stride=2), (2, 2, 5, 5),
     (2, 2, 3, 3), (2, 4, 12, 12)),
    ('LazyConvTranspose3d', (2, 2), {}, (1, 3, 2, 3, 4), (3, 2, 2, 2, 2), (1, 2, 3, 4, 5)),
])
def test_lazy_conv(cls, args, kwargs, shape, weight, out):
    m = getattr(nn, cls)(*args, **kwargs)
    assert repr(m).startswith(f'{cls}(0, ')
    y = m(tg.randn(*shape))
    assert type(m).__name__ == cls[4:] and m.in_channels == shape[-len(weight) + 1]
    assert m.weight.shape == weight and y.shape == out
    assert (m.bias is None) == (kwargs.get('bias') is False)
    if m.bias is not None:
        assert m.bias.shape == (args[0],)


def test_lazy_conv_errors():
    with pytest.raises(ValueError, match='divisible by groups'):
        nn.LazyConv2d(6, 3, groups=2)(tg.ones(2, 3, 5, 5))
    with pytest.raises(RuntimeError, match='Expected 3D .unbatched. or 4D'):
        nn.LazyConv2d(4, 3)(tg.ones(2, 3, 5, 5, 5))


@pytest.mark.parametrize('cls, kwargs, shape', [
    ('LazyBatchNorm1d', {}, (4, 3)), ('LazyBatchNorm1d', dict(affine=False), (4, 3, 5)),
    ('LazyBatchNorm2d', dict(track_running_stats=False), (2, 3, 4, 4)),
    ('LazyBatchNorm3d', dict(momentum=None), (2, 3, 2, 2, 2)),
    ('LazyInstanceNorm1d', {}, (2, 3, 5)), ('LazyInstanceNorm2d', dict(affine=False), (2, 3, 4, 4)),
    ('LazyInstanceNorm3d', {}, (2, 3, 2, 2, 2)),
])
def test_lazy_norm(cls, kwargs, shape):
    m = getattr(nn, cls)(**kwargs)
    affine, track = kwargs.get('affine', True), kwargs.get('track_running_stats', True)
    assert repr(m) == (f'{cls}(0, eps=1e-05, momentum={kwargs.get("momentum", 0.1)}, '
                       f'affine={affine}, bias={affine}, track_running_stats={track})')
    x = tg.randn(*shape)
    y = m(x)
    assert type(m).__name__ == cls[4:] and m.num_features == 3 and y.shape == shape
    expected = ([('weight', (3,)), ('bias', (3,))] if affine else []) + (
        [('running_mean', (3,)), ('running_var', (3,)), ('num_batches_tracked', ())] if track else [])
    assert [(k, v.shape) for k, v in m.state_dict().items()] == expected
    if affine:
        assert m.weight.tolist() == [1.0] * 3 and m.bias.tolist() == [0.0] * 3
    # the first call already normalised with the new parameters
    dims = (0,) + tuple(range(2, len(shape))) if cls.startswith('LazyBatch') else tuple(range(2, len(shape)))
    a = x.numpy().astype(np.float64)
    ref = (a - a.mean(axis=dims, keepdims=True)) / np.sqrt(a.var(axis=dims, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-5)


def test_load_state_dict_materialises_lazy_module():
    ref = nn.Linear(3, 4)
    m = nn.LazyLinear(4)
    result = m.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    assert repr(result) == '<All keys matched successfully>'
    assert m.weight.shape == (4, 3) and m.in_features == 0 and type(m) is nn.LazyLinear
    x = tg.ones(2, 3)
    np.testing.assert_allclose(m(x).numpy(), ref(x).numpy())
    assert type(m) is nn.Linear and m.in_features == 3
    with pytest.raises(RuntimeError, match='in_features'):
        bad = nn.LazyLinear(4)
        bad.load_state_dict(ref.state_dict())
        bad(tg.ones(2, 5))


def test_optimizer_created_before_materialisation_still_trains():
    m = nn.LazyLinear(2)
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    m(tg.ones(1, 3)).sum().backward()
    before = m.weight.numpy().copy()
    opt.step()
    np.testing.assert_allclose(m.weight.numpy(), before - 0.1)


def test_uninitialized_parameter_and_buffer():
    p = nn.UninitializedParameter()
    assert repr(p) == '<UninitializedParameter>' and isinstance(p, nn.Parameter) and p.requires_grad
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == np.float32
    b = nn.UninitializedBuffer()
    assert repr(b) == '<UninitializedBuffer>' and not b.requires_grad
    b.materialize(3, dtype=tg.float64)
    assert type(b) is tg.Tensor and b.shape == (3,) and b.dtype == np.float64
    state = nn.LazyLinear(2).state_dict()
    assert all(isinstance(v, nn.UninitializedParameter) for v in state.values())
    still_lazy = nn.LazyLinear(2)
    assert repr(still_lazy.load_state_dict(state)) == '<All keys matched successfully>'
    assert isinstance(still_lazy.weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match='uninitialized'):
        nn.Linear(3, 2).load_state_dict(state)


@settings(max_examples=10)
@given(in_features=st.integers(1, 6), out_features=st.integers(1, 6),
       lead=st.lists(st.integers(1, 3), max_size=2))
def test_lazy_linear_property(in_features, out_features, lead):
    """A lazy layer after its first call equals a Linear with the same parameters."""
    m = nn.LazyLinear(out_features)
    x = tg.randn(*lead, in_features)
    y = m(x)
    assert m.weight.shape == (out_features, in_features)
    ref = nn.Linear(in_features, out_features)
    ref.load_state_dict(m.state_dict())
    np.testing.assert_allclose(y.numpy(), ref(x).numpy(), rtol=1e-6)
