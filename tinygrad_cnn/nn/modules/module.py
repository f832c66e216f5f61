"""``Module``: the base class of layers and models, as ``torch.nn.Module``.

A Module keeps three ordered registries, filled by plain attribute
assignment: ``_parameters`` (``Parameter``\\ s), ``_buffers`` (state that is
saved but not trained, e.g. BatchNorm's running mean) and ``_modules`` (child
modules). Everything else — ``parameters()``, ``state_dict()``, ``train()``,
``to()`` — is a walk over that tree. Names are joined with dots
(``features.0.weight``), exactly as PyTorch names them, so checkpoints move
between the two frameworks.
"""
import collections
import functools
import itertools

import numpy as np

from ...autograd import Function, is_grad_enabled, no_grad
from ...backend import get_array_module, normalize_device, to_device
from ...tensor import Tensor, _parse_to_args
from ..parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ['Module']


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters the hook."""
    _next_id = itertools.count()

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks, hook, prepend):
    """Add ``hook`` to the (ordered) dict ``hooks``, last or, with ``prepend``, first."""
    handle = RemovableHandle(hooks)
    later = dict(hooks) if prepend else {}
    for key in later:
        del hooks[key]
    hooks[handle.id] = hook
    hooks.update(later)
    return handle


class _IncompatibleKeys(collections.namedtuple('IncompatibleKeys',
                                               ['missing_keys', 'unexpected_keys'])):
    """What ``load_state_dict`` returns: the keys it missed and the ones it did not use."""
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return '<All keys matched successfully>'
        return super().__repr__()


def _addindent(text, spaces):
    """Indent every line but the first (for nested module reprs)."""
    lines = text.split('\n')
    if len(lines) == 1:
        return text
    return lines[0] + '\n' + '\n'.join(' ' * spaces + line for line in lines[1:])


class Module:
    """Base class for all layers and models.

    Subclasses call ``super().__init__()`` first, assign their layers and
    Parameters as attributes, and define ``forward``; calling the module runs
    ``forward`` (plus any hooks)::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x).relu()
    """

    # the state-dict format version recorded in ``state_dict()._metadata``; a subclass whose
    # entries changed raises it and fills what older checkpoints lack (see _NormBase)
    _version = 1

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist
        set_ = super().__setattr__
        set_('training', True)
        set_('_parameters', {})
        set_('_buffers', {})
        set_('_non_persistent_buffers_set', set())
        set_('_modules', {})
        set_('_forward_pre_hooks', {})
        set_('_forward_hooks', {})
        set_('_backward_pre_hooks', {})
        set_('_backward_hooks', {})
        # ids of the forward hooks registered with_kwargs / always_call
        set_('_forward_pre_hooks_with_kwargs', set())
        set_('_forward_hooks_with_kwargs', set())
        set_('_forward_hooks_always_called', set())
        set_('_state_dict_pre_hooks', {})
        set_('_state_dict_hooks', {})
        set_('_load_state_dict_pre_hooks', {})
        set_('_load_state_dict_post_hooks', {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args, **kwargs):
        # fast path: no hooks, so calling a module costs one extra Python call
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks \
                or self._backward_pre_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
                continue
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward_hook = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            backward_hook = _BackwardHook(self)
            args = backward_hook.setup_inputs(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(self._forward_hooks.items()):   # always_call hooks still run
                if key in self._forward_hooks_always_called:
                    self._run_forward_hook(key, hook, args, kwargs, None)
            raise
        for key, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(key, hook, args, kwargs, output)
            if result is not None:
                output = result
        if backward_hook is not None:
            output = backward_hook.setup_outputs(output)
        return output

    def _run_forward_hook(self, key, hook, args, kwargs, output):
        if key in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        params = self.__dict__.get('_parameters')
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (nn.Module or None expected)")
            self._modules[name] = None
        elif params is not None and (isinstance(value, Buffer) or name in self._buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            if isinstance(value, Buffer):       # nn.Buffer: registers, with its persistence
                self.register_buffer(name, value, value.persistent)
            else:
                self._buffers[name] = value
        else:
            super().__setattr__(name, value)

    def _forget(self, name, keep):
        """Remove ``name`` from the registries other than ``keep`` (where an existing entry
        keeps its place in the order) before it is registered there."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for registry in ('_parameters', '_buffers', '_modules'):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        super().__delattr__(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, kind, name):
        if '_parameters' not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == '' or '.' in name:
            raise KeyError(f"{kind} name can't be empty or contain \".\", got: {name!r}")
        if hasattr(self, name) and name not in self._parameters and name not in self._buffers \
                and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a Parameter (or None, a declared-but-absent parameter such as a disabled bias)."""
        self._check_name('parameter', name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: state saved in ``state_dict`` (unless ``persistent=False``) and moved
        by ``to()``, but not trained."""
        self._check_name('buffer', name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(Tensor or None required)")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``."""
        self._check_name('module', name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix='', remove_duplicate=True):
        """(name, module) for this module and all descendants, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ('.' if prefix else '') + name,
                                            remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ('.' if module_prefix else '') + name, value

    def named_parameters(self, prefix='', recurse=True, remove_duplicate=True):
        """(name, Parameter) pairs in registration order; shared parameters once."""
        yield from self._named_members('_parameters', prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix='', recurse=True, remove_duplicate=True):
        yield from self._named_members('_buffers', prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target):
        """The module at dotted path ``target`` ('' is self), e.g. ``'features.0'``."""
        module = self
        if target == '':
            return module
        for item in target.split('.'):
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def _get_member(self, target, registry, kind):
        module_path, _, name = target.rpartition('.')
        module = self.get_submodule(module_path)
        if name not in getattr(module, registry):
            raise AttributeError(f"{type(module).__name__} has no {kind} `{name}`")
        return getattr(module, registry)[name]

    def get_parameter(self, target):
        """The Parameter at dotted path ``target``, e.g. ``'fc.weight'``."""
        return self._get_member(target, '_parameters', 'parameter')

    def get_buffer(self, target):
        return self._get_member(target, '_buffers', 'buffer')

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at dotted path ``target`` (e.g. ``'features.0'``), replacing what is
        there; with ``strict`` the target must already be a submodule."""
        if target == '':
            raise ValueError("set_submodule: cannot set the submodule without a target name")
        if not isinstance(module, Module):
            raise ValueError(f"set_submodule: `module` is not an nn.Module, found "
                             f"{type(module).__name__}")
        parent_path, _, name = target.rpartition('.')
        parent = self.get_submodule(parent_path)
        if strict and not isinstance(getattr(parent, name, None), Module):
            raise AttributeError(f"{type(parent).__name__} has no submodule `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), (Module, type(None))):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    # ------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        """Set training mode (dropout active, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of all parameters: ``requires_grad_(False)`` freezes them."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (default) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_().zero_()

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ dtype and device
    def _apply(self, convert, recurse=True):
        """Replace the array of every parameter, buffer and gradient by ``convert(array)``, in
        place, so optimisers that hold the Parameters keep working."""
        for t in itertools.chain(self.parameters(recurse), self.buffers(recurse)):
            t.data = convert(t.data)
            if t.grad is not None:
                t.grad.data = convert(t.grad.data)
        return self

    def to(self, *args, device=None, dtype=None, non_blocking=False, memory_format=None):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``: in place,
        returns self. Only floating-point parameters and buffers change dtype.
        ``non_blocking`` and ``memory_format`` are accepted and change nothing here."""
        dtype, device = _parse_to_args(args, dtype, device)
        if dtype is not None and dtype.kind not in 'fc':
            raise TypeError(f"Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={dtype}")

        def convert(array):
            if dtype is not None and array.dtype.kind in 'fc' and array.dtype != dtype:
                array = array.astype(dtype)
            return array if device is None else to_device(array, device)
        return self._apply(convert)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def type(self, dst_type):
        """Cast *all* parameters and buffers (integer ones too) to ``dst_type``; returns self."""
        dtype = np.dtype(dst_type)
        return self._apply(lambda array: array.astype(dtype, copy=False))

    def to_empty(self, *, device=None, recurse=True):
        """Give every parameter and buffer new, uninitialised (here: zeroed) memory on
        ``device``; returns self."""
        def convert(array):
            array = array if device is None else to_device(array, normalize_device(device))
            return get_array_module(array).zeros_like(array)
        return self._apply(convert, recurse)

    def compile(self, *args, **kwargs):
        """A no-op here (there is no compiler): code written for PyTorch 2 runs unchanged."""

    def share_memory(self):
        """A no-op here (numpy arrays need no shared-memory move); returns self."""
        return self

    def cpu(self):
        return self.to('cpu')

    def cuda(self, device=None):
        return self.to('cuda')

    # ------------------------------------------------------------ checkpoints
    def _local_state(self):
        """(name, tensor) of this module's own parameters and persistent buffers, in order."""
        for name, p in self._parameters.items():
            if p is not None:
                yield name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                yield name, b

    def _has_extra_state(self):
        return type(self).get_extra_state is not Module.get_extra_state

    def get_extra_state(self):
        """Override to save extra (picklable) state in ``state_dict`` under ``'_extra_state'``;
        ``set_extra_state`` receives it back in ``load_state_dict``."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called: override get_extra_state to return the extra state")

    def set_extra_state(self, state):
        """Restore what ``get_extra_state`` returned (override both together)."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called: override set_extra_state together with get_extra_state")

    def state_dict(self, *, destination=None, prefix='', keep_vars=False):
        """An OrderedDict of parameter and persistent buffer Tensors by dotted name.

        The Tensors share memory with the module (detached unless ``keep_vars``);
        save a copy (``{k: v.numpy().copy() ...}``) to keep a snapshot. Each module adds
        ``'<prefix>_extra_state'`` when it overrides ``get_extra_state``, and runs its
        state-dict hooks around its own part.
        """
        if destination is None:
            destination = collections.OrderedDict()
            destination._metadata = collections.OrderedDict()
        if hasattr(destination, '_metadata'):
            destination._metadata[prefix[:-1]] = {'version': self._version}
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        for name, t in self._local_state():
            lazy = isinstance(t, (UninitializedParameter, UninitializedBuffer))   # kept as is
            destination[prefix + name] = t if keep_vars or lazy else t.detach()
        if self._has_extra_state():
            destination[prefix + '_extra_state'] = self.get_extra_state()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + '.',
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            if hook(self, destination, prefix, {}) is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _state_targets(self, prefix=''):
        """(key, module, name) of every entry ``load_state_dict`` fills, in state_dict order
        (name None: the module's extra state), and (prefix, module) of the modules."""
        targets, modules = [], []

        def walk(module, prefix):
            modules.append((prefix, module))
            targets.extend((prefix + name, module, name) for name, _ in module._local_state())
            if module._has_extra_state():
                targets.append((prefix + '_extra_state', module, None))
            for name, child in module._modules.items():
                if child is not None:
                    walk(child, prefix + name + '.')
        walk(self, prefix)
        return targets, modules

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` (Tensors or numpy arrays) in place.

        Everything is checked first: a shape mismatch is an error and so, with ``strict``,
        are missing and unexpected keys; a RuntimeError lists them all and nothing is
        changed (unless load-state-dict post-hooks are registered: they run after loading
        and may clear the key lists, so strict key errors are raised after them, as in
        PyTorch). ``assign=True`` makes the module hold the given tensors instead of copying
        into its own (each Parameter keeps its ``requires_grad``). Uninitialised parameters
        of lazy modules take the checkpoint's shape. Returns ``(missing_keys, unexpected_keys)``.
        """
        metadata = getattr(state_dict, '_metadata', {})     # set by state_dict(), lost on copy
        state_dict = collections.OrderedDict(state_dict)    # pre-hooks may edit this copy
        missing, unexpected, errors = [], [], []
        targets, modules = self._state_targets()
        for prefix, module in modules:
            module._upgrade_state_dict(state_dict, prefix, metadata.get(prefix[:-1], {}).get('version'))
            for hook in module._load_state_dict_pre_hooks.values():
                hook(module, state_dict, prefix, {}, strict, missing, unexpected, errors)
        missing += [key for key, _, _ in targets if key not in state_dict]
        known = {key for key, _, _ in targets}
        unexpected += [k for k in state_dict if k not in known]
        values = []
        for key, module, name in targets:
            if key not in state_dict:
                continue
            value = state_dict[key]
            if name is None:                               # extra state: any object
                values.append((module, name, value))
                continue
            t = getattr(module, name)
            lazy = (UninitializedParameter, UninitializedBuffer)
            if isinstance(value, lazy):                    # from a lazy module never called
                if not isinstance(t, lazy):
                    errors.append(f'While copying the parameter named "{key}": the checkpoint '
                                  'holds an uninitialized parameter (a lazy module never called)')
                continue                                   # lazy into lazy: stays lazy
            if isinstance(value, Tensor):
                value = value.data
            elif isinstance(value, (np.ndarray, np.generic)):
                value = np.asarray(value)
            else:
                errors.append(f'While copying the parameter named "{key}", expected Tensor or '
                              f'numpy array from checkpoint but received {type(value).__name__}')
                continue
            if not isinstance(t, lazy) and tuple(value.shape) != tuple(t.shape):
                errors.append(f'size mismatch for {key}: copying a param with shape '
                              f'{tuple(value.shape)} from checkpoint, the shape in current model '
                              f'is {tuple(t.shape)}.')
            values.append((module, name, value))
        post_hooks = [(m, h) for _, m in modules for h in m._load_state_dict_post_hooks.values()]
        if errors or strict and (missing or unexpected) and not post_hooks:
            self._raise_load_errors(errors, strict, missing, unexpected)
        with no_grad():
            for module, name, value in values:
                if name is None:
                    module.set_extra_state(value)
                    continue
                t = getattr(module, name)
                if isinstance(t, (UninitializedParameter, UninitializedBuffer)):
                    t.materialize(value.shape)
                if not assign:
                    t.copy_(value)
                elif name in module._parameters:
                    module._parameters[name] = Parameter(value, requires_grad=t.requires_grad)
                else:
                    module._buffers[name] = Tensor(value)
        result = _IncompatibleKeys(missing, unexpected)
        for module, hook in post_hooks:
            if hook(module, result) is not None:
                raise RuntimeError("load_state_dict post-hook must return None")
        if strict and (missing or unexpected):
            self._raise_load_errors([], strict, missing, unexpected)
        return result

    def _upgrade_state_dict(self, state_dict, prefix, version):
        """Add to ``state_dict`` the entries of this module that a checkpoint of an older
        ``version`` (None: unknown, e.g. a plain dict) lacks. Nothing to add by default."""

    def _raise_load_errors(self, errors, strict, missing, unexpected):
        head = []
        if strict and missing:
            head.append('Missing key(s) in state_dict: '
                        + ', '.join(f'"{k}"' for k in missing) + '. ')
        if strict and unexpected:
            head.append('Unexpected key(s) in state_dict: '
                        + ', '.join(f'"{k}"' for k in unexpected) + '. ')
        raise RuntimeError(f'Error(s) in loading state_dict for {type(self).__name__}:\n\t'
                           + '\n\t'.join(head + errors))

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` runs before ``forward``; it may return replacement args.
        ``with_kwargs``: ``hook(module, args, kwargs)`` returning None or ``(args, kwargs)``."""
        handle = _add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` runs after ``forward``; it may return a new output.
        ``with_kwargs``: ``hook(module, args, kwargs, output)``; ``always_call``: it also runs
        (with output None) when ``forward`` raises."""
        handle = _add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before this module adds its entries to
        ``state_dict``."""
        return _add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after this module's part
        of ``state_dict`` is done; it may edit ``state_dict`` in place."""
        return _add_hook(self._state_dict_hooks, hook, False)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before loading; it may edit ``state_dict`` (a copy
        of the caller's) in place, e.g. to rename old keys."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, False)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after loading; it may edit the
        ``missing_keys``/``unexpected_keys`` lists in place (strict checks see the result)."""
        return _add_hook(self._load_state_dict_post_hooks, hook, False)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradient w.r.t. the output is known; it
        may return a replacement ``grad_output`` tuple (for modules with one output)."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients w.r.t. the module's
        Tensor inputs have been computed (grad_input holds None for inputs that need no grad).

        It may return a replacement ``grad_input`` tuple; that is supported for modules
        with one input that requires grad, the usual case for layers.
        """
        return _add_hook(self._backward_hooks, hook, prepend)

    register_backward_hook = register_full_backward_hook   # PyTorch's deprecated older name

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        """The layer's own settings, shown inside the parentheses of its repr."""
        return ''

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split('\n') if extra else []
        child_lines = [f'({name}): ' + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ''
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = '\n  ' + '\n  '.join(lines) + '\n'
        return f'{self._get_name()}({body})'


class _HookIdentity(Function):
    """y = x: a graph node of its own, so a hook sees exactly the gradient w.r.t. x."""
    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


class _BackwardHook:
    """Runs a module's full backward (pre-)hooks for one forward call.

    Each Tensor input and output is passed through an identity node; hooks on
    those nodes see the gradients w.r.t. the module's outputs (arriving first)
    and inputs (arriving last), which is when the module hooks are called.
    """

    def __init__(self, module):
        self.module = module

    def setup_inputs(self, args):
        args = list(args)
        self.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.grad_inputs = [None] * len(self.tensor_positions)
        self.pending_inputs = 0
        for k, i in enumerate(self.tensor_positions):
            if args[i].requires_grad:
                args[i] = _HookIdentity.apply(args[i])
                args[i].grad_fn.register_hook(functools.partial(self._input_grad, k))
                self.pending_inputs += 1
        self.replaceable = self.pending_inputs == 1
        return tuple(args)

    def setup_outputs(self, output):
        single = isinstance(output, Tensor)
        outputs = [output] if single else list(output) if isinstance(output, (tuple, list)) \
            else []
        self.grad_outputs = [None] * len(outputs)
        self.pending_outputs = 0
        for k, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                outputs[k] = _HookIdentity.apply(out)
                outputs[k].grad_fn.register_hook(functools.partial(self._output_grad, k))
                self.pending_outputs += 1
        if single:
            return outputs[0]
        return type(output)(outputs) if isinstance(output, (tuple, list)) else output

    def _output_grad(self, k, grad):
        self.grad_outputs[k] = grad
        self.pending_outputs -= 1
        if self.pending_outputs == 0:
            for hook in list(self.module._backward_pre_hooks.values()):
                result = hook(self.module, tuple(self.grad_outputs))
                if result is not None:
                    if len(self.grad_outputs) > 1:
                        raise RuntimeError(
                            f"register_full_backward_pre_hook: a hook of "
                            f"{type(self.module).__name__} returned a new grad_output, which is "
                            "only supported for modules with one output")
                    self.grad_outputs = list(result)
            grad = self.grad_outputs[k]
            if self.pending_inputs == 0:          # no input needs grad: the hooks run now
                self._call_hooks()
        return grad

    def _input_grad(self, k, grad):
        self.grad_inputs[k] = grad
        self.pending_inputs -= 1
        if self.pending_inputs == 0:
            result = self._call_hooks()
            if result is not None:
                if not self.replaceable:
                    raise RuntimeError(
                        f"register_full_backward_hook: a hook of {type(self.module).__name__} "
                        "returned a new grad_input, which is only supported for modules with "
                        "one input that requires grad")
                return result[k]
        return grad

    def _call_hooks(self):
        result = None
        for hook in list(self.module._backward_hooks.values()):
            out = hook(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
            if out is not None:
                self.grad_inputs = list(out)
                result = out
        return result
