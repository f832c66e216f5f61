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
import functools

from ...autograd import Function, is_grad_enabled
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import cat, zeros
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


def _lstm_step(x_proj, h, c, w_hh, b_hh, w_hr=None):
    i, f, g, o = (x_proj + linear(h, w_hh, b_hh)).chunk(4, -1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    tanh_c = c.tanh()
    h = o * tanh_c
    # with proj_size, the hidden state is projected to fewer features: h = (o * tanh c) W_hr^T
    return _Step(h if w_hr is None else linear(h, w_hr), c, (i, f, g, o, tanh_c))


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
# A batch of sequences of different lengths is *packed* (see nn.utils.rnn.PackedSequence):
# sorted by decreasing length, time step t holds the first batch_sizes[t] sequences, and the
# rows of all steps are stacked, (sum(batch_sizes), features). A padded batch (L, N, .) is the
# special case batch_sizes = (N,) * L. At step t only the first batch_sizes[t] rows of the
# state advance; the others keep their value, so every row ends at its sequence's last step
# (and, in reverse, starts at it from h0).
def _offsets(batch_sizes):
    """Row where each time step starts in the packed layout."""
    offsets, start = [], 0
    for n in batch_sizes:
        offsets.append(start)
        start += n
    return offsets


def _rows(state, n):
    """The first n rows of a state (N, H): the sequences active at a step."""
    return state if state is None or n == state.shape[0] else state[:n]


def _merge(active, state):
    """The state with its first rows replaced by ``active``."""
    if state is None or active.shape[0] == state.shape[0]:
        return active
    return cat([active, state[active.shape[0]:]])


def _run(mode, x_proj, h, c, w_hh, b_hh, w_hr, batch_sizes, reverse):
    """Apply the step of ``mode`` over the packed ``x_proj``.

    Returns, in time order, ``(step, h_prev, c_prev)`` per time step (the step's result and
    the active rows of the state it started from), and the final ``h, c``.
    """
    step = _STEPS[mode] if w_hr is None else functools.partial(_lstm_step, w_hr=w_hr)
    T = len(batch_sizes)
    offsets, steps = _offsets(batch_sizes), [None] * T
    for t in (range(T)[::-1] if reverse else range(T)):
        n, start = batch_sizes[t], offsets[t]
        h_prev, c_prev = _rows(h, n), _rows(c, n)
        s = step(x_proj[start:start + n], h_prev, c_prev, w_hh, b_hh)
        steps[t] = (s, h_prev, c_prev)
        h, c = _merge(s.h, h), (None if c is None else _merge(s.c, c))
    return steps, h, c


class Recurrence(Function):
    """The recurrent part of one layer in one direction, as one node.

    ``x_proj`` (T, gates*H) is the input projection ``W_ih x_t + b_ih`` of every
    time step, packed by ``batch_sizes`` (a padded (L, N, .) input flattened to
    (L*N, .) with ``batch_sizes=(N,)*L``); ``h0`` (N, H_out) the initial state
    (and ``c0`` (N, H) for LSTM, else None), ``w_hh`` (gates*H, H_out), ``b_hh``
    (gates*H,) or None, ``w_hr`` (H_out, H) the LSTM's projection or None
    (then H_out = H). The output (T + N, S) holds the state after every step, in
    the packed layout, followed by the final state of each sequence; for LSTM
    ``S = H_out + H``, h and c side by side, else ``S = H``.
    """

    def forward(self, x_proj, h0, c0, w_hh, b_hh, w_hr, *, mode, batch_sizes, reverse):
        xp = get_array_module(x_proj)
        self.mode, self.batch_sizes, self.reverse = mode, batch_sizes, reverse
        # the step functions on constants: no graph is recorded, the arrays are kept for BPTT
        consts = [None if a is None else _const(a) for a in (x_proj, h0, c0, w_hh, b_hh, w_hr)]
        self.steps, h, c = _run(mode, *consts, batch_sizes, reverse)
        states = [(s.h, s.c) for s, _, _ in self.steps] + [(h, c)]
        if mode == 'LSTM':
            return xp.concatenate([xp.concatenate([h.data, c.data], -1) for h, c in states])
        return xp.concatenate([h.data for h, _ in states])

    def backward(self, grad):
        x_proj, h0, c0, w_hh, b_hh, w_hr = self.inputs
        lstm, batch_sizes = self.mode == 'LSTM', self.batch_sizes
        # With create_graph the activations must be functions of the inputs, so the
        # forward is replayed with graph recording; otherwise the saved ones serve.
        steps = self.steps
        if is_grad_enabled():
            steps = _run(self.mode, x_proj, h0, c0, w_hh, b_hh, w_hr, batch_sizes,
                         self.reverse)[0]
        step_backward = _STEP_BACKWARDS[self.mode]
        H_out, offsets = h0.shape[-1], _offsets(batch_sizes)
        # gradient flowing back into the state (N, .), starting with that of the final state
        dh = grad[x_proj.shape[0]:]
        dh, dc = (dh[:, :H_out], dh[:, H_out:]) if lstm else (dh, None)
        T = len(batch_sizes)
        d_x_proj, d_h_proj, d_h_out = [None] * T, [None] * T, [None] * T
        for t in (range(T) if self.reverse else range(T)[::-1]):     # processing order, backwards
            n, start = batch_sizes[t], offsets[t]
            s, h_prev, c_prev = steps[t]
            g = grad[start:start + n]
            dh_t = _rows(dh, n) + (g[:, :H_out] if lstm else g)
            dc_t = _rows(dc, n) + g[:, H_out:] if lstm else None
            if w_hr is not None:        # h = (o * tanh c) W_hr^T
                d_h_out[t] = dh_t
                dh_t = dh_t @ w_hr
            dx, dhw, dh_direct, dc_t = step_backward(dh_t, dc_t, s, h_prev, c_prev)
            dh_t = dhw @ w_hh if dh_direct is None else dh_direct + dhw @ w_hh
            dh, dc = _merge(dh_t, dh), (None if dc is None else _merge(dc_t, dc))
            d_x_proj[t], d_h_proj[t] = dx, dhw
        d_h_proj = cat(d_h_proj)                                         # (T, G)
        need = self.needs_input_grad
        d_w_hh = d_b_hh = d_w_hr = None
        if need[3]:
            d_w_hh = d_h_proj.T @ cat([h_prev for _, h_prev, _ in steps])
        if need[4]:
            d_b_hh = d_h_proj.sum(0)
        if w_hr is not None and need[5]:
            o_tanh_c = cat([s.acts[3] * s.acts[4] for s, _, _ in steps])
            d_w_hr = cat(d_h_out).T @ o_tanh_c
        return (cat(d_x_proj) if need[0] else None, dh if need[1] else None,
                dc if need[2] else None, d_w_hh, d_b_hh, d_w_hr)


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


def rnn_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, mode='RNN_TANH', reverse=False,
              batch_sizes=None, w_hr=None):
    """Run one layer of ``mode`` ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU') over a sequence.

    Args:
        input: (L, N, in) - time first; or, with ``batch_sizes``, the data of a
            packed batch (sum(batch_sizes), in) (see ``nn.utils.rnn.PackedSequence``).
        hx: the initial state (N, H_out), for LSTM a pair (h0 (N, H_out), c0 (N, H));
            None for zeros. N is ``batch_sizes[0]`` for a packed input.
        w_ih, w_hh, b_ih, b_hh: as the cells (``b_*`` may be None); w_hh is (gates*H, H_out).
        reverse: process each sequence from its last step to its first.
        batch_sizes: how many sequences are active at each time step (non-increasing).
        w_hr: LSTM only, the projection (H_out, H) of ``proj_size``; None: H_out = H.

    Returns:
        ``(output, h_n)`` with output (L, N, H_out) (packed: (sum(batch_sizes), H_out))
        and h_n (N, H_out), each sequence's state after its last step; for LSTM
        ``(output, (h_n, c_n))``. ``output[t]`` is the state after reading
        ``input[t]`` in either direction.
    """
    padded = batch_sizes is None
    if padded:          # one packed step per time step, all N sequences active
        batch_sizes = (input.shape[1],) * input.shape[0]
        input = input.reshape(-1, input.shape[-1])
    # one matrix multiply projects every time step; only the recurrence loops
    x_proj = linear(input, w_ih, b_ih)
    H_out = w_hh.shape[1]
    if hx is None:
        n = batch_sizes[0] if batch_sizes else 0
        h0 = zeros(n, H_out, dtype=input.dtype, device=input.device)
        c0 = zeros(n, w_hh.shape[0] // 4, dtype=input.dtype, device=input.device) \
            if mode == 'LSTM' else None
    else:
        h0, c0 = hx if mode == 'LSTM' else (hx, None)
    out = Recurrence.apply(x_proj, h0, c0, w_hh, b_hh, w_hr, mode=mode,
                           batch_sizes=tuple(batch_sizes), reverse=reverse)
    states, last = out[:x_proj.shape[0]], out[x_proj.shape[0]:]
    if padded:
        states = states.reshape(len(batch_sizes), -1, states.shape[-1])
    if mode != 'LSTM':
        return states, last
    return states[..., :H_out], (last[:, :H_out], last[:, H_out:])
