"""``tg.autograd.functional``: derivatives of a whole function, as in ``torch.autograd.functional``.

``jacobian(f, x)`` runs ``f`` once and then one backward pass per output element;
``hessian`` is the jacobian of the gradient; ``vjp``/``vhp`` are one backward pass
(two for ``vhp``). Reverse mode cannot push a tangent forward, so ``jvp`` and
``hvp`` use the *double-backward trick*, as PyTorch does: with ``u`` a dummy
gradient for the outputs, ``g(u) = J^T u`` is linear in ``u`` and its own vjp
with ``v`` is ``J v``.

Every function takes a Tensor or a tuple of Tensors and answers in the same
form; ``create_graph=True`` keeps the results differentiable, ``strict=True``
raises when an output does not depend on an input (instead of returning
zeros). ``vectorize`` and the ``strategy`` options are accepted for
compatibility: the results are the same, computed one backward pass at a time.
"""
from . import autograd
from .autograd import enable_grad

__all__ = ['jacobian', 'hessian', 'vjp', 'jvp', 'vhp', 'hvp']


def _as_tuple(value, what, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``, or PyTorch's TypeError for anything else."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, t in enumerate(values):
        if not isinstance(t, autograd.Tensor):
            if is_tuple:
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                                f"of Tensors but the value at index {i} has type {type(t)}.")
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of "
                            f"Tensors but the given {what} has type {type(t)}.")
    return is_tuple, values


def _untuple(values, is_tuple):
    """Undo ``_as_tuple``: one level per flag (``is_tuple`` may be a pair, for jacobians)."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[0]:
            values = values[0]
            return values if is_tuple[1] else values[0]
        return values if is_tuple[1] else tuple(v[0] for v in values)
    return values if is_tuple else values[0]


def _prepare(inputs, create_graph, need_graph):
    """Fresh leaves for ``func`` to be differentiated at; with ``create_graph`` an input that is
    already part of a graph is used as it is, so the results stay connected to that graph."""
    return tuple(t if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph and t.dtype.kind in 'fc')
                 for t in inputs)


def _detached(value):
    """``value`` (a Tensor, or a tuple/list of them, or anything else) cut from the graph."""
    if isinstance(value, autograd.Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    return value


def _detach_unless(tensors, create_graph):
    return tensors if create_graph else _detached(tensors)


def _zeros_like(t, shape=None):
    """Zeros of ``t``'s dtype and device (and shape, unless ``shape`` is given)."""
    xp = autograd.get_array_module(t.data)
    return autograd.Tensor._make(xp.zeros(t.shape if shape is None else shape, t.dtype),
                                 False, None)


def _grad(outputs, inputs, grad_outputs=None, create_graph=False):
    """``autograd.grad`` over the outputs that require grad; None for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd.grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs],
                         retain_graph=True, create_graph=create_graph, allow_unused=True)


_STRICT = {
    'back': "The output of the user-provided function is independent of input {}. This is not "
            "allowed in strict mode.",
    'back_trick': "The gradient with respect to the input is independent of entry {} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    'double_back': "The jacobian of the user-provided function is independent of input {}. This "
                   "is not allowed in strict mode.",
    'double_back_trick': "The hessian of the user-provided function is independent of entry {} "
                         "in the grad_jacobian. This is not allowed in strict mode as it prevents "
                         "from using the double backward trick to replace forward mode AD.",
}


def _fill_zeros(grads, refs, strict, stage):
    """Zeros where a gradient is None (``strict``: raise instead)."""
    result = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT[stage].format(i))
            g = _zeros_like(ref)
        result.append(g)
    return tuple(result)


def _check_v(v, others, is_tuple, fn_name):
    if len(v) != len(others):
        raise RuntimeError(f"{fn_name}: v is a tuple of invalid length: should be {len(others)} "
                           f"but got {len(v)}.")
    for i, (a, b) in enumerate(zip(v, others)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if is_tuple else ""
            raise RuntimeError(f"{fn_name}: {prefix}v has invalid size: should be "
                               f"{tuple(b.shape)} but got {tuple(a.shape)}.")


def _single_output(out, fn_name):
    if not isinstance(out, autograd.Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           f"contain a single element")
    return out


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the outputs' shapes; it may be omitted when ``func`` returns one element.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "vjp")
        if v is not None:
            v = _prepare(_as_tuple(v, "v", "vjp")[1], create_graph, False)
            _check_v(v, outputs, is_outputs_tuple, "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        grads = _fill_zeros(_grad(outputs, inputs, v, create_graph), inputs, strict, 'back')
    return (_untuple(_detach_unless(outputs, create_graph), is_outputs_tuple),
            _untuple(_detach_unless(grads, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    ``v`` has the inputs' shapes; it may be omitted when the input has one element.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _input_v(v, inputs, is_inputs_tuple, create_graph, "jvp")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "jvp")
        # u: a stand-in gradient for the outputs; g(u) = J^T u, and the vjp of g with v is J v
        u = tuple(_zeros_like(o).requires_grad_(o.dtype.kind in 'fc') for o in outputs)
        g = _grad(outputs, inputs, u, create_graph=True)
        if strict and any(t is None or not t.requires_grad for t in g):
            i = next(i for i, t in enumerate(g) if t is None or not t.requires_grad)
            raise RuntimeError(_STRICT['double_back'].format(i))
        grads = _fill_zeros(_grad(g, u, v, create_graph), outputs, strict, 'back_trick')
    return (_untuple(_detach_unless(outputs, create_graph), is_outputs_tuple),
            _untuple(_detach_unless(grads, create_graph), is_outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape``.

    With tuples of inputs and/or outputs the result is nested: ``J[i][j]`` is
    d output_i / d input_j. Cost: one backward pass per output element.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends to '
                         'be more performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian is only implemented for `vectorize=True`.")
    from .tensor import stack       # tensor.py imports this package's autograd first
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "jacobian")
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]        # rows[j][k]: d out.flat[k] / d input_j
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _grad((flat[k],), inputs, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None and strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is "
                                           f"independent of input {j}. This is not allowed in "
                                           f"strict mode.")
                    rows[j].append(_zeros_like(inp) if g is None else g)
            jac.append(tuple(stack(r).reshape(*out.shape, *inp.shape) if r
                             else _zeros_like(inp, out.shape + inp.shape)    # an empty output
                             for r, inp in zip(rows, inputs)))
    return _untuple(_detach_unless(tuple(jac), create_graph), (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: shape ``input.shape + input.shape``
    (``H[i][j]`` for a tuple of inputs): the jacobian of its gradient."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*inp):
        return jacobian(lambda *x: _single_output(func(*x), "hessian").reshape(()), inp,
                        create_graph=True)

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _untuple(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: two backward passes."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, True)
        v = _input_v(v, inputs, is_inputs_tuple, create_graph, "vhp")
        out = _single_output(_as_tuple(func(*inputs), "outputs of the user-provided function",
                                       "vhp")[1][0], "vhp")
        jac = _grad((out,), inputs, create_graph=True)
        grads = _fill_zeros(_grad(jac, inputs, v, create_graph), inputs, strict, 'double_back')
    return (_detach_unless((out,), create_graph)[0],
            _untuple(_detach_unless(grads, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-backward trick
    (equal to ``vhp`` for a twice continuously differentiable ``func``)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _input_v(v, inputs, is_inputs_tuple, create_graph, "hvp")
        out = _single_output(_as_tuple(func(*inputs), "outputs of the user-provided function",
                                       "hvp")[1][0], "hvp")
        jac = _grad((out,), inputs, create_graph=True)
        u = tuple(_zeros_like(t).requires_grad_() for t in inputs)
        double_back = _grad(jac, inputs, u, create_graph=True)
        grads = _fill_zeros(_grad(double_back, u, v, create_graph), inputs, strict,
                            'double_back_trick')
    return (_detach_unless((out,), create_graph)[0],
            _untuple(_detach_unless(grads, create_graph), is_inputs_tuple))


def _input_v(v, inputs, is_inputs_tuple, create_graph, fn_name):
    """``v`` for jvp/vhp/hvp, of the inputs' shapes (ones when omitted for a one-element input)."""
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        return (autograd.Tensor._make(autograd.get_array_module(inputs[0].data).ones_like(
            inputs[0].data), False, None),)
    v = _prepare(_as_tuple(v, "v", fn_name)[1], create_graph, False)
    _check_v(v, inputs, is_inputs_tuple, fn_name)
    return v
