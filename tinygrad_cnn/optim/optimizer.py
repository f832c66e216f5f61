"""``Optimizer``: the base class of SGD, Adam & co., as ``torch.optim.Optimizer``.

An optimizer holds

- ``param_groups``: a list of dicts, each with ``'params'`` (a list of
  Tensors) and its own hyperparameters (``'lr'``, ``'momentum'``, ...);
  options missing from a group come from ``defaults``. Schedulers change
  ``group['lr']`` between steps.
- ``state``: a dict from parameter to that parameter's own running state
  (momentum buffers, moment estimates, a ``'step'`` counter), created on the
  first ``step()`` that sees a gradient for it.

``step()`` updates every parameter that has a ``.grad`` in place, working on
the raw arrays (``p.data``), so nothing is recorded in the autograd graph; a
parameter whose ``.grad`` is None is left untouched. ``state_dict()`` numbers
the parameters 0, 1, 2, ... across groups, in PyTorch's layout, so it can be
saved (``tg.save``) and loaded into a fresh optimizer over the same model.

PyTorch's implementation flags are accepted and stored in the groups, so
``param_groups`` and ``state_dict()`` have PyTorch's keys: ``foreach``,
``fused`` and ``capturable`` choose between PyTorch kernels (for-loop, multi-
tensor, fused, CUDA-graph safe) that compute the same update; here there is one
numpy/CuPy implementation, so they change nothing. ``differentiable=True``
(autograd through the update itself) is not supported and raises.

``register_step_pre_hook`` / ``register_step_post_hook`` (and the global
``register_optimizer_step_pre_hook`` / ``..._post_hook``) run around every
``step()``, as in PyTorch.
"""
import copy
import functools
from collections import OrderedDict, defaultdict

import numpy as np

from ..autograd import enable_grad
from ..nn.modules.module import RemovableHandle
from ..tensor import Tensor, tensor

__all__ = ['Optimizer', 'required', 'register_optimizer_step_pre_hook',
           'register_optimizer_step_post_hook']


class _RequiredParameter:
    """Marks a hyperparameter that has no default and must be given (PyTorch's ``required``)."""

    def __repr__(self):
        return '<required parameter>'


required = _RequiredParameter()


def check_hyperparameters(op, **values):
    """PyTorch's argument checks, in the order given: each value must be >= 0, each of
    ``betas`` in [0, 1). The ValueError names the optimizer, the argument and the value
    (``Adam: Invalid learning rate: -1``)."""
    for name, value in values.items():
        if name == 'betas':
            for i, beta in enumerate(value):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"{op}: Invalid beta parameter at index {i}: {beta}")
        elif not 0.0 <= value:
            label = {'lr': 'learning rate', 'eps': 'epsilon value'}.get(name, f"{name} value")
            raise ValueError(f"{op}: Invalid {label}: {value}")

# hooks run around the step() of every optimizer
_global_step_pre_hooks = OrderedDict()
_global_step_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step()``; it may return
    ``(new_args, new_kwargs)``. Returns a handle with ``.remove()``."""
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step()``."""
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step):
    """Wrap a ``step`` method so that the global and per-optimizer hooks run around it."""
    @functools.wraps(step)
    def hooked_step(self, *args, **kwargs):
        for hook in [*_global_step_pre_hooks.values(), *self._optimizer_step_pre_hooks.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{type(self).__name__}.step: a step pre-hook must return "
                                       f"None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}")
                args, kwargs = result
        out = step(self, *args, **kwargs)
        self._opt_called = True     # schedulers warn when stepped before the optimizer (PyTorch)
        for hook in [*self._optimizer_step_post_hooks.values(), *_global_step_post_hooks.values()]:
            hook(self, args, kwargs)
        return out
    hooked_step.hooked = True
    return hooked_step


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params``: an iterable of Tensors, or of dicts defining parameter groups
    (``[{'params': model.features.parameters()}, {'params': head, 'lr': 1e-3}]``).
    ``defaults``: the hyperparameters of a group that does not set them.
    Subclasses implement ``step()``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if 'step' in cls.__dict__ and not getattr(cls.step, 'hooked', False):
            cls.step = _with_step_hooks(cls.step)

    def __init__(self, params, defaults):
        name = type(self).__name__
        if defaults.get('fused') and defaults.get('differentiable'):
            raise RuntimeError(f"{name}: `fused` does not support `differentiable`")
        if defaults.get('differentiable'):
            raise NotImplementedError(f"{name}: differentiable=True is not supported: the update "
                                      "works on raw arrays and is not recorded by autograd")
        if defaults.get('fused') and defaults.get('foreach'):
            raise RuntimeError(f"{name}: `fused` and `foreach` cannot be `True` together.")
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{'params': groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional hyperparameters).

        Useful for fine-tuning: unfreeze layers and give them their own ``lr``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group['params']
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("add_param_group: optimizer parameters need to be organized in "
                            "ordered collections, but the ordering of tensors in sets will "
                            "change between runs. Please use a list instead.")
        params = list(params)
        # named parameters, as from model.named_parameters(): keep the names in 'param_names'
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names and len(names) != len(params):
            raise ValueError("add_param_group: all optimizer params should be with/without "
                             "names. Some param names are missing")
        if names:
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"add_param_group: optimizer can only optimize Tensors, but one "
                                f"of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"add_param_group: can't optimize a non-leaf Tensor (shape "
                                 f"{tuple(p.shape)}); optimize the leaf it was computed from")
        group = dict(param_group, params=params)
        if names:
            group['param_names'] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"add_param_group: parameter group didn't specify a value of "
                                 f"required optimization parameter {name}")
            group.setdefault(name, default)
        if any(('param_names' in g) != bool(names) for g in self.param_groups):
            raise ValueError("add_param_group: all optimizer param groups should be with/without "
                             f"names. cannot add param group {'with' if names else 'without'} "
                             "names to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g['params']}
        if any(id(p) in seen for p in params):
            raise ValueError("add_param_group: some parameters appear in more than one "
                             "parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:                   # zero in place: references to p.grad see it (PyTorch)
                    if p.grad.grad_fn is not None:      # a create_graph gradient: cut it loose
                        p.grad = p.grad.detach()
                    p.grad.zero_()

    def step(self, closure=None):
        """Update the parameters once. ``closure`` (optional) re-evaluates and returns the loss."""
        raise NotImplementedError

    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before each ``step()``; it may return
        ``(new_args, new_kwargs)`` to replace step's arguments. Returns a handle with
        ``.remove()``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after each ``step()``. Returns a handle."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    @staticmethod
    def _gradients(group, weight_decay=0.0, decoupled=False):
        """Yield ``(p, param, grad)`` for each parameter of ``group`` that has a gradient.

        ``param`` is ``p``'s array, which the caller updates in place; ``grad`` is the array
        to step along: ``p.grad``, negated if ``group['maximize']``, plus
        ``weight_decay * param`` (an L2 penalty folded into the gradient) -- or, with
        ``decoupled`` (AdamW's way), ``param`` shrunk by ``1 - lr * weight_decay`` instead.
        """
        for p in group['params']:
            if p.grad is None:
                continue
            param, grad = p.data, p.grad.data
            if group['maximize']:
                grad = -grad
            if weight_decay != 0 and decoupled:
                param *= 1 - float(group['lr']) * weight_decay
            elif weight_decay != 0:
                grad = grad + weight_decay * param
            yield p, param, grad

    @staticmethod
    def _evaluate(closure):
        """Run ``closure`` with gradients enabled (for optimizers that re-evaluate the loss)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------ checkpoints
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are numbered in group order (PyTorch's layout); the state
        holds the optimizer's own Tensors (not copies), the parameters
        themselves are not included.
        """
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != 'params'}
            for i, p in enumerate(group['params'], start):
                index.setdefault(id(p), i)
            packed['params'] = [index[id(p)] for p in group['params']]
            start += len(packed['params'])
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` into this optimizer (over parameters of the same shapes).

        The saved state is copied (floating Tensors/arrays become Tensors in
        the parameter's dtype and device); hyperparameters are taken from the
        saved groups. Everything is checked before anything changes.
        """
        saved_groups = state_dict['param_groups']
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: loaded state dict has a different number of "
                             f"parameter groups ({len(saved_groups)}) than the optimizer "
                             f"({len(self.param_groups)})")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group['params']) != len(saved['params']):
                raise ValueError(f"load_state_dict: loaded state dict contains a parameter group "
                                 f"that doesn't match the size of optimizer's group (group {i}: "
                                 f"{len(saved['params'])} saved, {len(group['params'])} here)")
        params = {k: p for group, saved in zip(self.param_groups, saved_groups)
                  for k, p in zip(saved['params'], group['params'])}
        state = defaultdict(dict)
        for key, values in state_dict['state'].items():
            key = int(key)
            if key not in params:
                raise ValueError(f"load_state_dict: the state refers to parameter {key}, which "
                                 f"no saved parameter group contains")
            p = params[key]
            state[p] = {name: self._cast_state(name, value, p) for name, value in values.items()}
        self.state = state
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = dict(copy.deepcopy({k: v for k, v in saved.items() if k != 'params'}),
                       params=group['params'])
            if 'param_names' in group and 'param_names' not in new:
                new['param_names'] = group['param_names']
            groups.append(new)
        self.param_groups = groups

    @classmethod
    def _cast_state(cls, name, value, param):
        """A copy of one saved state value, as a Tensor like ``param`` (``'step'``: a scalar).

        Lists and dicts (LBFGS's history) are copied element by element.
        """
        if isinstance(value, (int, float)) and name == 'step':
            return tensor(float(value))
        if isinstance(value, (Tensor, np.ndarray, np.generic)):
            floating = np.dtype(value.dtype).kind == 'f' and name != 'step'
            dtype = param.dtype if floating and param.dtype.kind == 'f' else None
            return tensor(value, dtype=dtype, device=param.device)
        if isinstance(value, (list, tuple)):
            return type(value)(cls._cast_state(None, v, param) for v in value)
        if isinstance(value, dict):
            return {k: cls._cast_state(k, v, param) for k, v in value.items()}
        return copy.deepcopy(value)

    def __repr__(self):
        text = type(self).__name__ + ' ('
        for i, group in enumerate(self.param_groups):
            text += f'\nParameter Group {i}\n'
            text += ''.join(f'    {k}: {group[k]}\n' for k in sorted(group) if k != 'params')
        return text + ')'
