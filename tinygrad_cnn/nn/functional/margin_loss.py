"""Margin and embedding losses: hinge-style losses on scores, pairs and triplets.

They ask for a margin between what should score high and what should score
low (``max(0, margin - (good - bad))``), or for embeddings of similar things
to be close and of different things to be far apart. All are compositions
of Tensor ops; ``reduction`` is ``'none'``, ``'mean'`` or ``'sum'`` as in
:mod:`~tinygrad_cnn.nn.functional.loss`.
"""
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import where
from .activation import logsigmoid
from .distance import pairwise_distance
from .loss import _as_tensor, _check_reduction, _reduce

__all__ = ['margin_ranking_loss', 'hinge_embedding_loss', 'soft_margin_loss',
           'multilabel_soft_margin_loss', 'cosine_embedding_loss', 'multi_margin_loss',
           'multilabel_margin_loss', 'triplet_margin_loss', 'triplet_margin_with_distance_loss']


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction='mean'):
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` = 1 asks for
    ``input1 > input2`` by ``margin``, -1 for the reverse.

    The three tensors must have the same number of dims (sizes broadcast).
    """
    reduction = _check_reduction('margin_ranking_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {tuple(input1.shape)}, input2: "
                           f"{tuple(input2.shape)}, target: {tuple(target.shape)}")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction='mean'):
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1.

    ``input`` is typically a distance between two embeddings, ``target`` says
    whether they should be similar (1) or not (-1); shapes broadcast. (As in
    PyTorch, a target of neither 1 nor -1 adds both terms.)
    """
    reduction = _check_reduction('hinge_embedding_loss', reduction, size_average, reduce)
    t = _as_tensor(target, input).data
    loss = where(t != 1, (margin - input).clamp(min=0), 0.0) + where(t != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """Two-class logistic loss ``log(1 + exp(-target * input))`` for targets in {1, -1}.

    Computed as ``-logsigmoid(target * input)``, so it never overflows (PyTorch
    gives inf beyond ``target * input < -88`` in float32). Shapes broadcast.
    """
    reduction = _check_reduction('soft_margin_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input)
    if input.dtype.kind != 'f' and target.dtype.kind != 'f':
        raise RuntimeError(f"soft_margin_loss: expected a floating point input or target, got "
                           f"dtypes {input.dtype} and {target.dtype}")
    return _reduce(-logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction='mean'):
    """Binary cross entropy of sigmoid(``input``) per class, averaged over the classes.

    ``input`` (N, C) or (C,) logits, ``target`` 0/1 of the same shape (it
    broadcasts), ``weight`` rescales the classes (broadcast against the
    input). Returns one loss per sample: shape (N,) for 'none', as PyTorch.
    """
    reduction = _check_reduction('multilabel_soft_margin_loss', reduction, size_average, reduce)
    if input.ndim == 0:
        raise IndexError("multilabel_soft_margin_loss: Dimension specified as -1 but input has "
                         "no dimensions (expected input of shape (N, C) or (C,))")
    target = _as_tensor(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    n_classes = input.shape[-1]
    return _reduce(loss.sum(-1) * (1.0 / n_classes if n_classes else float('nan')), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction='mean'):
    """``1 - cos(x1, x2)`` where ``target`` is 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    ``input1``, ``input2``: (N, D) with ``target`` (N,), or (D,) with a 0-d
    target. The cosine is ``x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))``
    (PyTorch's epsilon). Other target values give 0.
    """
    reduction = _check_reduction('cosine_embedding_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input1)
    if target.ndim not in (0, 1):
        raise RuntimeError(f"cosine_embedding_loss: 0D or 1D target tensor expected, multi-target "
                           f"not supported (target.shape={tuple(target.shape)})")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"cosine_embedding_loss: {target.ndim}D target tensor expects {want}D "
                           f"input tensors, but found inputs with sizes {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}.")
    dim = target.ndim
    eps = 1e-12
    dot = (input1 * input2).sum(dim)
    cos = dot / ((input1 * input1).sum(dim) + eps).mul((input2 * input2).sum(dim) + eps).sqrt()
    t = target.data
    loss = where(t == 1, 1 - cos, 0.0) + where(t == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def _class_index_target(op, input, target):
    """Shared checks of multi_margin_loss / multilabel_margin_loss: input (N, C), (C,) or ();
    integer targets. Returns the input as (N, C) and the target array."""
    if input.dtype.kind != 'f':
        raise NotImplementedError(f"{op}: not implemented for input dtype {input.dtype}")
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {tuple(input.shape)}")
    t = _as_tensor(target, input).data
    if t.dtype.kind not in 'iu':
        raise RuntimeError(f"{op}: expected a target of class indices (an integer dtype), got "
                           f"dtype {t.dtype}")
    return input.reshape(-1, input.shape[-1] if input.ndim else 1), t


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction='mean'):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample.

    ``input``: (N, C) scores (or (C,), ()), ``target``: (N,) class indices,
    ``p``: 1 or 2, ``weight``: (C,) rescales each sample by ``weight[y]``.
    Returns shape (N,) for 'none' (the target's shape for a single sample).
    """
    reduction = _check_reduction('multi_margin_loss', reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    if weight is not None and _as_tensor(weight, input).ndim != 1:
        raise ValueError("multi_margin_loss: weight must be one-dimensional")
    x, t = _class_index_target('multi_margin_loss', input, target)
    n, n_classes = x.shape
    if t.ndim > 1 or t.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"({n},), but got {tuple(t.shape)}. Input has shape "
                           f"{tuple(input.shape)}.")
    y = t.reshape(-1)
    if ((y < 0) | (y >= n_classes)).any():
        raise RuntimeError(f"multi_margin_loss: target out of range (values must be in [0, "
                           f"{n_classes}), got {y.min()}..{y.max()})")
    xp = get_array_module(x.data)
    onehot = xp.arange(n_classes) == y[:, None]                    # (N, C): the target class
    x_target = (x * _const(onehot.astype(x.dtype))).sum(1, keepdim=True)
    z = margin - x_target + x
    # only the other classes, and only where the margin is violated (z > 0, strictly)
    z = where(~onehot & (z.data > 0), z, 0.0)
    h = z if p == 1 else z * z
    if weight is not None:
        w = _as_tensor(weight, input).data.astype(x.dtype)
        if w.size != n_classes:
            raise RuntimeError(f"multi_margin_loss: inconsistent weight size, expected "
                               f"{n_classes} but got {tuple(w.shape)}")
        h = h * _const(w[y][:, None])
    loss = h.sum(1) * (1.0 / n_classes)
    if input.ndim < 2:
        loss = loss.reshape(t.shape)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """Multi-label hinge loss: every target class should beat every other class by 1.

    ``input``: (N, C) scores (or (C,)); ``target``: the same shape, holding the
    sample's class indices first, ended by -1 (later entries are ignored),
    e.g. ``[3, 0, -1, 1]`` means classes {3, 0}. Per sample the loss is
    ``sum_{j in targets} sum_{i not in targets} max(0, 1 - (x[j] - x[i])) / C``.
    Returns shape (N,) for 'none' (a scalar for a single sample). All (j, i)
    pairs are formed at once: memory grows as N C^2.
    """
    reduction = _check_reduction('multilabel_margin_loss', reduction, size_average, reduce)
    x, t = _class_index_target('multilabel_margin_loss', input, target)
    n, n_classes = x.shape
    if (t.shape != (n, n_classes) if input.ndim == 2 else (t.ndim > 1 or t.size != n_classes)):
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {tuple(t.shape)} "
                           f"for input of size: {tuple(input.shape)}")
    t = t.reshape(n, n_classes)
    if ((t < -1) | (t >= n_classes)).any():
        raise RuntimeError(f"multilabel_margin_loss: target is out of range (values must be in "
                           f"[-1, {n_classes}), got {tuple(t.shape)} with values "
                           f"{t.min()}..{t.max()})")
    xp = get_array_module(x.data)
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)               # the entries before the first -1
    # count[n, c]: how often class c is listed (a repeated class counts twice, as PyTorch)
    count = ((t[:, :, None] == xp.arange(n_classes)) & listed[:, :, None]).sum(1)
    pair_weight = count[:, :, None] * (count == 0)[:, None, :]      # (N, j, i): j listed, i not
    z = 1 - x.unsqueeze(2) + x.unsqueeze(1)                         # 1 - (x[j] - x[i])
    loss = (z.relu() * _const(pair_weight.astype(x.dtype))).sum((1, 2)) * (1.0 / n_classes)
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _check_triplet(op, margin, anchor, positive, negative):
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")


def _triplet_loss(distance, anchor, positive, negative, margin, swap, reduction):
    """``max(0, margin + d(a, p) - d(a, n))``; with ``swap``, d(a, n) becomes
    ``min(d(a, n), d(p, n))``, the smaller of the two distances to the negative."""
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction='mean'):
    """Triplet loss ``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with
    ``d = pairwise_distance(., ., p, eps)`` over the last dim.

    Inputs (N, D) (or (D,); the three must have the same number of dims and
    broadcast). ``swap`` uses the distance positive-negative when it is the
    smaller one (Balntas et al., 2016). Returns shape (N,) for 'none'.
    """
    reduction = _check_reduction('triplet_margin_loss', reduction, size_average, reduce)
    _check_triplet('triplet_margin_loss', margin, anchor, positive, negative)
    return _triplet_loss(lambda a, b: pairwise_distance(a, b, p, eps), anchor, positive,
                         negative, margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction='mean'):
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2) -> distances``
    (default :func:`~tinygrad_cnn.nn.functional.pairwise_distance`), e.g.
    ``lambda a, b: 1 - F.cosine_similarity(a, b)``."""
    reduction = _check_reduction('triplet_margin_with_distance_loss', reduction)
    _check_triplet('triplet_margin_with_distance_loss', margin, anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet_loss(distance, anchor, positive, negative, margin, swap, reduction)
