"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict``.

They hold child modules under the names PyTorch gives them (``'0'``, ``'1'``,
... or the dict keys), so their parameters get PyTorch's state_dict keys
(``features.0.weight``).
"""
import collections
import operator

from .module import Module, _addindent

__all__ = ['Sequential', 'ModuleList', 'ModuleDict']


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
