"""RAdam: Adam whose adaptive step is switched on gradually ("rectified", Liu et al. 2020).

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                  if maximize
    p = p * (1 - lr * weight_decay)         if decoupled_weight_decay (as AdamW)
    g = g + weight_decay * p                otherwise
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
    m_hat = m / (1 - beta1^t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)      length of the approximated SMA
    if rho_t > 5:
        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p = p - lr * m_hat * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
    else:
        p = p - lr * m_hat                  (plain momentum SGD while v is unreliable)

Early on, the variance of Adam's adaptive step is large; the rectifier ``r``
replaces a hand-tuned warm-up.
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['RAdam']


class RAdam(Optimizer):
    """``RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False)``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_hyperparameters('RAdam', lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group['lr']), float(group['eps'])
            beta1, beta2 = map(float, group['betas'])
            weight_decay = float(group['weight_decay'])
            for p, param, grad in self._gradients(group, weight_decay,
                                                  decoupled=group['decoupled_weight_decay']):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['exp_avg'] = zeros_like(p)
                    state['exp_avg_sq'] = zeros_like(p)
                state['step'].data += 1
                step = state['step'].item()
                exp_avg, exp_avg_sq = state['exp_avg'].data, state['exp_avg_sq'].data
                exp_avg += (1 - beta1) * (grad - exp_avg)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / (1 - beta1 ** step)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive_lr = bias_correction2 ** 0.5 / (
                        get_array_module(param).sqrt(exp_avg_sq) + eps)
                    param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
                else:
                    param -= bias_corrected_exp_avg * lr
        return loss
