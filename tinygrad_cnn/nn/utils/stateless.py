"""``functional_call``: run a module with some of its parameters and buffers replaced.

The module's own tensors are swapped for the given ones for the duration of one call
and put back afterwards (also when the call raises), so a model can be evaluated at
other weights (meta-learning, ensembles, per-sample gradients) without copying it.
"""
import contextlib
import warnings

from ...tensor import Tensor
from .parametrize import is_parametrized

__all__ = ['functional_call']

_MISSING = object()


def _tied_names(module):
    """{name: [all names of the same tensor]} for tensors registered under several names."""
    groups = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        groups.setdefault(id(t), []).append(name)
    return {name: names for names in groups.values() if len(names) > 1 for name in names}


def _owner(module, name):
    """(submodule, attribute) of the dotted ``name``."""
    path, _, attr = name.rpartition('.')
    return module.get_submodule(path), attr


def _swap(owner, attr, value):
    """Put ``value`` where ``owner.<attr>`` is read from; returns a function that undoes it."""
    for registry in (owner._parameters, owner._buffers):
        if attr in registry:
            old = registry[attr]
            registry[attr] = value
            return lambda: registry.__setitem__(attr, old)
    if is_parametrized(owner, attr):    # the parametrized tensor itself: shadow its property
        cls, prop = type(owner), type(owner).__dict__[attr]
        setattr(cls, attr, property(lambda self: value if self is owner else prop.fget(self),
                                    prop.fset))
        return lambda: setattr(cls, attr, prop)
    # anything else: a plain attribute for this call
    old = owner.__dict__.get(attr, _MISSING)
    owner.__dict__[attr] = value

    def restore():
        if old is _MISSING:
            del owner.__dict__[attr]
        else:
            owner.__dict__[attr] = old
    return restore


@contextlib.contextmanager
def _reparametrize(module, tensors):
    """Swap ``tensors`` ({dotted name: Tensor}) into ``module``; restore on exit."""
    undo = []
    try:
        for name, value in tensors.items():
            undo.append(_swap(*_owner(module, name), value))
        yield
    finally:
        for restore in reversed(undo):
            restore()


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                     tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameters_and_buffers`` (a dict ``{dotted name: Tensor}``, or a sequence of dicts
    with distinct keys) used in place of the module's own, for this call only.

    ``args`` is a tuple (a single non-tuple value is one positional argument).
    ``tie_weights``: a tensor registered under several names (tied weights) is replaced
    under all of them when one is given. ``strict``: the dict must name exactly the
    module's parameters and buffers (RuntimeError listing missing/unexpected keys).
    Gradients flow to the given tensors. This is ``tg.func.functional_call``.
    """
    if isinstance(parameters_and_buffers, (list, tuple)):
        keys = [key for d in parameters_and_buffers for key in d]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             f"functional call is ambiguous")
        parameters_and_buffers = {k: v for d in parameters_and_buffers for k, v in d.items()}
    tensors = dict(parameters_and_buffers)
    if tie_weights:
        tied = _tied_names(module)
        for name in list(tensors):
            for other in tied.get(name, ()):
                if other in tensors and other != name and tensors[other] is not tensors[name]:
                    raise ValueError(f"functional_call got multiple values for keys "
                                     f"{sorted((name, other))}, which are tied. Consider using "
                                     f"tie_weights=False")
                tensors.setdefault(other, tensors[name])
    if strict:
        expected = [n for n, _ in module.named_parameters(remove_duplicate=False)] + \
            [n for n, _ in module.named_buffers(remove_duplicate=False)]
        missing = sorted(n for n in expected if n not in tensors)
        unexpected = sorted(n for n in tensors if n not in set(expected))
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append('Unexpected key(s): ' + ', '.join(repr(k) for k in unexpected)
                             + '.')
            if missing:
                lines.append('Missing key(s): ' + ', '.join(repr(k) for k in missing) + '.')
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + '\n\t'.join(lines))
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: expected a Tensor for {name!r}, got "
                            f"{type(value).__name__}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, tensors):
        return module(*args, **(kwargs or {}))


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Deprecated (as in PyTorch 2): the same as ``tg.func.functional_call``."""
    warnings.warn("`nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will "
                  "be removed in a future version of PyTorch. Please use "
                  "`tg.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
