"""Lookups by integer index: ``embedding`` (a table of learned vectors) and ``one_hot``."""
import numpy as np

from ...autograd import Function, no_grad
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...ops.movement import IndexAdd
from ...tensor import Tensor

__all__ = ['embedding', 'one_hot']


class Embedding(Function):
    """out[...] = weight[indices[...]]: row lookup.

    Backward adds each gradient row into the row it was read from (rows read
    several times accumulate), except for ``padding_idx``, whose row gets no
    gradient; ``scale_grad_by_freq`` divides by how often each row was read.
    """
    def forward(self, weight, *, indices, padding_idx, scale_grad_by_freq):
        self.indices, self.weight_shape = indices, weight.shape
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        xp = get_array_module(self.indices)
        idx = self.indices
        scale = None
        if self.padding_idx is not None:
            scale = (idx != self.padding_idx).astype(grad.dtype)
        if self.scale_grad_by_freq:
            counts = xp.bincount(idx.ravel(), minlength=self.weight_shape[0])
            freq = (1 / counts[idx]).astype(grad.dtype)
            scale = freq if scale is None else scale * freq
        if scale is not None:
            grad = grad * _const(scale[..., None])
        return IndexAdd.apply(grad, shape=self.weight_shape, index=(idx,))


def _renorm_rows(weight, indices, max_norm, norm_type):
    """Scale in place the looked-up rows whose ``norm_type``-norm exceeds ``max_norm``."""
    xp = get_array_module(weight.data)
    rows = xp.unique(indices)
    w = weight.data[rows]
    norms = (xp.abs(w) ** norm_type).sum(1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    with no_grad():
        weight[rows] = w * scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input`` (*) -> (*, dim).

    ``max_norm``: rows that are looked up are first renormalised in place to
    that norm (as PyTorch). ``sparse`` gradients are not supported (dense).
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in 'iu':
        raise TypeError(f"embedding: expected integer indices, got input.dtype={idx.dtype}")
    num = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError(f"embedding: index out of range: indices must be in [0, {num}) for "
                         f"weight.shape={tuple(weight.shape)}, got values in "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx must be within [{-num}, {num}), got "
                             f"{padding_idx}")
        padding_idx %= num
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*, num_classes) with a 1 at each index of ``tensor`` (*).

    ``num_classes=-1`` uses max(tensor) + 1.
    """
    idx = tensor.data
    if idx.dtype.kind not in 'iu':
        raise TypeError(f"one_hot: is only applicable to index tensors of integer dtype, got "
                        f"dtype {idx.dtype}")
    xp = get_array_module(idx)
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and int(idx.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got min {int(idx.min())}")
    if idx.size and int(idx.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes={num_classes}, "
                           f"got max {int(idx.max())}")
    return Tensor._make((idx[..., None] == xp.arange(num_classes)).astype(np.int64), False, None)
