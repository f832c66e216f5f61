"""Data loading (``torch.utils.data`` and the parts of ``torchvision`` it needs).

Datasets map an index to a sample; :class:`DataLoader` batches, shuffles and
prefetches them; :mod:`~tinygrad_cnn.data.transforms` preprocesses images;
:class:`MNIST` and :class:`FashionMNIST` read the classic IDX files,
:class:`CIFAR10` and :class:`CIFAR100` the binary CIFAR files, :class:`ImageFolder`
a folder of class folders of images.
"""
from . import transforms
from .cifar import CIFAR10, CIFAR100
from .collate import default_collate, default_convert
from .dataloader import DataLoader, WorkerInfo, get_worker_info
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, VisionDataset, random_split)
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader
from .mnist import MNIST, FashionMNIST, read_idx
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ['Dataset', 'IterableDataset', 'TensorDataset', 'Subset', 'ConcatDataset', 'ChainDataset',
           'StackDataset', 'random_split', 'DataLoader', 'get_worker_info', 'WorkerInfo', 'Sampler',
           'SequentialSampler', 'RandomSampler', 'SubsetRandomSampler', 'WeightedRandomSampler',
           'BatchSampler', 'default_collate', 'default_convert', 'transforms', 'MNIST', 'FashionMNIST',
           'read_idx', 'CIFAR10', 'CIFAR100', 'DatasetFolder', 'ImageFolder', 'IMG_EXTENSIONS',
           'default_loader', 'FakeData', 'VisionDataset']
