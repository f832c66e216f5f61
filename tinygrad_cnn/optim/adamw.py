"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter).

Adam's L2 penalty goes through the adaptive scaling, so weights with large
gradients are barely decayed. AdamW instead shrinks every weight directly,
``p = p * (1 - lr * weight_decay)``, before the Adam step — the same as
``Adam(..., decoupled_weight_decay=True)``, with weight decay on by default.
"""
from .adam import Adam

__all__ = ['AdamW']


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:     # AdamW always decouples, whatever was saved
            group['decoupled_weight_decay'] = True
