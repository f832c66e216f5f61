"""``Parameter``: a Tensor that a Module registers as one of its weights.

A Parameter is an ordinary leaf Tensor with ``requires_grad=True`` by default.
Its only job is to be recognised: assigning one to a Module attribute
(``self.weight = Parameter(...)``) registers it, so ``parameters()``,
``state_dict()`` and the optimisers find it.
"""
import numpy as np

from ..tensor import Tensor, get_default_dtype


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``: shares memory with ``data``
    (a Tensor or array), as ``torch.nn.Parameter`` does."""
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()
