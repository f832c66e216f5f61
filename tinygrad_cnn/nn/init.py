"""Weight initialisers (``torch.nn.init``): fill a Tensor in place and return it.

All of them work under ``no_grad`` on the Tensor's data, keep its dtype and
device, and draw from the global generator (``tg.manual_seed`` makes them
reproducible) or from the ``generator=`` given (a ``tg.Generator``). The
variance-scaling rules keep the variance of activations (``fan_in``) or of
gradients (``fan_out``) roughly constant from layer to layer:
Glorot & Bengio (2010) for ``xavier_*``, He et al. (2015) for ``kaiming_*``.
"""
import math
import warnings

import numpy as np

from ..autograd import no_grad
from ..random import get_rng

__all__ = ['calculate_gain', 'uniform_', 'normal_', 'trunc_normal_', 'constant_', 'ones_',
           'zeros_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_',
           'kaiming_normal_', 'orthogonal_', 'sparse_']

_LINEAR = ('linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
           'conv_transpose3d', 'sigmoid')


def calculate_gain(nonlinearity, param=None):
    """The factor by which ``nonlinearity`` shrinks the standard deviation, to undo in init.

    ``linear``/``conv*``/``sigmoid``: 1, ``tanh``: 5/3, ``relu``: sqrt(2),
    ``leaky_relu``: sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01),
    ``selu``: 3/4.
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * k and out * k."""
    if tensor.ndim < 2:
        raise ValueError(f"init: fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (shape {tuple(tensor.shape)})")
    receptive = int(np.prod(tensor.shape[2:]))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ('fan_in', 'fan_out'):
        raise ValueError(f"init: mode {mode!r} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == 'fan_in' else fan_out


@no_grad()
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    return tensor.uniform_(a, b, generator=generator)


@no_grad()
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    return tensor.normal_(mean, std, generator=generator)


def _normal_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


@no_grad()
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) restricted to [a, b], by rejection sampling.

    When [a, b] holds most of the mass (over 30%), normal draws outside it are redrawn;
    otherwise uniform draws in [a, b] are kept with probability pdf(x) / max pdf on [a, b],
    which stays fast even for an interval far out in the tail.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=3)
    rng = get_rng(generator)
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass > 0.3:
        def draw(shape):
            return rng.normal(mean, std, shape)

        def rejected(x):
            return (x < a) | (x > b)
    else:
        mode = max(a, min(mean, b))             # where the pdf peaks on [a, b]
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def draw(shape):
            return rng.uniform(a, b, shape)

        def rejected(x):
            return np.log(rng.random(x.shape)) > -0.5 * ((x - mean) / std) ** 2 - log_peak
    values = draw(tensor.shape)
    bad = rejected(values)
    while bad.any():
        values[bad] = draw(int(bad.sum()))
        bad[bad] = rejected(values[bad])
    return tensor.copy_(values)


@no_grad()
def constant_(tensor, val):
    """Fill with the constant ``val``."""
    return tensor.fill_(val)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


@no_grad()
def eye_(tensor):
    """Fill the 2-d ``tensor`` (rows, cols) with the identity: ones on the main diagonal.

    A Linear layer so initialised passes its first min(rows, cols) inputs through.
    """
    if tensor.ndim != 2:
        raise ValueError(f"eye_: Only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return tensor.copy_(np.eye(*tensor.shape))


@no_grad()
def dirac_(tensor, groups=1):
    """Fill the 3-, 4- or 5-d conv weight (out, in/groups, *kernel) with the Dirac delta.

    Each of the ``groups`` groups of out/groups output channels gets a 1 at the centre of
    its kernel for input channels 0, 1, ...: the convolution then copies its first
    min(out/groups, in/groups) input channels (per group) to its output.
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: Only tensors with 3, 4, or 5 dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.shape[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got shape "
                         f"{tuple(tensor.shape)} and groups={groups}")
    per_group = tensor.shape[0] // groups
    n = min(per_group, tensor.shape[1])
    centre = tuple(k // 2 for k in tensor.shape[2:])
    values = np.zeros(tensor.shape)
    for g in range(groups):
        for d in range(n):
            values[(g * per_group + d, d) + centre] = 1
    return tensor.copy_(values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std        # U(-a, a) has std a / sqrt(3)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _zero_elements(tensor):
    """True (with PyTorch's warning) for a tensor with no elements: nothing to initialise."""
    if tensor.numel() == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    ``a`` is the negative slope of a following leaky_relu. PyTorch's Linear and
    Conv layers use ``a=sqrt(5)``, which gives bound = 1 / sqrt(fan_in).
    """
    if _zero_elements(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std, generator)


def kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    if _zero_elements(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


@no_grad()
def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix (Saxe et al. 2013), the trailing dims flattened.

    Viewed as (rows, cols) = (shape[0], numel / shape[0]), the result has orthonormal
    rows (rows <= cols) or orthonormal columns (rows >= cols), times ``gain``.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: Only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = get_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))            # make the decomposition unique (uniform over rotations)
    if rows < cols:
        q = q.T
    return tensor.copy_(gain * q.reshape(tensor.shape))


@no_grad()
def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill the 2-d ``tensor`` (rows, cols) with N(0, std^2) values, then zero
    ceil(sparsity * rows) randomly chosen entries in every column (Martens 2010)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: Only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    rng = get_rng(generator)
    values = rng.normal(0.0, std, (rows, cols))
    for col in range(cols):
        values[rng.permutation(rows)[:num_zeros], col] = 0
    return tensor.copy_(values)


def _deprecated(new):
    """PyTorch's old names without the underscore (``nn.init.uniform``): warn, then call."""
    old = new.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated: use :func:`{new.__name__}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
