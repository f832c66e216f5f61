"""NAdam: Adam with Nesterov momentum (Dozat 2016), with a momentum schedule.

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                  if maximize
    p = p * (1 - lr * weight_decay)         if decoupled_weight_decay (as AdamW)
    g = g + weight_decay * p                otherwise
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))    momentum, warming up
    P_t = mu_1 * ... * mu_t                                 ('mu_product')
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    d = sqrt(v / (1 - beta2^t)) + eps
    p = p - lr * (1 - mu_t) / (1 - P_t) * g / d
          - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

The Nesterov look-ahead uses the *next* step's momentum ``mu_{t+1}`` on the
running average and the current gradient directly.
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['NAdam']


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
    capturable=False, differentiable=False)``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_hyperparameters('NAdam', lr=lr, eps=eps, betas=betas, weight_decay=weight_decay,
                              momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group['lr']), float(group['eps'])
            beta1, beta2 = map(float, group['betas'])
            weight_decay = float(group['weight_decay'])
            momentum_decay = float(group['momentum_decay'])
            for p, param, grad in self._gradients(group, weight_decay,
                                                  decoupled=group['decoupled_weight_decay']):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    # a float32 scalar in PyTorch, so its rounding is part of the update
                    state['mu_product'] = tensor(1.0)
                    state['exp_avg'] = zeros_like(p)
                    state['exp_avg_sq'] = zeros_like(p)
                state['step'].data += 1
                step = state['step'].item()
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                state['mu_product'].data *= mu
                mu_product = state['mu_product'].item()
                exp_avg, exp_avg_sq = state['exp_avg'].data, state['exp_avg_sq'].data
                exp_avg += (1 - beta1) * (grad - exp_avg)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                denom = get_array_module(param).sqrt(exp_avg_sq / (1 - beta2 ** step)) + eps
                param -= lr * (1.0 - mu) / (1.0 - mu_product) * grad / denom
                param -= lr * mu_next / (1.0 - mu_product * mu_next) * exp_avg / denom
        return loss
