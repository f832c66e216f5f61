"""Activation checkpointing: trade compute for memory, as ``torch.utils.checkpoint``.

``y = checkpoint(block, x, use_reentrant=False)`` gives the same ``y`` and the
same gradients as ``y = block(x)``, but keeps none of ``block``'s intermediate
activations until backward: backward runs ``block`` again (with the random
state it had, so dropout masks repeat) and differentiates that recomputation.
Checkpointing every block of a deep network keeps only the block boundaries
alive between forward and backward.

Here the first run records ``block``'s graph, only to find the parameters it
uses (they become inputs of the checkpoint node, so ``autograd.grad`` and
``backward(inputs=...)`` reach them), and then drops it; so peak memory is one
block's activations plus the boundaries.
"""
import contextlib
import warnings

from .. import autograd
from ..autograd import Function, enable_grad, is_grad_enabled, no_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ['checkpoint', 'checkpoint_sequential']


class _Segment:
    """What backward needs to run the checkpointed function again."""

    def __init__(self, function, args, kwargs, rng_state, outputs):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state, self.outputs = rng_state, outputs


@contextlib.contextmanager
def _rng_state(state):
    """Run the block with the random state it first ran with (None: leave the state alone)."""
    if state is None:
        yield
        return
    current = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(current)


class CheckpointFunction(Function):
    """The node of one checkpointed call: inputs are the Tensor arguments and the parameters
    the block used; backward recomputes the block and differentiates it."""

    @staticmethod
    def forward(ctx, segment, *tensors):
        ctx.segment = segment
        ctx.n_args = sum(isinstance(a, Tensor) for a in segment.args)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(*tensors)
        outputs, segment.outputs = segment.outputs, None    # the recorded graph goes with them
        if isinstance(outputs, tuple):
            return tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs)
        return outputs.detach()

    @staticmethod
    def backward(ctx, *grads):
        segment, tensors, n = ctx.segment, ctx.saved_tensors, ctx.n_args
        create_graph = is_grad_enabled()       # double backward: stay connected to the inputs
        fresh = [t if create_graph and t.requires_grad
                 else t.detach().requires_grad_(t.requires_grad) for t in tensors[:n]]
        it = iter(fresh)
        args = [next(it) if isinstance(a, Tensor) else a for a in segment.args]
        inputs = fresh + list(tensors[n:])         # the arguments, then the parameters
        with _rng_state(segment.rng_state), enable_grad():
            outputs = segment.function(*args, **segment.kwargs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        wanted = [t for t in inputs if t.requires_grad]
        found = iter(autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                                   create_graph=create_graph, allow_unused=True)
                     if pairs and wanted else [None] * len(wanted))
        return (None,) + tuple(next(found) if t.requires_grad else None for t in inputs)


def _parameters_used(outputs, args):
    """Leaves that require grad reached from ``outputs``'s graph, other than ``args``."""
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    stop = {id(a.grad_fn) for a in args if a.grad_fn is not None}
    seen, found = set(stop) | {id(a) for a in args}, []
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    while stack:                        # iterative: blocks can be deep
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for p in node.parents:
            if isinstance(p, Function):
                stack.append(p)
            elif p is not None and id(p) not in seen:
                seen.add(id(p))
                found.append(p)
    return found


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check='default',
               debug=False, preserve_rng_state=True, early_stop=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in backward instead of kept in memory.

    ``function`` returns a Tensor or a tuple (non-Tensor entries pass through).
    ``preserve_rng_state=True`` replays the random state, so dropout inside gives
    the same mask in the recomputation. Pass ``use_reentrant`` explicitly, as
    PyTorch asks (omitted: a warning, and True). ``use_reentrant=True`` keeps
    PyTorch's rules for that variant: no keyword arguments, and no gradient at all
    when no Tensor argument requires grad. Both variants support
    ``autograd.grad`` and double backward here. ``context_fn``,
    ``determinism_check``, ``debug`` and ``early_stop`` are accepted and ignored.
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended, but if you need to "
                      "preserve the current default behavior, you can pass use_reentrant=True.",
                      stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    if not is_grad_enabled():
        return function(*args, **kwargs)      # no graph: nothing to save or recompute
    if use_reentrant and not any(t.requires_grad for t in tensor_args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
        with no_grad():
            return function(*args, **kwargs)
    rng_state = get_rng_state() if preserve_rng_state else None
    outputs = function(*args, **kwargs)
    if not isinstance(outputs, (Tensor, tuple)):
        raise TypeError(f"checkpoint: the function must return a Tensor or a tuple, got "
                        f"{type(outputs).__name__}")
    parameters = _parameters_used(outputs, tensor_args)
    if not parameters and not any(t.requires_grad for t in tensor_args):
        return outputs                        # nothing to differentiate: no graph was recorded
    segment = _Segment(function, args, kwargs, rng_state, outputs)
    del outputs
    return CheckpointFunction.apply(segment, *tensor_args, *parameters)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a Sequential or a list of modules) in ``segments`` chunks, each
    checkpointed except the last, as ``torch.utils.checkpoint.checkpoint_sequential``."""
    functions = list(functions.children()) if hasattr(functions, 'children') else list(functions)
    size = len(functions) // segments

    def run(start, end):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
