"""Distances and similarities: ``cosine_similarity``, ``pairwise_distance``, ``pdist``, and
``tg.cdist``/``tg.dist`` (exported at the top level, as in PyTorch).

All are p-norms of differences (or normalised dot products) written with Tensor
ops, so their gradients come from those ops; the 2-norm's gradient at a zero
vector is 0, as PyTorch's.
"""
import numpy as np

from ...tensor import _dim, _result_type
from ...tensor_index import broadcast_tensors
from .loss import ClampMinPassGrad

__all__ = ['cosine_similarity', 'pairwise_distance', 'pdist']


def _check_floating(op, x1, x2):
    dtype = _result_type(x1, x2)
    if np.dtype(dtype).kind != 'f':
        names = {np.int64: 'Long', np.int32: 'Int', np.bool_: 'Bool'}
        raise RuntimeError(f"{op}: expected common dtype to be floating point, yet common dtype "
                           f"is {names.get(np.dtype(dtype).type, np.dtype(dtype).name)}")
    return x1.to(dtype), x2.to(dtype)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 * x2) / (max(||x1||, eps) max(||x2||, eps))`` along ``dim`` (after
    broadcasting x1 against x2), computed as ``sum((x1 / n1) (x2 / n2))`` as PyTorch does,
    which keeps the result within [-1, 1]."""
    x1, x2 = _check_floating('cosine_similarity', x1, x2)
    x1, x2 = broadcast_tensors(x1, x2)
    d = _dim(dim, max(x1.ndim, 1), 'cosine_similarity')
    # PyTorch clamps the norms under no_grad: their gradient stays the norms'
    n1 = ClampMinPassGrad.apply(x1.norm(2, d, keepdim=True), min=eps)
    n2 = ClampMinPassGrad.apply(x2.norm(2, d, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim (of the broadcast shape): ``(N, D)`` and
    ``(N, D)`` (or ``(D,)``) give ``(N,)``."""
    x1, x2 = _check_floating('pairwise_distance', x1, x2)
    diff = x1 - x2 + eps
    return diff.norm(p, -1 if diff.ndim else None, keepdim)


def pdist(input, p=2):
    """Distances between all pairs of rows of ``input`` ``(N, M)``: ``||x_i - x_j||_p`` for
    ``i < j`` in row-major order, shape ``(N (N - 1) / 2,)``."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input.dtype.kind != 'f':
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    i, j = np.triu_indices(input.shape[0], 1)
    return (input[i] - input[j]).norm(p, 1)


def cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary'):
    """Distances between each row of ``x1`` ``(*B, P, M)`` and each row of ``x2``
    ``(*B, R, M)``: ``(*B, P, R)`` (batch dims broadcast). ``compute_mode`` is accepted for
    PyTorch's signature; the differences are always formed directly (exact, no
    ``|x|^2 + |y|^2 - 2 x.y`` cancellation)."""
    if x1.ndim < 2 or x2.ndim < 2:
        bad, t = ('X1', x1) if x1.ndim < 2 else ('X2', x2)
        raise RuntimeError(f"cdist only supports at least 2D tensors, {bad} got: {t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in ('use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist',
                            'donot_use_mm_for_euclid_dist'):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.dtype.kind != 'f' or x2.dtype.kind != 'f':
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast), over all elements: a 0-d tensor."""
    return (input - other).flatten().norm(p, 0)
