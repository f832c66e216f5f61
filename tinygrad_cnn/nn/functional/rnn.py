"""Recurrent cells and the fused time loop behind ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.

A cell maps an input and the previous state to the next state, with PyTorch's
weight layout (gates stacked along the rows of ``w_ih``/``w_hh``)::

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x + b_ih + W_hh h + b_hh)
          c' = f * c + i * g,   h' = o * tanh(c')
    GRU   r, z = sigma(W_ir x + b_ir + W_hr h + b_hr), sigma(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

The cells are composed of Tensor ops, so autograd differentiates them to any
order. A whole sequence runs through :func:`rnn_layer`, which projects the
inputs of all time steps with one matrix multiply and hands the recurrence to
:class:`Recurrence`, a single graph node whose backward is backpropagation
through time. One node instead of ~15 per step matters twice: there is no
per-step graph to record, sort and free (the backward of each recorded op runs
several ops of its own), and slicing ``x_proj[t]`` out of a recorded projection
would give each step a gradient as large as the whole sequence (the backward of
a slice is a zero-padded copy): quadratic in the sequence length.
"""
import collections

from ...autograd import Function, is_grad_enabled
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import cat, stack, zeros
from .linear import linear

__all__ = ['rnn_tanh_cell', 'rnn_relu_cell', 'lstm_cell', 'gru_cell', 'rnn_layer']

# One time step's result: the new hidden (and cell) state and the activations BPTT needs.
_Step = collections.namedtuple('_Step', 'h c acts')


# ---------------------------------------------------------------- one time step
# Each takes the input projection x_proj = W_ih x_t + b_ih (N, gates*H), the previous
# state, W_hh (gates*H, H) and b_hh; they are Tensor ops, shared by the cells,
# by Recurrence's forward (on constants) and by its replay (for create_graph).
def _rnn_tanh_step(x_proj, h, c, w_hh, b_hh):
    h = (x_proj + linear(h, w_hh, b_hh)).tanh()
    return _Step(h, None, ())


def _rnn_relu_step(x_proj, h, c, w_hh, b_hh):
    h = (x_proj + linear(h, w_hh, b_hh)).relu()
    return _Step(h, None, ())


def _lstm_step(x_proj, h, c, w_hh, b_hh):
    i, f, g, o = (x_proj + linear(h, w_hh, b_hh)).chunk(4, -1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    tanh_c = c.tanh()
    return _Step(o * tanh_c, c, (i, f, g, o, tanh_c))


def _gru_step(x_proj, h, c, w_hh, b_hh):
    x_r, x_z, x_n = x_proj.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return _Step((1 - z) * n + z * h, None, (r, z, n, h_n))


_STEPS = {'RNN_TANH': _rnn_tanh_step, 'RNN_RELU': _rnn_relu_step, 'LSTM': _lstm_step,
          'GRU': _gru_step}


# ---------------------------------------------------------------- cells
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh).

    Shapes: input (N, in), hx (N, H), w_ih (H, in), w_hh (H, H), biases (H,).
    """
    return _rnn_tanh_step(linear(input, w_ih, b_ih), hx, None, w_hh, b_hh).h


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh); shapes as :func:`rnn_tanh_cell`."""
    return _rnn_relu_step(linear(input, w_ih, b_ih), hx, None, w_hh, b_hh).h


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; returns ``(h', c')``.

    Shapes: input (N, in), hx a pair (h, c) of (N, H), w_ih (4H, in), w_hh (4H, H),
    biases (4H,); the gate rows are in PyTorch's order i, f, g, o.
    """
    h, c = hx
    step = _lstm_step(linear(input, w_ih, b_ih), h, c, w_hh, b_hh)
    return step.h, step.c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step; returns h'.

    Shapes: input (N, in), hx (N, H), w_ih (3H, in), w_hh (3H, H), biases (3H,);
    the gate rows are in PyTorch's order r, z, n.
    """
    return _gru_step(linear(input, w_ih, b_ih), hx, None, w_hh, b_hh).h


# ---------------------------------------------------------------- the time loop
def _run(mode, x_proj, h, c, w_hh, b_hh):
    """Apply the step of ``mode`` over time; returns the list of steps."""
    step, steps = _STEPS[mode], []
    for t in range(x_proj.shape[0]):
        s = step(x_proj[t], h, c, w_hh, b_hh)
        steps.append(s)
        h, c = s.h, s.c
    return steps


class Recurrence(Function):
    """The recurrent part of one layer in one direction, as one node.

    ``x_proj`` (L, N, gates*H) is the input projection ``W_ih x_t + b_ih`` of
    every time step, ``h0`` (N, H) the initial state (and ``c0`` for LSTM, else
    None), ``w_hh`` (gates*H, H), ``b_hh`` (gates*H,) or None. The output is the
    state after every step, (L, N, H); for LSTM (L, N, 2H), h and c side by side.
    """

    def forward(self, x_proj, h0, c0, w_hh, b_hh, *, mode):
        xp = get_array_module(x_proj)
        self.mode = mode
        # the step functions on constants: no graph is recorded, the arrays are kept for BPTT
        self.steps = _run(mode, _const(x_proj), _const(h0), None if c0 is None else _const(c0),
                          _const(w_hh), None if b_hh is None else _const(b_hh))
        if mode == 'LSTM':
            return xp.stack([xp.concatenate([s.h.data, s.c.data], -1) for s in self.steps])
        return xp.stack([s.h.data for s in self.steps])

    def backward(self, grad):
        x_proj, h0, c0, w_hh, b_hh = self.inputs
        # With create_graph the activations must be functions of the inputs, so the
        # forward is replayed with graph recording; otherwise the saved ones serve.
        steps = _run(self.mode, x_proj, h0, c0, w_hh, b_hh) if is_grad_enabled() else self.steps
        step_backward = _STEP_BACKWARDS[self.mode]
        H = h0.shape[-1]
        dh = dc = None                  # gradient flowing back into the previous state
        d_x_proj, d_h_proj = [], []     # per step: d x_proj_t, d (W_hh h + b_hh)
        for t in reversed(range(len(steps))):
            g = grad[t]
            if self.mode == 'LSTM':
                g, gc = g[:, :H], g[:, H:]
                dc = gc if dc is None else dc + gc
            dh = g if dh is None else dh + g
            h_prev = steps[t - 1].h if t else h0
            c_prev = (steps[t - 1].c if t else c0) if self.mode == 'LSTM' else None
            dx, dhw, dh_direct, dc = step_backward(dh, dc, steps[t], h_prev, c_prev)
            dh = dhw @ w_hh if dh_direct is None else dh_direct + dhw @ w_hh
            d_x_proj.append(dx)
            d_h_proj.append(dhw)
        d_h_proj = stack(d_h_proj[::-1])                                 # (L, N, G)
        need = self.needs_input_grad
        d_w_hh = d_b_hh = None
        if need[3]:
            h_prev = stack([h0] + [s.h for s in steps[:-1]])             # (L, N, H)
            d_w_hh = d_h_proj.reshape(-1, d_h_proj.shape[-1]).T @ h_prev.reshape(-1, H)
        if need[4]:
            d_b_hh = d_h_proj.sum((0, 1))
        return (stack(d_x_proj[::-1]) if need[0] else None, dh if need[1] else None,
                dc if need[2] else None, d_w_hh, d_b_hh)


# Each maps (dh, dc) at a step's output to (d x_proj, d (W_hh h + b_hh), the part of
# dh_prev that bypasses W_hh, dc_prev); the caller adds d(W_hh h + b_hh) @ W_hh to dh_prev.
def _rnn_tanh_backward(dh, dc, s, h_prev, c_prev):
    da = dh * (1 - s.h * s.h)
    return da, da, None, None


def _rnn_relu_backward(dh, dc, s, h_prev, c_prev):
    da = dh * (s.h > 0)
    return da, da, None, None


def _lstm_backward(dh, dc, s, h_prev, c_prev):
    i, f, g, o, tanh_c = s.acts
    dc = dc + dh * o * (1 - tanh_c * tanh_c)      # dc came from c_t's output and step t+1
    d_gates = cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                   dh * tanh_c * o * (1 - o)], -1)
    return d_gates, d_gates, None, dc * f


def _gru_backward(dh, dc, s, h_prev, c_prev):
    r, z, n, h_n = s.acts
    d_n = dh * (1 - z) * (1 - n * n)
    d_r = d_n * h_n * r * (1 - r)
    d_z = dh * (h_prev - n) * z * (1 - z)
    return cat([d_r, d_z, d_n], -1), cat([d_r, d_z, d_n * r], -1), dh * z, None


_STEP_BACKWARDS = {'RNN_TANH': _rnn_tanh_backward, 'RNN_RELU': _rnn_relu_backward,
                   'LSTM': _lstm_backward, 'GRU': _gru_backward}


def rnn_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, mode='RNN_TANH', reverse=False):
    """Run one layer of ``mode`` ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU') over a sequence.

    Args:
        input: (L, N, in) - time first.
        hx: the initial state (N, H), for LSTM a pair (h0, c0); None for zeros.
        w_ih, w_hh, b_ih, b_hh: as the cells (``b_*`` may be None).
        reverse: process the sequence from the last step to the first.

    Returns:
        ``(output, h_n)`` with output (L, N, H) and h_n (N, H); for LSTM
        ``(output, (h_n, c_n))``. ``output[t]`` is the state after reading
        ``input[t]`` in either direction.
    """
    # one matrix multiply projects every time step; only the recurrence loops
    x_proj = linear(input, w_ih, b_ih)
    if hx is None:
        h0 = zeros(input.shape[1], w_hh.shape[1], dtype=input.dtype, device=input.device)
        c0 = h0 if mode == 'LSTM' else None
    else:
        h0, c0 = hx if mode == 'LSTM' else (hx, None)
    if reverse:
        x_proj = x_proj.flip(0)
    states = Recurrence.apply(x_proj, h0, c0, w_hh, b_hh, mode=mode)
    last = states[-1]
    if reverse:
        states = states.flip(0)
    if mode != 'LSTM':
        return states, last
    H = h0.shape[-1]
    return states[..., :H], (last[:, :H], last[:, H:])
