"""CIFAR-10 and CIFAR-100 read from the official *binary* distribution
(``torchvision.datasets.CIFAR10`` / ``CIFAR100``).

The binary archives hold fixed-size records and need no unpickling (the
"python version" that torchvision reads is a pickle; this library never
unpickles downloaded files):

- ``cifar-10-binary.tar.gz`` unpacks to ``cifar-10-batches-bin/`` with
  ``data_batch_1.bin`` ... ``data_batch_5.bin`` (training), ``test_batch.bin`` and
  ``batches.meta.txt`` (class names); a record is 1 label byte + 3072 pixel bytes;
- ``cifar-100-binary.tar.gz`` unpacks to ``cifar-100-binary/`` with ``train.bin``,
  ``test.bin``, ``fine_label_names.txt`` and ``coarse_label_names.txt``; a record
  is 1 coarse label byte, 1 fine label byte, 3072 pixel bytes.

The 3072 pixel bytes are the 32x32 red plane, then green, then blue.
"""
import os
import sys

import numpy as np

from tinygrad_cnn.tensor import Tensor
from .collate import default_collate
from .dataset import VisionDataset
from .download import check_integrity, download_url, extract_archive


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

    Args:
        root: the folder holding ``cifar-10-batches-bin/`` (or where to download it).
        train: the training split (else the test split).
        transform: applied to each image, e.g. ``transforms.ToTensor()``.
        target_transform: applied to each label.
        download: fetch and unpack the archive into ``root`` if the files are missing
            (its MD5 sum is checked).

    ``ds[i]`` is ``(image, label)``: the image a ``(32, 32, 3)`` uint8 numpy array
    (torchvision gives a PIL image; the transforms and ``ToTensor`` take either),
    the label an int. ``ds.data`` is the ``(N, 32, 32, 3)`` uint8 array (as
    torchvision's), ``ds.targets`` the list of labels, ``ds.classes`` the class names.
    """

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    label_bytes = 1
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        if download:
            self.download()
        folder = os.path.join(self.root, self.base_folder)
        files = self.train_list if train else self.test_list
        missing = [f for f in files if not os.path.isfile(os.path.join(folder, f))]
        if missing:
            raise RuntimeError(f"{type(self).__name__}: dataset not found: {', '.join(missing)} missing in "
                               f"{folder}. Pass download=True to fetch {self.url} (MD5 {self.tgz_md5}) into "
                               f"{self.root}, or download it yourself and unpack it there "
                               f"(`tar xzf {self.filename} -C {self.root}`).")
        labels, images = zip(*(self._read(os.path.join(folder, f)) for f in files))
        # the label byte that is the class: the last one (CIFAR-100: fine after coarse)
        self._labels = np.concatenate(labels)
        self.targets = self._labels[:, -1].astype(np.int64).tolist()
        self.data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)    # NCHW -> NHWC
        self._load_meta(folder)

    def _read(self, path):
        """(labels (N, label_bytes), pixels (N, 3072)) of one ``.bin`` file."""
        raw = np.fromfile(path, dtype=np.uint8)
        size = self.label_bytes + 3072
        if len(raw) % size:
            raise RuntimeError(f"{type(self).__name__}: {path} has {len(raw)} bytes, not a multiple of the "
                               f"{size}-byte record: the file is truncated or corrupt. Delete it and get "
                               f"{self.url} again (download=True).")
        records = raw.reshape(-1, size)
        labels = records[:, :self.label_bytes]
        if len(labels) and labels[:, -1].max() >= len(self.classes):
            raise RuntimeError(f"{type(self).__name__}: {path} has labels outside 0..{len(self.classes) - 1}: "
                               "is it the right dataset's file?")
        return labels, records[:, self.label_bytes:]

    def _load_meta(self, folder):
        """Class names from the archive's text file (when present)."""
        path = os.path.join(folder, "batches.meta.txt")
        if os.path.isfile(path):
            with open(path) as f:
                names = [line.strip() for line in f if line.strip()]
            if len(names) == len(type(self).classes):
                self.classes = names

    def download(self):
        """Fetch ``filename`` into ``root`` (unless a copy with the right MD5 is there) and unpack it."""
        folder = os.path.join(self.root, self.base_folder)
        if all(os.path.isfile(os.path.join(folder, f)) for f in self.train_list + self.test_list):
            return
        archive = os.path.join(self.root, self.filename)
        if not check_integrity(archive, self.tgz_md5):
            print(f"Downloading {self.url} to {archive}", file=sys.stderr)
            download_url(self.url, self.root, self.filename, self.tgz_md5)
        extract_archive(archive, self.root)

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        return self._transformed(img, target)

    def get_batch(self, indices):
        """The collated batch ``[images (B, 32, 32, 3) uint8, labels (B,) int64]``: one gather
        when there are no transforms."""
        if self.transform is None and self.target_transform is None:
            return [Tensor(self.data[indices]), Tensor(self._labels[indices, -1].astype(np.int64))]
        return default_collate([self[int(i)] for i in indices])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: as :class:`CIFAR10`, with 100 fine classes (``targets``, ``classes``) grouped in
    20 coarse ones (``coarse_targets``, ``coarse_classes``, extras beyond torchvision)."""

    url = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
    filename = "cifar-100-binary.tar.gz"
    tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    base_folder = "cifar-100-binary"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    label_bytes = 2
    classes = [str(i) for i in range(100)]      # replaced by fine_label_names.txt

    def _load_meta(self, folder):
        self.coarse_targets = self._labels[:, 0].astype(np.int64).tolist()
        for attr, name, count in (("classes", "fine_label_names.txt", 100),
                                  ("coarse_classes", "coarse_label_names.txt", 20)):
            path = os.path.join(folder, name)
            names = []
            if os.path.isfile(path):
                with open(path) as f:
                    names = [line.strip() for line in f if line.strip()]
            setattr(self, attr, names if len(names) == count else [str(i) for i in range(count)])
