"""Recurrent layers: the cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step)
and the sequence modules ``RNN``, ``LSTM``, ``GRU`` (a whole sequence, stacked layers,
optionally in both directions).

Parameter names, shapes, gate order (LSTM: i, f, g, o; GRU: r, z, n), registration
order and initialisation (every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))) are
PyTorch's, so ``state_dict``\\ s move between the two frameworks unchanged. The
math is in :mod:`tinygrad_cnn.nn.functional.rnn`.
"""
import math
import numbers
import warnings

from ...tensor import cat, empty, stack, zeros
from .. import init
from ..functional import rnn as R
from ..functional.dropout import dropout
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ['RNNCellBase', 'RNNCell', 'LSTMCell', 'GRUCell', 'RNNBase', 'RNN', 'LSTM', 'GRU']


def _check_sizes(op, input_size, hidden_size):
    for name, value in (('input_size', input_size), ('hidden_size', hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{op}: {name} should be of type int, got: {type(value).__name__}")
    if hidden_size <= 0:
        raise ValueError(f"{op}: hidden_size must be greater than zero, got {hidden_size}")


def _check_dtype(op, tensor, what, weight):
    if tensor.dtype != weight.dtype:
        raise RuntimeError(f"{op}: {what} must have the dtype of the weights ({weight.dtype}), got "
                           f"{tensor.dtype}; convert the module (.double()/.float()) or the "
                           f"{what}")


# ---------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters and input checks shared by the cells.

    ``weight_ih`` (gates*H, input_size), ``weight_hh`` (gates*H, H), ``bias_ih`` and
    ``bias_hh`` (gates*H,), or None with ``bias=False``.
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        _check_sizes(type(self).__name__, input_size, hidden_size)
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter('bias_ih', None)
            self.register_parameter('bias_hh', None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        s = f'{self.input_size}, {self.hidden_size}'
        if self.bias is not True:
            s += f', bias={self.bias}'
        if getattr(self, 'nonlinearity', 'tanh') != 'tanh':
            s += f', nonlinearity={self.nonlinearity}'
        return s

    def _batch(self, input, states):
        """Check the input (N, in) or (in,) and the states (N, H) or (H,) (None: zeros).

        Returns the input and states as batches and whether the input was unbatched.
        """
        op = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{op}: Expected input to be 1D or 2D, got {input.ndim}D input "
                             f"instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{op}: input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size} (input.shape={tuple(input.shape)})")
        _check_dtype(op, input, 'input', self.weight_ih)
        unbatched = input.ndim == 1
        n = 1 if unbatched else input.shape[0]
        out = []
        for k, h in enumerate(states):
            if h is None:
                h = zeros(n, self.hidden_size, dtype=input.dtype, device=input.device)
            elif h.ndim != input.ndim:
                raise RuntimeError(f"{op}: for {input.ndim}D input, hx[{k}] should also be "
                                   f"{input.ndim}D but got shape {tuple(h.shape)}")
            else:
                if h.shape[-1] != self.hidden_size or (not unbatched and h.shape[0] != n):
                    raise RuntimeError(f"{op}: expected hx[{k}] of shape "
                                       f"{(n, self.hidden_size)[unbatched:]}, got "
                                       f"{tuple(h.shape)} for input.shape={tuple(input.shape)}")
                _check_dtype(op, h, 'hx', self.weight_hh)
                h = h.unsqueeze(0) if unbatched else h
            out.append(h)
        return (input.unsqueeze(0) if unbatched else input), out, unbatched


class RNNCell(RNNCellBase):
    """An Elman cell: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu).

    ``forward(input, hx=None)``: input (N, input_size) or (input_size,), hx like
    the output (zeros if None); returns h' (N, hidden_size) or (hidden_size,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
                 dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"RNNCell: unknown nonlinearity '{nonlinearity}'. "
                             "Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (hx,), unbatched = self._batch(input, (hx,))
        cell = R.rnn_tanh_cell if self.nonlinearity == 'tanh' else R.rnn_relu_cell
        h = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """A long short-term memory cell (gates i, f, g, o, in PyTorch's order).

    ``forward(input, hx=None)``: input (N, input_size) or (input_size,), hx a pair
    (h, c) shaped like the outputs (zeros if None); returns (h', c').
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        input, (h, c), unbatched = self._batch(input, (None, None) if hx is None else hx)
        h, c = R.lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih,
                           self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """A gated recurrent unit (gates r, z, n, in PyTorch's order).

    ``forward(input, hx=None)``: shapes as :class:`RNNCell`; returns h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (hx,), unbatched = self._batch(input, (hx,))
        h = R.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h


# ---------------------------------------------------------------- sequence modules
class RNNBase(Module):
    """Stacked, optionally bidirectional recurrent layers over a whole sequence.

    Parameters per layer ``k`` and direction (suffix ``_reverse`` for the
    backward direction), registered in PyTorch's order: ``weight_ih_l{k}``
    (gates*H, in_k), ``weight_hh_l{k}`` (gates*H, H_out), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (gates*H,), and for an LSTM with ``proj_size > 0``
    ``weight_hr_l{k}`` (proj_size, H); ``H_out`` is ``proj_size`` if set, else
    H, and ``in_k`` is ``input_size`` for the first layer and
    ``H_out * num_directions`` after.

    ``forward(input, hx=None)``: input (L, N, input_size), or (N, L, input_size)
    with ``batch_first``, or unbatched (L, input_size), or a
    :class:`~tinygrad_cnn.nn.utils.rnn.PackedSequence`; hx (num_layers *
    num_directions, N, H_out) (or (num_layers * num_directions, H_out)
    unbatched), zeros if None; LSTM takes and returns a pair (h, c), c with H
    features. Returns ``(output, h_n)``: output (L, N, num_directions * H_out)
    (batch first if ``batch_first``; a PackedSequence for a packed input) holds
    the last layer's state at every step, h_n every layer's final state (for a
    packed input, each sequence's state after its last step, in the original
    batch order).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        if proj_size and mode != 'LSTM':
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or "
                             f"GRU")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be an integer greater than zero, got "
                             f"{num_layers!r}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        gates = {'LSTM': 4, 'GRU': 3}.get(mode, 1) * hidden_size
        directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        # names of (w_ih, w_hh[, b_ih, b_hh][, w_hr]) per layer and direction, in
        # registration order
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}{'_reverse' if direction else ''}"
                shapes = {'weight_ih': (gates, layer_input), 'weight_hh': (gates, out_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, hidden_size))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix,
                            Parameter(empty(shape, dtype=dtype, device=device)))
                self._all_weights.append([kind + suffix for kind in shapes])
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """Does nothing: kept so PyTorch code that calls it (for cuDNN) runs unchanged."""

    @property
    def all_weights(self):
        """The parameters as a list per layer and direction: [w_ih, w_hh(, b_ih, b_hh)(, w_hr)]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f'{self.input_size}, {self.hidden_size}'
        if self.proj_size != 0:
            s += f', proj_size={self.proj_size}'
        if self.num_layers != 1:
            s += f', num_layers={self.num_layers}'
        if self.bias is not True:
            s += f', bias={self.bias}'
        if self.batch_first is not False:
            s += f', batch_first={self.batch_first}'
        if self.dropout != 0:
            s += f', dropout={self.dropout}'
        if self.bidirectional is not False:
            s += f', bidirectional={self.bidirectional}'
        return s

    def _initial_states(self, n, hx, unbatched, sorted_indices):
        """hx checked, as batches of n, put in the sorted order of a packed input and split per
        layer and direction: h (n, H_out), (h, c) for LSTM, or None for zeros."""
        op = type(self).__name__
        lstm = self.mode == 'LSTM'
        count = (2 if self.bidirectional else 1) * self.num_layers
        if hx is None:
            return [None] * count
        if lstm and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{op}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        states = list(hx) if lstm else [hx]
        for k, h in enumerate(states):
            want = 2 if unbatched else 3
            if h.ndim != want:
                raise RuntimeError(f"{op}: for {'unbatched 2' if unbatched else 'batched 3'}-D "
                                   f"input, hx should also be {want}-D but got {h.ndim}-D tensor "
                                   f"(shape {tuple(h.shape)})")
            h = h.unsqueeze(1) if unbatched else h
            shape = (count, n, (self.proj_size or self.hidden_size) if k == 0 else self.hidden_size)
            if tuple(h.shape) != shape:
                expect = (shape[0], shape[2]) if unbatched else shape
                raise RuntimeError(f"{op}: Expected hidden{f'[{k}]' if lstm else ''} size "
                                   f"{expect}, got {tuple(states[k].shape)}")
            _check_dtype(op, h, 'hx', self.weight_hh_l0)
            # a packed batch is sorted by length: its states follow the same order
            states[k] = h if sorted_indices is None else h.index_select(1, sorted_indices)
        if lstm:
            return [(states[0][k], states[1][k]) for k in range(count)]
        return [states[0][k] for k in range(count)]

    def forward(self, input, hx=None):
        op = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes, unbatched = [int(n) for n in batch_sizes.tolist()], False
            if data.ndim != 2:
                raise RuntimeError(f"{op}: input must have 2 dimensions, got {data.ndim} "
                                   f"(PackedSequence data of shape {tuple(data.shape)})")
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{op}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                                 f"(shape {tuple(input.shape)})")
            sorted_indices = None
            unbatched = input.ndim == 2
            if unbatched:
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            L, N = input.shape[:2]
            # the time-major (L, N, in) batch is a packed batch of N sequences of length L
            data, batch_sizes = input.reshape(L * N, input.shape[-1]), [N] * L
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"{op}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]} "
                               f"(input.shape={tuple(data.shape if packed else input.shape)})")
        _check_dtype(op, data, 'input', self.weight_ih_l0)
        if not packed and L == 0:
            raise RuntimeError(f"{op}: Expected sequence length to be larger than 0, got input "
                               f"of shape {tuple(input.shape)}")
        states = self._initial_states(batch_sizes[0], hx, unbatched, sorted_indices)
        lstm = self.mode == 'LSTM'
        directions = 2 if self.bidirectional else 1
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            if layer:       # between layers, in training only
                data = dropout(data, self.dropout, self.training)
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w = {name[:name.index('_l')]: getattr(self, name) for name in self._all_weights[k]}
                out, final = R.rnn_layer(data, states[k], w['weight_ih'], w['weight_hh'],
                                         w.get('bias_ih'), w.get('bias_hh'), mode=self.mode,
                                         reverse=bool(direction), batch_sizes=batch_sizes,
                                         w_hr=w.get('weight_hr'))
                outputs.append(out)
                last_h.append(final[0] if lstm else final)
                if lstm:
                    last_c.append(final[1])
            data = outputs[0] if directions == 1 else cat(outputs, -1)
        finals = [stack(last_h)] + ([stack(last_c)] if lstm else [])
        if packed:
            if unsorted_indices is not None:        # back to the caller's batch order
                finals = [f.index_select(1, unsorted_indices) for f in finals]
            output = PackedSequence(data, input.batch_sizes, sorted_indices, unsorted_indices)
        else:
            output = data.reshape(L, N, data.shape[-1])
            if unbatched:
                output = output.squeeze(1)
                finals = [f.squeeze(1) for f in finals]
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (tuple(finals) if lstm else finals[0])


class RNN(RNNBase):
    """Elman RNN layers: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; shapes as :class:`RNNBase`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"RNN: unknown nonlinearity '{nonlinearity}'. "
                             "Select from 'tanh' or 'relu'.")
        super().__init__('RNN_TANH' if nonlinearity == 'tanh' else 'RNN_RELU', input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM layers; ``forward(input, (h_0, c_0)=None)`` returns ``output, (h_n, c_n)``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; shapes as :class:`RNNBase`.
    With ``proj_size > 0`` the hidden state h is projected to ``proj_size``
    features by ``weight_hr_l{k}`` after every step (the cell state c keeps
    ``hidden_size``).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__('LSTM', input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """GRU layers; ``forward(input, h_0=None)`` returns ``output, h_n``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; shapes as :class:`RNNBase`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__('GRU', input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
