"""Einstein summation: ``einsum('ij,jk->ik', a, b)``, with PyTorch's equation format.

:func:`parse_equation` turns an equation into explicit subscripts (one letter per
dimension, ``...`` replaced by letters, the implicit output made explicit), checking it
against the operands' shapes. :class:`Einsum` runs it; its gradient is again an einsum:
for operand ``i``, contract the output gradient with all the other operands into
``i``'s subscripts. Two cases need a constant extra operand in that einsum:

- a letter of operand ``i`` found nowhere else was summed away, so the gradient is
  constant along it: contract with ``ones(n)``;
- a letter repeated in operand ``i`` (``'ii->i'``, a diagonal) gets a fresh letter for
  each repeat, tied to the first by ``eye(n)``, so only the diagonal receives gradient.
"""
import string

from ..autograd import Function
from ..backend import get_array_module
from .elementwise import _const

_LETTERS = string.ascii_letters        # PyTorch's subscripts: [a-zA-Z]


def parse_equation(equation, shapes):
    """(input subscripts, output subscripts, size of each letter) for ``equation`` applied to
    operands of ``shapes``: every subscript string has one letter per dimension.

    A letter may have size 1 in some operands and n in others (broadcasting, as in PyTorch);
    its size is n. Raises RuntimeError, naming the problem, for a malformed equation.
    """
    eq = equation.replace(' ', '')
    lhs, arrow, rhs = eq.partition('->')
    terms = lhs.split(',')
    if len(terms) != len(shapes):
        few = 'fewer' if len(shapes) < len(terms) else 'more'
        raise RuntimeError(f"einsum(): {few} operands were provided than specified in the "
                           f"equation {equation!r} ({len(shapes)} operands, {len(terms)} terms)")
    for c in lhs + rhs.replace('...', ''):
        if c not in _LETTERS and c not in ',.':
            raise RuntimeError(f"einsum(): invalid subscript {c!r} in the equation {equation!r}, "
                               "subscripts must be in [a-zA-Z]")
    # '...' stands for the same trailing-aligned batch dimensions in every operand
    free = [c for c in _LETTERS if c not in eq]
    n_ellipsis = max([len(s) - len(t) + 3 for t, s in zip(terms, shapes) if '...' in t] or [0])
    ellipsis = ''.join(free[:n_ellipsis])
    inputs = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        k = len(shape) - (len(term) - 3)            # the dimensions '...' stands for
        if '...' in term and k >= 0:
            term = term.replace('...', ellipsis[n_ellipsis - k:])
        if len(term) != len(shape) or '.' in term:
            raise RuntimeError(f"einsum(): the subscripts {terms[i]!r} do not match the "
                               f"{len(shape)} dimensions of operand {i} (shape {tuple(shape)})")
        inputs.append(term)
    if arrow:
        output = rhs.replace('...', ellipsis)
        for c in output:
            if c not in ''.join(inputs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation {equation!r} for any input operand")
            if output.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output of {equation!r}")
    else:       # implicit output: the batch dimensions, then the letters used once, sorted
        counts = ''.join(terms)
        output = ellipsis + ''.join(sorted(c for c in set(counts) if counts.count(c) == 1))
    sizes = {}
    for i, (term, shape) in enumerate(zip(inputs, shapes)):
        for c, n in zip(term, shape):
            seen = sizes.setdefault(c, n)
            if seen != n and 1 not in (seen, n):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} (shape "
                                   f"{tuple(shape)}) which does not broadcast with previously "
                                   f"seen size {seen}")
            sizes[c] = max(seen, n)
    return inputs, output, sizes


class Einsum(Function):
    """einsum over operands whose equal letters have equal sizes (broadcast them first)."""
    def forward(self, *arrays, inputs, output):
        self.subscripts = inputs, output
        xp = get_array_module(*arrays)
        # optimize: pairwise contractions through BLAS instead of one big nested loop
        return xp.einsum(','.join(inputs) + '->' + output, *arrays, optimize=len(arrays) > 1)

    def backward(self, grad):
        inputs, output = self.subscripts
        operands = self.inputs
        xp = get_array_module(grad.data)
        grads = []
        for i, (sub, t) in enumerate(zip(inputs, operands)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            terms = [output] + inputs[:i] + inputs[i + 1:]
            args = [grad] + list(operands[:i] + operands[i + 1:])
            known = set(''.join(terms))
            fresh = (c for c in _LETTERS if c not in known and c not in sub)
            target = ''
            for c, n in zip(sub, t.shape):
                if c in target:                      # repeated: a diagonal
                    new = next(fresh)
                    terms.append(c + new)
                    args.append(_const(xp.eye(n, dtype=grad.dtype)))
                    c = new
                elif c not in known:                 # summed away: constant along c
                    terms.append(c)
                    args.append(_const(xp.ones(n, dtype=grad.dtype)))
                target += c
            grads.append(Einsum.apply(*args, inputs=terms, output=target))
        return tuple(grads)
