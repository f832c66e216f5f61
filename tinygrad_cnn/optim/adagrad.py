"""Adagrad: each weight's step shrinks with the sum of its squared gradients so far.

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                 if maximize
    g = g + weight_decay * p
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s = s + g^2                            (s starts at initial_accumulator_value)
    p = p - lr_t * g / (sqrt(s) + eps)

Rarely updated weights (rare features) keep large steps; since ``s`` only
grows, the steps of all weights decay over training.
"""
from ..backend import get_array_module
from ..tensor import full_like, tensor
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['Adagrad']


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None)``.

    ``foreach``/``fused`` select PyTorch kernels and change nothing here (see ``Optimizer``)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_hyperparameters('Adagrad', lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # as PyTorch, the state exists from the start (so state_dict() has it before any step)
        for group in self.param_groups:
            for p in group['params']:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state['step'] = tensor(0.0)
        # PyTorch starts every sum at the constructor's value, even in groups that set their own
        state['sum'] = full_like(p, float(self.defaults['initial_accumulator_value']))
        return state

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group['lr']), float(group['lr_decay']), float(group['eps'])
            weight_decay = float(group['weight_decay'])
            for p, param, grad in self._gradients(group, weight_decay):
                state = self.state[p] or self._init_state(p)     # a group added later
                state['step'].data += 1
                step = state['step'].item()
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state['sum'].data
                state_sum += grad * grad
                std = get_array_module(param).sqrt(state_sum) + eps
                param -= clr * grad / std
        return loss
