"""tinygrad_cnn.data: datasets, DataLoader, collation, transforms, IDX files, MNIST download."""
import collections
import functools
import gc
import gzip
import hashlib
import http.server
import os
import struct
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.data import (MNIST, ConcatDataset, DataLoader, Dataset, FashionMNIST, Subset,
                               TensorDataset, default_collate, default_convert, random_split, read_idx)
from tinygrad_cnn.data import transforms as T

SYSTEM_FASHION = "/usr/share/datasets/fashion-mnist"


def loader_threads():
    return [t for t in threading.enumerate() if t.name == "tinygrad_cnn-DataLoader"]


def wait_for_no_loader_threads(timeout=3.0):
    end = time.monotonic() + timeout
    while loader_threads() and time.monotonic() < end:
        time.sleep(0.01)
    return loader_threads()


def epoch_ids(loader):
    """The sample ids of one epoch, batch by batch (datasets below hold their own index in column 0)."""
    return [batch[0].numpy().tolist() for batch in loader]


# ---------------------------------------------------------------- datasets

def test_tensor_dataset_items_and_size_check():
    x, y = np.arange(12.0, dtype=np.float32).reshape(6, 2), np.arange(6)
    ds = TensorDataset(Tensor(x), y)
    assert len(ds) == 6
    item = ds[4]
    np.testing.assert_array_equal(item[0].numpy(), [8.0, 9.0])
    assert item[1] == 4
    with pytest.raises(RuntimeError, match=r"\(6, 2\).*\(5,\)"):
        TensorDataset(x, np.arange(5))


def test_concat_dataset_and_add():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 14))
    ds = a + b
    assert isinstance(ds, ConcatDataset) and len(ds) == 7
    assert [int(ds[i][0]) for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert int(ds[-1][0]) == 13 and int(ds[-7][0]) == 0


def test_random_split_sizes_disjoint_and_deterministic():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [0.7, 0.2, 0.1], generator=42)
    assert [len(p) for p in parts] == [7, 2, 1]
    ids = np.concatenate([p.indices for p in parts])
    assert sorted(ids.tolist()) == list(range(10))                      # disjoint and complete
    again = random_split(ds, [0.7, 0.2, 0.1], generator=np.random.default_rng(42))
    assert all((p.indices == q.indices).all() for p, q in zip(parts, again))
    assert [int(parts[0][i][0]) for i in range(7)] == parts[0].indices.tolist()
    # the remainder of floor(n * frac) is dealt out from the first split on, as in PyTorch
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5], generator=0)] == [6, 5]
    assert [len(p) for p in random_split(ds, [3, 7], generator=1)] == [3, 7]
    tg.manual_seed(3)
    first = random_split(ds, [5, 5])[0].indices
    tg.manual_seed(3)
    assert (random_split(ds, [5, 5])[0].indices == first).all()
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])
    with pytest.raises(TypeError, match="generator"):
        random_split(ds, [5, 5], generator="seed")


# ---------------------------------------------------------------- DataLoader

def test_batching_and_drop_last():
    ds = TensorDataset(np.arange(10), np.arange(10) * 2.0)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [b[0].numpy().tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[2][1].numpy(), [16.0, 18.0])
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and epoch_ids(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        DataLoader(ds, shuffle=True, generator=-1)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator=0.5)


def test_batch_size_none_gives_single_converted_samples():
    # PyTorch's batch_size=None: no batching; numpy arrays become Tensors, tuples lists
    loader = DataLoader([(np.ones(2), 1), (np.zeros(2), 0)], batch_size=None)
    items = list(loader)
    assert len(loader) == 2 and len(items) == 2
    assert isinstance(items[0], list) and items[0][1] == 1
    assert isinstance(items[0][0], Tensor) and items[0][0].numpy().tolist() == [1.0, 1.0]
    ds = TensorDataset(np.arange(5), np.arange(5) * 2.0)
    shuffled = [int(x.item()) for x, _ in DataLoader(ds, batch_size=None, shuffle=True, generator=3)]
    assert sorted(shuffled) == [0, 1, 2, 3, 4]
    assert default_convert({'a': np.float32(2.0), 'b': 'x'})['a'].dtype == np.float32
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)


@settings(deadline=None, max_examples=25)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans(), shuffle=st.booleans(),
       seed=st.integers(0, 2 ** 32))
def test_every_sample_once_per_epoch(n, batch_size, drop_last, shuffle, seed):
    if n == 0 and shuffle:          # as PyTorch: RandomSampler needs num_samples > 0
        with pytest.raises(ValueError, match="num_samples"):
            DataLoader(TensorDataset(np.arange(n)), shuffle=True)
        return
    loader = DataLoader(TensorDataset(np.arange(n)), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=seed)
    batches = epoch_ids(loader)
    assert len(batches) == len(loader)
    assert all(len(b) == batch_size for b in batches[:-1] if b)
    seen = sum(batches, [])
    assert len(set(seen)) == len(seen) and set(seen) <= set(range(n))
    assert len(seen) == (n - n % batch_size if drop_last else n)
    if not shuffle:
        assert seen == list(range(len(seen)))


def test_shuffle_is_seeded_and_new_each_epoch():
    ds = TensorDataset(np.arange(50))
    a = DataLoader(ds, batch_size=8, shuffle=True, generator=7)
    b = DataLoader(ds, batch_size=8, shuffle=True, generator=7)
    a1, a2 = epoch_ids(a), epoch_ids(a)
    assert a1 == epoch_ids(b) and a2 == epoch_ids(b)          # same seed, same sequence of epochs
    assert a1 != a2                                          # a new permutation each epoch
    for epoch in (a1, a2):
        assert sorted(sum(epoch, [])) == list(range(50))     # every sample once
    assert epoch_ids(DataLoader(ds, batch_size=8, shuffle=True, generator=8)) != a1
    tg.manual_seed(0)                                        # no generator: the global one
    c1 = epoch_ids(DataLoader(ds, batch_size=8, shuffle=True))
    tg.manual_seed(0)
    assert epoch_ids(DataLoader(ds, batch_size=8, shuffle=True)) == c1


def test_state_dict_resumes_exactly():
    ds = TensorDataset(np.arange(30))
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(5))
    first = epoch_ids(loader)
    it = iter(loader)
    head = [next(it)[0].numpy().tolist() for _ in range(3)]
    state = loader.state_dict()
    assert state['epoch'] == 1 and state['batch'] == 3
    rest = [b[0].numpy().tolist() for b in it]
    following = epoch_ids(loader)

    resumed = DataLoader(ds, batch_size=4, shuffle=True)
    resumed.load_state_dict(state)
    assert epoch_ids(resumed) == rest
    assert epoch_ids(resumed) == following
    assert head + rest != first


def test_abandoned_epoch_starts_a_new_one():
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=True, generator=1)
    reference = DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=True, generator=1)
    for _ in loader:
        break
    assert loader.state_dict()['epoch'] == 0
    assert epoch_ids(loader) == [epoch_ids(reference) for _ in range(2)][1]


def test_sampler_sets_the_order():
    loader = DataLoader(TensorDataset(np.arange(10)), batch_size=3, sampler=[9, 0, 8, 1])
    assert len(loader) == 2 and epoch_ids(loader) == [[9, 0, 8], [1]]


class DictDataset(Dataset):
    """Per-sample items: a dict with an image, an int label and a name."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {'image': np.full((2, 3), i, dtype=np.uint8), 'label': i, 'name': f"s{i}"}


def test_loader_collates_dicts_from_plain_datasets():
    batch = next(iter(DataLoader(DictDataset(), batch_size=4)))
    assert batch['image'].shape == (4, 2, 3) and batch['image'].dtype == np.uint8
    assert batch['label'].dtype == np.int64 and batch['label'].numpy().tolist() == [0, 1, 2, 3]
    assert batch['name'] == ['s0', 's1', 's2', 's3']


def test_default_collate_structures_and_dtypes():
    Point = collections.namedtuple('Point', ['x', 'y'])
    samples = [(np.ones((2, 2), np.float32) * i, i, 0.5 * i, True, {'p': Point(i, np.float64(i))})
               for i in range(3)]
    images, ints, floats, flags, nested = default_collate(samples)
    assert images.shape == (3, 2, 2) and images.dtype == np.float32
    np.testing.assert_array_equal(images.numpy()[:, 0, 0], [0, 1, 2])
    assert ints.dtype == np.int64 and ints.numpy().tolist() == [0, 1, 2]
    assert floats.dtype == np.float32 and floats.numpy().tolist() == [0.0, 0.5, 1.0]
    assert flags.dtype == np.bool_
    assert isinstance(nested['p'], Point) and nested['p'].y.dtype == np.float64
    stacked = default_collate([Tensor(np.arange(3)), Tensor(np.arange(3, 6))])
    assert stacked.shape == (2, 3) and stacked.dtype == np.int64
    with pytest.raises(RuntimeError, match="same shape"):
        default_collate([np.zeros(3), np.zeros(4)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="object"):
        default_collate([object(), object()])


def test_fast_batch_path_equals_per_sample_path():
    x = np.random.default_rng(0).integers(0, 255, size=(23, 3, 4), dtype=np.uint8)
    ds = TensorDataset(Tensor(x), np.arange(23))
    subset = Subset(ds, np.arange(23)[::-1])
    for data in (ds, subset, Subset(DictDataset(), [5, 3, 1])):
        fast = DataLoader(data, batch_size=5, shuffle=True, generator=3)
        slow = DataLoader(data, batch_size=5, shuffle=True, generator=3, collate_fn=lambda b: default_collate(b))
        for f, s in zip(fast, slow):
            pairs = zip(f.values(), s.values()) if isinstance(f, dict) else zip(f, s)
            for u, v in pairs:
                if isinstance(u, list):
                    assert u == v
                else:
                    assert u.dtype == v.dtype
                    np.testing.assert_array_equal(u.numpy(), v.numpy())


class Failing(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 13:
            raise KeyError("sample 13 is broken")
        return i


def test_prefetch_thread_gives_same_batches_and_stops():
    ds = TensorDataset(np.arange(40))
    plain = epoch_ids(DataLoader(ds, batch_size=3, shuffle=True, generator=2))
    background = DataLoader(ds, batch_size=3, shuffle=True, generator=2, num_workers=1, prefetch_factor=2)
    assert epoch_ids(background) == plain
    assert wait_for_no_loader_threads() == []               # finished epoch: thread done

    it = iter(background)
    next(it)
    assert len(loader_threads()) == 1
    del it                                                   # abandoned mid-epoch
    gc.collect()
    assert wait_for_no_loader_threads() == []

    it = iter(background)
    next(it)
    it.close()
    assert wait_for_no_loader_threads() == []

    with pytest.raises(KeyError, match="broken"):            # errors reach the consumer
        for _ in DataLoader(Failing(), batch_size=4, num_workers=2):
            pass
    assert wait_for_no_loader_threads() == []
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)


# ---------------------------------------------------------------- transforms

def test_to_tensor_scales_uint8_and_moves_channels():
    img = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    t = T.ToTensor()(img)
    assert isinstance(t, Tensor) and t.shape == (1, 2, 2) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy()[0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)                # H, W, C
    t = T.ToTensor()(rgb)
    assert t.shape == (3, 2, 4)
    np.testing.assert_allclose(t.numpy()[2], rgb[:, :, 2] / 255, rtol=1e-6)
    floats = np.full((2, 2), 7.0)
    assert T.ToTensor()(floats).numpy().max() == 7.0                    # only uint8 is rescaled
    from PIL import Image
    t = T.ToTensor()(Image.fromarray(rgb))
    np.testing.assert_allclose(t.numpy(), rgb.transpose(2, 0, 1) / 255, rtol=1e-6)
    bits = T.ToTensor()(Image.fromarray(np.array([[0, 255]], np.uint8)).convert('1'))
    assert bits.dtype == np.float32 and bits.numpy().tolist() == [[[0.0, 1.0]]]   # 1-bit image
    with pytest.raises(TypeError, match="Tensor"):
        T.ToTensor()(t)


def test_normalize_values_and_dtype():
    x = Tensor(np.stack([np.full((2, 2), 0.5), np.full((2, 2), 1.0)]).astype(np.float32))
    y = T.Normalize((0.5, 0.25), (0.5, 0.25))(x)
    assert y.dtype == np.float32 and y.shape == (2, 2, 2)
    np.testing.assert_allclose(y.numpy()[0], 0.0)
    np.testing.assert_allclose(y.numpy()[1], 3.0)
    batch = Tensor(np.ones((4, 2, 3, 3), np.float64))
    assert T.Normalize((1.0, 0.0), (2.0, 4.0))(batch).numpy()[:, 1].max() == 0.25
    with pytest.raises(TypeError, match="float"):
        T.Normalize((0.5,), (0.5,))(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="mean and std"):
        T.Normalize((0.5, 0.5, 0.5), (1, 1, 1))(x)
    with pytest.raises(ValueError, match="zero"):
        T.Normalize((0.5,), (0.0,))(x)


def test_pad_and_crops():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    padded = T.Pad((1, 2), fill=9)(img)                                 # left/right 1, top/bottom 2
    assert padded.shape == (7, 6) and padded[0, 0] == 9
    np.testing.assert_array_equal(padded[2:5, 1:5], img)
    assert T.Pad((1, 0, 2, 0), padding_mode='edge')(img)[:, -1].tolist() == [3, 7, 11]
    t = Tensor(np.ones((2, 3, 4), np.float32))
    assert T.Pad(2)(t).shape == (2, 7, 8)
    assert T.CenterCrop(2)(img).tolist() == [[1, 2], [5, 6]]

    tg.manual_seed(0)
    x = np.random.default_rng(0).integers(1, 255, (28, 28), dtype=np.uint8)
    crop = T.RandomCrop(28, padding=4)
    outs = [crop(x) for _ in range(20)]
    assert all(o.shape == (28, 28) and o.dtype == np.uint8 for o in outs)
    big = np.pad(x, 4)
    for o in outs:                                           # each is a window of the padded image
        windows = [(i, j) for i in range(9) for j in range(9) if (big[i:i + 28, j:j + 28] == o).all()]
        assert windows
    assert len({o.tobytes() for o in outs}) > 1
    tg.manual_seed(0)
    assert all((crop(x) == o).all() for o in outs)           # seeded: the same crops again
    rgb = Tensor(np.zeros((3, 10, 12), np.float32))
    assert T.RandomCrop((8, 6), padding=1)(rgb).shape == (3, 8, 6)
    assert T.RandomCrop(12, pad_if_needed=True)(img).shape == (12, 12)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(5)(img)


def test_horizontal_flip():
    img = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    assert T.RandomHorizontalFlip(p=1.0)(img).tolist() == [[3, 2, 1], [6, 5, 4]]
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    rgb = np.arange(12).reshape(2, 2, 3)                                # H, W, C: flips W
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(rgb), rgb[:, ::-1, :])
    t = Tensor(np.arange(6.0).reshape(1, 2, 3))
    assert T.RandomHorizontalFlip(1.0)(t).numpy().tolist() == [[[2, 1, 0], [5, 4, 3]]]
    tg.manual_seed(1)
    flips = [T.RandomHorizontalFlip()(img)[0, 0] == 3 for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_resize():
    img = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    assert T.Resize(4, interpolation='nearest')(img).tolist() == [[1, 1, 2, 2], [1, 1, 2, 2],
                                                                  [3, 3, 4, 4], [3, 3, 4, 4]]
    row = Tensor(np.array([[[0.0, 10.0]]], np.float32))                # (C, H, W) = (1, 1, 2)
    out = T.Resize((1, 4))(row)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0, 0], [0.0, 2.5, 7.5, 10.0])
    assert T.Resize(14)(np.zeros((28, 56, 3), np.uint8)).shape == (14, 28, 3)     # smaller edge -> 14
    const = np.full((5, 7), 100, np.uint8)
    assert (T.Resize((3, 9))(const) == 100).all()


def test_compose_and_lambda():
    pipeline = T.Compose([T.Lambda(lambda a: a * 2), T.ToTensor(), T.Normalize((0.0,), (2.0,))])
    out = pipeline(np.full((2, 2), 51, np.uint8))
    np.testing.assert_allclose(out.numpy(), 0.2, rtol=1e-6)
    assert "Normalize" in repr(pipeline)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


# ---------------------------------------------------------------- IDX files and MNIST

def idx_bytes(array):
    codes = {np.dtype('u1'): 0x08, np.dtype('i1'): 0x09, np.dtype('>i2'): 0x0B,
             np.dtype('>i4'): 0x0C, np.dtype('>f4'): 0x0D, np.dtype('>f8'): 0x0E}
    big = array.astype(array.dtype.newbyteorder('>'))
    header = bytes([0, 0, codes[big.dtype], array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
    return header + big.tobytes()


def write_idx(path, array, gz=False):
    data = idx_bytes(array)
    with open(path, 'wb') as f:
        f.write(gzip.compress(data) if gz else data)
    return path


def fake_split(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_mnist(folder, gz=True, n_train=7, n_test=3):
    """The four MNIST files with random content in ``folder``; returns {prefix: (images, labels)}."""
    os.makedirs(folder, exist_ok=True)
    splits = {'train': fake_split(n_train, 0), 't10k': fake_split(n_test, 1)}
    ext = '.gz' if gz else ''
    for prefix, (images, labels) in splits.items():
        write_idx(os.path.join(folder, f'{prefix}-images-idx3-ubyte{ext}'), images, gz)
        write_idx(os.path.join(folder, f'{prefix}-labels-idx1-ubyte{ext}'), labels, gz)
    return splits


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, gz):
    for array in (np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
                  np.array([-5, 7, 1 << 20], dtype=np.int32),
                  np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)):
        got = read_idx(write_idx(tmp_path / "a", array, gz))
        assert got.dtype == array.dtype and got.dtype.isnative and got.shape == array.shape
        np.testing.assert_array_equal(got, array)


def test_read_idx_rejects_corrupt_files(tmp_path):
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    (tmp_path / "magic").write_bytes(b'\x01' + good[1:])
    with pytest.raises(RuntimeError, match="magic number"):
        read_idx(tmp_path / "magic")
    (tmp_path / "short").write_bytes(good[:-1])
    with pytest.raises(RuntimeError, match="has 17 bytes.*needs 18"):
        read_idx(tmp_path / "short")
    (tmp_path / "gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(RuntimeError, match="not a valid gzip"):
        read_idx(tmp_path / "gz")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


@pytest.mark.parametrize("layout", ["torchvision", "flat"])
def test_mnist_from_root(tmp_path, layout):
    folder = tmp_path / "MNIST" / "raw" if layout == "torchvision" else tmp_path
    splits = write_mnist(folder, gz=(layout == "flat"))
    train, test = MNIST(tmp_path), MNIST(str(tmp_path), train=False)
    assert train.folder == str(folder) and len(train) == 7 and len(test) == 3
    assert train.data.dtype == np.uint8 and train.data.shape == (7, 28, 28)
    assert train.targets.dtype == np.int64
    np.testing.assert_array_equal(test.data, splits['t10k'][0])
    img, label = train[2]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    assert type(label) is int and label == splits['train'][1][2]
    images, labels = next(iter(DataLoader(train, batch_size=4)))          # the fast batch path
    np.testing.assert_array_equal(images.numpy(), splits['train'][0][:4])
    assert labels.dtype == np.int64
    with_tf = MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = with_tf[2]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y == label + 100
    images, labels = next(iter(DataLoader(with_tf, batch_size=4)))
    assert images.shape == (4, 1, 28, 28) and labels.numpy().min() >= 100


def test_missing_and_corrupt_files_explain_how_to_get_the_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        MNIST(tmp_path)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in str(info.value)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(tmp_path)
    write_mnist(tmp_path / "MNIST" / "raw")
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz is not an IDX file.*download=True"):
        MNIST(tmp_path)
    labels = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros(4, np.uint8), gz=True)                     # 4 labels for 3 images
    with pytest.raises(RuntimeError, match="labels of shape"):
        MNIST(tmp_path, train=False)


def test_default_folders(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TINYGRAD_CNN_DATA", str(tmp_path / "data"))
    assert FashionMNIST._folders(None) == [str(tmp_path / "data" / "FashionMNIST"),
                                           str(home / ".cache" / "tinygrad_cnn" / "FashionMNIST"),
                                           SYSTEM_FASHION]
    write_mnist(home / ".cache" / "tinygrad_cnn" / "MNIST")
    assert MNIST().folder == str(home / ".cache" / "tinygrad_cnn" / "MNIST")
    write_mnist(tmp_path / "data" / "MNIST", n_train=5)
    assert len(MNIST()) == 5                                              # $TINYGRAD_CNN_DATA comes first


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=served))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_download_checks_md5_and_writes_atomically(tmp_path, file_server, monkeypatch):
    served, url = file_server
    splits = write_mnist(served, gz=True)
    resources = [(name, hashlib.md5((served / name).read_bytes()).hexdigest())
                 for name, _ in MNIST.resources]
    monkeypatch.setattr(MNIST, "mirrors", [url + "missing/", url])           # first mirror 404s
    monkeypatch.setattr(MNIST, "resources", resources)
    root = tmp_path / "root"
    train = MNIST(root, download=True)
    raw = root / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(name for name, _ in resources)   # no temporary files left
    np.testing.assert_array_equal(train.data, splits['train'][0])
    np.testing.assert_array_equal(MNIST(root, train=False, download=True).targets, splits['t10k'][1])

    bad = [(name, "0" * 32) for name, _ in resources]
    monkeypatch.setattr(MNIST, "resources", bad)
    monkeypatch.setattr(MNIST, "mirrors", [url])
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        MNIST(tmp_path / "other", download=True)
    assert os.listdir(tmp_path / "other" / "MNIST" / "raw") == []              # nothing left behind


@pytest.mark.skipif(not os.path.isdir(SYSTEM_FASHION),
                    reason=f"{SYSTEM_FASHION} is absent (apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist_from_the_system_package(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))                 # nothing in ~/.cache shadows the system files
    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)
    train, test = FashionMNIST(), FashionMNIST(train=False)
    assert train.folder == SYSTEM_FASHION
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
    assert train.classes[int(train.targets[0])] == "Ankle boot"
