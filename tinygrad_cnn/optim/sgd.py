"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

Each step, for a parameter p with gradient g (PyTorch's update, step for step)::

    g = -g                          if maximize
    g = g + weight_decay * p        (L2 penalty, folded into the gradient)
    b = g                           on the first step, then
    b = momentum * b + (1 - dampening) * g
    g = g + momentum * b            if nesterov, else g = b
    p = p - lr * g

Momentum averages the gradient over steps: it keeps moving through flat
regions and damps the zig-zag across narrow valleys.
"""
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ['SGD']


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None)``.

    ``foreach``/``fused`` select PyTorch kernels and change nothing here (see ``Optimizer``)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"SGD: Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"SGD: Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            # Python floats keep float32 arrays float32 (NEP 50); numpy float64 scalars would not
            lr, momentum = float(group['lr']), float(group['momentum'])
            dampening, weight_decay = float(group['dampening']), float(group['weight_decay'])
            for p, param, grad in self._gradients(group, weight_decay):
                if momentum != 0:
                    state = self.state[p]
                    if state.get('momentum_buffer') is None:
                        state['momentum_buffer'] = Tensor(grad.copy())
                        buf = state['momentum_buffer'].data
                    else:
                        buf = state['momentum_buffer'].data
                        buf *= momentum
                        buf += (1 - dampening) * grad
                    grad = grad + momentum * buf if group['nesterov'] else buf
                param -= lr * grad
        return loss
