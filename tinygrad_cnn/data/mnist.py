"""MNIST and Fashion-MNIST read from their IDX files (``torchvision.datasets.MNIST``).

The files: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each plain or
gzipped (``.gz``). Where they are looked for:

- with ``root``: ``root/<Name>/raw`` (torchvision's layout, so an existing
  torchvision download is reused), then ``root`` itself;
- without: ``$TINYGRAD_CNN_DATA/<Name>``, ``~/.cache/tinygrad_cnn/<Name>``,
  then the system directory of a distribution package (Fashion-MNIST:
  ``/usr/share/datasets/fashion-mnist`` from Debian's ``dataset-fashion-mnist``).

``download=True`` fetches missing files into the first of these directories
(``root/<Name>/raw``, ``$TINYGRAD_CNN_DATA/<Name>`` or ``~/.cache/tinygrad_cnn/<Name>``),
checks their MD5 sums and writes them atomically.
"""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

from tinygrad_cnn.tensor import Tensor
from .collate import default_collate
from .dataset import VisionDataset
from .download import download_url

# IDX header: two zero bytes, a type code, the number of dimensions; then one big-endian
# uint32 per dimension; then the values, big-endian.
_IDX_TYPES = {0x08: np.dtype('u1'), 0x09: np.dtype('i1'), 0x0B: np.dtype('>i2'),
              0x0C: np.dtype('>i4'), 0x0D: np.dtype('>f4'), 0x0E: np.dtype('>f8')}


def read_idx(path):
    """Read an IDX file (plain, or gzip-compressed) into a numpy array of native byte order.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        RuntimeError: if the file is not valid gzip or IDX (bad magic number,
            or a size that does not match the header).
    """
    path = os.fspath(path)
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':                          # gzip's magic number
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise RuntimeError(f"read_idx: {path} is not a valid gzip file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"read_idx: {path} is not an IDX file: its magic number is 0x{raw[:4].hex()}, "
                           "expected 0x0000TTDD (TT: type code 08, 09, 0b, 0c, 0d or 0e; DD: number of dims)")
    ndim = raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise RuntimeError(f"read_idx: {path} is truncated: {len(raw)} bytes, its header alone needs {start}")
    shape = struct.unpack(f'>{ndim}I', raw[4:start])
    dtype = _IDX_TYPES[raw[2]]
    expected = start + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise RuntimeError(f"read_idx: {path} has {len(raw)} bytes, but its header (shape {shape}, "
                           f"dtype {dtype.name}) needs {expected}: the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder('='))


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey.

    Args:
        root: directory of the files (see the module docs); None searches the
            default places.
        train: the training split (else the test split).
        transform: applied to each image (e.g. ``transforms.ToTensor()``).
        target_transform: applied to each label.
        download: fetch the files if they are not found.

    ``ds[i]`` is ``(image, label)``: without a transform the image is a
    ``(28, 28)`` uint8 numpy array (torchvision gives a PIL image) and the
    label an int. ``ds.data`` is the ``(N, 28, 28)`` uint8 array of all images,
    ``ds.targets`` the ``(N,)`` int64 array of labels, ``ds.folder`` where they
    were read from.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    system_dirs = []        # where a distribution package installs the files
    apt_package = None      # the package that does

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        prefix = 'train' if train else 't10k'
        names = (f'{prefix}-images-idx3-ubyte', f'{prefix}-labels-idx1-ubyte')
        folders = self._folders(root)
        self.folder = next((d for d in folders if all(self._find(d, n) for n in names)), None)
        if self.folder is None and download:
            self.download(folders[0])
            self.folder = folders[0]
        if self.folder is None:
            raise FileNotFoundError(f"{type(self).__name__}: {names[0]}[.gz] and {names[1]}[.gz] not found in "
                                    f"{', '.join(folders)}. {self._how_to_get(folders[0])}")
        images, labels = (self._find(self.folder, n) for n in names)
        try:
            self.data = read_idx(images)
            self.targets = read_idx(labels).astype(np.int64)
        except RuntimeError as e:
            raise RuntimeError(f"{type(self).__name__}: {e}. Delete that file and get it again. "
                               f"{self._how_to_get(folders[0])}") from None
        self._check(images, labels)

    @classmethod
    def _folders(cls, root):
        """The directories searched, in order; the first one is where ``download`` writes."""
        name = cls.__name__
        if root is not None:
            root = os.path.expanduser(os.fspath(root))
            return [os.path.join(root, name, 'raw'), root]
        env = os.environ.get('TINYGRAD_CNN_DATA')
        folders = [os.path.join(env, name)] if env else []
        folders.append(os.path.join(os.path.expanduser('~'), '.cache', 'tinygrad_cnn', name))
        return folders + cls.system_dirs

    @staticmethod
    def _find(folder, name):
        """The path of ``name`` or ``name.gz`` in ``folder``, or None."""
        for path in (os.path.join(folder, name), os.path.join(folder, name + '.gz')):
            if os.path.isfile(path):
                return path
        return None

    def _how_to_get(self, folder):
        ways = [f"pass download=True to fetch them into {folder}"]
        if self.apt_package:
            ways.append(f"`apt-get install {self.apt_package}` (installs them in {self.system_dirs[0]})")
        urls = ', '.join(self.mirrors[0] + filename for filename, _ in self.resources)
        ways.append(f"or download {urls} into {folder}")
        return "To get the data: " + "; ".join(ways) + "."

    def _check(self, images, labels):
        if self.data.ndim != 3 or self.data.shape[1:] != (28, 28) or self.data.dtype != np.uint8:
            raise RuntimeError(f"{type(self).__name__}: {images} holds {self.data.dtype} images of shape "
                               f"{self.data.shape}, expected uint8 of shape (N, 28, 28)")
        if self.targets.shape != (len(self.data),):
            raise RuntimeError(f"{type(self).__name__}: {labels} holds labels of shape {self.targets.shape} "
                               f"for {len(self.data)} images in {images}")
        if len(self.targets) and not 0 <= self.targets.min() <= self.targets.max() < len(self.classes):
            raise RuntimeError(f"{type(self).__name__}: {labels} has labels outside 0..{len(self.classes) - 1}")

    def download(self, folder):
        """Fetch the four files that are not yet in ``folder``, trying each mirror in turn."""
        for filename, md5 in self.resources:
            if self._find(folder, filename[:-len('.gz')]):
                continue
            errors = []
            for mirror in self.mirrors:
                url = mirror + filename
                print(f"Downloading {url} to {folder}", file=sys.stderr)
                try:
                    download_url(url, folder, filename, md5)
                    break
                except (OSError, RuntimeError) as e:          # URLError is an OSError
                    errors.append(f"{url}: {e}")
            else:
                raise RuntimeError(f"{type(self).__name__}: could not download {filename}:\n  "
                                   + "\n  ".join(errors))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        return self._transformed(img, target)

    def get_batch(self, indices):
        """The collated batch ``[images, labels]``: one gather when there are no transforms."""
        if self.transform is None and self.target_transform is None:
            return [Tensor(self.data[indices]), Tensor(self.targets[indices])]
        return default_collate([self[int(i)] for i in indices])

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self):
        # root may be None (the files were searched for): say where they were found
        return f"Split: {'Train' if self.train else 'Test'}\nFiles: {self.folder}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 10 kinds of clothing, in MNIST's format and sizes (see :class:`MNIST`)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    system_dirs = ["/usr/share/datasets/fashion-mnist"]
    apt_package = "dataset-fashion-mnist"
