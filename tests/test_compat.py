"""Porting PyTorch scripts unchanged: the torch-namespace idioms tutorials use.

Each test is an idiom found while running PyTorch scripts against this package
with only the imports changed (``import tinygrad_cnn as torch``); values were
verified against PyTorch and are written here as literals.
"""
import pickle

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def test_device_objects_work_as_in_torch():
    d = tg.device('cpu')
    assert repr(d) == "device(type='cpu')" and str(d) == 'cpu'
    assert (d.type, d.index) == ('cpu', None)
    cuda1 = tg.device('cuda', 1)
    assert repr(cuda1) == "device(type='cuda', index=1)" and str(cuda1) == 'cuda:1'
    assert tg.device('cuda:0').index == 0 and tg.device(0) == 'cuda:0'
    assert pickle.loads(pickle.dumps(cuda1)).index == 1
    x = tg.zeros(2, device=d)
    assert x.device.type == 'cpu' and x.device == 'cpu' and repr(x.device) == "device(type='cpu')"
    assert x.to(tg.device('cpu')).device == 'cpu'
    m = nn.Linear(2, 2).to(tg.device('cpu'))
    assert next(m.parameters()).device.type == 'cpu'


@pytest.mark.parametrize('bad', ['gpu', 'cuda:x', 'cpu:-1'])
def test_device_rejects_unknown_names_with_runtime_error(bad):
    with pytest.raises(RuntimeError, match='device type'):
        tg.device(bad)
    with pytest.raises(RuntimeError, match='index'):
        tg.device('cuda:0', 1)


def test_cuda_backends_and_utils_namespaces():
    device = 'cuda' if tg.cuda.is_available() else 'cpu'
    assert device == ('cuda' if tg.cuda_is_available() else 'cpu')
    assert tg.cuda.device_count() == int(tg.cuda.is_available())
    assert tg.cuda.manual_seed_all(0) is None
    tg.backends.cudnn.deterministic = True      # the usual seeding boilerplate
    assert tg.backends.cudnn.benchmark is False and tg.backends.cudnn.is_available() is False
    from tinygrad_cnn.utils.data import DataLoader, TensorDataset
    assert DataLoader is tg.data.DataLoader and tg.utils.data.TensorDataset is TensorDataset


def test_legacy_tensor_types():
    a = tg.FloatTensor([1, 2])
    assert a.dtype == tg.float32 and a.tolist() == [1.0, 2.0]
    assert tg.LongTensor([1.7, -1.7]).tolist() == [1, -1]      # truncated, as torch
    assert tg.FloatTensor(2, 3).shape == (2, 3) and tg.LongTensor().shape == (0,)
    assert tg.DoubleTensor(tg.tensor([1, 2])).dtype == tg.float64
    assert isinstance(a, tg.FloatTensor) and not isinstance(a, tg.LongTensor)
    assert not isinstance(np.ones(2, np.float32), tg.FloatTensor)
    assert repr(tg.FloatTensor) == "<class 'torch.FloatTensor'>"
    b = tg.ones(2).type(tg.LongTensor)
    assert b.dtype == tg.int64 and b.type() == 'torch.LongTensor'
    assert tg.tensor([1, 2]).type(tg.BoolTensor).dtype == tg.bool
    with pytest.raises(TypeError, match='FloatTensor'):
        tg.FloatTensor([1], [2])


def test_dtype_idioms():
    x = tg.arange(6).view(2, 3)
    assert x.dtype == tg.int64 and x.dtype == tg.long and x.dtype != tg.float32
    assert x.float().dtype == tg.float32 and x.to(tg.float64).dtype == tg.float64
    assert tg.zeros(3, dtype=tg.long).dtype == tg.int64
    assert (x / 2).dtype == tg.float32 and (x // 2).dtype == tg.int64
    assert (tg.ones(2) + tg.ones(2, dtype=tg.float64)).dtype == tg.float64
    # the dtype objects are the ones tensors report: identity and hashing work as in torch
    assert x.dtype is tg.int64 and x.float().dtype is tg.float32 and (x > 2).dtype is tg.bool
    assert tg.get_default_dtype() is tg.float32
    assert {tg.float32: 'f', tg.int64: 'i'}[x.dtype] == 'i' and x.float().dtype in {tg.float32}
    assert tg.tensor([1j]).dtype is tg.complex64 and tg.cdouble is tg.complex128


def test_function_forms_take_the_data_array():
    # the blitz tutorial: _, predicted = torch.max(outputs.data, 1); .data is an array here
    out = tg.tensor([[0.1, 0.9, 0.0], [2.0, -1.0, 0.5]])
    values, predicted = tg.max(out.data, 1)
    assert predicted.tolist() == [1, 0] and values.tolist() == pytest.approx([0.9, 2.0])
    assert tg.argmax(out.data, dim=1).tolist() == [1, 0]
    assert tg.softmax(out.data, 1).sum(1).tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize('op', ['mean', 'var', 'std'])
def test_integer_mean_var_std_raise_as_torch(op):
    for t in (tg.tensor([1, 2]), tg.tensor([True, False])):
        with pytest.raises(RuntimeError, match=op if op == 'mean' else 'var/std'):
            getattr(t, op)()
    assert tg.tensor([1, 2]).float().__getattribute__(op)().item() == pytest.approx(
        {'mean': 1.5, 'var': 0.5, 'std': 0.5 ** 0.5}[op])


def test_mean_of_ints_with_dtype():
    m = tg.tensor([1, 2]).mean(dtype=tg.float32)
    assert m.dtype == tg.float32 and m.item() == 1.5


def test_blitz_style_training_loop_matches_torch():
    # SGD momentum + StepLR + clip_grad_norm_ + eval/no_grad accuracy, losses from PyTorch
    m = nn.Linear(3, 2)
    m.load_state_dict({'weight': tg.tensor([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]]),
                       'bias': tg.tensor([0.05, -0.02])})
    opt = tg.optim.SGD(m.parameters(), lr=0.5, momentum=0.9)
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = tg.tensor([[1., 2., -1.], [0.5, -1., 2.], [-1.5, 0.3, 0.7], [2., 1., 1.]])
    y = tg.tensor([0, 1, 1, 0])
    losses, norms = [], []
    for _ in range(3):
        m.train()
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(m.parameters(), 0.5).item())
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert losses == pytest.approx([0.9452305, 0.6529919, 0.4393401], rel=1e-5)
    assert norms == pytest.approx([1.2956924, 1.0349143, 0.7677060], rel=1e-5)
    m.eval()
    with tg.no_grad():
        out = m(x)
        _, pred = tg.max(out.data, 1)
    assert not out.requires_grad
    assert pred.tolist() == [0, 1, 1, 0] and (pred == y).sum().item() == 4
    np.testing.assert_allclose(m.weight.numpy(), [[0.38076895, 0.21006468, 0.10652024],
                                                  [-0.48076898, 0.18993530, 0.39347979]], rtol=1e-5)


def test_round_with_decimals_as_torch():
    x = tg.tensor([1.25, -2.35, 125.5, 0.0512, 2.5], requires_grad=True)
    # values from PyTorch (float32: round(x * 10) / 10 computed in float32)
    np.testing.assert_array_equal(x.round(decimals=1).detach().numpy(),
                                  np.float32([1.2, -2.4, 125.5, 0.1, 2.5]))
    np.testing.assert_array_equal(x.round(decimals=-1).detach().numpy(),
                                  np.float32([0.0, -0.0, 130.0, 0.0, 0.0]))
    x.round(decimals=2).sum().backward()
    assert x.grad.tolist() == [0.0] * 5 and x.round(decimals=1).dtype == tg.float32
    y = tg.tensor([1.25, -2.35], dtype=tg.float64)
    y.round_(decimals=1)
    assert y.tolist() == [1.2, -2.4]
    with pytest.raises(NotImplementedError, match='round'):
        tg.tensor([15, 25]).round(decimals=-1)


def test_variable_of_old_tutorials():
    from tinygrad_cnn.autograd import Variable
    x = tg.ones(2)
    v = Variable(x, requires_grad=True)
    (v * 3).sum().backward()
    assert v.is_leaf and v.grad.tolist() == [3.0, 3.0] and not x.requires_grad
    assert Variable(tg.zeros(1)).requires_grad is False


def test_index_dtype_errors_are_runtime_errors():
    with pytest.raises(RuntimeError, match='embedding'):
        nn.Embedding(5, 2)(tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match='one_hot'):
        F.one_hot(tg.tensor([1.0]))


def test_float_int_of_many_elements_raise_value_error():
    for convert in (float, int):
        with pytest.raises(ValueError, match='one element'):
            convert(tg.tensor([1.0, 2.0]))
    assert float(tg.tensor([2.5])) == 2.5 and int(tg.tensor(3)) == 3


def test_load_takes_torch_keywords_and_compile_is_identity(tmp_path):
    net = nn.Linear(2, 1)
    path = tmp_path / 'net.pth'
    tg.save(net.state_dict(), path)
    net2 = nn.Linear(2, 1)
    net2.load_state_dict(tg.load(path, weights_only=True, map_location=tg.device('cpu')))
    assert net2.weight.tolist() == net.weight.tolist()
    assert tg.compile(net) is net and tg.compile(mode='max-autotune')(net) is net


def test_to_takes_non_blocking_and_copy():
    x = tg.ones(2, 3, requires_grad=True)
    assert x.to('cpu', non_blocking=True) is x
    y = x.to(tg.device('cpu'), tg.float64, non_blocking=True)
    assert y.dtype == tg.float64 and y.requires_grad
    c = x.to('cpu', copy=True)
    assert c is not x and c.data is not x.data and c.tolist() == x.tolist()
    (c * 2).sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2          # the copy stays in the graph
    m = nn.Linear(3, 2)
    assert m.to('cpu', non_blocking=True) is m


def test_factories_take_the_size_keyword():
    assert tg.zeros(size=(2, 3)).shape == (2, 3) and tg.ones(size=[2]).tolist() == [1.0, 1.0]
    assert tg.empty(size=(1, 2)).shape == (1, 2) and tg.rand(size=(3,)).shape == (3,)
    assert tg.randn(size=(2, 2), dtype=tg.float64).dtype is tg.float64
    with pytest.raises(TypeError, match="randn.*'size'"):
        tg.randn(2, size=(3,))


def test_numpy_keyword_names_axis_and_keepdims():
    # PyTorch accepts numpy's names wherever it takes dim/keepdim
    x = tg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert x.sum(axis=1).tolist() == [9.0, 12.0]
    assert tg.sum(x, axis=0, keepdims=True).tolist() == [[5.0, 7.0, 9.0]]
    assert x.max(axis=1).indices.tolist() == [1, 2]
    assert x.argmax(axis=0).tolist() == [1, 0, 1]
    assert x.mean(1, keepdims=True).shape == (2, 1)
    assert tg.cat([x, x], axis=0).shape == (4, 3)
    assert tg.stack([x, x], axis=2).shape == (2, 3, 2)
    assert x.cumsum(axis=1).tolist() == [[1.0, 6.0, 9.0], [4.0, 6.0, 12.0]]
    assert x.unsqueeze(axis=0).shape == (1, 2, 3)
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    (y * y).sum(axis=0).backward()
    assert y.grad.tolist() == [2.0, 4.0]


def test_batchnorm_state_dict_without_num_batches_tracked_loads():
    # a plain dict (or an old checkpoint) lacking the count loads strictly and keeps ours;
    # a state_dict() result (it records versions in _metadata) edited in place reports it
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m[1].num_batches_tracked.fill_(3)
    assert m.state_dict()._metadata == {'': {'version': 1}, '0': {'version': 1},
                                        '1': {'version': 2}}
    sd = {k: v.clone() + 1 for k, v in m.state_dict().items() if 'num_batches' not in k}
    result = m.load_state_dict(sd)
    assert result.missing_keys == [] and m[1].num_batches_tracked.item() == 3
    assert np.array_equal(m[1].running_var.numpy(), [2., 2.])
    sd = m.state_dict()
    del sd['1.num_batches_tracked']
    assert m.load_state_dict(sd, strict=False).missing_keys == ['1.num_batches_tracked']
    with pytest.raises(RuntimeError):
        m.load_state_dict(sd)


def test_logspace_as_torch():
    t = tg.logspace(0, 3, 4, base=2)
    assert t.dtype == tg.float32 and t.tolist() == [1., 2., 4., 8.]
    t = tg.logspace(-2, 2, 5, dtype=tg.float64)
    assert t.dtype == tg.float64 and np.allclose(t.numpy(), [0.01, 0.1, 1., 10., 100.], rtol=1e-15)
    assert tg.logspace(0, 2, 3, dtype=tg.int64).tolist() == [1, 10, 100]
    assert tg.logspace(1, 1, 1).tolist() == [10.] and tg.logspace(0, 1, 0).shape == (0,)
    assert tg.logspace(0, 2, 3, requires_grad=True).requires_grad


def test_transform_reprs_keep_padding_as_given():
    from tinygrad_cnn.data import transforms as T
    crop = T.RandomCrop(32, padding=4)
    assert crop.padding == 4 and repr(crop) == 'RandomCrop(size=(32, 32), padding=4)'
    assert repr(T.Pad((1, 2))) == 'Pad(padding=(1, 2), fill=0, padding_mode=constant)'
    img = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    padded = T.Pad((1, 2))(tg.tensor(img))
    assert padded.shape == (1, 7, 6) and padded[0, 2, 1].item() == 0 and padded[0, 2, 1:5].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        T.Pad((1, 2, 3))


def test_vision_dataset_repr_has_torchvisions_standard_transform_block(tmp_path):
    from tinygrad_cnn.data import DatasetFolder, transforms as T
    (tmp_path / 'cat').mkdir()
    np.save(tmp_path / 'cat' / '0.npy', np.zeros((2, 2, 3), np.uint8))
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    ds = DatasetFolder(str(tmp_path), loader=np.load, extensions=('.npy',), transform=tf,
                       target_transform=T.Lambda(lambda y: y))
    assert repr(ds).splitlines()[3:] == [
        '    StandardTransform', 'Transform: Compose(', '               ToTensor()',
        '               Normalize(mean=(0.5,), std=(0.5,))', '           )',
        'Target transform: Lambda()']
    ds.transform = ds.target_transform = None
    assert repr(ds).splitlines()[-1].startswith('    Root location: ')


def test_matmul_and_dot_do_not_promote_dtypes():
    # PyTorch raises RuntimeError for mixed dtypes in matrix products (unlike `*` and `+`)
    a, d = tg.ones(2, 3), tg.ones(3, 2, dtype=tg.float64)
    for product in (lambda: a @ d, lambda: a @ d.long(), lambda: tg.mm(a, d), lambda: tg.bmm(a[None], d[None]),
                    lambda: F.linear(d.t(), a), lambda: nn.Linear(2, 3)(d),
                    lambda: tg.dot(a[0], d[:, 0]), lambda: tg.dot(a, a), lambda: tg.dot(a[0], a[0, :2])):
        with pytest.raises(RuntimeError):
            product()
    assert (a.double() @ d).dtype == tg.float64 and (a.double() @ d).tolist() == [[3., 3.], [3., 3.]]
    assert (d.long().t() @ d.long()).dtype == tg.int64
    assert tg.dot(tg.arange(3), tg.arange(3)).item() == 5 and tg.dot(tg.ones(0), tg.ones(0)).item() == 0


def test_multisteplr_milestones_is_a_counter():
    import collections
    opt = tg.optim.SGD([nn.Parameter(tg.zeros(1))], lr=1.0)
    sched = tg.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 4], gamma=0.5)
    assert sched.milestones == collections.Counter({2: 2, 4: 1}) and isinstance(sched.milestones, collections.Counter)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]['lr'])
    assert lrs == [1.0, 0.25, 0.25, 0.125, 0.125]
    assert sched.state_dict()['milestones'] == {2: 2, 4: 1}


def test_integer_sums_are_int64_and_dtype_is_kept():
    u8 = tg.tensor(np.array([200, 100], dtype=np.uint8))
    assert u8.sum().dtype == tg.int64 and u8.sum().item() == 300
    assert u8.prod().dtype == tg.int64 and u8.prod().item() == 20000 and u8.sum(0).dtype == tg.int64
    assert u8.nansum().dtype == tg.int64 and tg.tensor([True, True]).prod().dtype == tg.int64
    i32 = tg.tensor(np.array([1, 2], dtype=np.int32))
    assert i32.sum(dtype=tg.int32).dtype == tg.int32 and i32.prod(dtype=tg.int32).dtype == tg.int32
    assert i32.sum(dtype=tg.float64).dtype == tg.float64 and i32.sum(dtype=tg.float64).item() == 3.0


def test_inplace_arithmetic_refuses_results_that_do_not_fit():
    for update in (lambda t: t.add_(0.5), lambda t: t.mul_(tg.tensor(1.5)), lambda t: t.div_(1),
                   lambda t: t.__itruediv__(2), lambda t: t.sub_(tg.ones(3))):
        t = tg.arange(3)
        with pytest.raises(RuntimeError):
            update(t)
        assert t.tolist() == [0, 1, 2]                  # unchanged
    with pytest.raises(RuntimeError):
        tg.tensor([True, False]).add_(1)
    i = tg.arange(3)
    i += 1
    i *= tg.tensor(2, dtype=tg.int32)
    assert i.dtype == tg.int64 and i.tolist() == [2, 4, 6]
    b = tg.tensor([True, False])
    b |= tg.tensor([False, True])
    assert b.add_(tg.tensor([True, False])).tolist() == [True, True]
    f = tg.ones(2)
    f /= 2
    f += tg.ones(2, dtype=tg.float64)
    assert f.dtype == tg.float32 and f.tolist() == [1.5, 1.5]
