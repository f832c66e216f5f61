"""Weight and spectral normalisation as parametrizations (``nn.utils.parametrizations``).

The same reparametrisations as ``nn.utils.weight_norm`` / ``spectral_norm``, built on
:mod:`~tinygrad_cnn.nn.utils.parametrize` instead of forward pre-hooks, so
``module.weight`` is computed on access and the state_dict keys are
``parametrizations.weight.original0`` (g) / ``original1`` (v) for weight norm and
``parametrizations.weight.original``, ``parametrizations.weight.0._u`` / ``._v``
for spectral norm, as in PyTorch; ``orthogonal`` keeps a weight orthogonal.
"""
import math

import numpy as np

from ...autograd import Function, no_grad
from ...backend import get_array_module
from ...tensor import Tensor, cat, eye, randn, zeros, zeros_like
from ..functional.normalization import normalize
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _default_dim
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ['weight_norm', 'spectral_norm', 'orthogonal']


class _WeightNorm(Module):
    """weight = g * v / ||v|| from (g, v) = (original0, original1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name='weight', dim=0):
    """Weight normalisation of ``module.<name>`` as a parametrization: the originals are
    ``g`` (``original0``, shaped like the norm) and ``v`` (``original1``); returns the
    module. A state_dict saved with the old ``nn.utils.weight_norm`` (``<name>_g``,
    ``<name>_v``) still loads."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(module, state_dict, prefix, local_metadata, strict,
                                 missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f'{prefix}{name}_g', f'{prefix}{name}_v'
        if g_key in state_dict and v_key in state_dict:
            state_dict[f'{prefix}parametrizations.{name}.original0'] = state_dict.pop(g_key)
            state_dict[f'{prefix}parametrizations.{name}.original1'] = state_dict.pop(v_key)
    module.register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight seen as a matrix,
    estimated by power iteration with the buffers ``_u`` and ``_v``."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer('_u', normalize(u, dim=0, eps=self.eps))
            self.register_buffer('_v', normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)   # start from a good estimate

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        with no_grad():         # u and v are estimates, refined in place outside the graph
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        sigma = self._u.clone().dot(weight_mat.mv(self._v.clone()))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalisation of ``module.<name>`` as a parametrization; returns the module.
    ``dim`` defaults to 0, or 1 for ConvTranspose layers."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _default_dim(module) if dim is None else dim
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


class _MatrixExp(Function):
    """exp(A) of square matrices (..., n, n), by scaling and squaring a Taylor series.

    Backward: the gradient of exp at A applied to G is the top-right block of
    exp([[A^T, G], [0, A^T]]) (Najfeld & Havel 1995), itself a matrix exponential, so
    higher derivatives work too.
    """

    def forward(self, a):
        xp = get_array_module(a)
        norm = float(xp.abs(a).sum(axis=-2).max()) if a.size else 0.0
        squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
        a = a / 2.0 ** squarings          # now ||a|| <= 1/2: 18 terms reach float64 precision
        term = result = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        for k in range(1, 19):
            term = term @ a / k
            result = result + term
        for _ in range(squarings):
            result = result @ result
        return result

    def backward(self, grad):
        (a,) = self.inputs
        n = a.shape[-1]
        at = a.mT
        block = cat([cat([at, grad], dim=-1), cat([zeros_like(at), at], dim=-1)], dim=-2)
        return _MatrixExp.apply(block)[..., :n, n:]


class _Inverse(Function):
    """inv(M) of square matrices (..., n, n); d inv = -inv dM inv, so the gradient is
    -inv^T G inv^T (written with ``_Inverse`` itself: higher derivatives work)."""

    def forward(self, m):
        return get_array_module(m).linalg.inv(m)

    def backward(self, grad):
        inv_t = _Inverse.apply(self.inputs[0]).mT
        return -(inv_t @ grad @ inv_t)


def _householder_product(a, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i the i-th column of
    ``a`` (..., n, k) below the diagonal with a 1 on it (``torch.linalg.householder_product``).
    """
    n, k = a.shape[-2], a.shape[-1]
    rows = np.arange(n)
    q = eye(n, dtype=a.dtype, device=a.device)
    for i in range(k):
        below = Tensor((rows > i).astype(a.dtype), device=a.device)
        unit = Tensor((rows == i).astype(a.dtype), device=a.device)
        v = (a[..., :, i] * below + unit).unsqueeze(-1)             # (..., n, 1)
        q = q - (q @ v) @ (tau[..., i, None, None] * v.mT)
    return q[..., :, :k]


def _make_orthogonal(a):
    """The Q of the QR decomposition of ``a`` (array, ..., n, k) with diag(R) > 0."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


class _Orthogonal(Module):
    """An orthogonal matrix (or a batch; the tall or wide shape of the weight) from an
    unconstrained one, by the ``matrix_exp`` or the Cayley map of a skew-symmetric matrix,
    or a product of Householder reflections. With ``use_trivialization`` the result
    multiplies the buffer ``base`` (the orthogonalised initial weight), and the original
    starts at -I, which every map sends to I."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer('base', None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ('matrix_exp', 'cayley'):
            X = X.tril()
            if n != k:      # pad to square: exp of a skew-symmetric n x n, first k columns
                X = cat([X, zeros(*X.shape[:-1], n - k, dtype=X.dtype, device=X.device)],
                        dim=-1)
            A = X - X.mT
            if self.orthogonal_map == 'matrix_exp':
                Q = _MatrixExp.apply(A)
            else:           # Cayley: (I - A/2)^-1 (I + A/2)
                identity = eye(n, dtype=X.dtype, device=X.device)
                Q = _Inverse.apply(identity - 0.5 * A) @ (identity + 0.5 * A)
            Q = Q[..., :, :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the sign of each column from the diagonal of X (-I gives I), a constant
            Q = Q * Tensor(np.trunc(X.diagonal(dim1=-2, dim2=-1).numpy()), device=X.device
                           ).unsqueeze(-2)
        if getattr(self, 'base', None) is not None:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(Q.shape)}.")
        n, k = Q.shape[-2], Q.shape[-1]
        q = Q.numpy()
        if n < k:
            q = np.swapaxes(q, -1, -2)
            n, k = k, n
        if 'base' not in self._buffers:
            if self.orthogonal_map in ('matrix_exp', 'cayley'):
                raise NotImplementedError("It is not possible to assign to the matrix "
                                          "exponential or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            # LAPACK's geqrf (numpy's raw QR, one matrix at a time): the reflectors below the
            # diagonal, and on it the sign of R's diagonal (flipped where no reflection is used)
            flat = q.reshape((-1, n, k))
            a = np.empty_like(flat)
            d = np.arange(k)
            for i, m in enumerate(flat):
                h, tau = np.linalg.qr(m, mode='raw')
                a[i] = h.T
                a[i, d, d] = np.sign(a[i, d, d]) * np.where(tau == 0.0, -1, 1)
            a = a.reshape(q.shape)
            a = np.swapaxes(a, -1, -2) if Q.shape[-2] < Q.shape[-1] else a
            return Tensor(a.astype(Q.dtype), device=Q.device)
        if n == k:
            gram = np.swapaxes(q, -1, -2) @ q
            orthogonal = np.allclose(gram, np.eye(k), atol=10 * n * np.finfo(Q.dtype).eps)
            base = q if orthogonal else _make_orthogonal(q)
        else:           # complete the k columns to an n x n orthogonal matrix
            fill = randn(*(q.shape[:-2] + (n, n - k)), dtype=Q.dtype).numpy()
            base = _make_orthogonal(np.concatenate([q, fill], axis=-1))
        self.base = Tensor(base.astype(Q.dtype), device=Q.device)
        neg_id = np.zeros(Q.shape, dtype=Q.dtype)       # -I: the map sends it to I
        d = np.arange(min(Q.shape[-2:]))
        neg_id[..., d, d] = -1
        return Tensor(neg_id, device=Q.device)


def orthogonal(module, name='weight', orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` (a matrix or batch of matrices, n x k) orthogonal: orthonormal
    columns (n >= k) or rows (n < k); returns the module.

    ``orthogonal_map``: ``'matrix_exp'`` (the default for square matrices), ``'cayley'``
    or ``'householder'`` (the default otherwise).
    With ``use_trivialization`` (default) the initial weight, orthogonalised, is kept in the
    buffer ``parametrizations.<name>.0.base`` and the original starts at -I.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = 'matrix_exp' if weight.shape[-2] == weight.shape[-1] else 'householder'
    if orthogonal_map not in ('matrix_exp', 'cayley', 'householder'):
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    parametrize.register_parametrization(
        module, name, _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization),
        unsafe=True)
    return module
