"""tg.save / tg.load: round trips of nested checkpoints, models and optimizers resuming,
the file format (safetensors + JSON, no pickle), corrupted and truncated files, atomic writes."""
import collections
import io
import json
import os
import struct

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.optim as optim
from tinygrad_cnn import Tensor, serialization


def assert_same(a, b):
    """Equal values *and* types, recursively (tuples stay tuples, int64 stays int64, ...)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert type(k) is type(next(x for x in b if x == k))
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_a_nested_checkpoint(tmp_path):
    obj = {
        'model': collections.OrderedDict(weight=tg.randn(3, 4), steps=tg.tensor([1, 2, 3]),
                                         flag=tg.tensor(True), half=tg.ones(2, dtype=tg.float16)),
        'optimizer': {'state': {0: {'step': tg.tensor(3.0), 'buf': tg.zeros(2)}, 5: {}},
                      'param_groups': [{'lr': 0.1, 'betas': (0.9, 0.999), 'params': [0, 5]}]},
        'scheduler': {'best': float('inf'), 'worst': -float('inf'), 'nan': float('nan'),
                      'milestones': {3: 1, 7: 2}},
        'rng': tg.get_rng_state(),                  # 128-bit integers
        'arrays': [np.arange(6, dtype=np.int16).reshape(2, 3), np.array(2.5), np.float32(1.5),
                   np.int64(7), np.zeros((0, 3))],
        'misc': (None, True, False, 0, -3, 2 ** 100, 1e-300, 'ünïcode', '', [], {}, ()),
        (1, 'tuple key'): 'non-string keys keep their type',
        'grad': tg.ones(2, requires_grad=True),
        'param': nn.Parameter(tg.ones(3)),
    }
    tg.save(obj, tmp_path / 'ckpt.safetensors')
    back = tg.load(tmp_path / 'ckpt.safetensors')
    assert_same(obj, back)
    assert isinstance(back['param'], nn.Parameter) and back['param'].requires_grad
    assert back['model']['steps'].dtype == np.int64
    # the loaded Tensors are independent, writeable arrays
    back['optimizer']['state'][0]['buf'].data += 1


settings_ = settings(deadline=None, max_examples=25)
leaves = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.text(max_size=5)
          | st.floats(allow_nan=False)
          | st.builds(lambda s, d: Tensor(np.arange(np.prod(s), dtype=d).reshape(s)),
                      st.sampled_from([(), (2,), (2, 3)]),
                      st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8])))
trees = st.recursive(leaves, lambda children: st.lists(children, max_size=3)
                     | st.tuples(children, children)
                     | st.dictionaries(st.text(max_size=3) | st.integers(0, 9), children,
                                       max_size=3), max_leaves=12)


@settings_
@given(obj=trees)
def test_round_trip_property(obj):
    buffer = io.BytesIO()
    tg.save(obj, buffer)
    buffer.seek(0)
    assert_same(obj, tg.load(buffer))


def test_model_and_optimizer_resume(tmp_path):
    tg.manual_seed(0)

    def make():
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        return model, optim.Adam(model.parameters(), lr=0.01)

    def train(model, opt, steps, seed):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            x = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
            y = Tensor(rng.integers(0, 3, 5))
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    model, opt = make()
    train(model, opt, 3, seed=1)
    tg.save({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3,
             'rng': tg.get_rng_state()}, tmp_path / 'ck')
    expected_random = tg.randn(4).numpy()
    train(model, opt, 3, seed=2)
    expected = [p.numpy().copy() for p in model.parameters()]

    tg.manual_seed(123)
    model2, opt2 = make()
    checkpoint = tg.load(tmp_path / 'ck')
    model2.load_state_dict(checkpoint['model'])
    opt2.load_state_dict(checkpoint['optimizer'])
    tg.set_rng_state(checkpoint['rng'])
    assert checkpoint['epoch'] == 3
    np.testing.assert_array_equal(tg.randn(4).numpy(), expected_random)
    train(model2, opt2, 3, seed=2)
    for p, e in zip(model2.parameters(), expected):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), e)


def test_file_is_plain_safetensors_with_json_structure(tmp_path):
    path = tmp_path / 'ck'
    tg.save({'w': tg.ones(2, 3), 'n': 3}, path)
    data = path.read_bytes()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    meta = json.loads(header['__metadata__']['tinygrad_cnn'])
    assert meta['format'] == serialization.FORMAT
    assert meta['structure'] == {'type': 'dict', 'items': {
        'w': {'type': 'tensor', 'key': '0', 'device': 'cpu'}, 'n': 3}}
    # any safetensors reader sees the arrays
    np.testing.assert_array_equal(safetensors.numpy.load(data)['0'], np.ones((2, 3)))
    assert b'pickle' not in data and not data.startswith(b'\x80')     # not a pickle stream


def test_loading_a_plain_safetensors_file(tmp_path):
    path = tmp_path / 'plain.safetensors'
    safetensors.numpy.save_file({'fc.weight': np.ones((2, 2), np.float32),
                                 'fc.bias': np.zeros(2, np.float32)}, str(path))
    back = tg.load(path, map_location='cpu')
    assert set(back) == {'fc.weight', 'fc.bias'} and isinstance(back['fc.weight'], Tensor)
    assert back['fc.weight'].dtype == np.float32


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / 'ck'
    tg.save({'ok': 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"type object at obj\['bad'\]\[1\]"):
        tg.save({'ok': 2, 'bad': [1, object()]}, path)
    with pytest.raises(TypeError, match='complex128'):
        tg.save(np.zeros(2, dtype=complex), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['ck']


# ---------------------------------------------------------------- damaged files
@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / 'model.ckpt'
    tg.save({'w': tg.randn(16, 16), 'b': tg.zeros(16), 'step': 10}, path)
    return path


@pytest.mark.parametrize('keep', [0, 5, 20, -100, -1])
def test_truncated_file_raises_clear_error(checkpoint, keep):
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:keep] if keep >= 0 else data[:len(data) + keep])
    with pytest.raises(RuntimeError, match=r"load: '.*model\.ckpt' .*(truncated|corrupted)"):
        tg.load(checkpoint)


def test_corrupted_data_fails_checksum(checkpoint):
    data = bytearray(checkpoint.read_bytes())
    data[-10] ^= 0xFF                                   # flip bits inside a tensor
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"model\.ckpt' is corrupted: tensor '\d+' .* CRC-32"):
        tg.load(checkpoint)


def test_corrupted_header_raises_clear_error(checkpoint):
    data = bytearray(checkpoint.read_bytes())
    data[12] = ord('#')                                 # break the JSON header
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match='corrupted'):
        tg.load(checkpoint)
    checkpoint.write_bytes(b'\x80\x04\x95 this is a pickle, not a checkpoint' * 3)
    with pytest.raises(RuntimeError, match='not a checkpoint'):
        tg.load(checkpoint)


def test_corrupted_structure_raises_clear_error(tmp_path):
    path = tmp_path / 'bad'
    for meta in ({'format': serialization.FORMAT, 'crc32': {}, 'structure': {'type': 'exec'}},
                 {'format': serialization.FORMAT, 'crc32': {},
                  'structure': {'type': 'tensor', 'key': '9'}}):
        path.write_bytes(safetensors.numpy.save({}, metadata={'tinygrad_cnn': json.dumps(meta)}))
        with pytest.raises(RuntimeError, match='structure is invalid'):
            tg.load(path)
    meta = {'format': 'tinygrad_cnn.checkpoint/99', 'crc32': {}, 'structure': None}
    path.write_bytes(safetensors.numpy.save({}, metadata={'tinygrad_cnn': json.dumps(meta)}))
    with pytest.raises(RuntimeError, match='checkpoint/99'):
        tg.load(path)


@pytest.mark.skipif(tg.cuda_is_available(), reason='needs a machine without CUDA')
def test_cuda_tensors_need_map_location_without_a_gpu(tmp_path):
    path = tmp_path / 'gpu'
    meta = {'format': serialization.FORMAT, 'crc32': {},
            'structure': {'type': 'tensor', 'key': '0', 'device': 'cuda'}}
    path.write_bytes(safetensors.numpy.save({'0': np.ones(2)},
                                            metadata={'tinygrad_cnn': json.dumps(meta)}))
    with pytest.raises(RuntimeError, match="saved on 'cuda'.*map_location='cpu'"):
        tg.load(path)
    back = tg.load(path, map_location='cpu')
    assert back.device == 'cpu' and back.dtype == np.float64


# ---------------------------------------------------------------- atomic writes
def _fail_midway(f, data):
    f.write(bytes(data[:len(data) // 2]))
    raise OSError(28, 'No space left on device')


@pytest.mark.parametrize('failure', ['write', 'fsync', 'replace'])
def test_failed_save_leaves_previous_file_intact(checkpoint, monkeypatch, failure):
    before = checkpoint.read_bytes()
    if failure == 'write':
        monkeypatch.setattr(serialization, '_write_all', _fail_midway)
    else:
        def broken(*args):
            raise OSError(5, f'{failure} failed')
        monkeypatch.setattr(serialization.os, failure, broken)
    with pytest.raises(OSError):
        tg.save({'w': tg.ones(16, 16)}, checkpoint)
    monkeypatch.undo()
    assert checkpoint.read_bytes() == before                # untouched
    assert os.listdir(checkpoint.parent) == [checkpoint.name]   # no temporary file left
    assert tg.load(checkpoint)['step'] == 10


def test_save_replaces_and_keeps_permissions_sane(checkpoint):
    tg.save({'new': 1}, checkpoint)
    assert tg.load(checkpoint) == {'new': 1}
    assert os.stat(checkpoint).st_mode & 0o600 == 0o600
    assert os.listdir(checkpoint.parent) == [checkpoint.name]
