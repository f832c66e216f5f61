"""Rprop: resilient backpropagation (Riedmiller & Braun 1993) — steps by the gradient's sign.

Each weight has its own step size, adapted from the signs of successive
gradients (PyTorch's update)::

    g = -g                                    if maximize
    s = sign(g * g_prev)
    step_size = clamp(step_size * etaplus,  *step_sizes)  where s > 0 (same direction: speed up)
    step_size = clamp(step_size * etaminus, *step_sizes)  where s < 0 (overshot: slow down ...)
    g = 0                                                 where s < 0 (... and skip this step)
    p = p - sign(g) * step_size
    g_prev = g                                            ('prev')

Step sizes start at ``lr``. The gradient's magnitude is ignored, so Rprop
suits full-batch training; with noisy mini-batch gradients the signs flip
at random.
"""
from ..backend import get_array_module
from ..tensor import full_like, tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['Rprop']


class Rprop(Optimizer):
    """``Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
    foreach=None, maximize=False, differentiable=False)``."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_hyperparameters('Rprop', lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            etaminus, etaplus = map(float, group['etas'])
            step_size_min, step_size_max = map(float, group['step_sizes'])
            for p, param, grad in self._gradients(group):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['prev'] = zeros_like(p)
                    state['step_size'] = full_like(p, float(group['lr']))
                state['step'].data += 1
                xp = get_array_module(param)
                prev, step_size = state['prev'].data, state['step_size'].data
                sign = xp.sign(grad * prev)
                # the factors in the parameter's dtype, as PyTorch writes them into `sign`
                factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0))
                factor = factor.astype(param.dtype)
                step_size *= factor
                xp.clip(step_size, step_size_min, step_size_max, out=step_size)
                grad = xp.where(sign < 0, 0, grad).astype(param.dtype)
                param -= xp.sign(grad) * step_size
                prev[...] = grad
        return loss
