"""Loss functions: one number saying how far the predictions are from the targets.

Every loss takes ``reduction``: ``'none'`` keeps one loss per element (or per
sample), ``'sum'`` adds them up and ``'mean'`` averages them (weighted by the
target classes' weights for class-index targets with ``weight``, as PyTorch).

Numerically sensitive losses are single fused ops whose forward works on
arrays and whose backward is one short Tensor expression:
``cross_entropy`` never forms ``log(softmax)`` (it uses log-sum-exp, so
logits of 1e4 are fine) and its gradient is ``softmax - q``;
``binary_cross_entropy_with_logits`` uses ``log sigmoid`` written without
overflow. The rest are compositions of Tensor ops.

The margin and embedding losses (hinge, triplet, ...) are in
:mod:`~tinygrad_cnn.nn.functional.margin_loss`, the CTC loss in
:mod:`~tinygrad_cnn.nn.functional.ctc`.
"""
import math
import warnings

import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...ops.reduce import LogSoftmax
from ...tensor import Tensor, full_like, where
from .linear import linear

__all__ = ['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'smooth_l1_loss', 'huber_loss',
           'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'kl_div',
           'poisson_nll_loss', 'gaussian_nll_loss', 'linear_cross_entropy']


# ---------------------------------------------------------------- shared helpers
def _legacy_reduction(size_average, reduce, reduction, stacklevel=4):
    """``reduction``, unless the deprecated ``size_average``/``reduce`` flags are given
    (PyTorch's legacy rule: ``reduce=False`` -> 'none', else ``size_average=False`` -> 'sum',
    else 'mean'). Shared with the loss modules."""
    if size_average is None and reduce is None:
        return reduction
    reduction = 'none' if reduce is False else 'sum' if size_average is False else 'mean'
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=stacklevel)
    return reduction


def _check_reduction(op, reduction, size_average=None, reduce=None,
                     allowed=('none', 'mean', 'sum')):
    """The reduction to use (see :func:`_legacy_reduction`), checked against ``allowed``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; "
                         f"expected one of {', '.join(map(repr, allowed))}")
    return reduction


def _reduce(loss, reduction):
    """Apply ``reduction`` ('none', 'mean' or 'sum') to an elementwise loss."""
    if reduction == 'none':
        return loss
    return loss.sum() if reduction == 'sum' else loss.mean()


def _mean_by(total, count):
    """``total / count`` (a scalar Tensor over a Python or array number).

    With ``count == 0`` (every target ignored) the value is nan (0/0) but the
    gradient is zero, as in PyTorch: there is nothing to learn from, and a nan
    gradient would poison the parameters.
    """
    count = float(count)
    return total * (1.0 / count) if count else total * 0.0 + float('nan')


def _as_tensor(x, like):
    """``x`` (Tensor, array or number) as a Tensor on ``like``'s device."""
    return x if isinstance(x, Tensor) else Tensor(x, device=like.device)


class ClampMinPassGrad(Function):
    """``max(x, min)`` whose gradient passes through unchanged, also where it clamps.

    PyTorch clamps the variance of ``gaussian_nll_loss`` in place under
    ``no_grad``: the value is clamped but autograd sees the identity. This op
    does the same.
    """
    def forward(self, x, *, min):
        return get_array_module(x).maximum(x, x.dtype.type(min))

    def backward(self, grad):
        return grad


def _warn_if_broadcast(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{op}: using a target size {tuple(target.shape)} that is different to the "
                      f"input size {tuple(input.shape)}. This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)


def _class_dim(op, input):
    if input.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating point input, got dtype {input.dtype}")
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (classes), got a 0-d "
                           "tensor")
    return 1 if input.ndim > 1 else 0


def _class_targets(op, input, target, weight, ignore_index, label_smoothing=0.0):
    """Turn class-index targets into a target distribution ``q`` over the class dim.

    ``q`` has the input's shape and dtype: ``(1 - label_smoothing) * w[y]`` at
    the target class, plus ``label_smoothing / C * w[c]`` for every class c,
    and zeros for targets equal to ``ignore_index``. With it, both
    ``nll_loss`` and ``cross_entropy`` are ``-sum_c q_c * logp_c``. Also
    returns the 'mean' denominator: the summed weight ``w[y]`` of the
    non-ignored targets.
    """
    dim = _class_dim(op, input)
    xp = get_array_module(input.data)
    t = _as_tensor(target, input).data
    if t.dtype.kind not in 'iu':
        raise RuntimeError(f"{op}: expected class-index targets of an integer dtype, got dtype "
                           f"{t.dtype} (target.shape={tuple(t.shape)}); probability targets "
                           f"must have the input's shape {tuple(input.shape)}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        if input.ndim > 1 and t.ndim == input.ndim - 1 and t.shape[:1] != input.shape[:1]:
            raise ValueError(f"{op}: Expected input batch_size ({input.shape[0]}) to match "
                             f"target batch_size ({t.shape[0]}).")
        raise RuntimeError(f"{op}: expected target of shape {expected} for input.shape="
                           f"{tuple(input.shape)}, got target.shape={tuple(t.shape)}")
    n_classes = input.shape[dim]
    valid = t != ignore_index
    outside = (t < 0) | (t >= n_classes)
    if outside.any() and (outside & valid).any():
        raise IndexError(f"{op}: Target {int(t[outside & valid].ravel()[0])} is out of bounds "
                         f"for {n_classes} classes (input.shape={tuple(input.shape)})")
    if weight is None:
        w = xp.ones(n_classes, dtype=input.dtype)
    else:
        w = _as_tensor(weight, input).data.astype(input.dtype)
        if w.shape != (n_classes,):
            raise RuntimeError(f"{op}: expected weight of shape ({n_classes},) (one per class) "
                               f"for input.shape={tuple(input.shape)}, got {tuple(w.shape)}")
    safe = xp.where(valid, t, 0)                     # any valid index; masked out below
    w_target = w[safe] * valid                       # w[y], 0 where ignored
    # broadcast the targets against the class dim: (N, 1, d1, ...) == (1, C, 1, ...)
    keep_shape = t.shape[:dim] + (1,) + t.shape[dim:]
    class_shape = [1] * input.ndim
    class_shape[dim] = n_classes
    onehot = safe.reshape(keep_shape) == xp.arange(n_classes).reshape(class_shape)
    q = onehot * (w_target * (1.0 - label_smoothing)).reshape(keep_shape)
    if label_smoothing:
        q = q + w.reshape(class_shape) * (label_smoothing / n_classes) * valid.reshape(keep_shape)
    return q.astype(input.dtype, copy=False), w_target.sum()


# ---------------------------------------------------------------- classification
class SoftmaxCrossEntropy(Function):
    """``-sum_c q_c * log_softmax(x)_c`` along ``dim``, then summed if ``total``.

    ``q`` is a target distribution (rows may carry class weights and need not
    sum to 1). Fusing softmax and the log keeps it stable (log-sum-exp) and
    makes the backward a single expression:
    ``d/dx = (softmax(x) * sum_c q_c - q) * grad``.
    With ``total=False`` the per-sample losses are returned, otherwise their sum.
    """
    def forward(self, x, q, *, dim, total):
        self.dim, self.total = dim, total
        xp = get_array_module(x)
        logp = LogSoftmax.apply(_const(x), dim=dim).data
        # classes with q = 0 contribute nothing, even masked ones (logit -inf: 0 * -inf = nan)
        loss = -(q * xp.where(q == 0, 0, logp)).sum(axis=dim)
        return loss.sum() if total else loss

    def backward(self, grad):
        x, q = self.inputs
        g = grad if self.total else grad.unsqueeze(self.dim)
        gx = gq = None
        if self.needs_input_grad[0]:
            gx = (x.softmax(self.dim) * q.sum(self.dim, keepdim=True) - q) * g
        if self.needs_input_grad[1]:
            gq = -x.log_softmax(self.dim) * g
        return gx, gq


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction='mean', label_smoothing=0.0):
    """Cross entropy between softmax(``input``) and the target classes.

    ``input``: logits of shape (N, C), (N, C, d1, ...) or (C,).
    ``target``: class indices of shape (N,), (N, d1, ...) or () (integers in
    [0, C) or ``ignore_index``), or class probabilities of the input's shape.
    ``weight``: (C,) rescales each class. ``label_smoothing`` in [0, 1] mixes
    the target with the uniform distribution. 'mean' divides by the summed
    weight of the non-ignored targets (class indices) or by N*d1*...
    (probabilities). Returns a scalar, or shape (N, d1, ...) for 'none'.
    """
    reduction = _check_reduction('cross_entropy', reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)      # PyTorch smooths only for values > 0
    dim = _class_dim('cross_entropy', input)
    target = _as_tensor(target, input)
    n_classes = input.shape[dim]
    if target.shape == input.shape and target.dtype.kind == 'f':       # class probabilities
        if ignore_index >= 0:           # a class to ignore has no meaning for probabilities
            raise RuntimeError(f"cross_entropy: ignore_index is not supported for floating point "
                               f"target (got ignore_index={ignore_index})")
        q = target.to(input.dtype)
        if label_smoothing:
            q = q * (1.0 - label_smoothing) + label_smoothing / n_classes
        if weight is not None:
            class_shape = [1] * input.ndim
            class_shape[dim] = n_classes
            q = q * _const(_as_tensor(weight, input).data.astype(input.dtype).reshape(class_shape))
        denom = input.numel() // max(n_classes, 1)
    elif target.shape == input.shape:
        raise RuntimeError(f"cross_entropy: expected a floating point target for class "
                           f"probabilities (target.shape == input.shape == "
                           f"{tuple(input.shape)}), got dtype {target.dtype}")
    else:
        q, denom = _class_targets('cross_entropy', input, target, weight, ignore_index,
                                  label_smoothing)
        q = _const(q)
    loss = SoftmaxCrossEntropy.apply(input, q, dim=dim, total=reduction != 'none')
    return _mean_by(loss, denom) if reduction == 'mean' else loss


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction='mean', ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``: a classifier
    head and its loss in one call.

    ``input``: (N, in_features) or (in_features,); ``linear_weight``:
    (C, in_features), or (C, d1, ..., dK, in_features) for a K-dimensional
    loss (logits (N, C, d1, ..., dK), batched input only); ``linear_bias``:
    (C, d1, ..., dK). ``ignore_index=None`` means -100 for class-index targets
    and may not be given for probability targets. ``options``
    (:class:`~tinygrad_cnn.nn.LinearCrossEntropyOptions`) selects PyTorch's
    memory-saving chunked path; it is accepted and the values are the same,
    but here the logits are always formed in full.
    """
    if not 1 <= input.ndim <= 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, "
                           f"got {input.ndim} (input.shape={tuple(input.shape)})")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with dimensionality at "
                           f"least 2, got {linear_weight.ndim}")
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight last "
                           f"dimensions (in_features), got {in_features} and "
                           f"{linear_weight.shape[-1]}, respectively")
    n_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (n_classes, *out_features):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(n_classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and input.ndim == 1:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by linear_weight "
                           f"shape {tuple(linear_weight.shape)} requires batched input, (N, "
                           f"{in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*input.shape[:-1], n_classes, *out_features)
    target = _as_tensor(target, input)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target "
                           "contains probabilities")
    # (C, d1, ..., in) -> one (C d1 ..., in) matrix; the logits are then unflattened
    n_outputs = math.prod(out_features, start=n_classes)
    logits = linear(input, linear_weight.reshape(n_outputs, in_features),
                    None if linear_bias is None else linear_bias.reshape(n_outputs))
    return cross_entropy(logits.reshape(logits_shape), target, weight=weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction='mean'):
    """Negative log likelihood: ``-weight[y] * input[n, y]`` for log-probabilities ``input``.

    ``input``: (N, C), (N, C, d1, ...) or (C,) log-probabilities (e.g. from
    ``log_softmax``); ``target``: class indices (N,), (N, d1, ...) or ().
    'mean' divides by the summed weight of the non-ignored targets.
    """
    reduction = _check_reduction('nll_loss', reduction, size_average, reduce)
    dim = _class_dim('nll_loss', input)
    q, denom = _class_targets('nll_loss', input, target, weight, ignore_index)
    loss = -(input * _const(q)).sum(dim)
    if reduction == 'none':
        return loss
    return loss.sum() if reduction == 'sum' else _mean_by(loss.sum(), denom)


class BinaryCrossEntropy(Function):
    """``-(y log x + (1 - y) log(1 - x))`` with each log clamped at -100, as PyTorch.

    The clamp keeps the loss finite at x = 0 or 1; the gradient
    ``(x - y) / max(x (1 - x), 1e-12)`` stays finite there too.
    """
    EPS = 1e-12

    def forward(self, x, y):
        xp = get_array_module(x)
        with np.errstate(divide='ignore'):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return -(y * log_x + (1 - y) * log_1mx)

    def backward(self, grad):
        x, y = self.inputs
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = grad * (x - y) / (x * (1 - x)).clamp(min=self.EPS)
        if self.needs_input_grad[1]:
            with np.errstate(divide='ignore'):
                gy = grad * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction='mean'):
    """Binary cross entropy of probabilities ``input`` (in [0, 1]) and ``target`` (same shape).

    ``weight`` rescales each element (broadcast to the input's shape).
    Prefer :func:`binary_cross_entropy_with_logits` on logits: it is stable.
    """
    reduction = _check_reduction('binary_cross_entropy', reduction, size_average, reduce)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy: Using a target size {tuple(target.shape)} that "
                         f"is different to the input size {tuple(input.shape)} is deprecated. "
                         "Please ensure they have the same size.")
    xp = get_array_module(input.data)
    if input.numel() and not bool(xp.all((input.data >= 0) & (input.data <= 1))):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and "
                           f"1 (input.shape={tuple(input.shape)})")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * _const(_as_tensor(weight, input).data.astype(input.dtype))
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """``(1 - y) x - l * log sigmoid(x)`` with ``l = 1 + (pos_weight - 1) y``.

    ``log sigmoid(x) = min(x, 0) - log1p(exp(-|x|))`` never overflows, so any
    logit is fine; the gradient is ``(1 - y) - l (1 - sigmoid(x))``, which is
    ``sigmoid(x) - y`` without ``pos_weight`` (a constant array here).
    """
    def forward(self, x, y, *, pos_weight=None):
        xp = get_array_module(x)
        self.pos_weight = pos_weight
        log_sigmoid = xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))
        if pos_weight is None:
            return (1 - y) * x - log_sigmoid
        return (1 - y) * x - (1 + (pos_weight - 1) * y) * log_sigmoid

    def backward(self, grad):
        x, y = self.inputs
        pw = None if self.pos_weight is None else _const(self.pos_weight)
        gx = gy = None
        if self.needs_input_grad[0]:
            if pw is None:
                gx = grad * (x.sigmoid() - y)
            else:
                gx = grad * ((1 - y) - (1 + (pw - 1) * y) * (1 - x.sigmoid()))
        if self.needs_input_grad[1]:
            # d/dy = -x - (pos_weight - 1) log sigmoid(x); log sigmoid(x) = x - log(1 + e^x)
            log_sigmoid = x.minimum(0) - (-x.abs()).exp().log1p()
            gy = grad * (-x if pw is None else -x - (pw - 1) * log_sigmoid)
        return gx, gy


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction='mean', pos_weight=None):
    """Binary cross entropy of sigmoid(``input``) and ``target`` (same shape), computed stably.

    ``weight`` rescales each element (broadcast to the input's shape);
    ``pos_weight`` (broadcast along the last dim, e.g. one per class)
    weighs the positive targets, trading recall against precision.
    """
    reduction = _check_reduction('binary_cross_entropy_with_logits', reduction, size_average,
                                 reduce)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy_with_logits: Target size {tuple(target.shape)} "
                         f"must be the same as input size {tuple(input.shape)}")
    pw = None
    if pos_weight is not None:
        pw = _as_tensor(pos_weight, input).data.astype(input.dtype)
        try:
            np.broadcast_shapes(pw.shape, input.shape)
        except ValueError:
            raise RuntimeError(f"binary_cross_entropy_with_logits: pos_weight of shape "
                               f"{tuple(pw.shape)} cannot be broadcast to input.shape="
                               f"{tuple(input.shape)}") from None
    loss = BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), pos_weight=pw)
    if weight is not None:
        loss = loss * _const(_as_tensor(weight, input).data.astype(input.dtype))
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False):
    """KL divergence ``sum target * (log target - input)`` for log-probabilities ``input``.

    ``target`` holds probabilities (or log-probabilities with
    ``log_target=True``); ``0 * log 0`` counts as 0. ``'batchmean'`` (sum
    divided by the batch size) is the true KL divergence; ``'mean'``
    divides by the number of elements and warns, as PyTorch.
    """
    reduction = _check_reduction('kl_div', reduction, size_average, reduce,
                                 ('none', 'batchmean', 'mean', 'sum'))
    if reduction == 'mean':
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition.", stacklevel=2)
    target = _as_tensor(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # target * log(target) with 0 log 0 = 0 (PyTorch's xlogy): the log of 1 where target
        # is 0; a negative (invalid) target gives nan, as in PyTorch
        with np.errstate(invalid='ignore'):
            safe = where(target.data != 0, target, 1.0)
            loss = target * safe.log() - target * input
    if reduction == 'batchmean':
        return loss.sum() * (1.0 / input.shape[0]) if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- regression
def _weigh(op, loss, weight, input):
    """``loss * weight`` for an elementwise ``weight`` of the input's shape (or None)."""
    if weight is None:
        return loss
    weight = _as_tensor(weight, input)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size, got weight.shape="
                         f"{tuple(weight.shape)} for input.shape={tuple(input.shape)}")
    return loss * weight


def _weighted_reduce(op, loss, weight, input, reduction):
    """Reduce ``loss * weight``; with a weight, 'mean' divides by ``sum(weight)`` (PyTorch's
    rule for mse_loss and l1_loss)."""
    loss = _weigh(op, loss, weight, input)
    if weight is not None and reduction == 'mean':
        return loss.sum() / _as_tensor(weight, input).sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean squared error ``(input - target)^2``; shapes broadcast (warning if they differ).

    ``weight`` (the input's shape) weighs each element; 'mean' is then the
    weighted mean ``sum(w * d^2) / sum(w)``.
    """
    reduction = _check_reduction('mse_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _warn_if_broadcast('mse_loss', input, target)
    diff = input - target
    return _weighted_reduce('mse_loss', diff * diff, weight, input, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean absolute error ``|input - target|``; ``weight`` as in :func:`mse_loss`."""
    reduction = _check_reduction('l1_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _warn_if_broadcast('l1_loss', input, target)
    return _weighted_reduce('l1_loss', (input - target).abs(), weight, input, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``).

    Quadratic near zero (smooth gradient), linear further out (robust to
    outliers). ``beta=0`` is :func:`l1_loss`.
    """
    reduction = _check_reduction('smooth_l1_loss', reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got "
                           f"{beta}).")
    target = _as_tensor(target, input)
    _warn_if_broadcast('smooth_l1_loss', input, target)
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    diff = input - target
    abs_diff = diff.abs()
    loss = where(abs_diff.data < beta, diff * diff * (0.5 / beta), abs_diff - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction='mean', delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``.

    It equals ``delta * smooth_l1_loss(beta=delta)``: quadratic near zero,
    then linear with slope ``delta``. ``weight`` (the input's shape) weighs
    each element (here 'mean' stays the plain mean, as PyTorch).
    """
    _check_reduction('huber_loss', reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got "
                           f"{delta}).")
    target = _as_tensor(target, input)
    _warn_if_broadcast('huber_loss', input, target)
    diff = input - target
    abs_diff = diff.abs()
    loss = where(abs_diff.data < delta, diff * diff * 0.5, (abs_diff - 0.5 * delta) * delta)
    return _reduce(_weigh('huber_loss', loss, weight, input), reduction)


# ---------------------------------------------------------------- likelihoods of distributions
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction='mean'):
    """Negative log likelihood of counts ``target`` under Poisson(rate) (shapes broadcast).

    With ``log_input`` the input is the log-rate and the loss is
    ``exp(input) - target * input``; otherwise the input is the rate and the
    loss is ``input - target * log(input + eps)``. ``full`` adds Stirling's
    approximation of ``log(target!)``,
    ``target log target - target + 0.5 log(2 pi target)``, for targets > 1
    only (PyTorch's rule; smaller targets add 0, with zero gradient).
    """
    reduction = _check_reduction('poisson_nll_loss', reduction, size_average, reduce)
    target = _as_tensor(target, input)
    if target.dtype.kind != 'f':
        target = target.to(input.dtype)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        above_one = target.data > 1
        safe = where(above_one, target, 1.0)          # log(1) = 0 where the term is dropped
        stirling = safe * safe.log() - safe + 0.5 * (safe * (2 * math.pi)).log()
        loss = loss + where(above_one, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean'):
    """Negative log likelihood of ``target`` under Normal(``input``, ``var``):
    ``0.5 (log var + (input - target)^2 / var)`` (+ ``0.5 log(2 pi)`` with ``full``).

    ``var`` has the input's shape (one variance per prediction), or one dim
    fewer than the input (it gets a trailing 1), or the input's number of
    dims with exactly one dim of size 1 where the input's differs (shared
    variance, e.g. (N, 1) for input (N, D)), or is a Python number. It is
    clamped at ``eps`` for stability; as in PyTorch the gradient passes
    through the clamp. Negative variances raise ValueError.
    """
    if not isinstance(var, Tensor) and np.ndim(var) == 0:
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has negative entry/entries (var={var})")
        var = full_like(input, var)
    else:
        var = _as_tensor(var, input)
        if bool((var.data < 0).any()):
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):         # one variance per sample
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape)
                                                 if i != v) == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: var.shape="
                             f"{tuple(var.shape)} for input.shape={tuple(input.shape)}")
    reduction = _check_reduction('gaussian_nll_loss', reduction)
    target = _as_tensor(target, input)
    var = ClampMinPassGrad.apply(var, min=eps)
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
