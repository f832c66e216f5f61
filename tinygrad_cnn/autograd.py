"""Reverse-mode automatic differentiation: graph nodes, grad mode, the backward pass.

Every differentiable op is a :class:`Function`. Its ``forward`` works on raw
arrays; calling ``Op.apply(*tensors)`` runs it and, when a gradient is needed,
records the call as a node of the backward graph (the output's ``grad_fn``).
Its ``backward`` receives the gradient of the output as a Tensor and returns
one gradient per input, computed with Tensor ops. When ``create_graph=True``
those ops are themselves recorded, so the backward pass is differentiable and
second derivatives need no second set of formulas.

The graph only points backwards (output -> node -> inputs), so it contains no
reference cycles: dropping the last output frees it at once.
"""
import contextlib
import inspect
import sys
import threading
import warnings

from .backend import get_array_module


class _GradState(threading.local):
    enabled = True          # per thread, as in PyTorch
    inference = False       # inside inference_mode(): new tensors are marked as inference tensors
    anomaly = False         # detect_anomaly(): backward checks each node's gradients for NaN
    anomaly_check_nan = True


_state = _GradState()
Tensor = None               # set by tensor.py (which imports this module first)

# In-place changes are numbered by one global clock: a tensor remembers the tick of its
# last in-place change (``_version``), a node the clock when it was recorded (``_stamp``).
# An input changed after its node was recorded (``_version > _stamp``) would make that
# node's backward silently use the new values, so ``Function.inputs`` raises instead, as
# PyTorch's version counters do. One integer per node: nothing to loop over in ``apply``.
_clock = 0


def mark_modified(tensor):
    """Record an in-place change of ``tensor`` (called by Tensor's in-place ops)."""
    global _clock
    _clock += 1
    tensor._version = _clock


def is_grad_enabled():
    """True unless inside ``no_grad()`` / ``set_grad_enabled(False)``."""
    return _state.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording on or off.

    ``set_grad_enabled(False)`` takes effect immediately, as in PyTorch, so it
    also works as a plain function call.
    """

    def __init__(self, mode):
        self.prev, self.mode = is_grad_enabled(), bool(mode)
        _state.enabled = self.mode

    def __call__(self, func):
        _state.enabled = self.prev      # as a decorator: change nothing until the function runs
        return super().__call__(func)

    def _recreate_cm(self):             # each call of a decorated function gets a fresh context
        return type(self)(self.mode)

    def __enter__(self):
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class _GradMode(contextlib.ContextDecorator):
    """Base of ``no_grad``/``enable_grad``: a context manager and a decorator
    (with or without parentheses: ``@no_grad`` and ``@no_grad()`` both work)."""
    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):              # bare ``@no_grad``: __init__ is skipped, so run it here
            self.__init__()
            return self(func)
        return self

    def __init__(self, func=None):
        self.prev = []

    def _recreate_cm(self):             # a fresh context per call: threads don't share self.prev
        return type(self)()

    def __enter__(self):
        self.prev.append(is_grad_enabled())
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev.pop()
        return False


class no_grad(_GradMode):
    """Don't record operations: for evaluation and in-place parameter updates."""
    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a ``no_grad`` block."""
    mode = True


class inference_mode(_GradMode):
    """``inference_mode(mode=True)``: ``no_grad`` for pure inference, as in PyTorch.

    A context manager and a decorator (``@inference_mode``, ``@inference_mode()``).
    Nothing is recorded, and the tensors made inside are *inference tensors*
    (``t.is_inference()``): outside the block they cannot be modified in place or set
    to require grad. ``inference_mode(False)`` changes nothing (it lets a function be
    decorated conditionally). Here it is as fast as ``no_grad``; the flag exists so
    code written for PyTorch runs and fails the same way.
    """

    def __new__(cls, mode=True):
        return super().__new__(cls, mode)      # a function here: bare ``@inference_mode``

    def __init__(self, mode=True):
        super().__init__()
        self.mode = bool(mode)

    def _recreate_cm(self):
        return type(self)(self.mode)

    def __enter__(self):
        self.prev.append((_state.enabled, _state.inference))
        if self.mode:
            _state.enabled, _state.inference = False, True
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self.prev.pop()
        return False


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _state.inference


class set_detect_anomaly:
    """``set_detect_anomaly(mode, check_nan=True)``: turn anomaly detection on or off.

    Takes effect immediately (a plain call works) and, used as a context manager,
    restores the previous mode on exit. While it is on, backward raises a
    RuntimeError naming the first node that returns a gradient with NaN values.
    """

    def __init__(self, mode, check_nan=True):
        self.prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly, _state.anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self.prev
        return False


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns anomaly detection on, for debugging:
    a backward node that produces NaN raises ``RuntimeError: Function 'XBackward0'
    returned nan values in its 0th output.``"""

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly, _state.anomaly_check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self.prev
        return False


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return _state.anomaly


def is_anomaly_check_nan_enabled():
    """True when anomaly detection checks gradients for NaN (``check_nan=True``)."""
    return _state.anomaly_check_nan


def _check_nan(node, input_grads):
    """Anomaly mode: raise if ``node.backward`` returned a gradient with NaN values."""
    for i, g in enumerate(input_grads):
        if isinstance(g, Tensor) and g.dtype.kind in 'fc' and \
                get_array_module(g.data).isnan(g.data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


class Function:
    """One op: ``forward`` on arrays, ``backward`` on Tensors, side by side.

    Subclasses implement ``forward(self, *arrays, **options) -> array`` (saving
    on ``self`` whatever backward needs) and ``backward(self, grad) -> tuple``
    with one Tensor (or None) per input. ``self.inputs`` gives the input
    Tensors and ``self.saved_output()`` the output, inside backward.

    PyTorch's style works too: static ``forward(ctx, *args)`` on Tensors and
    ``backward(ctx, *grads)``, with ``ctx.save_for_backward`` and the rest
    (see ``autograd_function.py``).
    """
    __slots__ = ('parents', 'needs_input_grad', '_inputs', '_output', '_hooks', '_released', '_stamp',
                 '__dict__', '__weakref__')

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # an op written PyTorch's way (static ``forward(ctx, ...)``) gets the apply of
        # autograd_function.py; built-in ops keep the fast one below
        if isinstance(inspect.getattr_static(cls, 'forward', None), staticmethod):
            from .autograd_function import _setup_ctx_style
            _setup_ctx_style(cls)

    @classmethod
    def apply(cls, *inputs, **options):
        node = cls.__new__(cls)
        out = node.forward(*[None if t is None else t.data for t in inputs], **options)
        if _state.enabled:
            # the slot ``_requires_grad``, not the ``requires_grad`` property: this runs per op
            for t in inputs:
                if t is not None and t._requires_grad:
                    break
            else:                              # no input needs a gradient: record nothing
                return Tensor._make(out, False, None)
            node.needs_input_grad = tuple(t is not None and t._requires_grad for t in inputs)
            # an edge per input: the node that made it, the leaf itself, or None
            node.parents = tuple(None if t is None or not t._requires_grad
                                 else (t.grad_fn or t) for t in inputs)
            node._inputs = inputs
            node._stamp = _clock
            node._output = out
            node._hooks = None
            node._released = False
            return Tensor._make(out, True, node)
        t = Tensor._make(out, False, None)
        if _state.inference:
            t._inference = True
        return t

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @property
    def inputs(self):
        """The input Tensors of the forward call (None where an input was None).

        Raises if one of them was changed in place after this node was recorded.
        """
        if self._released:
            raise RuntimeError(_FREED)
        if _clock == self._stamp:           # nothing changed in place since: the usual case
            return self._inputs
        for i, t in enumerate(self._inputs):
            if t is not None and getattr(t, '_version', 0) > self._stamp:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: input {i} of {self.name()} (shape {tuple(t.shape)}, "
                    f"dtype {t.dtype}) was changed after {self.name()} was recorded. Hint: write "
                    f"the update out of place (y = y + 1) or modify a .clone() of the tensor.")
        return self._inputs

    def saved_output(self):
        """The forward output as a Tensor that is still part of the graph.

        Keeping the output Tensor itself on the node would make a reference
        cycle (output -> node -> output); the array plus the node rebuild it.
        """
        if self._released:
            raise RuntimeError(_FREED)
        if _state.enabled:
            return Tensor._make(self._output, True, self)
        return Tensor._make(self._output, False, None)

    def name(self):
        """PyTorch-style name of the node, e.g. ``MulBackward0``."""
        return type(self).__name__ + 'Backward0'

    def _release(self):
        """Drop everything forward saved: backward has used it."""
        self._inputs = None
        self._output = None
        self.__dict__.clear()
        self._released = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` with the gradient of this node's output; it may return a replacement."""
        if self._hooks is None:
            self._hooks = []
        # retain_grad's hook runs last, so .grad shows the gradient after all hooks (PyTorch)
        retains = bool(self._hooks) and getattr(self._hooks[-1], 'retains_grad', False)
        self._hooks.insert(len(self._hooks) - retains, hook)
        return RemovableHandle(self._hooks, hook)

    def __repr__(self):
        return f"<{self.name()}>"


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _topological_order(roots):
    """Nodes reachable from ``roots``, each before the nodes it points to.

    An explicit stack instead of recursion: a 100,000-step RNN makes a graph
    far deeper than Python's recursion limit.
    """
    order, visited = [], set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if isinstance(p, Function) and id(p) not in visited:
                    visited.add(id(p))
                    stack.append((p, iter(p.parents)))
                    break
            else:                      # all parents done: post-order
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                  allow_unused=False):
    """The backward pass shared by ``Tensor.backward`` and ``autograd.grad``.

    With ``inputs=None`` gradients accumulate into the leaves' ``.grad``;
    otherwise they are returned for ``inputs`` and ``.grad`` is untouched.
    """
    # gradient arriving at each node's output, or at each leaf
    grads = {}
    roots = []
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is not None:
            roots.append(out.grad_fn)
        _add_grad(grads, out.grad_fn if out.grad_fn is not None else out, g)
    if any(n._released for n in roots):
        raise RuntimeError(_FREED)
    order = _topological_order(roots)

    wanted = None
    if inputs is not None:                 # the nodes/leaves whose gradient the caller wants
        wanted = {id(t.grad_fn if t.grad_fn is not None else t) for t in inputs}
    captured = {}
    # memory a .grad already holds, or the caller's gradient arrays: a leaf's .grad must not share
    # it (views included), or an in-place update of one .grad would change another tensor
    stored = {id(_owner(g.data)) for g in grad_outputs}
    check_nan = _state.anomaly and _state.anomaly_check_nan
    with set_grad_enabled(create_graph):
        for node in order:
            g = grads.pop(id(node), None)
            if g is None:
                if not retain_graph:
                    node._release()
                continue
            g = g[1]
            if node._released:
                raise RuntimeError(_FREED)
            if node._hooks:
                g = _call_hooks(node._hooks, g)
            if wanted is not None and id(node) in wanted:
                captured[id(node)] = g
            input_grads = node.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if check_nan:
                _check_nan(node, input_grads)
            for parent, ig in zip(node.parents, input_grads):
                if parent is not None and ig is not None:
                    _add_grad(grads, parent, ig)
            if not retain_graph:
                node._release()
        # what remains in ``grads`` are leaves
        for key, (leaf, g) in grads.items():
            if isinstance(leaf, Function):
                continue                   # a node that was not reached (cannot happen) - skip
            if leaf._hooks:
                g = _call_hooks(leaf._hooks, g)
            if wanted is not None:
                if key in wanted:
                    captured[key] = g
                continue
            if not create_graph:
                if id(_owner(g.data)) in stored:
                    g = Tensor._make(g.data.copy(), False, None)
                stored.add(id(_owner(g.data)))
                g = g if g.grad_fn is None else g.detach()
            leaf._grad = g if leaf._grad is None else leaf._grad + g
            for hook in getattr(leaf, '_post_hooks', None) or ():
                hook(leaf)               # register_post_accumulate_grad_hook: sees the new .grad
    if inputs is None:
        return None
    result = []
    for t in inputs:
        g = captured.get(id(t.grad_fn if t.grad_fn is not None else t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {len(result)} (shape {tuple(t.shape)}) "
                "appears to not have been used in the graph. Set allow_unused=True if this is "
                "the desired behavior.")
        result.append(g)
    return tuple(result)


def _call_hooks(hooks, g):
    """Pass gradient ``g`` through tensor hooks; a hook may return a replacement of the same
    shape and dtype (PyTorch's checks)."""
    for hook in hooks:
        new = hook(g)
        if new is None:
            continue
        name = getattr(hook, '__name__', type(hook).__name__)
        if not isinstance(new, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
        if new.shape != g.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value: "
                               f"{tuple(g.shape)} -> {tuple(new.shape)}")
        if new.dtype != g.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} got "
                               f"{new.dtype})")
        g = new
    return g


def _owner(array):
    """The array that owns ``array``'s memory (itself, or the base of a view)."""
    return array if array.base is None else array.base


def _add_grad(grads, target, g):
    """Sum gradient ``g`` into ``grads`` for a node or leaf ``target``."""
    key = id(target)
    if key in grads:
        grads[key] = (target, grads[key][1] + g)
    else:
        grads[key] = (target, g)


def _check_grad_outputs(op, outputs, grad_outputs):
    result = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(f"{op}: element of shape {tuple(out.shape)} does not require grad "
                               "and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs, "
                                   f"but the output has shape {tuple(out.shape)}; pass gradient=...")
            g = Tensor._make(get_array_module(out.data).ones_like(out.data), False, None)
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype)
            g = g if g.dtype == out.dtype else g.to(out.dtype)   # float32 graphs stay float32
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(f"{op}: gradient has shape {tuple(g.shape)} but the output "
                                   f"has shape {tuple(out.shape)}")
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` the gradients of ``tensors`` w.r.t. the graph leaves
    (only into those of ``inputs``, when given)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    grad_tensors = _check_grad_outputs('backward', tensors, list(grad_tensors))
    retain_graph = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        _run_backward(tensors, grad_tensors, retain_graph, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads = _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, True)
    for t, g in zip(inputs, grads):
        if g is not None:
            g = g if create_graph else Tensor._make(g.data.copy(), False, None)   # own memory
            t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned as a tuple; ``.grad`` is untouched.

    With ``create_graph=True`` the returned gradients are part of a graph and
    can be differentiated again (higher-order derivatives). An input the outputs
    don't depend on raises, unless ``allow_unused=True`` (its gradient is None) or
    ``materialize_grads=True`` (zeros). ``is_grads_batched=True``: each
    ``grad_outputs`` has an extra leading batch dimension, and the result too (one
    backward pass per batch element here, where PyTorch vectorises). ``inputs`` may
    be a dict of name -> Tensor; the result is then a dict.
    """
    if isinstance(inputs, dict):
        grads = grad(outputs, list(inputs.values()), grad_outputs, retain_graph, create_graph,
                     only_inputs, allow_unused, is_grads_batched, materialize_grads)
        return dict(zip(inputs, grads))
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). "
                      "To accumulate gradient for other parts of the graph, please use "
                      "torch.autograd.backward.", FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads="
                         "True, but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: an input of shape {tuple(t.shape)} does not "
                               "require grad")
    retain_graph = create_graph if retain_graph is None else retain_graph
    if is_grads_batched:
        return _batched_grad(outputs, inputs, list(grad_outputs), retain_graph, create_graph,
                             allow_unused, materialize_grads)
    grad_outputs = _check_grad_outputs('autograd.grad', outputs, list(grad_outputs))
    grads = _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused)
    if materialize_grads:
        grads = tuple(Tensor._make(get_array_module(t.data).zeros_like(t.data), False, None)
                      if g is None else g for t, g in zip(inputs, grads))
    return grads


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``grad(..., is_grads_batched=True)``: one backward pass per row of the grad_outputs."""
    batch = {g.shape[0] for g in grad_outputs if g is not None}
    if len(batch) != 1 or any(g is None for g in grad_outputs):
        raise RuntimeError("autograd.grad: with is_grads_batched=True every grad_outputs must be "
                           "a Tensor with the same leading batch dimension")
    from .tensor import stack       # tensor.py imports this module first
    n = batch.pop()
    rows = [grad(outputs, inputs, [g[b] for g in grad_outputs], retain_graph or b < n - 1,
                 create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
            for b in range(n)]
    return tuple(None if col[0] is None else stack(list(col)) for col in zip(*rows))


def Variable(data, requires_grad=False, volatile=False):      # noqa: N802 - PyTorch's name
    """PyTorch's deprecated ``Variable(tensor, requires_grad=False)`` (tensors are variables
    since PyTorch 0.4), kept for old tutorials: a new leaf sharing ``data``'s values."""
    t = Tensor._make(data.data, False, None) if isinstance(data, Tensor) else Tensor(data)
    return t.requires_grad_(requires_grad)


# The PyTorch-style helpers live in modules of their own; registering them under this module's
# name makes ``import tinygrad_cnn.autograd.functional`` work as for torch (``os`` registers
# ``os.path`` the same way).
from . import autograd_function as function, autograd_functional as functional  # noqa: E402
from .autograd_function import FunctionCtx, once_differentiable  # noqa: E402,F401
sys.modules[__name__ + '.function'] = function
sys.modules[__name__ + '.functional'] = functional
