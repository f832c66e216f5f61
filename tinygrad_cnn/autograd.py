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
import threading

from .backend import get_array_module


class _GradState(threading.local):
    enabled = True          # per thread, as in PyTorch


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


_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time.")


class Function:
    """One op: ``forward`` on arrays, ``backward`` on Tensors, side by side.

    Subclasses implement ``forward(self, *arrays, **options) -> array`` (saving
    on ``self`` whatever backward needs) and ``backward(self, grad) -> tuple``
    with one Tensor (or None) per input. ``self.inputs`` gives the input
    Tensors and ``self.saved_output()`` the output, inside backward.
    """
    __slots__ = ('parents', 'needs_input_grad', '_inputs', '_output', '_hooks', '_released', '_stamp',
                 '__dict__', '__weakref__')

    @classmethod
    def apply(cls, *inputs, **options):
        node = cls.__new__(cls)
        out = node.forward(*[None if t is None else t.data for t in inputs], **options)
        if _state.enabled:
            for t in inputs:
                if t is not None and t.requires_grad:
                    break
            else:                              # no input needs a gradient: record nothing
                return Tensor._make(out, False, None)
            node.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
            # an edge per input: the node that made it, the leaf itself, or None
            node.parents = tuple(None if t is None or not t.requires_grad
                                 else (t.grad_fn or t) for t in inputs)
            node._inputs = inputs
            node._stamp = _clock
            node._output = out
            node._hooks = None
            node._released = False
            return Tensor._make(out, True, node)
        return Tensor._make(out, False, None)

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
                for hook in node._hooks:
                    new = hook(g)
                    g = g if new is None else new
            if wanted is not None and id(node) in wanted:
                captured[id(node)] = g
            input_grads = node.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
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
                for hook in leaf._hooks:
                    new = hook(g)
                    g = g if new is None else new
            if wanted is not None:
                if key in wanted:
                    captured[key] = g
                continue
            if not create_graph:
                if id(_owner(g.data)) in stored:
                    g = Tensor._make(g.data.copy(), False, None)
                stored.add(id(_owner(g.data)))
                g = g if g.grad_fn is None else g.detach()
            leaf.grad = g if leaf.grad is None else leaf.grad + g
    if inputs is None:
        return None
    result = []
    for t in inputs:
        g = captured.get(id(t.grad_fn if t.grad_fn is not None else t))
        if g is None and not allow_unused:
            raise RuntimeError(
                "autograd.grad: one of the differentiated Tensors (shape "
                f"{tuple(t.shape)}) appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


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
    grads = _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, True)
    for t, g in zip(inputs, grads):
        if g is not None:
            g = g if create_graph else Tensor._make(g.data.copy(), False, None)   # own memory
            t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned as a tuple; ``.grad`` is untouched.

    With ``create_graph=True`` the returned gradients are part of a graph and
    can be differentiated again (higher-order derivatives).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: an input of shape {tuple(t.shape)} does not "
                               "require grad")
    grad_outputs = _check_grad_outputs('autograd.grad', outputs, list(grad_outputs))
    retain_graph = create_graph if retain_graph is None else retain_graph
    return _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused)
