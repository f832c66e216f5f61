"""``default_collate``: turn a list of samples into one batch (``torch.utils.data.default_collate``);
``default_convert``: the same conversions for one sample, without batching."""
import collections.abc

import numpy as np

from tinygrad_cnn.backend import get_array_module
from tinygrad_cnn.tensor import Tensor


def _stack(arrays, op):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"{op}: stack expects each sample to have the same shape, got shapes "
                           f"{sorted(shapes)}")
    return get_array_module(*arrays).stack(arrays)


def default_collate(batch):
    """Collate a list of samples into a batch, keeping the samples' structure.

    - Tensors and numpy arrays are stacked along a new first dimension into a
      Tensor of the same dtype (uint8 images stay uint8).
    - Python ints become an int64 Tensor, bools a bool Tensor, floats a float32
      Tensor (PyTorch makes float64 here; float32 is this library's default
      dtype), numpy scalars keep their dtype.
    - Strings and bytes are returned as they come (the list, or a tuple
      inside a tuple sample), as PyTorch.
    - Dicts are collated key by key; tuples and lists position by position
      into a list (as PyTorch; namedtuples stay namedtuples).

    Example: ``default_collate([(img0, 3), (img1, 7)])`` with ``img`` of shape
    (28, 28) gives ``[Tensor of shape (2, 28, 28), Tensor([3, 7])]``.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor(_stack([b.data for b in batch], "default_collate"))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in 'biufc':          # strings and objects cannot become a Tensor
            raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                            f"lists; found {elem.dtype}")
        return Tensor(_stack(batch, "default_collate"))
    if isinstance(elem, np.generic):
        return Tensor(np.array(batch))
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:                                   # keep the mapping's type (OrderedDict, ...) where it allows
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, '_fields'):          # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(b) for b in batch}) > 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal size, "
                               f"got sizes {sorted({len(b) for b in batch})}")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(data):
    """Turn the numpy arrays and scalars of one sample into Tensors, keeping its structure.

    The DataLoader's ``collate_fn`` when ``batch_size=None`` (no batching), as
    PyTorch's: dicts convert key by key, tuples and lists element by element
    into a list (namedtuples stay namedtuples); anything else (Tensors, Python
    numbers, strings) is returned as is.
    """
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in 'biufc':
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, '_fields'):          # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data
