"""Gradient clipping: keep one bad batch from throwing the weights far away.

``clip_grad_norm_`` rescales all gradients together so that their joint norm
(the norm of all gradients concatenated into one vector) is at most
``max_norm``, keeping the update's direction; ``clip_grad_value_`` clamps
each gradient element to ``[-clip_value, clip_value]``. Both change ``.grad``
in place; call them between ``loss.backward()`` and ``optimizer.step()``.
"""
import math

from ...autograd import no_grad
from ...backend import get_array_module
from ...tensor import Tensor, cat, stack, tensor

__all__ = ['clip_grad_norm_', 'clip_grad_value_', 'get_total_norm', 'clip_grads_with_norm_',
           'parameters_to_vector', 'vector_to_parameters']


def _grads(parameters):
    """The ``.grad`` Tensors of ``parameters`` (a Tensor or an iterable), skipping None."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as a 0-d Tensor (0 for none).

    It is the norm of the per-tensor norms, so nothing is concatenated. ``foreach`` (here
    and below) is accepted for PyTorch compatibility; there is one implementation.
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        norms = stack([t.detach().norm(norm_type) for t in tensors])
        total = norms.amax() if norm_type == math.inf else norms.norm(norm_type)
    if error_if_nonfinite and not bool(get_array_module(total.data).isfinite(total.data)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite ({total.item()}), so it cannot be "
                           "clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def _scale(grads, max_norm, total_norm):
    # always multiply (by at most 1), as PyTorch: a nan norm then shows up in the gradients
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` where that is below 1."""
    _scale(_grads(parameters), max_norm, total_norm)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` so their joint norm is at most ``max_norm``.

    ``norm_type``: 2 (default), 1, any p, or ``float('inf')`` (largest |g|).
    Returns the total norm *before* clipping, as a 0-d Tensor (worth
    logging: spikes reveal instabilities).
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    _scale(grads, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-d Tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Make ``parameters`` (in order) views of consecutive slices of the 1-d ``vec``.

    As in PyTorch each parameter's data becomes the slice itself (sharing memory with
    ``vec``, in ``vec``'s dtype); elements of ``vec`` past the parameters' total are unused.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() < total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-d vec of at least {total} "
                           f"elements (the parameters' total), got shape {tuple(vec.shape)}")
    start = 0
    for p in parameters:
        n = p.numel()
        p.data = vec.data[start:start + n].reshape(p.shape)
        start += n
