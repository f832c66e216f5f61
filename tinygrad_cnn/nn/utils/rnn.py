"""Batches of sequences of different lengths (``nn.utils.rnn``), as in PyTorch.

A *padded* batch stores the sequences in one (T, B, *) tensor (time first, or
(B, T, *) with ``batch_first``), each padded to the longest length T. A
:class:`PackedSequence` stores only the real steps: the sequences sorted by
decreasing length, and at each time step t the rows of the ``batch_sizes[t]``
sequences that are still running, stacked into ``data`` (sum(lengths), *)::

    lengths 3, 1, 2 (sorted: 3, 2, 1)     data = [a0 c0 b0 | a1 c1 | a2]
    a0 a1 a2                              batch_sizes = [3, 2, 1]
    b0  .  .                              sorted_indices = [0, 2, 1]
    c0 c1  .                              unsorted_indices = [0, 2, 1]

``nn.RNN/LSTM/GRU`` take a PackedSequence and run each sequence only over its
real steps. Every conversion here is one indexing of a tensor (with a padding
row appended where padding is produced), so gradients flow through packing and
padding, to any order.
"""
import collections

import numpy as np

from ...tensor import Tensor, cat, full, tensor

__all__ = ['PackedSequence', 'invert_permutation', 'pack_padded_sequence', 'pad_packed_sequence',
           'pad_sequence', 'unpad_sequence', 'pack_sequence', 'unpack_sequence']


def invert_permutation(permutation):
    """The inverse of an int64 permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.numpy() if isinstance(permutation, Tensor) else permutation)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size, dtype=p.dtype)
    return tensor(inverse, device=permutation.device if isinstance(permutation, Tensor) else None)


class PackedSequence(collections.namedtuple('PackedSequence_',
                                            'data batch_sizes sorted_indices unsorted_indices')):
    """A packed batch of sequences (a named tuple, as PyTorch's).

    Fields: ``data`` (sum(lengths), *) the real steps, time step after time step;
    ``batch_sizes`` (int64, on the CPU) the number of sequences running at each
    step; ``sorted_indices`` (int64) the original batch index of each sorted
    position, or None if the batch came sorted; ``unsorted_indices`` its inverse.
    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`, not by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:             # PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the indices follow the data's device, ``batch_sizes`` stays on the
        CPU. Returns ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = [None if i is None else i.to(data.device)
                for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *move)

    def cuda(self, *args, **kwargs):
        return self.to('cuda')

    def cpu(self, *args, **kwargs):
        return self.to('cpu')

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def short(self):
        return self.to(np.int16)

    def char(self):
        return self.to(np.int8)

    def byte(self):
        return self.to(np.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths(lengths):
    """``lengths`` (list, array or Tensor) as a numpy int64 array."""
    lengths = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    if lengths.ndim != 1:
        raise RuntimeError(f"pack_padded_sequence: 'lengths' argument should be a 1D CPU int64 "
                           f"tensor, but got {lengths.ndim}D")
    return lengths.astype(np.int64)


def _with_padding_row(x, padding_value):
    """x (M, *) followed by one row of ``padding_value``: index M then reads padding."""
    return cat([x, full((1,) + tuple(x.shape[1:]), padding_value, dtype=x.dtype,
                        device=x.device)])


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences
    of the given ``lengths`` (B,) into a :class:`PackedSequence`.

    With ``enforce_sorted=True`` the lengths must be non-increasing (the batch
    is sorted); otherwise the batch is sorted here and the permutation kept in
    ``sorted_indices``. Differentiable with respect to ``input``.
    """
    lengths = _lengths(lengths)
    if enforce_sorted:
        sorted_indices = None
    else:   # stable descending sort, as torch.sort(lengths, descending=True) on the CPU
        order = np.argsort(-lengths, kind='stable')
        lengths, sorted_indices = lengths[order], tensor(order, device=input.device)
    if input.numel() == 0:
        raise RuntimeError("pack_padded_sequence: Cannot pack empty tensors.")
    time_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    T, B = input.shape[time_dim], input.shape[batch_dim]
    if lengths.size != B:
        raise RuntimeError(f"pack_padded_sequence: Expected `len(lengths)` to be equal to "
                           f"batch_size, but got {lengths.size} (batch_size={B})")
    if lengths[-1] <= 0:
        raise RuntimeError("pack_padded_sequence: Length of all samples has to be greater than "
                           "0, but found an element in 'lengths' that is <= 0")
    if np.any(lengths[:-1] < lengths[1:]):
        raise RuntimeError("pack_padded_sequence: `lengths` array must be sorted in decreasing "
                           "order when `enforce_sorted` is True. You can pass "
                           "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                           "to sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a length ({lengths[0]}) exceeds the padded "
                           f"sequence length {T} of input.shape={tuple(input.shape)}")
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1)
    original = np.arange(B) if sorted_indices is None else order
    # the flat row (time-major or batch-major) of every packed step
    t = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    b = original[np.concatenate([np.arange(n) for n in batch_sizes])]
    rows = b * T + t if batch_first else t * B + b
    data = input.reshape((T * B,) + tuple(input.shape[2:]))[rows]
    return PackedSequence(data, tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: returns ``(padded, lengths)``.

    ``padded`` is (T, B, *) (or (B, T, *) with ``batch_first``) in the original
    batch order, T the longest length or ``total_length``; ``lengths`` (B,) int64.
    Padded positions hold ``padding_value``. Differentiable with respect to the data.
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy()
    T = batch_sizes.size
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"pad_packed_sequence: Expected total_length to be at least the "
                             f"length of the longest sequence in input, but got "
                             f"total_length={total_length} and max sequence length being {T}")
        T = total_length
    B = int(batch_sizes[0])
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)      # sorted order
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    # packed row of (t, sorted position b); past a sequence's end, the padding row
    t, b = np.arange(T)[:, None], np.arange(B)[None, :]
    rows = np.where(t < lengths[None, :], offsets[np.minimum(t, batch_sizes.size - 1)] + b,
                    data.shape[0])
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.numpy()
        rows, lengths = rows[:, unsorted], lengths[unsorted]
    padded = _with_padding_row(data, padding_value)[rows.T if batch_first else rows]
    return padded, tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    """Stack sequences (L_i, *) into one padded (T, B, *) tensor (or (B, T, *) with
    ``batch_first``), T = max L_i; ``padding_side='left'`` puts the padding first.
    Differentiable with respect to every sequence."""
    if padding_side not in ('left', 'right'):
        raise RuntimeError(f"pad_sequence: Expected padding_side to be one of left or right, "
                           f"but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape "
                               f"{trailing} of the first, got shapes "
                               f"{[tuple(x.shape) for x in sequences]}")
    dtype = sequences[0].dtype          # the first sequence's dtype, as PyTorch
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    T, offsets = int(lengths.max()), np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(T)[:, None]
    if padding_side == 'left':
        t = t - (T - lengths)[None, :]
    flat = cat([s.to(dtype) for s in sequences])
    rows = np.where((t >= 0) & (t < lengths), offsets + t, flat.shape[0])
    return _with_padding_row(flat, padding_value)[rows.T if batch_first else rows]


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch (T, B, *) (or (B, T, *)) into the list of its B sequences
    (lengths[i], *)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (sorted by decreasing length unless
    ``enforce_sorted=False``) into a :class:`PackedSequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences (L_i, *) of a :class:`PackedSequence`, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
