"""Lookups by integer index: ``embedding`` (a table of learned vectors), ``embedding_bag``
(sums, means or maxima of bags of them) and ``one_hot``."""
import numpy as np

from ...autograd import Function, no_grad
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...ops.movement import IndexAdd
from ...tensor import Tensor, cat, full

__all__ = ['embedding', 'embedding_bag', 'one_hot']


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
        raise RuntimeError(f"embedding: expected integer indices, got input.dtype={idx.dtype}")
    num = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError(f"embedding: index out of range: indices must be in [0, {num}) for "
                         f"weight.shape={tuple(weight.shape)}, got values in "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    if padding_idx is not None:
        if not -num <= padding_idx < num:       # PyTorch asserts
            raise AssertionError(f"embedding: Padding_idx must be within num_embeddings: "
                                 f"[{-num}, {num}), got {padding_idx}")
        padding_idx %= num
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def _bag_bounds(op, idx, offsets, include_last_offset):
    """(start, end) positions of every bag in the flattened indices, as host int64 arrays."""
    if idx.ndim == 2:           # a batch of bags of equal size
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets).__name__}")
        B, size = idx.shape
        starts = np.arange(B, dtype=np.int64) * size
        return starts, starts + size
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None")
    offs = np.asarray(offsets.numpy() if isinstance(offsets, Tensor) else offsets)
    if offs.ndim != 1:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor")
    if offs.dtype.kind not in 'iu':
        raise TypeError(f"{op}: offsets must be integers, got dtype {offs.dtype}")
    offs = offs.astype(np.int64)
    if offs.size and offs[0] != 0:
        raise RuntimeError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got {offs[0]}")
    if offs.size and offs[-1] > idx.size:
        raise RuntimeError(f"{op}: offsets[-1] can not be greater than input's length "
                           f"{idx.size} but got offsets[-1] of {offs[-1]}")
    if np.any(np.diff(offs) < 0):
        raise RuntimeError(f"{op}: offsets must be non-decreasing, got {offs.tolist()}")
    if include_last_offset:     # the last offset is the end of the last bag
        return offs[:-1], offs[1:]
    return offs, np.append(offs[1:], idx.size)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """The sum, mean or maximum of the rows of ``weight`` (num_embeddings, dim) over each bag of
    indices, without building the (indices, dim) lookup in between, as PyTorch. -> (B, dim).

    ``input`` is either 2-d (B, n), B bags of n indices (``offsets`` must be None),
    or 1-d, the bags one after another, bag b starting at ``offsets[b]`` (B,)
    (with ``include_last_offset``, ``offsets`` has B + 1 entries, the last one
    the end of the last bag). ``per_sample_weights`` (shaped like ``input``,
    ``mode='sum'`` only) scales each row before summing. Indices equal to
    ``padding_idx`` are left out (not counted by the mean either) and their row
    gets no gradient; an empty bag gives zeros. ``max_norm`` renormalises the
    looked-up rows in place, as :func:`embedding`. Gradients are dense (also
    with ``sparse=True``). ``scale_grad_by_freq`` divides each row's gradient
    by how often the row occurs in ``input``, as documented by PyTorch (whose
    2.13 CPU kernel divides by the count of another index when rows repeat).
    """
    op = 'embedding_bag'
    if mode not in ('sum', 'mean', 'max'):
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if mode == 'max' and sparse:
        raise ValueError(f"{op}: max mode does not support sparse weights")
    idx = np.asarray(input.numpy() if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in 'iu':
        raise RuntimeError(f"{op}: Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got dtype {idx.dtype}")
    if per_sample_weights is not None:
        if mode != 'sum':
            raise NotImplementedError(f"{op}: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}'). Please open a feature request on "
                                      f"GitHub.")
        if tuple(per_sample_weights.shape) != idx.shape:
            raise ValueError(f"{op}: If per_sample_weights ({tuple(per_sample_weights.shape)}) is "
                             f"not None, then it must have the same shape as the input "
                             f"({idx.shape})")
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(f"{op}: per_sample_weights ({per_sample_weights.dtype}) must have "
                               f"the dtype of weight ({weight.dtype})")
    starts, ends = _bag_bounds(op, idx, offsets, include_last_offset)
    num, n = weight.shape[0], idx.size
    idx = idx.reshape(-1)
    if n and (int(idx.min()) < 0 or int(idx.max()) >= num):
        bad = int(np.flatnonzero((idx < 0) | (idx >= num))[0])
        raise RuntimeError(f"{op}: Index {bad} of input takes value {int(idx[bad])} which is not "
                           f"in the valid range [0, {num})")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"{op}: padding_idx must be within the number of embeddings, "
                               f"{-num} through {num - 1}, but got {padding_idx}")
        padding_idx %= num
    rows = embedding(Tensor(idx, device=weight.device), weight, padding_idx, max_norm, norm_type,
                     scale_grad_by_freq)                                            # (n, dim)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(n, 1)
    # (B, longest bag) positions in ``rows``; past a bag's end, or at padding_idx, the
    # position n of one extra row that adds nothing: zeros, or -inf for the maximum
    pos = starts[:, None] + np.arange(max(int((ends - starts).max(initial=0)), 1))
    valid = pos < ends[:, None]
    if padding_idx is not None and n:
        valid &= idx[np.minimum(pos, n - 1)] != padding_idx
    filler = full((1, weight.shape[1]), -np.inf if mode == 'max' else 0, dtype=weight.dtype,
                  device=weight.device)
    bags = cat([rows, filler])[np.where(valid, pos, n)]                 # (B, longest, dim)
    count = valid.sum(1, keepdims=True)
    if mode == 'sum':
        return bags.sum(1)
    if mode == 'mean':
        return bags.sum(1) / Tensor(np.maximum(count, 1), dtype=weight.dtype, device=weight.device)
    return bags.amax(1).masked_fill(Tensor(count == 0, device=weight.device), 0)  # empty: zeros


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*, num_classes) with a 1 at each index of ``tensor`` (*).

    ``num_classes=-1`` uses max(tensor) + 1.
    """
    idx = tensor.data
    if idx.dtype.kind not in 'iu':
        raise RuntimeError(f"one_hot: is only applicable to index tensors of integer dtype, got "
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
