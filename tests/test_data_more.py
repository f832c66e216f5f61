"""tinygrad_cnn.data beyond the basics: samplers, DataLoader options, iterable datasets,
collation types, CIFAR binary files, ImageFolder and FakeData (torch.utils.data / torchvision parity)."""
import collections
import hashlib
import io
import os
import tarfile
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.data import (CIFAR10, CIFAR100, BatchSampler, ChainDataset, ConcatDataset, DataLoader,
                               DatasetFolder, FakeData, ImageFolder, IterableDataset, RandomSampler,
                               SequentialSampler, StackDataset, SubsetRandomSampler, TensorDataset,
                               WeightedRandomSampler, default_collate, get_worker_info)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---------------------------------------------------------------- samplers

def test_samplers_orders_lengths_and_seeding():
    assert list(SequentialSampler('abc')) == [0, 1, 2] and len(SequentialSampler('abc')) == 3
    s = RandomSampler(range(10), generator=tg.Generator().manual_seed(3))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and first != second            # a new order each pass
    assert list(RandomSampler(range(10), generator=tg.Generator().manual_seed(3))) == first
    tg.manual_seed(1)
    a = list(RandomSampler(range(10)))
    tg.manual_seed(1)
    assert list(RandomSampler(range(10))) == a                            # the global generator
    chained = list(RandomSampler(range(4), num_samples=10, generator=0))
    assert len(chained) == 10 and sorted(chained[:4]) == sorted(chained[4:8]) == [0, 1, 2, 3]
    repl = RandomSampler(range(3), replacement=True, num_samples=50, generator=0)
    assert len(list(repl)) == 50 and set(repl) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([7, 3, 9], generator=0)) == [3, 7, 9]
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2


def test_weighted_sampler_frequencies_and_no_replacement():
    w = WeightedRandomSampler([1.0, 0.0, 3.0], 4000, generator=0)
    counts = np.bincount(list(w), minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    # without replacement: the non-zero weights first, then zero-weight indices (as torch.multinomial)
    drawn = list(WeightedRandomSampler([0, 1, 0, 2], 3, replacement=False, generator=1))
    assert sorted(drawn[:2]) == [1, 3] and drawn[2] in (0, 2)
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1, 1], 3, replacement=False))
    with pytest.raises(RuntimeError, match="invalid multinomial"):
        list(WeightedRandomSampler([1, -1], 1))


@pytest.mark.parametrize("make, error, match", [
    (lambda: RandomSampler(range(5), replacement=1), TypeError, "replacement"),
    (lambda: RandomSampler(range(5), num_samples=0), ValueError, "num_samples"),
    (lambda: RandomSampler([]), ValueError, "num_samples"),
    (lambda: WeightedRandomSampler([[1, 2]], 1), ValueError, "1d sequence"),
    (lambda: WeightedRandomSampler([1, 2], -1), ValueError, "num_samples"),
    (lambda: WeightedRandomSampler([1, 2], 2, replacement=0), ValueError, "replacement"),
    (lambda: BatchSampler(range(7), 0, True), ValueError, "batch_size"),
    (lambda: BatchSampler(range(7), True, False), ValueError, "batch_size"),
    (lambda: BatchSampler(range(7), 3, 1), ValueError, "drop_last"),
])
def test_sampler_argument_errors_match_torch_types(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---------------------------------------------------------------- DataLoader options

@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(shuffle=True, sampler=[0]), "sampler option is mutually exclusive with shuffle"),
    (dict(timeout=-1), "timeout"),
    (dict(persistent_workers=True), "persistent_workers"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(num_workers=-1), "num_workers"),
    (dict(batch_size=None, drop_last=True), "drop_last"),
])
def test_dataloader_argument_conflicts_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(list(range(3)), **kwargs)


def test_dataloader_with_samplers_and_batch_sampler():
    data = list(range(10, 17))
    dl = DataLoader(data, batch_sampler=[[0, 1], [5]])
    assert dl.batch_size is None and dl.drop_last is False and len(dl) == 2
    assert [b.numpy().tolist() for b in dl] == [[10, 11], [15]]
    dl = DataLoader(data, batch_size=3, sampler=[6, 5, 4, 0])
    assert len(dl) == 2 and [b.numpy().tolist() for b in dl] == [[16, 15, 14], [10]]
    assert [int(b) for b in DataLoader(data, batch_size=None, sampler=[2, 1])] == [12, 11]
    dl = DataLoader(data, batch_size=2, shuffle=True, generator=0)
    assert isinstance(dl.sampler, RandomSampler) and isinstance(dl.batch_sampler, BatchSampler)
    assert isinstance(DataLoader(data).sampler, SequentialSampler)
    sampler = RandomSampler(data, generator=tg.Generator().manual_seed(0))
    seen = sorted(sum((b.numpy().tolist() for b in DataLoader(data, batch_size=3, sampler=sampler)), []))
    assert seen == data


@settings(deadline=None, max_examples=15)
@given(n=st.integers(0, 12), batch_size=st.one_of(st.none(), st.integers(1, 5)), drop_last=st.booleans())
def test_dataloader_over_iterable_dataset_batches_consecutive_samples(n, batch_size, drop_last):
    if batch_size is None and drop_last:
        return
    dl = DataLoader(Stream(n), batch_size=batch_size, drop_last=drop_last)
    batches = [np.atleast_1d(np.asarray(b)).tolist() for b in dl]     # no batching: ints stay ints
    bs = batch_size or 1
    expected = [list(range(i, min(i + bs, n))) for i in range(0, n, bs)]
    if drop_last:
        expected = [b for b in expected if len(b) == bs]
    assert batches == expected and len(dl) == len(expected)


def test_iterable_dataset_rules_and_chain_stack_concat():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            DataLoader(Stream(3), **kwargs)
    chain = Stream(2) + Stream(3)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    with pytest.raises(AssertionError, match="IterableDataset"):
        list(ChainDataset([Stream(1), [1, 2]]))
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Stream(2)])
    assert StackDataset([1, 2], 'ab')[1] == (2, 'b')
    assert StackDataset(x=[1, 2], y='ab')[0] == {'x': 1, 'y': 'a'} and len(StackDataset(x=[1, 2], y='ab')) == 2
    with pytest.raises(ValueError, match="both"):
        StackDataset([1], x=[2])
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset([1], [1, 2])


def test_worker_thread_info_init_fn_and_timeout():
    assert get_worker_info() is None
    seen = []

    class Probe(IterableDataset):
        def __iter__(self):
            info = get_worker_info()
            seen.append((info.id, info.num_workers, info.dataset is probe, threading.current_thread().name))
            yield from range(4)

    probe = Probe()
    inits = []
    out = [b.numpy().tolist() for b in DataLoader(probe, batch_size=2, num_workers=2, worker_init_fn=inits.append)]
    assert out == [[0, 1], [2, 3]] and inits == [0]
    assert seen == [(0, 1, True, "tinygrad_cnn-DataLoader")]       # one thread, the whole stream once

    class Slow(IterableDataset):
        def __iter__(self):
            threading.Event().wait(0.3)
            yield 1

    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        next(iter(DataLoader(Slow(), num_workers=1, timeout=0.05)))


def test_default_collate_types_match_torch():
    Point = collections.namedtuple('Point', 'x y')
    batch = default_collate([collections.OrderedDict(a=1, s='u'), collections.OrderedDict(a=2, s='v')])
    assert type(batch) is collections.OrderedDict and batch['s'] == ['u', 'v']
    assert batch['a'].dtype == np.int64
    ints, names = default_collate([(1, 'a'), (2, 'b')])
    assert ints.numpy().tolist() == [1, 2] and names == ('a', 'b')           # as torch: the zipped tuple
    p = default_collate([Point(1.5, np.float64(2)), Point(2.5, np.float64(3))])
    assert isinstance(p, Point) and p.y.dtype == np.float64
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int32
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([b'x', b'y']) == [b'x', b'y']
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(['a']), np.array(['b'])])
    with pytest.raises(TypeError, match="NoneType"):
        default_collate([None, None])


# ---------------------------------------------------------------- CIFAR

def write_cifar(folder, files, label_bytes, n, seed):
    """Binary CIFAR files of n records each; returns the (labels, images NHWC) written, all files joined."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    labels, images = [], []
    for name in files:
        lab = np.stack([rng.integers(0, 20, n), rng.integers(0, 100 if label_bytes == 2 else 10, n)], 1)
        lab = lab[:, -label_bytes:].astype(np.uint8)
        img = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        np.concatenate([lab, img.reshape(n, -1)], 1).tofile(os.path.join(folder, name))
        labels.append(lab)
        images.append(img.transpose(0, 2, 3, 1))
    return np.concatenate(labels), np.concatenate(images)


def test_cifar10_reads_binary_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    labels, images = write_cifar(folder, [f"data_batch_{i}.bin" for i in range(1, 6)], 1, 3, 0)
    test_labels, _ = write_cifar(folder, ["test_batch.bin"], 1, 4, 1)
    ds = CIFAR10(tmp_path)
    assert ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data, images)                      # planes R, G, B -> (H, W, C)
    assert ds.targets == labels[:, 0].tolist() and ds.classes[0] == "airplane"
    img, target = ds[4]
    assert img.shape == (32, 32, 3) and target == labels[4, 0]
    assert CIFAR10(tmp_path, train=False).targets == test_labels[:, 0].tolist()
    x, y = DataLoader(ds, batch_size=15).__iter__().__next__()
    assert x.shape == (15, 32, 32, 3) and y.dtype == np.int64
    from tinygrad_cnn.data import transforms as T
    t = CIFAR10(tmp_path, transform=T.ToTensor(), target_transform=lambda v: v + 100)
    assert t[0][0].shape == (3, 32, 32) and t[0][1] == labels[0, 0] + 100
    with open(folder / "data_batch_2.bin", "ab") as f:
        f.write(b"\0")
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        CIFAR10(tmp_path)
    with pytest.raises(RuntimeError, match="download=True"):
        CIFAR10(tmp_path / "nowhere")


def test_cifar100_fine_and_coarse_labels(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    labels, images = write_cifar(folder, ["train.bin"], 2, 5, 2)
    (folder / "fine_label_names.txt").write_text("\n".join(f"fine{i}" for i in range(100)) + "\n")
    ds = CIFAR100(tmp_path)
    assert ds.targets == labels[:, 1].tolist() and ds.coarse_targets == labels[:, 0].tolist()
    assert ds.classes[3] == "fine3" and len(ds.coarse_classes) == 20
    np.testing.assert_array_equal(ds.data, images)


def test_cifar_download_checks_md5_and_unpacks(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_cifar(src / "cifar-10-batches-bin", [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"],
                1, 2, 3)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(src / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    served = tmp_path / "served.tar.gz"
    served.write_bytes(archive.getvalue())
    monkeypatch.setattr(CIFAR10, "url", served.as_uri())
    monkeypatch.setattr(CIFAR10, "tgz_md5", "0" * 32)
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        CIFAR10(tmp_path / "root", download=True)
    assert os.listdir(tmp_path / "root") == []                          # no partial file left
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(archive.getvalue()).hexdigest())
    ds = CIFAR10(tmp_path / "root", download=True)
    assert len(ds) == 10 and (tmp_path / "root" / "cifar-10-binary.tar.gz").is_file()


# ---------------------------------------------------------------- folders, FakeData

def test_image_folder_classes_samples_and_loader(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    layout = {"dog": ["b.png", "a.PNG", "sub/c.png", "notes.txt"], "cat": ["z.bmp"], "ant": ["q.png"]}
    for cls, names in layout.items():
        for name in names:
            path = tmp_path / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith("txt"):
                path.write_text("x")
            else:
                Image.fromarray(rng.integers(0, 256, (4, 5), dtype=np.uint8)).save(path, format="PNG" if
                                                                                  name.lower().endswith("png") else "BMP")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["ant", "cat", "dog"] and ds.class_to_idx == {"ant": 0, "cat": 1, "dog": 2}
    names = [os.path.relpath(p, tmp_path) for p, _ in ds.samples]
    assert names == ["ant/q.png", "cat/z.bmp", "dog/a.PNG", "dog/b.png", "dog/sub/c.png"]
    assert ds.targets == [0, 1, 2, 2, 2] and ds.imgs is ds.samples
    img, target = ds[0]
    assert img.mode == "RGB" and img.size == (5, 4) and target == 0
    only_b = DatasetFolder(tmp_path, loader=str, is_valid_file=lambda p: p.endswith("b.png"), allow_empty=True)
    assert [t for _, t in only_b.samples] == [2]
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes ant, cat"):
        DatasetFolder(tmp_path, loader=str, is_valid_file=lambda p: p.endswith("b.png"))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(tmp_path, loader=str)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path / "empty")


def test_fake_data_is_deterministic_per_index():
    ds = FakeData(size=5, image_size=(3, 4, 6), num_classes=3)
    img, target = ds[2]
    assert img.shape == (4, 6, 3) and img.dtype == np.uint8 and 0 <= target < 3
    np.testing.assert_array_equal(ds[2][0], img)
    assert len(ds) == 5 and FakeData(2, (1, 4, 6))[0][0].shape == (4, 6)
    assert not np.array_equal(FakeData(5, (3, 4, 6), random_offset=1)[2][0], img)
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
