"""Weight normalisation (Salimans & Kingma 2016), the hook-based ``nn.utils.weight_norm``.

The weight is re-expressed as ``w = g * v / ||v||``: the direction ``v`` and the
length ``g`` become two Parameters, ``weight_v`` and ``weight_g``, and a forward
pre-hook recomputes ``module.weight`` (a plain Tensor now) from them before each
call, so gradients reach ``g`` and ``v``. ``||v||`` is taken over every dim except
``dim`` (one norm per output channel for dim=0); ``dim=None`` (or -1) takes one norm
of the whole tensor. ``nn.utils.parametrizations.weight_norm`` is the newer form.
"""
import warnings

from ..parameter import Parameter, UninitializedParameter

__all__ = ['weight_norm', 'remove_weight_norm']


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over all dims but ``dim``, kept broadcastable to v
    (e.g. (out, 1, 1, 1) for dim=0); dim=-1: the norm of all of v, 0-d."""
    if dim == -1:
        return v.norm()
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(dim=others, keepdim=True).sqrt()


def _weight_norm(v, g, dim):
    """w = v * (g / ||v||), the norm over all dims but ``dim`` (as ``torch._weight_norm``)."""
    return v * (g / _norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + '_v'), getattr(module, self.name + '_g'),
                            self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + '_g', Parameter(_norm_except_dim(weight, fn.dim).data))
        module.register_parameter(name + '_v', Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module).detach()
        delattr(module, self.name)
        del module._parameters[self.name + '_g']
        del module._parameters[self.name + '_v']
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name='weight', dim=0):
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (Parameters ``<name>_g``, shape
    like the norm, and ``<name>_v``, shape of the weight); returns the module.

    >>> m = weight_norm(nn.Linear(20, 40))   # m.weight_g: (40, 1), m.weight_v: (40, 20)
    """
    warnings.warn("`nn.utils.weight_norm` is deprecated in favor of "
                  "`nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name='weight'):
    """Undo :func:`weight_norm`: ``module.<name>`` becomes one Parameter again (its current
    value); returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
