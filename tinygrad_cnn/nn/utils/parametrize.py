"""Parametrizations (``nn.utils.parametrize``): make a module's tensor a function of others.

``register_parametrization(module, 'weight', P)`` replaces the Parameter
``module.weight`` by its *original* and makes ``module.weight`` a property that
computes ``P(original)`` on every access, so gradients flow to the original
through ``P`` (symmetric weights, weight norm, spectral norm, ...)::

    Linear                       ParametrizedLinear
      weight (Parameter)   ->      parametrizations (ModuleDict)
      bias                           weight (ParametrizationList)
                                       original (the same Parameter object)
                                       0: P
                                   bias

The state_dict keys become ``parametrizations.weight.original`` (or ``original0``,
``original1``, ... when ``P.right_inverse`` splits the tensor into several).
Assigning ``module.weight = X`` stores ``right_inverse(X)`` in the original(s).
Several parametrizations on one tensor are applied in registration order.
Inside ``with cached():`` each parametrized tensor is computed once and reused.
"""
import contextlib
import copy

from ...autograd import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ['register_parametrization', 'remove_parametrizations', 'is_parametrized', 'cached',
           'type_before_parametrizations', 'transfer_parametrizations_and_params',
           'ParametrizationList']

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed on first access and
    reused (e.g. a weight used at every step of an RNN); the cache is dropped on exit."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _set_original(original, value):
    """Put ``value``'s data into ``original`` in place (as ``Tensor.set_``), so whoever
    holds the Parameter (an optimiser) sees the change."""
    original.data = value.detach().data


def _register(module, name, tensor, like):
    """Register ``tensor`` as a Parameter if ``like`` is one (keeping its requires_grad),
    else as a buffer."""
    if isinstance(like, Parameter):
        tensor = tensor if isinstance(tensor, Parameter) else \
            Parameter(tensor.detach().data, requires_grad=like.requires_grad)
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, and its original(s).

    ``original`` (or ``original0``, ``original1``, ...: what the first
    parametrization's ``right_inverse`` returned) is a Parameter if the tensor was
    one, else a buffer. Calling the list computes the parametrized tensor.
    """

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, 'right_inverse'):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:     # then taken as the identity, as PyTorch
                        pass
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.shape != original.shape or new.dtype != original.dtype):
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change "
                                 f"the dtype or shape.\noriginal.dtype: {original.dtype}\n"
                                 f"right_inverse(original).dtype: {new.dtype}\noriginal.shape: "
                                 f"{tuple(original.shape)}\nright_inverse(original).shape: "
                                 f"{tuple(new.shape)}\n")
            with no_grad():
                _set_original(original, new)
            _register(self, 'original', original, original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors (list, tuple...). Got element {i} of the sequence "
                                     f"with type {type(t).__name__}.")
                _register(self, f'original{i}', t, original)
        if not unsafe:
            with no_grad():
                z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(z).__name__}.")
            if z.shape != original.shape or z.dtype != original.dtype:
                raise ValueError(f"Registering a parametrization may not change the shape or "
                                 f"dtype of the tensor, unless `unsafe` flag is enabled.\n"
                                 f"unparametrized dtype: {original.dtype}\nparametrized dtype: "
                                 f"{z.dtype}\nunparametrized shape: {tuple(original.shape)}\n"
                                 f"parametrized shape: {tuple(z.shape)}")

    def right_inverse(self, value):
        """Store ``value`` in the original(s), through the ``right_inverse`` s in reverse."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, 'right_inverse'):
                    value = module.right_inverse(value)
                else:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got "
                                     f"{type(value).__name__}")
                _set_original(self.original, value)
            else:
                if len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of tensors of "
                                     f"length {self.ntensors}. Got a sequence of length "
                                     f"{len(value)}.")
                for i, t in enumerate(value):
                    _set_original(getattr(self, f'original{i}'), t)

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f'original{i}') for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _inject_new_class(module):
    """Give ``module`` a class of its own, ``Parametrized<Class>``, to hold the properties.

    Such a class cannot be pickled (it exists only at run time): save the state_dict
    instead, as in PyTorch. ``copy.deepcopy`` still works.
    """
    cls = module.__class__

    def getstate(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through "
                           "state_dict().")

    def deepcopy(self, memo):
        replica = self.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__ = copy.deepcopy(self.__dict__, memo)
        return replica

    attrs = {'__getstate__': getstate}
    if not hasattr(cls, '__deepcopy__'):
        attrs['__deepcopy__'] = deepcopy
    module.__class__ = type(f'Parametrized{cls.__name__}', (cls,), attrs)


def _inject_property(module, tensor_name):
    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` the output of the Module ``parametrization`` applied to
    the original tensor (see the module docstring); returns ``module``.

    ``parametrization`` may define ``right_inverse(X)``, returning a Tensor or a tuple of
    Tensors (then ``forward`` takes as many). With ``unsafe=True`` the shape and dtype
    checks are skipped.
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            with no_grad():
                y = getattr(module, tensor_name)
                x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(x).__name__}.")
            if x.shape != y.shape or x.dtype != y.dtype:
                raise ValueError(f"Registering a parametrization may not change the shape or "
                                 f"dtype of the tensor, unless the `unsafe` flag is enabled.\n"
                                 f"module.{tensor_name}.dtype: {y.dtype}\n"
                                 f"parametrization(module.{tensor_name}).dtype: {x.dtype}\n"
                                 f"module.{tensor_name}.shape: {tuple(y.shape)}\n"
                                 f"parametrization(module.{tensor_name}).shape: "
                                 f"{tuple(x.shape)}")
            if hasattr(parametrization, 'right_inverse'):
                z = parametrization.right_inverse(x)
                if not isinstance(z, Tensor) or z.shape != y.shape or z.dtype != y.dtype:
                    raise ValueError("The tensor returned by parametrization.right_inverse must "
                                     "have the same shape and dtype as module."
                                     f"{tensor_name}, unless the `unsafe` flag is enabled.")
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has a parametrization (on ``tensor_name``, when given)."""
    parametrizations = module.__dict__.get('_modules', {}).get('parametrizations')
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module):
    """The class ``module`` had before its first parametrization."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations of ``module.<tensor_name>``; returns ``module``.

    With ``leave_parametrized`` the tensor keeps its current (parametrized) value, else
    it becomes the original again (only possible with a single original). A Parameter
    stays the same object when its value can be written into it.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            _set_original(original, t)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            t = getattr(module, tensor_name)
        like = plist.original0
        original = Parameter(t.data, requires_grad=like.requires_grad) \
            if isinstance(like, Parameter) else t.detach()
    original_class = type_before_parametrizations(module)
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original, original)
    if not is_parametrized(module):
        delattr(module, 'parametrizations')
        module.__class__ = original_class
    return module


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register on ``to_module`` the parametrizations of ``from_module`` (all, or those of
    ``tensor_name``) and make it share their original(s); a tensor ``to_module`` lacks is
    first created as a Parameter. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach().data))
        source = from_module.parametrizations[name]
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        originals = ['original'] if source.is_tensor else \
            [f'original{i}' for i in range(source.ntensors)]
        for original in originals:
            setattr(target, original, getattr(source, original))
    return to_module
