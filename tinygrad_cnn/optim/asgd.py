"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky 1992).

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                    if maximize
    g = g + weight_decay * p
    p = p * (1 - lambd * eta)                 decay term
    p = p - eta * g
    ax = p                                    while mu == 1 (t <= t0) ...
    ax = ax + mu * (p - ax)                   ... then a running average of the iterates
    eta = lr / (1 + lambd * lr * t)^alpha     step size for the next step
    mu = 1 / max(1, t - t0)

The parameters follow plain SGD; ``optimizer.state[p]['ax']`` is the
average of the iterates since step ``t0``, which converges faster in theory
(copy it into the model for evaluation). ``eta`` and ``mu`` are float32
scalars, as in PyTorch.
"""
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['ASGD']


class ASGD(Optimizer):
    """``ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
    maximize=False, differentiable=False, capturable=False)``."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_hyperparameters('ASGD', lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lambd = float(group['lr']), float(group['lambd'])
            alpha, t0 = float(group['alpha']), float(group['t0'])
            for p, param, grad in self._gradients(group, float(group['weight_decay'])):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['eta'] = tensor(lr)
                    state['mu'] = tensor(1.0)
                    state['ax'] = zeros_like(p)
                state['step'].data += 1
                step = state['step'].item()
                eta, mu = state['eta'].item(), state['mu'].item()
                param *= 1 - lambd * eta
                param -= eta * grad
                ax = state['ax'].data
                if mu != 1:
                    ax += (param - ax) * mu
                else:
                    ax[...] = param
                state['eta'].data[...] = lr / (1 + lambd * lr * step) ** alpha
                state['mu'].data[...] = 1 / max(1, step - t0)
        return loss
