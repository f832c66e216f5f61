"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

Each step for a parameter p with gradient g (PyTorch's update)::

    g = -g                                    if maximize
    g = g + weight_decay * p
    v = alpha * v + (1 - alpha) * g^2         running mean of g^2
    a = alpha * a + (1 - alpha) * g           if centered (running mean of g) ...
    d = sqrt(v - a^2) + eps                   ... then divide by the running std
    d = sqrt(v) + eps                         otherwise
    b = momentum * b + g / d; p = p - lr * b  if momentum > 0
    p = p - lr * g / d                        otherwise

Unlike Adagrad's ever-growing sum, the running mean forgets old gradients,
so the steps do not shrink to zero.
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['RMSprop']


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, capturable=False, foreach=None, maximize=False, differentiable=False)``.

    ``capturable``/``foreach`` select PyTorch kernels and change nothing here (see
    ``Optimizer``)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_hyperparameters('RMSprop', lr=lr, eps=eps, momentum=momentum,
                              weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group['lr']), float(group['alpha']), float(group['eps'])
            weight_decay, momentum = float(group['weight_decay']), float(group['momentum'])
            for p, param, grad in self._gradients(group, weight_decay):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['square_avg'] = zeros_like(p)
                    if momentum > 0:
                        state['momentum_buffer'] = zeros_like(p)
                    if group['centered']:
                        state['grad_avg'] = zeros_like(p)
                state['step'].data += 1
                xp = get_array_module(param)
                square_avg = state['square_avg'].data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if group['centered']:
                    grad_avg = state['grad_avg'].data
                    grad_avg += (1 - alpha) * (grad - grad_avg)
                    avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
                else:
                    avg = xp.sqrt(square_avg) + eps
                if momentum > 0:
                    buf = state['momentum_buffer'].data
                    buf *= momentum
                    buf += grad / avg
                    param -= lr * buf
                else:
                    param -= lr * grad / avg
        return loss
