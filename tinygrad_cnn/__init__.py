"""tinygrad_cnn: a small, readable deep-learning framework on numpy, PyTorch's way.

``import tinygrad_cnn as tg`` gives the Tensor, its factories and functions,
autograd controls and the finite-difference checks; ``tg.nn``, ``tg.optim``,
``tg.data``, ``tg.viz`` and ``tg.models`` hold the rest.
"""
import numpy as _np

from . import autograd  # noqa: F401 - the re-exports below are this module's purpose
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,  # noqa: F401
                       no_grad, set_grad_enabled)
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401
from .backend import cuda_is_available  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
autograd.gradcheck, autograd.gradgradcheck = gradcheck, gradgradcheck   # as torch.autograd's
from .printing import get_printoptions, printoptions, set_printoptions  # noqa: F401
from .dtypes import finfo, iinfo  # noqa: F401
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: F401
                     seed, set_rng_state)
from .sampling import bernoulli, multinomial, normal, poisson, randint_like  # noqa: F401
from .tensor import (Tensor, arange, as_tensor, cat, chunk, clamp, concat, concatenate, empty,  # noqa: F401
                     empty_like, eye, from_numpy, full, full_like, get_default_dtype, is_tensor,
                     linspace, logspace, maximum, minimum, ones, ones_like, rand, rand_like, randint, randn,
                     randn_like, randperm, set_default_dtype, split, stack, tensor, where, zeros,
                     zeros_like, pow)
from .tensor_math import corrcoef, cov, einsum, float_power, tensordot, xlogy  # noqa: F401
from .tensor_index import (atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_shapes,  # noqa: F401
                           broadcast_tensors, broadcast_to, bucketize, cartesian_prod, column_stack,
                           combinations, dstack, hstack, isin, meshgrid, repeat_interleave,
                           row_stack, searchsorted, std_mean, tril_indices, triu_indices, var_mean,
                           vstack)

__version__ = '0.1.0'

# dtypes under PyTorch's names. They are numpy's dtype objects, the very objects a tensor's
# ``.dtype`` returns, so ``x.dtype == tg.float32``, ``x.dtype is tg.float32`` and dict/set
# lookups (``{tg.float32: ...}[x.dtype]``) all work as with torch's dtypes.
float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)    # noqa: A001 - PyTorch's name
float64 = double = _np.dtype(_np.float64)
complex64 = cfloat = _np.dtype(_np.complex64)
complex128 = cdouble = _np.dtype(_np.complex128)
int8, int16, uint8 = _np.dtype(_np.int8), _np.dtype(_np.int16), _np.dtype(_np.uint8)
int32 = int = _np.dtype(_np.int32)          # noqa: A001
int64 = long = _np.dtype(_np.int64)
bool = _np.dtype(_np.bool_)                 # noqa: A001


def _function_form(name):
    def f(input, *args, **kwargs):
        if not isinstance(input, Tensor) and hasattr(input, '__array__'):
            input = Tensor(input)      # torch.max(out.data, 1), where .data is an array here
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
              'diff is_floating_point is_nonzero is_same_size is_inference nelement sum_to_size '
              # indexing, shape and selection (tensor_index.py)
              'scatter scatter_add scatter_reduce index_add index_copy index_fill index_put put '
              'masked_select masked_scatter take take_along_dim select nonzero argwhere tril triu '
              'diag diagonal diag_embed diagflat trace movedim moveaxis swapdims fliplr flipud rot90 '
              'tile tensor_split hsplit vsplit dsplit ravel narrow_copy split_with_sizes kron cross '
              'unique unique_consecutive bincount histc cummax cummin logcumsumexp kthvalue mode '
              'nanmedian quantile nanquantile aminmax select_scatter slice_scatter diagonal_scatter '
              'index_reduce msort '
              # the math of tensor_math.py, and in-place forms PyTorch also has as functions
              'tan asin acos atan sinh cosh asinh acosh atanh atan2 arcsin arccos arctan arctan2 '
              'arcsinh arccosh arctanh erf erfc erfinv exp2 log2 log10 logaddexp logaddexp2 hypot '
              'lerp addcmul addcdiv addmm addmv addr baddbmm addbmm mv outer ger inner vdot '
              'logit sinc frac fmod copysign nan_to_num deg2rad rad2deg clip sgn signbit '
              'fmax fmin heaviside logical_and logical_or logical_xor logical_not bitwise_and '
              'bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift isclose '
              'isneginf isposinf isreal greater greater_equal less less_equal not_equal true_divide '
              'absolute positive fix abs_ acos_ asin_ atan_ ceil_ clamp_ clip_ cos_ cosh_ deg2rad_ '
              'erf_ erfc_ exp_ exp2_ expm1_ fix_ floor_ frac_ log_ log10_ log1p_ log2_ logit_ '
              'nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ '
              'sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ arccos_ arcsin_ arctan_').split():
    globals()[_name] = _function_form(_name)
del _name


def compile(model=None, **kwargs):     # noqa: A001 - PyTorch's name
    """``torch.compile``'s call, doing nothing: returns ``model`` (a module or function)
    unchanged, since operations run eagerly on numpy; ``tg.compile(mode=...)`` with no model
    returns a decorator that does the same."""
    return (lambda m: m) if model is None else model


def typename(obj):
    """PyTorch's type name of ``obj``: ``'torch.FloatTensor'`` for a float32 Tensor, else the
    qualified name of its type (``'int'``, ``'collections.OrderedDict'``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, '__module__', '') or ''
    qualname = getattr(obj, '__qualname__', None) or getattr(obj, '__name__', None)
    if qualname is None:
        module, qualname = type(obj).__module__ or '', type(obj).__qualname__
    return qualname if module in ('', 'builtins') else f"{module}.{qualname}"

# the subpackages, so that ``tg.nn``, ``tg.optim``, ... work after ``import tinygrad_cnn as tg``
from . import data, models, nn, optim, viz  # noqa: E402,F401
from . import func, utils  # noqa: E402,F401
from . import backends, cuda  # noqa: E402,F401 - torch.cuda, torch.backends
from .devices import device  # noqa: E402,F401
from .tensortype import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,  # noqa: E402,F401
                         HalfTensor, IntTensor, LongTensor, ShortTensor)
from .serialization import load, save  # noqa: E402,F401
from .summary import ModelSummary, summary  # noqa: E402,F401
from .nn.functional.distance import cdist, dist  # noqa: E402,F401
