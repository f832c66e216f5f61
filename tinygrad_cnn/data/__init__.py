"""Data loading (``torch.utils.data`` and the parts of ``torchvision`` it needs).

Datasets map an index to a sample; :class:`DataLoader` batches, shuffles and
prefetches them; :mod:`~tinygrad_cnn.data.transforms` preprocesses images;
:class:`MNIST` and :class:`FashionMNIST` read the classic IDX files.
"""
from . import transforms
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .mnist import MNIST, FashionMNIST, read_idx

__all__ = ['Dataset', 'TensorDataset', 'Subset', 'ConcatDataset', 'random_split', 'DataLoader',
           'default_collate', 'default_convert', 'transforms', 'MNIST', 'FashionMNIST', 'read_idx']
