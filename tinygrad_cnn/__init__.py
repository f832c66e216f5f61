"""tinygrad_cnn: a small, readable deep-learning framework on numpy, PyTorch's way.

``import tinygrad_cnn as tg`` gives the Tensor, its factories and functions,
autograd controls and the finite-difference checks; ``tg.nn``, ``tg.optim``,
``tg.data``, ``tg.viz`` and ``tg.models`` hold the rest.
"""
import numpy as _np

from . import autograd  # noqa: F401 - the re-exports below are this module's purpose
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .backend import cuda_is_available  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
from .random import get_rng_state, manual_seed, set_rng_state  # noqa: F401
from .tensor import (Tensor, arange, as_tensor, cat, chunk, clamp, concat, concatenate, empty,  # noqa: F401
                     empty_like, eye, from_numpy, full, full_like, get_default_dtype, is_tensor,
                     linspace, maximum, minimum, ones, ones_like, rand, rand_like, randint, randn,
                     randn_like, randperm, set_default_dtype, split, stack, tensor, where, zeros,
                     zeros_like, pow)

__version__ = '0.1.0'

# dtypes under PyTorch's names (they are numpy's scalar types)
float16 = half = _np.float16
float32 = float = _np.float32    # noqa: A001 - PyTorch's name
float64 = double = _np.float64
int8, int16, uint8 = _np.int8, _np.int16, _np.uint8
int32 = int = _np.int32          # noqa: A001
int64 = long = _np.int64
bool = _np.bool_                 # noqa: A001


def _function_form(name):
    def f(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``tg.{name}(x, ...)`` is ``x.{name}(...)`` (see :class:`Tensor`)."
    return f


# function forms of Tensor methods, as in PyTorch: tg.exp(x) is x.exp()
for _name in ('add sub mul div reciprocal exp log sqrt rsqrt sin cos tanh sigmoid relu abs square log1p expm1 sum mean '
              'var std prod max min amax amin argmax argmin logsumexp softmax log_softmax norm '
              'reshape flatten unflatten squeeze unsqueeze permute transpose t expand repeat flip '
              'narrow unbind matmul mm bmm dot gather index_select masked_fill numel sign floor '
              'ceil round trunc isnan isfinite isinf allclose equal all any detach clone neg negative '
              'eq ne lt le gt ge remainder floor_divide clamp_min clamp_max swapaxes divide multiply '
              'subtract sort argsort topk cumsum cumprod median nansum nanmean count_nonzero roll '
              'diff').split():
    globals()[_name] = _function_form(_name)
del _name

# the subpackages, so that ``tg.nn``, ``tg.optim``, ... work after ``import tinygrad_cnn as tg``
from . import data, models, nn, optim, viz  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401
from .summary import ModelSummary, summary  # noqa: E402,F401
