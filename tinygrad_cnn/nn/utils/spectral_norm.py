"""Spectral normalisation (Miyato et al. 2018), the hook-based ``nn.utils.spectral_norm``.

The weight, viewed as a matrix W (rows: dim ``dim``), is divided by its largest
singular value sigma, which keeps the layer 1-Lipschitz (GAN discriminators).
sigma is estimated by power iteration: vectors ``u`` (rows) and ``v`` (columns),
kept as buffers, are refined by ``n_power_iterations`` steps
``v <- W^T u / |W^T u|, u <- W v / |W v|`` before each forward in training mode,
and sigma = u^T W v. The original weight becomes the Parameter ``weight_orig``;
``weight`` is recomputed from it by a forward pre-hook. In eval mode u and v stay
fixed, so the weight is a deterministic function of ``weight_orig``.
``nn.utils.parametrizations.spectral_norm`` is the newer form.
"""
from ...autograd import no_grad
from ..functional.normalization import normalize
from ..parameter import Parameter

__all__ = ['spectral_norm', 'remove_spectral_norm']


def _default_dim(module):
    """0 (output channels), or 1 for transposed convolutions, whose weight is (in, out, *k)."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def _weight_matrix(weight, dim):
    """``weight`` as a matrix (weight.shape[dim], rest): ``dim`` moved first, the rest
    flattened."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name> = <name>_orig / sigma``."""

    def __init__(self, name='weight', n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + '_orig')
        u, v = getattr(module, self.name + '_u'), getattr(module, self.name + '_v')
        weight_mat = _weight_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():     # u and v are estimates, updated in place, outside the graph
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(weight_mat.mv(v), dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ('', '_u', '_v', '_orig'):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with no_grad():
            h, w = _weight_matrix(weight, dim).shape
            u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=eps)
            v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + '_orig', weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + '_u', u)
        module.register_buffer(name + '_v', v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration; returns
    the module. Adds the Parameter ``<name>_orig`` and the buffers ``<name>_u`` (rows,
    ``weight.shape[dim]``) and ``<name>_v`` (the other dims flattened). ``dim`` defaults
    to 0, or 1 for ConvTranspose layers.
    """
    SpectralNorm.apply(module, name, n_power_iterations,
                       _default_dim(module) if dim is None else dim, eps)
    return module


def remove_spectral_norm(module, name='weight'):
    """Undo :func:`spectral_norm`: ``module.<name>`` becomes a Parameter holding the current
    normalised weight; returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
