"""``tg.func``: gradient transforms in the style of ``torch.func``: ``grad``,
``grad_and_value``, ``vjp``.

``grad(f)`` is a new function that returns the gradient of ``f`` instead of its
value. They are built on ``autograd.grad``: each call differentiates at fresh
leaves; an argument that is itself part of a graph (an outer ``grad``, or a
parameter with ``requires_grad``) stays connected, so transforms nest
(``grad(grad(f))``) and compose with ``backward``. The other functorch
transforms (``vmap``, ``jacrev``, ``jacfwd``) are not provided; see
``tg.autograd.functional`` for Jacobians and Hessians.
"""
from . import autograd
from .autograd import enable_grad, is_grad_enabled
from .autograd_functional import _detached, _zeros_like
from .nn.utils.stateless import _functional_call as functional_call  # noqa: F401

__all__ = ['grad', 'grad_and_value', 'vjp', 'functional_call']


def _leaf(t, connected):
    """The point to differentiate at: the Tensor itself (it stays in the outer graph: nested
    transforms), or a fresh leaf."""
    if not isinstance(t, autograd.Tensor):
        raise TypeError(f"expected a Tensor to differentiate with respect to, got "
                        f"{type(t).__name__}")
    return t if connected else t.detach().requires_grad_()


def _zeros_if_none(grads, inputs):
    return tuple(_zeros_like(t) if g is None else g for g, t in zip(grads, inputs))


def grad_and_value(func, argnums=0, has_aux=False):
    """``grad_and_value(f, argnums=0, has_aux=False)(*args) -> (gradient, value)``.

    ``f`` must return a one-element Tensor (or ``(value, aux)`` with ``has_aux``;
    the value part is then ``(value, aux)``). ``argnums`` is an int or a tuple of
    ints; the gradient is a Tensor or a tuple to match.
    """
    def wrapper(*args, **kwargs):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        args = list(args)
        for n in nums:
            if not -len(args) <= n < len(args):
                raise RuntimeError(f"Got argnums={argnums}, but only {len(args)} positional "
                                   f"inputs")
        # inside an outer transform (or under a graph) the gradient itself must be differentiable
        connected = is_grad_enabled() and any(isinstance(args[n], autograd.Tensor)
                                              and args[n].requires_grad for n in nums)
        for n in nums:
            args[n] = _leaf(args[n], connected and args[n].requires_grad)
        with enable_grad():
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, autograd.Tensor) or out.numel() != 1:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got {type(out).__name__} of shape "
                                   f"{tuple(getattr(out, 'shape', ()))}. Maybe you wanted to use "
                                   f"the vjp or jacrev APIs instead?")
            inputs = [args[n] for n in nums]
            grads = autograd.grad(out, inputs, create_graph=connected, allow_unused=True) \
                if out.requires_grad else (None,) * len(inputs)
        grads = _zeros_if_none(grads, inputs)
        if not connected:
            out, grads, aux = out.detach(), tuple(g.detach() for g in grads), _detached(aux)
        grads = grads[0] if isinstance(argnums, int) else grads
        return grads, ((out, aux) if has_aux else out)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``grad(f, argnums=0, has_aux=False)(*args)``: the gradient of the scalar ``f(*args)``
    with respect to ``args[argnums]`` (``(gradient, aux)`` with ``has_aux``)."""
    def wrapper(*args, **kwargs):
        grads, value = grad_and_value(func, argnums, has_aux)(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``vjp(f, *primals) -> (f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one gradient
    per primal, as a tuple (``(output, vjp_fn, aux)`` with ``has_aux``)."""
    connected = is_grad_enabled() and any(isinstance(p, autograd.Tensor) and p.requires_grad
                                          for p in primals)
    inputs = [_leaf(p, connected and p.requires_grad) for p in primals]
    with enable_grad():
        out = func(*inputs)
        aux = None
        if has_aux:
            out, aux = out
    outputs = list(out) if isinstance(out, tuple) else [out]

    def vjp_fn(cotangents):
        cts = list(cotangents) if isinstance(cotangents, tuple) else [cotangents]
        if len(cts) != len(outputs):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function: {len(outputs)} "
                               f"outputs, {len(cts)} cotangents")
        pairs = [(o, c) for o, c in zip(outputs, cts) if o.requires_grad]
        with enable_grad():
            grads = autograd.grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                                  retain_graph=True, create_graph=connected, allow_unused=True) \
                if pairs else (None,) * len(inputs)
        grads = _zeros_if_none(grads, inputs)
        return grads if connected else tuple(g.detach() for g in grads)

    if not connected:
        out, aux = _detached(out), _detached(aux)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)
