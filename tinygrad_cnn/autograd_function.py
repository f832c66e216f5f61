"""PyTorch-style custom ops: ``forward(ctx, ...)`` and ``backward(ctx, ...)`` as static methods.

Code ported from PyTorch writes its own ops like this::

    class MyExp(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):                 # Tensors in (run under no_grad), Tensor(s) out
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):             # one gradient per output in, one per input out
            (y,) = ctx.saved_tensors
            return grad * y

It is the same ``tg.autograd.Function`` as the built-in ops (whose instance
methods work on arrays): when a subclass defines ``forward`` as a staticmethod,
``Function.__init_subclass__`` calls :func:`_setup_ctx_style`, which gives the
class the ``apply`` below and a node class ``MyExpBackward``. That node is the
output's ``grad_fn`` *and* the ``ctx`` that forward and backward receive, as in
PyTorch. Built-in ops never pass through this module.

A forward that returns several Tensors gets one small ``_OutputSelect`` node per
output between the output and the op's node: the engine keeps one gradient per
node, and the select nodes gather the gradients of the outputs into one
``_OutputGrads`` that the op's backward unpacks.
"""
import functools
import inspect
import weakref

import numpy as np

from . import autograd
from .autograd import _FREED, Function, _state, no_grad
from .backend import get_array_module


class FunctionCtx:
    """What a custom ``forward`` (or ``setup_context``) gets as ``ctx``.

    Any attribute can be set on it (``ctx.k = k``) for backward to read.
    ``ctx.needs_input_grad`` has one bool per forward argument.
    """
    __slots__ = ()

    def save_for_backward(self, *tensors):
        """Keep Tensors (or None) for backward, which reads them as ``ctx.saved_tensors``.

        Changing one of them in place before backward makes ``saved_tensors`` raise.
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, autograd.Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._to_save = tensors

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that have no gradient (indices, masks); backward gets zeros for them."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, backward gets None instead of zeros for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        """The Tensors given to ``save_for_backward``, in order."""
        if self._released:
            raise RuntimeError(_FREED)
        result = []
        for entry in self._saved:
            if entry is None:
                result.append(None)
                continue
            t, index, version = entry
            alive = t if index is None else t()     # outputs are held weakly: see _apply
            if alive is not None and getattr(alive, '_version', 0) != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: a tensor of shape {tuple(alive.shape)} saved by "
                    f"{self.name()} was changed after it was saved. Hint: modify a .clone() of "
                    f"the tensor instead.")
            result.append(t if index is None else self._output_tensor(index))
        return tuple(result)


class BackwardCFunction(FunctionCtx, Function):
    """Graph node of one call of a custom Function (``output.grad_fn``); it is also ``ctx``.

    Each custom Function class gets a subclass named ``<ClassName>Backward``.
    """
    _forward_cls = None

    def name(self):
        return type(self).__name__

    def _output_tensor(self, index):
        """Output ``index`` rebuilt from its array, still connected to this node when grad is on
        (holding the output Tensor itself would make the cycle output -> node -> output)."""
        multi = isinstance(self._output, tuple)
        data = self._output[index] if multi else self._output
        if not _state.enabled:
            return autograd.Tensor._make(data, False, None)
        return autograd.Tensor._make(data, True, _OutputSelect.make(self, index) if multi else self)

    def backward(self, grad):
        cls = self._forward_cls
        if isinstance(self._output, tuple):        # several outputs: unpack, fill the missing
            grads = list(grad.grads)
            if self.materialize_grads:
                xp = get_array_module(*[a for a in self._output if a is not None])
                for i, a in enumerate(self._output):
                    if grads[i] is None and a is not None:
                        grads[i] = autograd.Tensor._make(xp.zeros_like(a), False, None)
        else:
            grads = [grad]
        user_backward = cls.backward if cls.backward is not Function.backward else \
            getattr(cls, 'vjp', None)
        if user_backward is None:
            raise NotImplementedError("You must implement either the backward or vjp method for "
                                      "your custom autograd.Function to use it with backward "
                                      "mode AD.")
        result = user_backward(self, *grads)
        return self._check_grads(result if isinstance(result, tuple) else (result,))

    def _check_grads(self, result):
        """One gradient per forward argument, each of its input's shape and dtype (PyTorch's rules:
        extra trailing Nones are dropped, a broadcast gradient is summed back)."""
        n = len(self.parents)
        if len(result) > n and all(g is None for g in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        checked = []
        for i, (g, meta) in enumerate(zip(result, self._input_meta)):
            if g is not None:
                if not isinstance(g, autograd.Tensor):
                    raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
                if meta is None:
                    raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                       f"None at position {i + 1}, but the corresponding forward "
                                       f"input was not a Variable")
                shape, dtype = meta
                if g.shape != shape:
                    try:
                        ok = np.broadcast_shapes(shape, g.shape) == g.shape
                    except ValueError:
                        ok = False
                    if not ok:
                        raise RuntimeError(f"Function {self.name()} returned an invalid gradient "
                                           f"at index {i} - got {list(g.shape)} but expected "
                                           f"shape compatible with {list(shape)}")
                    g = g._sum_to(shape)
                g = g if g.dtype == dtype else g.to(dtype)
            checked.append(g)
        return tuple(checked)


class _OutputGrads:
    """The gradients of a multi-output node's outputs (None: none arrived); adds slot by slot."""
    __slots__ = ('grads',)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return _OutputGrads([b if a is None else a if b is None else a + b
                             for a, b in zip(self.grads, other.grads)])


class _OutputSelect(Function):
    """The edge from output ``index`` of a multi-output custom Function to its node.

    Shows the node's name and attributes, so ``out.grad_fn`` reads like PyTorch's.
    """

    @classmethod
    def make(cls, node, index):
        sel = cls.__new__(cls)
        sel.parents, sel.needs_input_grad = (node,), (True,)
        sel._inputs, sel._output, sel._hooks, sel._released = None, None, None, False
        sel._stamp = autograd._clock
        sel.index, sel.count = index, len(node._output)
        return sel

    def backward(self, grad):
        grads = [None] * self.count
        grads[self.index] = grad
        return (_OutputGrads(grads),)

    def name(self):
        return self.parents[0].name()

    def __getattr__(self, name):            # only called for names not found on self
        if name == 'parents':
            raise AttributeError(name)
        return getattr(self.parents[0], name)


def _setup_ctx_style(cls):
    """Give a PyTorch-style Function subclass its ``apply`` and its node class
    ``<Name>Backward``."""
    cls.apply = classmethod(_apply)
    cls._backward_cls = type(cls.__name__ + 'Backward', (BackwardCFunction,),
                             {'_forward_cls': cls, '__module__': cls.__module__})


def _apply(cls, *args, **kwargs):
    """Run ``cls.forward`` under no_grad and record one node for it (when a Tensor argument
    requires grad and grad mode is on). Non-Tensor arguments are passed as they are."""
    Tensor = autograd.Tensor
    with_ctx = getattr(cls, 'setup_context', None) is None
    if kwargs:      # as in PyTorch, arguments given by name count as positional ones
        bound = inspect.signature(cls.forward).bind(*(None,) * with_ctx, *args, **kwargs)
        args, kwargs = bound.args[with_ctx:], bound.kwargs
    record = _state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = cls._backward_cls.__new__(cls._backward_cls)
    ctx._released, ctx._hooks, ctx._inputs = False, None, None
    ctx._to_save = ctx._dirty = ctx._non_differentiable = ctx._saved = ()
    ctx.materialize_grads = True
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    # the edges are taken before forward runs: mark_dirty re-points an input at this node
    ctx.parents = tuple((a.grad_fn or a) if isinstance(a, Tensor) and a.requires_grad else None
                        for a in args)
    ctx._input_meta = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
    with no_grad():
        if with_ctx:
            output = cls.forward(ctx, *args, **kwargs)
        else:                           # forward without ctx, then setup_context(ctx, ...)
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
    multi = isinstance(output, (tuple, list))
    if not record or not (multi or isinstance(output, Tensor)):
        return output
    outputs = list(output) if multi else [output]
    inputs = [a for a in args if isinstance(a, Tensor)]
    for t in ctx._dirty:
        if t.grad_fn is None and t.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                               "operation.")
    for i, o in enumerate(outputs):
        if isinstance(o, Tensor) and any(o is t for t in inputs) and \
                not any(o is d for d in ctx._dirty):
            outputs[i] = Tensor._make(o.data, False, None)  # an input returned as is: a new Tensor
    differentiable = [isinstance(o, Tensor) and o.dtype.kind in 'fc'
                      and not any(o is n for n in ctx._non_differentiable) for o in outputs]
    ctx._output = tuple(o.data if isinstance(o, Tensor) else None for o in outputs) if multi \
        else outputs[0].data
    for i, o in enumerate(outputs):
        if differentiable[i]:
            o.grad_fn, o._requires_grad = _OutputSelect.make(ctx, i) if multi else ctx, True
    ctx._saved = tuple(_saved_entry(t, outputs, differentiable) for t in ctx._to_save)
    ctx._to_save = ()
    ctx._stamp = autograd._clock
    return type(output)(outputs) if multi else outputs[0]


def _saved_entry(t, outputs, differentiable):
    """``(tensor, output_index, version)`` for one saved Tensor; an output of the node is kept
    by weak reference (it is rebuilt from the node's saved array)."""
    if t is None:
        return None
    version = getattr(t, '_version', 0)
    for i, o in enumerate(outputs):
        if o is t and differentiable[i]:
            return weakref.ref(t), i, version
    return t, None, version


class _DelayedError(Function):
    """Stands after the results of a ``once_differentiable`` backward: differentiating it raises."""

    @classmethod
    def wrap(cls, tensor):
        node = cls.__new__(cls)
        node.parents, node.needs_input_grad = (None,), (False,)
        node._inputs, node._output, node._hooks, node._released = None, None, None, False
        node._stamp = autograd._clock
        return autograd.Tensor._make(tensor.data, True, node)

    def backward(self, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(backward):
    """Decorator for a custom ``backward`` that is not written with differentiable ops.

    It runs under no_grad; with ``create_graph=True`` differentiating its results
    again raises a RuntimeError instead of silently giving wrong zeros.
    """
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            result = backward(ctx, *grads)
        if not (_state.enabled and any(isinstance(g, autograd.Tensor) and g.requires_grad
                                       for g in grads)):
            return result
        if isinstance(result, tuple):
            return tuple(_DelayedError.wrap(g) if isinstance(g, autograd.Tensor) else g
                         for g in result)
        return _DelayedError.wrap(result) if isinstance(result, autograd.Tensor) else result
    return wrapper
