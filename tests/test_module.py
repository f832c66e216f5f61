"""nn.Module, Parameter and the containers: registration, traversal, modes, state_dict,
dtype conversion, hooks and repr."""
import collections
import copy
import pickle

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


class Net(nn.Module):
    """A small CNN with every kind of state: parameters, buffers, nested children."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).relu())


# PyTorch's key order for Net (checked against torch.nn): own params, own buffers, children
NET_KEYS = ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'bn.running_mean',
            'bn.running_var', 'bn.num_batches_tracked', 'head.1.weight', 'head.1.bias']


# ---------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(tg.ones(2, 3))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith('Parameter containing:\ntensor([[1., 1., 1.],')
    assert not nn.Parameter(tg.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_shares_memory_and_keeps_dtype():
    a = np.zeros(3)
    p = nn.Parameter(a)
    a[0] = 5.0
    assert p.data[0] == 5.0 and p.dtype == np.float64


def test_parameter_survives_deepcopy_and_pickle():
    p = nn.Parameter(tg.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad
        assert q.tolist() == [1.0, 2.0] and q.data is not p.data


# ---------------------------------------------------------------- registration and traversal
def test_named_parameters_buffers_and_modules_in_registration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'head.1.weight', 'head.1.bias']
    assert [n for n, _ in net.named_buffers()] == [
        'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']
    assert [n for n, _ in net.named_modules()] == ['', 'conv', 'bn', 'head', 'head.0', 'head.1']
    assert [n for n, _ in net.named_children()] == ['conv', 'bn', 'head']
    assert list(net.children())[0] is net.conv
    assert len(list(net.modules())) == 6
    assert list(net.head.parameters(recurse=False)) == []
    assert sum(p.numel() for p in net.parameters()) == 2 * 9 + 2 + 2 + 2 + 8 * 3 + 3


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ['', '0', '1']
    # state_dict, like PyTorch's, lists a shared module under each of its names
    assert list(seq.state_dict()) == ['0.weight', '0.bias', '2.weight', '2.bias']


def test_setattr_registers_and_reassignment_moves_between_registries():
    m = nn.Module()
    m.w = nn.Parameter(tg.zeros(2))
    m.register_buffer('b', tg.zeros(2))
    m.child = nn.Linear(1, 1)
    m.plain = tg.zeros(1)                   # a plain Tensor attribute is not registered
    assert list(m._parameters) == ['w'] and list(m._buffers) == ['b']
    assert list(m._modules) == ['child'] and 'plain' in m.__dict__
    m.w = None                              # declared but absent, like a disabled bias
    assert m.w is None and list(m.parameters()) == list(m.child.parameters())
    m.b = tg.ones(2)                        # assigning to a buffer name keeps it a buffer
    assert m.b.tolist() == [1.0, 1.0] and 'b' in m._buffers
    m.child = nn.Parameter(tg.ones(1))      # a module name can become a parameter
    assert 'child' not in m._modules and m.child.tolist() == [1.0]
    del m.child
    assert not hasattr(m, 'child')
    lin = nn.Linear(2, 2)
    lin.weight = nn.Parameter(tg.zeros(2, 2))   # replacing keeps the registration order
    assert list(lin.state_dict()) == ['weight', 'bias']
    assert {'w', 'b'} <= set(dir(m))


def test_registration_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = tg.zeros(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter('x', tg.zeros(1))
    with pytest.raises(KeyError, match='contain'):
        m.register_buffer('a.b', tg.zeros(1))
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_buffer('in_features', tg.zeros(1))
    with pytest.raises(TypeError, match='buffer'):
        m.register_buffer('x', [1.0])
    with pytest.raises(TypeError, match='not a Module'):
        m.add_module('x', 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope  # noqa: B018 - the attribute access is the test

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tg.zeros(1))
    with pytest.raises(AttributeError, match=r'before Module.__init__\(\) call'):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(tg.zeros(1))


def test_register_module_and_add_module_are_aliases():
    m = nn.Module()
    m.register_module('a', nn.ReLU())
    m.add_module('b', None)
    assert list(m._modules) == ['a', 'b'] and list(m.children()) == [m.a]


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule('head.1') is net.head[1]
    assert net.get_submodule('') is net
    assert net.get_parameter('head.1.bias') is net.head[1].bias
    assert net.get_buffer('bn.running_var') is net.bn.running_var
    with pytest.raises(AttributeError, match='Sequential has no attribute `7`'):
        net.get_submodule('head.7')
    with pytest.raises(AttributeError, match='has no parameter `nope`'):
        net.get_parameter('conv.nope')


# ---------------------------------------------------------------- modes, grads, freezing
def test_train_eval_recursive():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match='boolean'):
        net.train('yes')


def _loss(net, seed=0):
    x = tg.tensor(np.random.default_rng(seed).standard_normal((2, 1, 4, 4)).astype(np.float32))
    return net(x).sum()


def test_zero_grad_to_none_or_zeros():
    net = Net()
    _loss(net).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_false_freezes_parameters():
    net = Net()
    net.conv.requires_grad_(False)
    _loss(net).backward()
    assert net.conv.weight.grad is None and net.conv.bias.grad is None
    assert net.head[1].weight.grad is not None and net.bn.weight.grad is not None
    assert [n for n, p in net.named_parameters() if p.requires_grad] == [
        'bn.weight', 'bn.bias', 'head.1.weight', 'head.1.bias']


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ['Conv2d', 'BatchNorm2d', 'Flatten', 'Linear', 'Sequential', 'Net']

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
    net.apply(init_weights)
    assert not net.head[1].weight.numpy().any()


# ---------------------------------------------------------------- state_dict
def test_state_dict_keys_in_pytorch_order_sharing_memory():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, collections.OrderedDict) and list(sd) == NET_KEYS
    assert sd['bn.num_batches_tracked'].dtype == np.int64 and sd['bn.num_batches_tracked'].ndim == 0
    assert not sd['conv.weight'].requires_grad and type(sd['conv.weight']) is tg.Tensor
    assert sd['conv.weight'].data is net.conv.weight.data          # detached, not copied
    assert net.state_dict(keep_vars=True)['conv.weight'] is net.conv.weight
    assert list(net.head.state_dict(prefix='head.')) == NET_KEYS[-2:]


def test_non_persistent_buffers_are_not_saved():
    m = nn.Module()
    m.register_buffer('kept', tg.zeros(1))
    m.register_buffer('scratch', tg.zeros(1), persistent=False)
    m.register_buffer('absent', None)
    assert list(m.state_dict()) == ['kept']
    assert [n for n, _ in m.named_buffers()] == ['kept', 'scratch']


def test_load_state_dict_round_trip_from_tensors_and_numpy():
    tg.manual_seed(0)
    a, b = Net(), Net()
    a.train()
    _loss(a).backward()           # changes the running statistics of a
    x = tg.randn(2, 1, 4, 4)
    a.eval(), b.eval()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == '<All keys matched successfully>'
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    c = Net().eval()
    c.load_state_dict({k: v.numpy().copy() for k, v in a.state_dict().items()})
    np.testing.assert_array_equal(a(x).numpy(), c(x).numpy())
    # loading copies values: the modules stay independent
    assert c.conv.weight.data is not a.conv.weight.data
    assert int(c.bn.num_batches_tracked.item()) == 1


def test_load_state_dict_casts_to_the_parameter_dtype():
    m = nn.Linear(2, 2)
    m.load_state_dict({'weight': np.ones((2, 2)), 'bias': np.zeros(2)})
    assert m.weight.dtype == np.float32 and m.weight.numpy().sum() == 4


def test_load_state_dict_strict_errors_list_every_problem_and_change_nothing():
    net = Net()
    before = net.conv.weight.numpy().copy()
    sd = net.state_dict()
    sd = {k: v for k, v in sd.items() if k != 'head.1.bias'}
    sd['extra.weight'] = tg.zeros(1)
    sd['conv.weight'] = tg.ones(2, 1, 3, 4)
    sd['conv.bias'] = tg.ones(2)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Net:\n'
        '\tMissing key(s) in state_dict: "head.1.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra.weight". \n'
        '\tsize mismatch for conv.weight: copying a param with shape (2, 1, 3, 4) from '
        'checkpoint, the shape in current model is (2, 1, 3, 3).')
    np.testing.assert_array_equal(net.conv.weight.numpy(), before)
    assert not (net.conv.bias.numpy() == 1).all()       # nothing was loaded


def test_load_state_dict_non_strict_reports_keys_and_loads_the_rest():
    m = nn.Linear(2, 2)
    result = m.load_state_dict({'weight': np.ones((2, 2)), 'other': np.zeros(1)}, strict=False)
    assert result.missing_keys == ['bias'] and result.unexpected_keys == ['other']
    assert (m.weight.numpy() == 1).all()
    with pytest.raises(RuntimeError, match='size mismatch for weight'):
        m.load_state_dict({'weight': np.ones((3, 2))}, strict=False)
    with pytest.raises(RuntimeError, match='expected Tensor or numpy array'):
        m.load_state_dict({'weight': [[1.0, 2.0], [3.0, 4.0]], 'bias': np.zeros(2)})


def test_deepcopy_and_pickle_give_independent_equal_modules():
    net = Net().eval()
    x = tg.randn(1, 1, 4, 4)
    for other in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(other(x).numpy(), net(x).numpy())
        assert other.conv.weight.data is not net.conv.weight.data
        assert type(other.conv.weight) is nn.Parameter


# ---------------------------------------------------------------- dtype and device
def test_to_dtype_converts_floating_state_in_place():
    net = Net()
    weight = net.conv.weight
    _loss(net).backward()
    assert net.to(tg.float64) is net
    assert net.conv.weight is weight                      # same Parameter objects
    assert weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert net.bn.running_mean.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64   # integers are left alone
    assert net(tg.randn(1, 1, 4, 4, dtype=tg.float64)).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    net.double().to('cpu')
    assert net.conv.bias.dtype == np.float64 and net.conv.bias.device == 'cpu'
    net.to(tg.zeros(1, dtype=tg.float32))
    assert net.conv.bias.dtype == np.float32
    with pytest.raises(TypeError, match='floating point'):
        net.to(tg.int64)


def test_factory_kwargs_dtype():
    m = nn.Linear(3, 2, dtype=tg.float64)
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    assert nn.BatchNorm1d(3, dtype=tg.float64).running_var.dtype == np.float64


# ---------------------------------------------------------------- hooks
def test_forward_pre_hook_and_forward_hook_can_replace_values_and_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    x = tg.ones(3, 2)
    np.testing.assert_allclose(lin(x).numpy(), np.broadcast_to(lin.bias.numpy() + 1, (3, 2)))
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(x).numpy(), F.linear(x, lin.weight, lin.bias).numpy())
    assert calls == [(3, 2)]


def test_forward_hooks_run_in_order_and_prepend():
    m = nn.Identity()
    order = []
    m.register_forward_hook(lambda *a: order.append('a'))
    m.register_forward_hook(lambda *a: order.append('b'), prepend=True)
    with m.register_forward_hook(lambda *a: order.append('c')):
        m(tg.zeros(1))
    m(tg.zeros(1))
    assert order == ['b', 'a', 'c', 'b', 'a']


def test_full_backward_hook_sees_input_and_output_gradients():
    tg.manual_seed(0)
    lin = nn.Linear(3, 2).double()
    seen = {}

    def hook(module, grad_input, grad_output):
        seen['module'] = module
        seen['grad_input'] = grad_input
        seen['grad_output'] = grad_output
    lin.register_full_backward_hook(hook)
    x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    g = np.arange(8.0).reshape(4, 2)
    (lin(x) * tg.tensor(g)).sum().backward()
    assert seen['module'] is lin
    (gi,), (go,) = seen['grad_input'], seen['grad_output']
    np.testing.assert_allclose(go.numpy(), g)
    np.testing.assert_allclose(gi.numpy(), g @ lin.weight.numpy())
    np.testing.assert_allclose(x.grad.numpy(), gi.numpy())


def test_full_backward_hook_can_replace_grad_input():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    x = tg.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert (x.grad.numpy() == 7).all()
    assert lin.weight.grad is not None and lin.weight.grad.numpy().any()


def test_full_backward_hook_without_input_gradients_gets_none():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    lin(tg.randn(4, 3)).sum().backward()
    assert seen == [((None,), (4, 2))]


def test_full_backward_pre_hook_can_replace_grad_output():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    x = tg.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert not x.grad.numpy().any() and not lin.weight.grad.numpy().any()


def test_full_backward_hook_on_two_input_module():
    bil = nn.Bilinear(2, 3, 1)
    seen = []
    bil.register_full_backward_hook(lambda m, gi, go: seen.append([g.shape for g in gi]))
    x1 = tg.randn(4, 2, requires_grad=True)
    x2 = tg.randn(4, 3, requires_grad=True)
    bil(x1, x2).sum().backward()
    assert seen == [[(4, 2), (4, 3)]]
    bil.register_full_backward_hook(lambda m, gi, go: gi)
    with pytest.raises(RuntimeError, match='only supported for modules with one input'):
        bil(x1, x2).sum().backward()


def test_hooks_are_skipped_under_no_grad():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda *a: None)
    with tg.no_grad():
        assert lin(tg.ones(1, 2)).grad_fn is None


# ---------------------------------------------------------------- repr
def test_repr_is_pytorchs():
    assert repr(Net()) == (
        'Net(\n'
        '  (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n'
        '  (bn): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, '
        'track_running_stats=True)\n'
        '  (head): Sequential(\n'
        '    (0): Flatten(start_dim=1, end_dim=-1)\n'
        '    (1): Linear(in_features=8, out_features=3, bias=True)\n'
        '  )\n'
        ')')
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])) == (
        'ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)')
    assert repr(nn.ModuleList()) == 'ModuleList()'


def test_extra_repr_with_several_lines_and_children():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def extra_repr(self):
            return 'a=1\nb=2'
    assert repr(Custom()) == ('Custom(\n  a=1\n  b=2\n  (fc): Linear(in_features=1, '
                              'out_features=1, bias=True)\n)')


# ---------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    sub = seq[1:]
    assert type(sub) is nn.Sequential and list(sub._modules) == ['1', '2']
    x = tg.randn(4, 2)
    np.testing.assert_allclose(seq(x).numpy(), layers[2](layers[1](layers[0](x))).numpy())
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ['0', '1', '2', '3']
    del seq[1]
    assert list(seq._modules) == ['0', '1', '2'] and seq[1] is layers[2]
    seq.insert(1, nn.Tanh())
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 4
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    assert isinstance(seq.pop(-1), nn.Sigmoid) and len(seq) == 3
    with pytest.raises(IndexError, match='out of range'):
        seq[5]


def test_sequential_from_ordered_dict_uses_the_names():
    seq = nn.Sequential(collections.OrderedDict([('fc', nn.Linear(2, 2)), ('act', nn.ReLU())]))
    assert list(seq.state_dict()) == ['fc.weight', 'fc.bias']
    assert seq.act is seq[1]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    assert len(ml) == 6 and isinstance(ml[-1], nn.Sigmoid)
    assert type(ml[1:3]) is nn.ModuleList and len(ml[1:3]) == 2
    assert [n for n, _ in ml.named_parameters()][:2] == ['0.weight', '0.bias']
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and list(ml._modules)[-1] == '6'
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(6)]
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(NotImplementedError):
        ml(tg.zeros(1))


def test_module_dict():
    md = nn.ModuleDict({'a': nn.Linear(1, 1)})
    md['b'] = nn.ReLU()
    md.update([('c', nn.Tanh())])
    assert list(md) == ['a', 'b', 'c'] and 'b' in md and len(md) == 3
    assert list(md.keys()) == ['a', 'b', 'c'] and md['a'] is list(md.values())[0]
    assert isinstance(md.pop('c'), nn.Tanh) and 'c' not in md
    assert list(md.state_dict()) == ['a.weight', 'a.bias']
    md.clear()
    assert len(md) == 0


def test_parameters_of_nested_containers_reach_the_optimizer_view():
    model = nn.Sequential(nn.ModuleList([nn.Linear(2, 2)]), nn.ModuleDict({'x': nn.Linear(2, 1)}))
    assert [n for n, _ in model.named_parameters()] == ['0.0.weight', '0.0.bias', '1.x.weight',
                                                        '1.x.bias']


def test_parameter_list_registers_under_indices():
    pl = nn.ParameterList([nn.Parameter(tg.ones(3, 4)), tg.zeros(2, dtype=tg.float64)])
    pl.append(tg.ones(1))
    pl.extend([nn.Parameter(tg.ones(2))])
    pl += [tg.zeros(3)]
    assert len(pl) == 5 and all(type(p) is nn.Parameter and p.requires_grad for p in pl)
    assert list(pl.state_dict()) == ['0', '1', '2', '3', '4']
    assert [n for n, _ in pl.named_parameters()] == ['0', '1', '2', '3', '4']
    assert pl[-1] is pl[4] and pl[1].dtype == np.float64
    sub = pl[1:4:2]
    assert type(sub) is nn.ParameterList and list(sub) == [pl[1], pl[3]]
    plain = tg.ones(2)                         # a Tensor is wrapped, sharing its memory
    pl[0] = plain
    assert type(pl[0]) is nn.Parameter and np.shares_memory(pl[0].data, plain.data)
    pl.append('not a tensor')                  # kept, but not a parameter
    assert pl[5] == 'not a tensor' and len(list(pl.parameters())) == 5
    assert repr(pl) == ('ParameterList(\n'
                        '    (0): Parameter containing: [float32 of size 2]\n'
                        '    (1): Parameter containing: [float64 of size 2]\n'
                        '    (2): Parameter containing: [float32 of size 1]\n'
                        '    (3): Parameter containing: [float32 of size 2]\n'
                        '    (4): Parameter containing: [float32 of size 3]\n'
                        '    (5): Object of type: str\n'
                        ')')
    assert repr(nn.ParameterList()) == 'ParameterList()'
    with pytest.raises(IndexError, match='out of range'):
        pl[6]
    with pytest.raises(TypeError, match='ParameterList.extend should be called with an iterable'):
        pl.extend(tg.ones(2))
    with pytest.raises(RuntimeError, match='ParameterList should not be called'):
        pl(tg.ones(1))


def test_parameter_dict_registers_under_keys():
    # a plain dict is taken in sorted key order, an OrderedDict in its own (as PyTorch does)
    pd = nn.ParameterDict({'b': nn.Parameter(tg.ones(2)), 'a': tg.zeros(3, dtype=tg.float64)})
    assert list(pd) == ['a', 'b'] and type(pd['a']) is nn.Parameter
    pd['z'] = tg.ones(1)
    pd.update([('y', tg.ones(2)), ('x', None)])
    assert list(pd.keys()) == ['a', 'b', 'z', 'y', 'x'] and pd['x'] is None
    assert list(pd.state_dict()) == ['a', 'b', 'z', 'y'] and 'z' in pd and len(pd) == 5
    ordered = nn.ParameterDict(collections.OrderedDict([('q', tg.ones(1)), ('p', tg.ones(2))]))
    assert list(ordered) == ['q', 'p'] and list(ordered | pd)[:3] == ['q', 'p', 'a']
    assert pd.get('nope', 5) == 5 and pd.setdefault('w', tg.ones(4)).shape == (4,)
    assert repr(nn.ParameterDict({'w': tg.ones(2, 3), 'n': 3})) == (
        'ParameterDict(\n'
        '    (n): Object of type: int\n'
        '    (w): Parameter containing: [torch.FloatTensor of size 2x3]\n'
        ')')
    assert pd.pop('z').shape == (1,) and 'z' not in pd and 'z' not in dict(pd.named_parameters())
    assert pd.popitem()[0] == 'w' and list(reversed(pd)) == ['x', 'y', 'b', 'a']
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(TypeError, match='keys must be strings'):
        pd[1] = tg.ones(1)
    with pytest.raises(KeyError, match='empty or contain'):
        pd['a.b'] = tg.ones(1)
    assert len(pd) == 0                        # nothing half-added
    with pytest.raises(ValueError, match=r'element #0 must be a \(key, value\) pair'):
        nn.ParameterDict([('a', 1, 2)])
    with pytest.raises(RuntimeError, match='ParameterDict should not be called'):
        pd(tg.ones(1))


def test_parameter_containers_in_a_model_train_and_checkpoint():
    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(tg.ones(2)) for _ in range(2)])
            self.shifts = nn.ParameterDict({'x': nn.Parameter(tg.zeros(2))})

        def forward(self, x):
            for s in self.scales:
                x = x * s
            return x + self.shifts['x']
    model = Scales()
    assert list(model.state_dict()) == ['scales.0', 'scales.1', 'shifts.x']
    assert repr(model) == (
        'Scales(\n'
        '  (scales): ParameterList(\n'
        '      (0): Parameter containing: [float32 of size 2]\n'
        '      (1): Parameter containing: [float32 of size 2]\n'
        '  )\n'
        '  (shifts): ParameterDict(  (x): Parameter containing: [torch.FloatTensor of size 2])\n'
        ')')
    model(tg.tensor([1.0, 2.0])).sum().backward()
    assert model.scales[0].grad.tolist() == [1.0, 2.0] and model.shifts['x'].grad.tolist() == [1, 1]
    model.double()
    assert model.scales[1].dtype == np.float64
    other = Scales()
    other.load_state_dict({k: v.numpy() * 3 for k, v in model.state_dict().items()})
    assert other.scales[1].tolist() == [3.0, 3.0] and other.shifts['x'].tolist() == [0.0, 0.0]
    copied = copy.deepcopy(model)
    assert copied.scales[0] is not model.scales[0] and len(copied.scales) == 2
