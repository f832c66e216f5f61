"""Variable-length batches: nn.utils.rnn (PackedSequence, packing and padding), RNN/LSTM/GRU
on packed input, and LSTM's proj_size.

References: numpy loops over each sequence on its own (below), and literals from PyTorch 2.13
(float64) for the deterministic weights of ``_fill``.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence,
                                       pack_sequence, pad_packed_sequence, pad_sequence,
                                       unpack_sequence, unpad_sequence)

MODULES = {'RNN_TANH': lambda *a, **k: nn.RNN(*a, **k),
           'RNN_RELU': lambda *a, **k: nn.RNN(*a, nonlinearity='relu', **k),
           'LSTM': lambda *a, **k: nn.LSTM(*a, **k), 'GRU': lambda *a, **k: nn.GRU(*a, **k)}


def _fill(module):
    """Deterministic weights: parameter j gets 0.5 * sin(0.7 k + j), k its flat index."""
    with tg.no_grad():
        for j, p in enumerate(module.parameters()):
            p.copy_(0.5 * np.sin(0.7 * np.arange(p.numel()) + j).reshape(p.shape))
    return module


# ---------------------------------------------------------------- packing and padding
def test_pack_padded_sequence_layout_is_pytorchs():
    # sequences a (length 3), b (1), c (2), time first: x[t, b] = 10 * b + t
    x = tg.tensor(10.0 * np.arange(3)[None, :] + np.arange(3)[:, None])
    packed = pack_padded_sequence(x, [3, 1, 2], enforce_sorted=False)
    assert isinstance(packed, tuple) and packed._fields == (
        'data', 'batch_sizes', 'sorted_indices', 'unsorted_indices')
    assert packed.data.tolist() == [0, 20, 10, 1, 21, 2]      # a0 c0 b0 | a1 c1 | a2
    assert packed.batch_sizes.tolist() == [3, 2, 1] and packed.batch_sizes.dtype == np.int64
    assert packed.sorted_indices.tolist() == [0, 2, 1] == packed.unsorted_indices.tolist()
    padded, lengths = pad_packed_sequence(packed, padding_value=-1.0)
    assert lengths.tolist() == [3, 1, 2] and lengths.dtype == np.int64
    assert padded.tolist() == [[0, 10, 20], [1, -1, 21], [2, -1, -1]]
    padded, _ = pad_packed_sequence(packed, batch_first=True, total_length=4)
    assert padded.tolist() == [[0, 1, 2, 0], [10, 0, 0, 0], [20, 21, 0, 0]]
    assert pack_padded_sequence(x.T, [3, 2, 1], batch_first=True).data.tolist() == \
        [0, 10, 20, 1, 11, 2]
    assert pack_padded_sequence(x, tg.tensor([3, 2, 2])).sorted_indices is None


def test_pad_sequence_sides_and_unpad():
    seqs = [tg.tensor([[1, 2]]), tg.tensor([[3, 4], [5, 6], [7, 8]]), tg.tensor([[9, 9], [0, 1]])]
    right = pad_sequence(seqs, batch_first=True, padding_value=-1)
    assert right.dtype == np.int64 and right.tolist() == [
        [[1, 2], [-1, -1], [-1, -1]], [[3, 4], [5, 6], [7, 8]], [[9, 9], [0, 1], [-1, -1]]]
    left = pad_sequence(seqs, padding_side='left')           # time first
    assert left.shape == (3, 3, 2) and left[:, 0].tolist() == [[0, 0], [0, 0], [1, 2]]
    assert left[:, 2].tolist() == [[0, 0], [9, 9], [0, 1]]
    back = unpad_sequence(right, tg.tensor([1, 3, 2]), batch_first=True)
    assert [s.tolist() for s in back] == [s.tolist() for s in seqs]
    back = unpack_sequence(pack_sequence(seqs, enforce_sorted=False))
    assert [s.tolist() for s in back] == [s.tolist() for s in seqs]


@settings(max_examples=25)
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4), trailing=st.sampled_from(
    [(), (2,), (1, 2)]), batch_first=st.booleans(), sort=st.booleans(), pad=st.floats(-2, 2))
def test_pack_then_pad_restores_the_valid_steps(lengths, trailing, batch_first, sort, pad):
    if sort:
        lengths = sorted(lengths, reverse=True)
    T, B = max(lengths) + 1, len(lengths)
    rng = np.random.default_rng(len(lengths))
    data = rng.standard_normal((B, T) + trailing if batch_first else (T, B) + trailing)
    x = tg.tensor(data, requires_grad=True)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
    assert packed.data.shape == (sum(lengths),) + trailing
    assert packed.batch_sizes.tolist() == [sum(n > t for n in lengths) for t in range(T - 1)]
    padded, got_lengths = pad_packed_sequence(packed, batch_first, pad, total_length=T)
    assert got_lengths.tolist() == lengths
    # valid[b, t]: step t of sequence b is real
    valid = np.arange(T)[None, :] < np.array(lengths)[:, None]
    valid = valid if batch_first else valid.T
    mask = valid.reshape(valid.shape + (1,) * len(trailing))
    np.testing.assert_array_equal(padded.numpy(), np.where(mask, data, pad))
    # the gradient reaches exactly the real steps
    weight = rng.standard_normal(padded.shape)
    (padded * tg.tensor(weight)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(mask, weight, 0))
    seqs = [tg.tensor(data[b, :n] if batch_first else data[:n, b]) for b, n in enumerate(lengths)]
    for got, want in zip(unpack_sequence(pack_sequence(seqs, enforce_sorted=sort)), seqs):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_packing_and_padding_gradcheck(rng):
    x = tg.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    a, b = (tg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(1, 2), (3, 2)])

    def round_trip(x):
        packed = pack_padded_sequence(x, [2, 3, 1], batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(packed, padding_value=0.5)[0] ** 2
    assert tg.gradcheck(round_trip, (x,))
    assert tg.gradgradcheck(round_trip, (x,))
    assert tg.gradcheck(lambda a, b: pad_sequence([a, b], padding_side='left'), (a, b))


def test_packed_sequence_conversions():
    packed = pack_sequence([tg.randn(3, 2), tg.randn(1, 2)], enforce_sorted=False)
    assert packed.to(tg.float32) is packed and packed.float() is packed
    double = packed.double()
    assert double.data.dtype == np.float64 and double.batch_sizes is packed.batch_sizes
    assert double.sorted_indices.tolist() == [0, 1] and not double.is_cuda
    rebuilt = PackedSequence(packed.data, packed.batch_sizes, tg.tensor([1, 0]))
    assert rebuilt.unsorted_indices.tolist() == [1, 0]
    assert invert_permutation(tg.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert invert_permutation(None) is None


def test_packing_errors():
    x = tg.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match='must be sorted in decreasing order when '
                                           '`enforce_sorted` is True'):
        pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match=r'Expected `len\(lengths\)` to be equal to '
                                           r'batch_size, but got 2 \(batch_size=3\)'):
        pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match='has to be greater than 0'):
        pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match='exceeds the padded sequence length 4'):
        pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(RuntimeError, match='Cannot pack empty tensors'):
        pack_padded_sequence(tg.zeros(0, 3, 2), [1, 1, 1])
    with pytest.raises(ValueError, match='total_length=2 and max sequence length being 3'):
        pad_packed_sequence(pack_padded_sequence(x, [3, 2, 1]), total_length=2)
    with pytest.raises(RuntimeError, match='empty list'):
        pad_sequence([])
    with pytest.raises(RuntimeError, match=r'trailing shape \(3,\)'):
        pad_sequence([tg.zeros(2, 3), tg.zeros(2, 4)])
    with pytest.raises(RuntimeError, match='padding_side to be one of left or right'):
        pad_sequence([tg.zeros(2, 3)], padding_side='middle')


# ---------------------------------------------------------------- numpy reference
def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _np_step(mode, x, h, c, w):
    a, r = x @ w['weight_ih'].T + w['bias_ih'], h @ w['weight_hh'].T + w['bias_hh']
    if mode in ('RNN_TANH', 'RNN_RELU'):
        return (np.tanh(a + r) if mode == 'RNN_TANH' else np.maximum(a + r, 0)), c
    if mode == 'GRU':
        (a_r, a_z, a_n), (r_r, r_z, r_n) = np.split(a, 3), np.split(r, 3)
        reset, z = _sigmoid(a_r + r_r), _sigmoid(a_z + r_z)
        n = np.tanh(a_n + reset * r_n)
        return (1 - z) * n + z * h, c
    i, f, g, o = np.split(a + r, 4)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return (h if 'weight_hr' not in w else w['weight_hr'] @ h), c


def _np_sequence(m, x, h0, c0):
    """One sequence x (L, in) through the layers of m, step by step; h0 (D*layers, H_out)."""
    D = 2 if m.bidirectional else 1
    finals_h, finals_c = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}{'_reverse' if d else ''}"
            w = {k: getattr(m, k + sfx).numpy() for k in ('weight_ih', 'weight_hh', 'bias_ih',
                                                            'bias_hh', 'weight_hr')
                 if hasattr(m, k + sfx)}
            h, c = h0[layer * D + d], c0[layer * D + d]
            out = np.zeros((len(x), len(h)))
            for t in (range(len(x))[::-1] if d else range(len(x))):
                h, c = _np_step(m.mode, x[t], h, c, w)
                out[t] = h
            outs.append(out)
            finals_h.append(h)
            finals_c.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(finals_h), np.stack(finals_c)


@pytest.mark.parametrize('mode', MODULES)
def test_packed_module_matches_numpy_loop_per_sequence(mode, rng):
    proj = 2 if mode == 'LSTM' else 0
    m = MODULES[mode](3, 4, num_layers=2, bidirectional=True, batch_first=True,
                      **({'proj_size': proj} if proj else {})).double()
    lengths = [2, 5, 1, 3]
    x = rng.standard_normal((4, 5, 3))
    h0, c0 = rng.standard_normal((4, 4, proj or 4)), rng.standard_normal((4, 4, 4))
    hx = (tg.tensor(h0), tg.tensor(c0)) if mode == 'LSTM' else tg.tensor(h0)
    packed = pack_padded_sequence(tg.tensor(x), lengths, batch_first=True, enforce_sorted=False)
    out, h_n = m(packed, hx)
    assert isinstance(out, PackedSequence) and out.batch_sizes is packed.batch_sizes
    padded, _ = pad_packed_sequence(out, batch_first=True)
    h_n, c_n = h_n if mode == 'LSTM' else (h_n, None)
    for b, n in enumerate(lengths):
        want_out, want_h, want_c = _np_sequence(m, x[b, :n], h0[:, b], c0[:, b])
        np.testing.assert_allclose(padded.numpy()[b, :n], want_out, rtol=0, atol=1e-12)
        assert not padded.numpy()[b, n:].any()
        np.testing.assert_allclose(h_n.numpy()[:, b], want_h, rtol=0, atol=1e-12)
        if mode == 'LSTM':
            np.testing.assert_allclose(c_n.numpy()[:, b], want_c, rtol=0, atol=1e-12)


def test_packed_bidirectional_proj_lstm_and_gru_match_pytorch_numbers():
    x = tg.tensor(np.cos(np.arange(24) * 0.9).reshape(4, 3, 2))        # (T, B, in)
    packed = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    out, (h_n, c_n) = _fill(nn.LSTM(2, 3, bidirectional=True, proj_size=2).double())(packed)
    np.testing.assert_allclose(out.data.numpy()[[0, 6]], [
        [-0.11354854945644205, 0.07965589028787472, -0.17716160615206109, 0.27973634240338713],
        [-0.25802901576758713, 0.05981637759683928, 0.02839498701861477, -0.05266044343771462]],
        rtol=0, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[:, 2], [[-0.07524263338281448, 0.06913546071376878],
                                                   [-0.12101391360285799, 0.28533977342156075]],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[1, 0], [0.02282731328513049, 0.2689207936826671,
                                                   -0.08629977272163693], rtol=0, atol=1e-12)
    _, h_n = _fill(nn.GRU(2, 2, num_layers=2).double())(packed)
    np.testing.assert_allclose(h_n.numpy()[:, 0], [[-0.6053974110982835, 0.3118169466764474],
                                                   [0.06468229786780928, -0.11675553025589003]],
                               rtol=0, atol=1e-12)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize('mode', ['LSTM', 'GRU'])
def test_packed_module_gradcheck(mode, rng):
    tg.manual_seed(0)
    m = MODULES[mode](2, 3, num_layers=2, bidirectional=True,
                      **({'proj_size': 2} if mode == 'LSTM' else {})).double()
    x = tg.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    h0 = tg.tensor(rng.standard_normal((4, 3, 2 if mode == 'LSTM' else 3)), requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)

    def fn(x, h0, c0, *params):
        packed = pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        out, h_n = m(packed, (h0, c0) if mode == 'LSTM' else h0)
        return (out.data,) + (h_n if mode == 'LSTM' else (h_n,))
    assert tg.gradcheck(fn, (x, h0, c0) + tuple(m.parameters()))


@pytest.mark.parametrize('mode', ['RNN_TANH', 'LSTM', 'GRU'])
@pytest.mark.parametrize('reverse', [False, True])
def test_packed_recurrence_second_derivatives(mode, reverse, rng):
    G = {'RNN_TANH': 1, 'LSTM': 4, 'GRU': 3}[mode]
    t = [tg.tensor(rng.standard_normal(s) * 0.7, requires_grad=True)
         for s in [(3, 2), (2, 2), (2, 2), (G * 2, 2), (G * 2, 2), (G * 2,), (G * 2,)]]

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        out, h_n = F.rnn_layer(x, (h0, c0) if mode == 'LSTM' else h0, w_ih, w_hh, b_ih, b_hh,
                               mode=mode, reverse=reverse, batch_sizes=[2, 1])
        return out, h_n if mode != 'LSTM' else h_n[1]
    if mode != 'LSTM':
        t[2] = None
    assert tg.gradgradcheck(fn, tuple(t))


def test_packed_projected_lstm_second_derivatives(rng):
    t = [tg.tensor(rng.standard_normal(s) * 0.7, requires_grad=True)
         for s in [(3, 2), (2, 2), (2, 3), (12, 2), (12, 2), (12,), (12,), (2, 3)]]

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        out, (h_n, c_n) = F.rnn_layer(x, (h0, c0), w_ih, w_hh, b_ih, b_hh, mode='LSTM',
                                      reverse=True, batch_sizes=[2, 1], w_hr=w_hr)
        return out, h_n, c_n
    assert tg.gradgradcheck(fn, tuple(t))


@settings(max_examples=20)
@given(mode=st.sampled_from(list(MODULES)), lengths=st.lists(st.integers(1, 3), min_size=1,
                                                             max_size=3),
       layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(),
       sort=st.booleans(), bias=st.booleans(), give_state=st.booleans())
def test_packed_batch_equals_each_sequence_alone(mode, lengths, layers, bidirectional,
                                                 batch_first, sort, bias, give_state):
    """Outputs, final states and all gradients of a packed batch equal those of running
    every sequence on its own (unbatched) and adding up."""
    if sort:
        lengths = sorted(lengths, reverse=True)
    tg.manual_seed(len(lengths))
    m = MODULES[mode](2, 3, num_layers=layers, bidirectional=bidirectional, bias=bias,
                      batch_first=batch_first).double()
    B, T, D = len(lengths), max(lengths), 2 if bidirectional else 1
    x = tg.randn(*((B, T, 2) if batch_first else (T, B, 2)), dtype=tg.float64, requires_grad=True)
    states = [tg.randn(D * layers, B, 3, dtype=tg.float64, requires_grad=True)
              for _ in range(2 if mode == 'LSTM' else 1)] if give_state else []
    hx = (tuple(states) if mode == 'LSTM' else states[0]) if give_state else None
    out, h_n = m(pack_padded_sequence(x, lengths, batch_first, enforce_sorted=sort), hx)
    padded, _ = pad_packed_sequence(out, batch_first)
    finals = h_n if mode == 'LSTM' else (h_n,)
    (padded.sum() + sum((f ** 2).sum() for f in finals)).backward()
    grads = [x.grad.numpy()] + [s.grad.numpy() for s in states] + [p.grad.numpy()
                                                                      for p in m.parameters()]
    m.zero_grad()
    x.grad = None
    for s in states:
        s.grad = None
    for b, n in enumerate(lengths):
        seq = x[b, :n] if batch_first else x[:n, b]
        one_hx = None
        if give_state:
            one_hx = tuple(s[:, b] for s in states) if mode == 'LSTM' else states[0][:, b]
        one_out, one_h = m(seq, one_hx)
        one_finals = one_h if mode == 'LSTM' else (one_h,)
        np.testing.assert_allclose((padded[b, :n] if batch_first else padded[:n, b]).numpy(),
                                   one_out.numpy(), rtol=0, atol=1e-12)
        for f, g in zip(finals, one_finals):
            np.testing.assert_allclose(f.numpy()[:, b], g.numpy(), rtol=0, atol=1e-12)
        (one_out.sum() + sum((f ** 2).sum() for f in one_finals)).backward()
    want = [x.grad.numpy()] + [s.grad.numpy() for s in states] + [p.grad.numpy()
                                                                     for p in m.parameters()]
    for got, expected in zip(grads, want):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_float32_packed_stays_float32():
    m = nn.GRU(2, 3, bidirectional=True)
    x = tg.randn(3, 2, 2, requires_grad=True)
    out, h_n = m(pack_padded_sequence(x, [3, 1]))
    assert out.data.dtype == h_n.dtype == np.float32
    (out.data.sum() + h_n.sum()).backward()
    assert x.grad.dtype == np.float32 and m.weight_hh_l0_reverse.grad.dtype == np.float32


def test_packed_input_errors():
    m = nn.LSTM(2, 3)
    packed = pack_padded_sequence(tg.randn(3, 2, 2), [3, 1])
    with pytest.raises(RuntimeError, match=r'LSTM: Expected hidden\[0\] size \(1, 2, 3\), got '
                                           r'\(1, 3, 3\)'):
        m(packed, (tg.zeros(1, 3, 3), tg.zeros(1, 3, 3)))
    with pytest.raises(RuntimeError, match='input.size\\(-1\\) must be equal to input_size'):
        nn.LSTM(4, 3)(packed)


# ---------------------------------------------------------------- proj_size
def test_lstm_proj_size_parameters_state_and_errors():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, bias=False)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()][:4] == [
        ('weight_ih_l0', (20, 3)), ('weight_hh_l0', (20, 2)), ('weight_hr_l0', (2, 5)),
        ('weight_ih_l0_reverse', (20, 3))]
    assert tuple(m.weight_ih_l1.shape) == (20, 4) and len(m.state_dict()) == 12
    assert list(nn.LSTM(3, 5, proj_size=2).state_dict()) == [
        'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_hr_l0']
    bound = 1 / np.sqrt(5)
    assert 0.8 * bound < np.abs(m.weight_hr_l1.numpy()).max() <= bound
    out, (h_n, c_n) = m(tg.randn(6, 4, 3))
    assert out.shape == (6, 4, 4) and h_n.shape == (4, 4, 2) and c_n.shape == (4, 4, 5)
    assert repr(nn.LSTM(3, 5, proj_size=2, num_layers=2)) == \
        'LSTM(3, 5, proj_size=2, num_layers=2)'
    assert nn.GRU(3, 4).proj_size == 0
    with pytest.raises(ValueError, match='proj_size has to be smaller than hidden_size'):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match='proj_size should be a positive integer or zero'):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match='only supported for LSTM'):
        nn.RNNBase('GRU', 3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r'Expected hidden\[1\] size \(1, 2, 4\)'):
        nn.LSTM(3, 4, proj_size=2)(tg.randn(5, 2, 3), (tg.zeros(1, 2, 2), tg.zeros(1, 2, 2)))
