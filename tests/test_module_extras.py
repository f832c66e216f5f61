"""nn.Module surface beyond the basics: nn.Buffer, forward hooks with kwargs/always_call,
state-dict hooks, extra state, load_state_dict(assign=True), set_submodule, type,
to_empty, share_memory. Behaviour checked against PyTorch 2.13."""
import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.mask = nn.Buffer(tg.ones(2))
        self.tmp = nn.Buffer(tg.zeros(2), persistent=False)
        self.count = 0

    def forward(self, x, scale=1.0):
        return self.fc(x) * scale

    def get_extra_state(self):
        return {'count': self.count}

    def set_extra_state(self, state):
        self.count = state['count']


def test_buffer_registration():
    m = Counter()
    assert [k for k, _ in m.named_buffers()] == ['mask', 'tmp']
    assert list(m.state_dict()) == ['mask', '_extra_state', 'fc.weight', 'fc.bias']
    assert isinstance(m.mask, nn.Buffer) and m.mask.persistent
    m.mask = tg.zeros(3)                         # a plain Tensor keeps the buffer slot
    assert m.mask.shape == (3,) and 'mask' in dict(m.named_buffers())
    m.extra = nn.Buffer(tg.ones(1))
    assert 'extra' in m.state_dict()
    with pytest.raises(TypeError):
        m.fc = nn.Buffer(tg.ones(1))             # a child module's name


def test_forward_hooks_with_kwargs_and_always_call():
    m = Counter()
    seen = []
    pre = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {**kwargs, 'scale': 2.0}),
                                      with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs.get('scale')),
                            with_kwargs=True)
    x = tg.ones(1, 2)
    doubled = m(x).numpy()
    pre.remove()
    np.testing.assert_allclose(doubled, 2 * m(x).numpy())
    assert seen == [2.0, None]
    m.register_forward_pre_hook(lambda mod, args, kwargs: 'bad', with_kwargs=True)
    with pytest.raises(RuntimeError, match='new_kwargs'):
        m(x)

    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError('boom')
    b, calls = Broken(), []
    b.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    b.register_forward_hook(lambda mod, args, out: calls.append('never'))
    with pytest.raises(ValueError, match='boom'):
        b(x)
    assert calls == [None]


def test_extra_state_roundtrip():
    m = Counter()
    m.count = 7
    state = m.state_dict()
    assert state['_extra_state'] == {'count': 7}
    other = Counter()
    assert repr(other.load_state_dict(state)) == '<All keys matched successfully>'
    assert other.count == 7
    del state['_extra_state']
    with pytest.raises(RuntimeError, match='Missing key.*_extra_state'):
        Counter().load_state_dict(state)
    assert Counter().load_state_dict(state, strict=False).missing_keys == ['_extra_state']


def test_state_dict_hooks():
    m = Counter()
    events = []
    m.fc.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: events.append((prefix, keep_vars)))
    m.fc.register_state_dict_post_hook(lambda mod, sd, prefix, meta: [sd.pop(prefix + 'bias')] and None)
    assert list(m.state_dict()) == ['mask', '_extra_state', 'fc.weight'] and events == [('fc.', False)]
    m.fc.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd)
    with pytest.raises(RuntimeError, match='must return None'):
        m.state_dict()

    source = Counter().state_dict()
    source['fc.b'] = source.pop('fc.bias')
    target = Counter()

    def rename(mod, sd, prefix, meta, strict, missing, unexpected, errors):
        if prefix + 'b' in sd:
            sd[prefix + 'bias'] = sd.pop(prefix + 'b')
    target.fc.register_load_state_dict_pre_hook(rename)
    assert repr(target.load_state_dict(source)) == '<All keys matched successfully>'
    assert 'fc.b' in source                     # the caller's dict is not changed
    np.testing.assert_array_equal(target.fc.bias.numpy(), source['fc.b'].numpy())

    lenient = Counter()
    lenient.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    assert repr(lenient.load_state_dict({})) == '<All keys matched successfully>'


def test_load_state_dict_assign():
    m = Counter()
    w = tg.full((2, 2), 3.0)
    state = dict(m.state_dict())
    state['fc.weight'] = w
    m.load_state_dict(state, assign=True)
    assert m.fc.weight.data_ptr() == w.data_ptr() and type(m.fc.weight) is nn.Parameter
    assert m.fc.weight.requires_grad
    copied = Counter()
    copied.load_state_dict(state)
    assert copied.fc.weight.data_ptr() != w.data_ptr() and copied.fc.weight.tolist() == w.tolist()


def test_set_submodule_type_to_empty_share_memory():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    seq.set_submodule('1', nn.Tanh())
    assert type(seq[1]) is nn.Tanh
    with pytest.raises(AttributeError):
        seq.set_submodule('5', nn.Tanh(), strict=True)
    with pytest.raises(ValueError):
        seq.set_submodule('', nn.Tanh())
    bn = nn.BatchNorm1d(2)
    assert bn.type(tg.float64) is bn
    assert [v.dtype for v in bn.state_dict().values()] == [np.float64] * 5   # ints too
    assert bn.share_memory() is bn
    lin = nn.Linear(2, 3)
    assert lin.to_empty(device='cpu') is lin and lin.weight.shape == (3, 2)
    assert lin.train() is lin
    assert nn.Module.register_backward_hook is nn.Module.register_full_backward_hook
    assert lin.compile() is None and lin(tg.ones(1, 2)).shape == (1, 3)
