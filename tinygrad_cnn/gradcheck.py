"""Finite-difference checks of analytic gradients (``gradcheck``, ``gradgradcheck``).

Central differences in float64: ``(f(x + eps) - f(x - eps)) / 2 eps`` for each
input element, compared with the rows of the Jacobian that backward computes.
float32 differences are noise (LESSONS.md), so non-float64 inputs are refused.
"""
import numpy as np

from . import autograd
from .tensor import Tensor


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _flat_outputs(fn, inputs):
    """Run ``fn`` and return its differentiable outputs as a list of Tensors."""
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == 'f']


def _numeric_jacobian(fn, inputs, eps):
    """J[i][j]: d out_j / d input_i as arrays of shape (input.numel(), total_out).

    Grad mode stays on: for gradgradcheck, ``fn`` itself calls autograd.
    """
    jac = []
    for t in inputs:
        if t is None or not t.requires_grad:
            jac.append(None)
            continue
        if not t.data.flags.c_contiguous or not t.data.flags.writeable:
            t.data = np.ascontiguousarray(t.data).copy()
        flat = t.data.reshape(-1)        # a view: perturb in place, then restore
        cols = []
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = np.concatenate([o.numpy().ravel() for o in _flat_outputs(fn, inputs)])
            flat[k] = orig - eps
            minus = np.concatenate([o.numpy().ravel() for o in _flat_outputs(fn, inputs)])
            flat[k] = orig
            cols.append((plus - minus) / (2 * eps))
        jac.append(np.array(cols).reshape(flat.size, -1))
    return jac


def _analytic_jacobian(fn, inputs):
    outs = _flat_outputs(fn, inputs)
    diff = [t for t in inputs if t is not None and t.requires_grad]
    total = sum(o.numel() for o in outs)
    jac = [np.zeros((t.numel(), total)) for t in diff]
    col = 0
    for o in outs:
        if not o.requires_grad:
            col += o.numel()
            continue
        for k in range(o.numel()):
            seed = np.zeros(o.numel())
            seed[k] = 1.0
            grads = autograd.grad([o], diff, [Tensor(seed.reshape(o.shape))],
                                  retain_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                if g is not None:
                    jac[j][:, col] = g.numpy().ravel()
            col += 1
    it = iter(jac)
    return [None if t is None or not t.requires_grad else next(it) for t in inputs]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s analytic gradients against central finite differences.

    ``inputs``: a Tensor or tuple of Tensors; those with ``requires_grad`` are
    checked and must be float64. Returns True, or raises AssertionError that
    names the worst element (input, index, analytic, numeric); with
    ``raise_exception=False`` returns False instead.
    """
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} has dtype {t.dtype}; finite differences need "
                             "float64 inputs (call .double())")
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input requires grad")
    tensors = [t if isinstance(t, Tensor) else None for t in inputs]
    call = lambda *xs: fn(*[x if x is not None else orig for x, orig in zip(xs, inputs)])  # noqa: E731
    numeric = _numeric_jacobian(call, tensors, eps)
    analytic = _analytic_jacobian(call, tensors)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if a is None:
            continue
        err = np.abs(a - n) - (atol + rtol * np.abs(n))
        if err.size and err.max() > 0:
            k, j = np.unravel_index(np.argmax(err), err.shape)
            index = np.unravel_index(k, inputs[i].shape) if inputs[i].ndim else ()
            msg = (f"gradcheck: Jacobian mismatch for input {i} (shape {tuple(inputs[i].shape)}) at "
                   f"element {tuple(int(v) for v in index)}, output element {j}: analytic "
                   f"{a[k, j]:.8g}, numeric {n[k, j]:.8g} (atol={atol}, rtol={rtol}; "
                   f"{int((err > 0).sum())} of {err.size} entries differ)")
            if raise_exception:
                raise AssertionError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0):
    """Check second derivatives: gradcheck of ``(inputs, v) -> vᵀ ∂fn/∂inputs``.

    The backward pass (built with ``create_graph=True``) is differentiated
    w.r.t. both the inputs and the output gradient ``v`` (random if not given).
    """
    inputs = _as_tuple(inputs)
    with autograd.no_grad():
        outs = _flat_outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        out = _flat_outputs(fn, xs)
        used = [(o, v) for o, v in zip(out, vs) if o.requires_grad]
        grads = autograd.grad([o for o, _ in used], [t for t in xs if isinstance(t, Tensor)
                                                    and t.requires_grad],
                              [v for _, v in used], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps, atol, rtol,
                     raise_exception)
