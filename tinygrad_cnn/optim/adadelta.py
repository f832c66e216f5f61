"""Adadelta: Adagrad's per-weight scaling, with running averages and no global step size.

Each step for a parameter p with gradient g (PyTorch's update)::

    g = -g                                    if maximize
    g = g + weight_decay * p
    v = rho * v + (1 - rho) * g^2             running mean of g^2       ('square_avg')
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta^2         running mean of updates^2 ('acc_delta')
    p = p - lr * delta

The ratio of the two root-mean-squares has the units of ``p`` (Zeiler 2012),
so the method works with ``lr=1`` and no tuning of a step size.
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['Adadelta']


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
    capturable=False, maximize=False, differentiable=False)``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_hyperparameters('Adadelta', lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho}")
        check_hyperparameters('Adadelta', eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group['lr']), float(group['rho']), float(group['eps'])
            for p, param, grad in self._gradients(group, float(group['weight_decay'])):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['square_avg'] = zeros_like(p)
                    state['acc_delta'] = zeros_like(p)
                state['step'].data += 1
                xp = get_array_module(param)
                square_avg, acc_delta = state['square_avg'].data, state['acc_delta'].data
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                param -= lr * delta
        return loss
