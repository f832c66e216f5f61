"""Random sampling from distributions given by Tensors: ``tg.bernoulli``,
``tg.multinomial``, ``tg.normal``, ``tg.poisson``, ``tg.randint_like``.

Every function takes ``generator=`` (a ``tg.Generator``; None draws from the
global one). As in PyTorch, samples carry a ``grad_fn`` when their parameters
require grad, but their gradient is zero: a sample does not change smoothly with
its distribution's parameters (use ``mean + std * tg.randn_like(std)`` for a
reparameterised, differentiable sample).
"""
import numpy as np

from .autograd import Function
from .backend import to_device, to_numpy
from .random import get_rng
from .tensor import Tensor, _shape_arg, _to_like, get_default_dtype, randint, zeros_like


class _Sample(Function):
    """A sample drawn by ``draw(*arrays)``; its gradient w.r.t. every input is zero."""

    def forward(self, *arrays, draw):
        return draw(*arrays)

    def backward(self, grad):
        return tuple(None if t is None else zeros_like(t) for t in self.inputs)


class Bernoulli(_Sample):
    """The node of ``tg.bernoulli`` (``grad_fn=<BernoulliBackward0>``)."""


class Normal(_Sample):
    """The node of ``tg.normal`` (``grad_fn=<NormalBackward0>``)."""


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples, 1 with probability ``input`` (or with the float ``p``), same shape and
    dtype as ``input``, which must be floating with values in [0, 1]."""
    if input.dtype.kind != 'f':
        raise NotImplementedError(f"bernoulli: not implemented for dtype {input.dtype}; "
                                  "probabilities must be floating point")
    rng = get_rng(generator)
    if p is not None:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli: expected 0 <= p <= 1, got p={p}")
        return Tensor._make(_to_like(rng.random(input.shape) < p, input.data), False, None)
    probs = to_numpy(input.data)
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1] (0 <= p <= 1)")
    return Bernoulli.apply(input, draw=lambda a: _to_like(rng.random(a.shape) < probs, a))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the categories whose weights are ``input``'s last dim.

    Args:
        input: non-negative weights (need not sum to 1), shape (C,) or (N, C).
        num_samples: samples per row; without ``replacement`` at most C.
        replacement: draw with replacement; without, each index appears at most once
            (drawn one after another in proportion to the remaining weights).
    Returns:
        int64 Tensor of shape (num_samples,) or (N, num_samples).
    """
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{tuple(input.shape)}")
    if input.dtype.kind != 'f':
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, "
                           f"got: {input.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    w = to_numpy(input.data).astype(np.float64).reshape(-1, input.shape[-1])
    if not replacement and num_samples > w.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {w.shape[1]})")
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    total = w.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    rng = get_rng(generator)
    if replacement:       # inverse CDF: the first category whose cumulative weight passes u
        cdf = np.cumsum(w / total, axis=1)
        u = rng.random((w.shape[0], num_samples))
        idx = np.stack([np.searchsorted(c, ui, side='right') for c, ui in zip(cdf, u)])
        idx = np.minimum(idx, w.shape[1] - 1)          # guard against rounding of the last cdf
    else:                 # PyTorch's way: the top num_samples of w / Exp(1) noise
        keys = w / rng.exponential(size=w.shape)
        idx = np.argsort(-keys, axis=1, kind='stable')[:, :num_samples]
    idx = idx.astype(np.int64).reshape(input.shape[:-1] + (num_samples,))
    return Tensor._make(to_device(idx, input.device), False, None)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples, as ``torch.normal``'s overloads:

    - ``normal(mean: Tensor, std: Tensor)``: one sample per (broadcast) element pair;
    - ``normal(mean: Tensor, std=1.0)`` / ``normal(mean: float, std: Tensor)``;
    - ``normal(mean: float, std: float, size)``: a new Tensor of shape ``size``.
    """
    rng = get_rng(generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: with float mean and std, the argument 'size' is required")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        t = Tensor(rng.normal(mean, std, _shape_arg((size,))).astype(dtype), device=device)
        return t.requires_grad_(True) if requires_grad else t
    if size is not None:
        raise TypeError("normal: 'size' is only accepted with float mean and std")
    ref = mean if isinstance(mean, Tensor) else std
    m = mean if isinstance(mean, Tensor) else None
    s = std if isinstance(std, Tensor) else None
    if s is None and std < 0 or s is not None and (to_numpy(s.data) < 0).any():
        raise RuntimeError(f"normal expects all elements of std >= 0.0 (got std {std})")
    shape = np.broadcast_shapes(*(t.shape for t in (m, s) if t is not None))

    def draw(m_arr, s_arr):
        mu = mean if m_arr is None else to_numpy(m_arr)
        sigma = std if s_arr is None else to_numpy(s_arr)
        return _to_like(rng.normal(mu, sigma, shape), ref.data)
    return Normal.apply(m, s, draw=draw)


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (same shape and dtype)."""
    rates = to_numpy(input.data)
    if (rates < 0).any():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return Tensor._make(_to_like(get_rng(generator).poisson(rates), input.data), False, None)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False):
    """``randint`` with the shape (and, by default, dtype and device) of ``input``:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=input.dtype if dtype is None else dtype,
                   device=input.device if device is None else device, requires_grad=requires_grad)
