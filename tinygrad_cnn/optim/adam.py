"""Adam: per-parameter step sizes from running averages of the gradient and its square.

Each step t = 1, 2, ... for a parameter p with gradient g (PyTorch's update)::

    g = -g                                  if maximize
    p = p * (1 - lr * weight_decay)         if decoupled_weight_decay (AdamW)
    g = g + weight_decay * p                otherwise (L2 penalty in the gradient)
    m = beta1 * m + (1 - beta1) * g         first moment  (as m += (1 - beta1)(g - m))
    v = beta2 * v + (1 - beta2) * g^2       second moment
    v_max = max(v_max, v)                   if amsgrad; then v_max replaces v below
    m_hat = m / (1 - beta1^t)               bias correction: m, v start at 0
    v_hat = v / (1 - beta2^t)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Dividing by sqrt(v) gives every weight a step of about ``lr`` whatever the
scale of its gradient.
"""
from ..backend import get_array_module
from ..tensor import tensor, zeros_like
from .optimizer import Optimizer, check_hyperparameters

__all__ = ['Adam']


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False)``.

    ``foreach``/``capturable``/``fused`` select PyTorch kernels and change nothing here (see
    ``Optimizer``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        name = type(self).__name__
        check_hyperparameters(name, lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            # Python floats keep float32 arrays float32 (NEP 50); numpy float64 scalars would not
            lr, eps = float(group['lr']), float(group['eps'])
            weight_decay = float(group['weight_decay'])
            beta1, beta2 = map(float, group['betas'])
            # AdamW shrinks the weights directly; Adam adds an L2 penalty to the gradient
            for p, param, grad in self._gradients(group, weight_decay,
                                                  decoupled=group['decoupled_weight_decay']):
                state = self.state[p]
                if not state:
                    state['step'] = tensor(0.0)
                    state['exp_avg'] = zeros_like(p)
                    state['exp_avg_sq'] = zeros_like(p)
                    if group['amsgrad']:
                        state['max_exp_avg_sq'] = zeros_like(p)
                state['step'].data += 1
                step = state['step'].item()
                exp_avg, exp_avg_sq = state['exp_avg'].data, state['exp_avg_sq'].data
                exp_avg += (1 - beta1) * (grad - exp_avg)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                xp = get_array_module(param)
                if group['amsgrad']:     # normalise by the largest second moment seen so far
                    exp_avg_sq = xp.maximum(state['max_exp_avg_sq'].data, exp_avg_sq,
                                            out=state['max_exp_avg_sq'].data)
                denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
                param -= (lr / bias_correction1) * exp_avg / denom
        return loss

