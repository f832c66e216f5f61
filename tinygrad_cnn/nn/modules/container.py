"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict``, and for bare
weights ``ParameterList`` and ``ParameterDict``.

They hold child modules (or Parameters) under the names PyTorch gives them
(``'0'``, ``'1'``, ... or the dict keys), so their parameters get PyTorch's
state_dict keys (``features.0.weight``, ``scales.0``).
"""
import collections
import collections.abc
import operator

from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ['Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict']


def _index(idx, size, container):
    """A non-negative int index into a container of ``size`` items, or IndexError."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"{container}: index {idx} is out of range for length {size}")
    return idx % size


class Sequential(Module):
    """Run modules one after another: ``Sequential(m1, m2, ...)`` or
    ``Sequential(OrderedDict([('name', m), ...]))``."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(items[idx]))
        return items[_index(idx, len(items), 'Sequential')][1]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(idx, len(self._modules), 'Sequential')]
        setattr(self, key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else
                    [keys[_index(idx, len(keys), 'Sequential')]]):
            del self._modules[key]
        _renumber(self, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for length {n}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)
        return self

    def pop(self, idx):
        module = self[idx]
        del self[idx]
        return module


def _renumber(container, modules):
    """Register ``modules`` under the names '0'..'n-1', as PyTorch keeps them after a
    deletion or insertion (the keys are the indices)."""
    container._modules.clear()
    container._modules.update((str(i), m) for i, m in enumerate(modules))


class ModuleList(Module):
    """A list of modules whose parameters are registered (``forward`` is yours to write)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            return type(self)(modules[idx])
        return modules[_index(idx, len(modules), 'ModuleList')]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), 'ModuleList')), module)

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        del modules[idx if isinstance(idx, slice) else _index(idx, len(modules), 'ModuleList')]
        _renumber(self, modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)(list(self) + list(other))

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def pop(self, idx=-1):
        module = self[idx]
        del self[idx]
        return module

    def __repr__(self):
        # like PyTorch, runs of identical modules print once: "(0-2): 3 x Linear(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + '()'
        blocks = []                        # [start, end, repr]
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = [_addindent(f'({s}): {r}' if s == e else f'({s}-{e}): {e - s + 1} x {r}', 2)
                 for s, e, r in blocks]
        return self._get_name() + '(\n  ' + '\n  '.join(lines) + '\n)'


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        return self._modules.pop(key)

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add modules from a mapping or an iterable of (name, module) pairs."""
        pairs = modules.items() if hasattr(modules, 'items') else modules
        for key, module in pairs:
            self[key] = module


def _as_parameter(value):
    """A Tensor that is not yet a Parameter becomes one (sharing its memory), as in PyTorch;
    Parameters and other objects are kept as they are."""
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) \
        else value


def _parameter_lines(items, typename=False):
    """PyTorch's repr lines of a ParameterList/Dict: '  (key): Parameter containing: [float32
    of size 3x4]' (the dtype by its name here; with ``typename``, as ParameterDict, the type
    name 'torch.FloatTensor'), or the type of a non-Tensor entry."""
    lines = []
    for key, value in items:
        if isinstance(value, Tensor):
            kind = 'Parameter' if isinstance(value, Parameter) else 'Tensor'
            size = 'x'.join(str(n) for n in value.shape)
            device = f' ({value.device})' if value.device != 'cpu' else ''
            dtype = value.type() if typename else value.dtype
            lines.append(f'  ({key}): {kind} containing: [{dtype} of size {size}{device}]')
        else:
            lines.append(f'  ({key}): Object of type: {type(value).__name__}')
    return '\n'.join(lines)


class ParameterList(Module):
    """A list of Parameters registered under the names '0', '1', ... (Tensors put in are
    wrapped as Parameters; other objects are stored but not registered)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(self[i] for i in range(*idx.indices(len(self))))
        return getattr(self, str(_index(idx, len(self), 'ParameterList')))

    def __setitem__(self, idx, value):
        # every way of adding an entry ends here, so this is where Tensors are wrapped
        setattr(self, str(_index(idx, len(self), 'ParameterList')), _as_parameter(value))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if not isinstance(values, collections.abc.Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return _parameter_lines(enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of Parameters registered under their (string) keys (Tensors put in are
    wrapped as Parameters; other objects are stored but not registered).

    As in PyTorch, ``update`` (and the constructor) takes the items of an OrderedDict or
    ParameterDict in their order, but those of a plain dict sorted by key.
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {key!r} of type "
                            f"{type(key).__name__}")
        return key

    def __getitem__(self, key):
        return getattr(self, self._check_key(key))

    def __setitem__(self, key, value):
        # every way of adding an entry ends here, so this is where Tensors are wrapped
        setattr(self, self._check_key(key), _as_parameter(value))
        self._keys[key] = None

    def __delitem__(self, key):
        delattr(self, self._check_key(key))
        del self._keys[key]

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        return ParameterDict(collections.OrderedDict(self.items()))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((key, default) for key in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((key, self[key]) for key in self._keys)

    def values(self):
        return (self[key] for key in self._keys)

    def update(self, parameters):
        """Add entries from a mapping or an iterable of (key, value) pairs."""
        if not isinstance(parameters, collections.abc.Iterable):
            raise TypeError(f"ParameterDict.update should be called with an iterable of "
                            f"key/value pairs, but got {type(parameters).__name__}")
        if isinstance(parameters, (collections.OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, collections.abc.Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = []
            for j, pair in enumerate(parameters):
                if not isinstance(pair, collections.abc.Iterable) or len(pair) != 2:
                    raise ValueError(f"ParameterDict.update: sequence element #{j} must be a "
                                     f"(key, value) pair, got {pair!r}")
                pairs.append(tuple(pair))
        for key, value in pairs:
            self[key] = value

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self):
        return _parameter_lines(self.items(), typename=True)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")
