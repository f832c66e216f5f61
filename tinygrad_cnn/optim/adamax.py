"""Adamax: Adam with the infinity norm of past gradients in place of their root-mean-square.

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                  if maximize
    g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g         first moment             ('exp_avg')
    u = max(beta2 * u, |g| + eps)           decaying max of |g|      ('exp_inf')
    p = p - lr / (1 - beta1^t) * m / u

The max needs no bias correction and is robust to rare huge gradients
(Kingma & Ba 2015, section 7.1).
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['Adamax']


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
    maximize=False, differentiable=False, capturable=False)``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_hyperparameters('Adamax', lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group['lr']), float(group['eps'])
            beta1, beta2 = map(float, group['betas'])
            for p, param, grad in self._gradients(group, float(group['weight_decay'])):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['exp_avg'] = zeros_like(p)
                    state['exp_inf'] = zeros_like(p)
                state['step'].data += 1
                step = state['step'].item()
                xp = get_array_module(param)
                exp_avg, exp_inf = state['exp_avg'].data, state['exp_inf'].data
                exp_avg += (1 - beta1) * (grad - exp_avg)
                exp_inf *= beta2
                xp.maximum(exp_inf, xp.abs(grad) + eps, out=exp_inf)
                param -= lr / (1 - beta1 ** step) * exp_avg / exp_inf
        return loss
