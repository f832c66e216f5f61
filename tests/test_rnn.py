"""Recurrent layers: RNNCell/LSTMCell/GRUCell, RNN/LSTM/GRU and the fused BPTT node.

Reference numbers come from PyTorch 2.13 (float64) for the deterministic weights
made by ``_fill`` below; they pin the gate order and the direction conventions.
"""
import gc
import math
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
import tinygrad_cnn.optim as optim

MODES = {'RNN_TANH': 1, 'RNN_RELU': 1, 'LSTM': 4, 'GRU': 3}


def _fill(module):
    """Deterministic weights: parameter j gets 0.5 * sin(0.7 k + j), k its flat index."""
    with tg.no_grad():
        for j, p in enumerate(module.parameters()):
            p.copy_(0.5 * np.sin(0.7 * np.arange(p.numel()) + j).reshape(p.shape))
    return module


def _make_seq(mode, *args, **kwargs):
    if mode == 'RNN_RELU':
        kwargs['nonlinearity'] = 'relu'
    return {'RNN_TANH': nn.RNN, 'RNN_RELU': nn.RNN, 'LSTM': nn.LSTM, 'GRU': nn.GRU}[mode](
        *args, **kwargs)


# ---------------------------------------------------------------- PyTorch's numbers
_X = np.cos(np.arange(6) * 0.9).reshape(2, 3)
_H = np.sin(np.arange(4) * 1.3).reshape(2, 2) * 0.5
_C = np.cos(np.arange(4) * 0.4).reshape(2, 2) * 0.5

CELL_REFERENCE = {
    'tanh': [[[0.6923047264754931, 0.4887054897464921], [0.0703108482674355, -0.4420362266461969]]],
    'relu': [[[0.852368350395744, 0.534358228649644], [0.07042705641944122, 0.0]]],
    'lstm': [[[0.06934263583376117, -0.19771155414465916],
              [-0.12149263757388651, 0.14950763119402072]],             # h'
             [[0.1204207154665897, -0.26723660107236175],
              [-0.24213161761553048, 0.26232872717705225]]],            # c'
    'gru': [[[0.04155280887568501, -0.34577010657765544],
             [-0.17916140565700966, 0.349961650916079]]],
}


@pytest.mark.parametrize('kind', CELL_REFERENCE)
def test_cells_match_pytorch_numbers(kind):
    cell = {'tanh': lambda: nn.RNNCell(3, 2), 'relu': lambda: nn.RNNCell(3, 2, nonlinearity='relu'),
            'lstm': lambda: nn.LSTMCell(3, 2), 'gru': lambda: nn.GRUCell(3, 2)}[kind]()
    _fill(cell.double())
    x, h, c = tg.tensor(_X), tg.tensor(_H), tg.tensor(_C)
    out = cell(x, (h, c)) if kind == 'lstm' else (cell(x, h),)
    for got, want in zip(out, CELL_REFERENCE[kind]):
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)


def test_bidirectional_two_layer_sequences_match_pytorch_numbers():
    x = tg.tensor(np.cos(np.arange(18) * 0.9).reshape(3, 2, 3))
    out, h_n = _fill(nn.GRU(3, 2, num_layers=2, bidirectional=True).double())(x)
    np.testing.assert_allclose(out.numpy()[:, 0], [
        [0.1161593614, 0.2314023537, -0.3352320417, -0.7460236035],
        [0.0359697012, 0.3545486952, -0.1892777468, -0.7528246382],
        [-0.1082169592, 0.4451048981, -0.0741601752, -0.6272490831]], atol=1e-10)
    # h_n: (layer 0 forward, layer 0 reverse, layer 1 forward, layer 1 reverse)
    np.testing.assert_allclose(h_n.numpy()[:, 1], [
        [-0.2714650062, -0.0427615603], [-0.1084853059, -0.1913161673],
        [0.2104015426, 0.3966043361], [-0.5426752947, -0.623143168]], atol=1e-10)
    out, (h_n, c_n) = _fill(nn.LSTM(3, 2, num_layers=2, bidirectional=True).double())(x)
    np.testing.assert_allclose(out.numpy()[2, 1],
                               [0.1452404687, 0.2100840546, -0.207556249, -0.2178659398],
                               atol=1e-10)
    np.testing.assert_allclose(c_n.numpy()[:, 0], [
        [-0.6922190312, -0.6959201154], [0.347923561, 0.0050254372],
        [0.1249893536, 0.5164580634], [-0.6803493681, -0.6341190284]], atol=1e-10)


# ---------------------------------------------------------------- parameters
def test_state_dict_keys_shapes_and_order_are_pytorchs():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    expected = []
    for layer, n_in in ((0, 3), (1, 10)):
        for sfx in ('', '_reverse'):
            name = f'l{layer}{sfx}'
            expected += [(f'weight_ih_{name}', (20, n_in)), (f'weight_hh_{name}', (20, 5)),
                         (f'bias_ih_{name}', (20,)), (f'bias_hh_{name}', (20,))]
    assert [(k, tuple(v.shape)) for k, v in lstm.state_dict().items()] == expected
    assert list(nn.GRU(3, 5, bias=False).state_dict()) == ['weight_ih_l0', 'weight_hh_l0']
    assert [(k, tuple(v.shape)) for k, v in nn.GRUCell(3, 5).state_dict().items()] == [
        ('weight_ih', (15, 3)), ('weight_hh', (15, 5)), ('bias_ih', (15,)), ('bias_hh', (15,))]
    assert list(nn.RNNCell(3, 5, bias=False).state_dict()) == ['weight_ih', 'weight_hh']
    assert [len(w) for w in lstm.all_weights] == [4, 4, 4, 4]


def test_load_state_dict_from_numpy_round_trips():
    a, b = nn.GRU(2, 3, num_layers=2), nn.GRU(2, 3, num_layers=2)
    b.load_state_dict({k: v.numpy().copy() for k, v in a.state_dict().items()})
    x = tg.randn(4, 1, 2)
    np.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())


@pytest.mark.parametrize('make', [lambda: nn.LSTM(7, 100, num_layers=2),
                                  lambda: nn.GRUCell(7, 100)])
def test_init_is_uniform_within_one_over_sqrt_hidden(make):
    tg.manual_seed(0)
    values = np.concatenate([p.numpy().ravel() for p in make().parameters()])
    bound = 1 / math.sqrt(100)
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound     # U(-a, a): std a/sqrt(3)


def test_repr_is_pytorchs():
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity='relu')) == \
        'RNNCell(3, 4, bias=False, nonlinearity=relu)'
    assert repr(nn.LSTM(3, 4, 2, batch_first=True, dropout=0.5, bidirectional=True)) == \
        'LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)'
    assert repr(nn.GRU(3, 4)) == 'GRU(3, 4)'


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize('kind', ['tanh', 'relu', 'lstm', 'gru'])
@pytest.mark.parametrize('bias', [True, False])
def test_cell_gradcheck_input_state_and_parameters(kind, bias, rng):
    make = {'tanh': lambda: nn.RNNCell(3, 2, bias=bias),
            'relu': lambda: nn.RNNCell(3, 2, bias=bias, nonlinearity='relu'),
            'lstm': lambda: nn.LSTMCell(3, 2, bias=bias),
            'gru': lambda: nn.GRUCell(3, 2, bias=bias)}
    cell = make[kind]().double()
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = tg.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    c = tg.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    params = tuple(cell.parameters())
    if kind == 'lstm':
        assert tg.gradcheck(lambda x, h, c, *p: cell(x, (h, c)), (x, h, c) + params)
    else:
        if kind == 'relu':      # keep the pre-activations away from relu's kink
            pre = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh,
                                                                       cell.bias_hh)
            assert np.abs(pre.numpy()).min() > 1e-4
        assert tg.gradcheck(lambda x, h, *p: cell(x, h), (x, h) + params)


@pytest.mark.parametrize('mode', MODES)
def test_sequence_module_gradcheck_two_layers_bidirectional_batch_first(mode, rng):
    tg.manual_seed(0)
    m = _make_seq(mode, 2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = tg.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)       # (N, L, in)
    h0 = tg.tensor(rng.standard_normal((4, 2, 2)) * 0.5, requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((4, 2, 2)) * 0.5, requires_grad=True)
    params = tuple(m.parameters())
    if mode == 'LSTM':
        def fn(x, h0, c0, *p):
            out, (h_n, c_n) = m(x, (h0, c0))
            return out, h_n, c_n
        assert tg.gradcheck(fn, (x, h0, c0) + params)
    else:
        assert tg.gradcheck(lambda x, h0, *p: m(x, h0), (x, h0) + params)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('reverse', [False, True])
def test_recurrence_second_derivatives(mode, reverse, rng):
    """create_graph replays the forward, so BPTT itself is differentiable."""
    G = MODES[mode]
    t = [tg.tensor(rng.standard_normal(s) * 0.7, requires_grad=True)
         for s in [(2, 1, 2), (1, 2), (1, 2), (G * 2, 2), (G * 2, 2), (G * 2,), (G * 2,)]]

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        hx = (h0, c0) if mode == 'LSTM' else h0
        out, _ = F.rnn_layer(x, hx, w_ih, w_hh, b_ih, b_hh, mode=mode, reverse=reverse)
        return out
    if mode != 'LSTM':
        t[2] = None
    assert tg.gradgradcheck(fn, tuple(t))


# ---------------------------------------------------------------- semantics
def _cell_loop(m, x, h0, c0):
    """PyTorch's definition of a stacked (bidirectional) layer, with one cell per step."""
    lstm = m.mode == 'LSTM'
    D = 2 if m.bidirectional else 1
    finals_h, finals_c = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}{'_reverse' if d else ''}"
            cell = {'LSTM': nn.LSTMCell(x.shape[-1], m.hidden_size),
                    'GRU': nn.GRUCell(x.shape[-1], m.hidden_size),
                    'RNN_TANH': nn.RNNCell(x.shape[-1], m.hidden_size),
                    'RNN_RELU': nn.RNNCell(x.shape[-1], m.hidden_size, nonlinearity='relu')}[m.mode]
            for kind in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
                setattr(cell, kind, getattr(m, kind + sfx))      # share the Parameters
            h, c = h0[layer * D + d], c0[layer * D + d]
            steps = {}
            for t in (reversed(range(x.shape[0])) if d else range(x.shape[0])):
                if lstm:
                    h, c = cell(x[t], (h, c))
                else:
                    h = cell(x[t], h)
                steps[t] = h
            outs.append(tg.stack([steps[t] for t in range(x.shape[0])]))
            finals_h.append(h)
            finals_c.append(c)
        x = tg.cat(outs, -1)
    return x, tg.stack(finals_h), tg.stack(finals_c)


@pytest.mark.parametrize('mode', MODES)
def test_sequence_equals_loop_over_cells_sharing_weights(mode, rng):
    tg.manual_seed(1)
    m = _make_seq(mode, 3, 4, num_layers=2, bidirectional=True).double()
    x = tg.tensor(rng.standard_normal((5, 2, 3)))
    h0, c0 = tg.tensor(rng.standard_normal((4, 2, 4))), tg.tensor(rng.standard_normal((4, 2, 4)))
    out, h_n = m(x, (h0, c0) if mode == 'LSTM' else h0)
    want_out, want_h, want_c = _cell_loop(m, x, h0, c0)
    np.testing.assert_allclose(out.numpy(), want_out.numpy(), rtol=0, atol=1e-13)
    if mode == 'LSTM':
        h_n, c_n = h_n
        np.testing.assert_allclose(c_n.numpy(), want_c.numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(h_n.numpy(), want_h.numpy(), rtol=0, atol=1e-13)


def test_batch_first_and_unbatched_agree_with_time_first():
    tg.manual_seed(2)
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = tg.randn(5, 2, 3)
    out, (h_n, c_n) = m(x)
    m.batch_first = True
    out_bf, (h_bf, _) = m(x.transpose(0, 1))
    np.testing.assert_allclose(out_bf.numpy(), out.numpy().transpose(1, 0, 2), atol=1e-6)
    np.testing.assert_allclose(h_bf.numpy(), h_n.numpy(), atol=1e-6)
    out_u, (h_u, c_u) = m(x[:, 1])                       # unbatched (L, in); batch_first ignored
    assert out_u.shape == (5, 8) and h_u.shape == c_u.shape == (4, 4)
    np.testing.assert_allclose(out_u.numpy(), out.numpy()[:, 1], atol=1e-6)
    np.testing.assert_allclose(c_u.numpy(), c_n.numpy()[:, 1], atol=1e-6)


def test_unbatched_cells():
    cell = nn.GRUCell(3, 4)
    x, h = tg.randn(2, 3), tg.randn(2, 4)
    np.testing.assert_allclose(cell(x[1], h[1]).numpy(), cell(x, h).numpy()[1], atol=1e-6)
    h1, c1 = nn.LSTMCell(3, 4)(x[0])
    assert h1.shape == c1.shape == (4,)


@settings(max_examples=20)
@given(mode=st.sampled_from(list(MODES)), layers=st.integers(1, 2), bidirectional=st.booleans(),
       batch_first=st.booleans(), bias=st.booleans(), unbatched=st.booleans(),
       give_state=st.booleans(), L=st.integers(1, 4), N=st.integers(1, 3),
       n_in=st.integers(1, 3), H=st.integers(1, 3))
def test_shapes_dtypes_and_gradients_over_options(mode, layers, bidirectional, batch_first, bias,
                                                  unbatched, give_state, L, N, n_in, H):
    m = _make_seq(mode, n_in, H, num_layers=layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    x = tg.randn(*((L, n_in) if unbatched else (N, L, n_in) if batch_first else (L, N, n_in)),
                 requires_grad=True)
    state_shape = (D * layers, H) if unbatched else (D * layers, N, H)
    hx = None
    if give_state:
        hx = (tg.randn(*state_shape), tg.randn(*state_shape)) if mode == 'LSTM' \
            else tg.randn(*state_shape)
    out, h_n = m(x, hx)
    want = (L, D * H) if unbatched else (N, L, D * H) if batch_first else (L, N, D * H)
    assert out.shape == want and out.dtype == np.float32
    for s in (h_n if mode == 'LSTM' else (h_n,)):
        assert s.shape == state_shape and s.dtype == np.float32
    # the last layer's final forward state is the output at the last step
    last = out[-1] if unbatched else out[:, -1] if batch_first else out[-1]
    np.testing.assert_allclose(last.numpy()[..., :H],
                               (h_n[0] if mode == 'LSTM' else h_n).numpy()[-D], atol=1e-6)
    (out.sum() + (h_n[1] if mode == 'LSTM' else h_n).sum()).backward()
    assert x.grad.shape == x.shape and x.grad.dtype == np.float32
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape and p.grad.dtype == np.float32, name


def test_dropout_between_layers_only_in_training():
    tg.manual_seed(3)
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5)
    ref = nn.GRU(3, 8, num_layers=2)
    ref.load_state_dict(m.state_dict())
    x = tg.randn(4, 2, 3)
    train_out = m(x)[0].numpy()
    assert not np.allclose(train_out, ref(x)[0].numpy())
    np.testing.assert_array_equal(m.eval()(x)[0].numpy(), ref(x)[0].numpy())
    with pytest.warns(UserWarning, match='num_layers greater than 1'):
        nn.LSTM(3, 4, dropout=0.2)


# ---------------------------------------------------------------- long sequences
def test_bptt_through_1000_steps_of_an_rnn_cell():
    """1000 steps make a graph of ~6,000 nodes: the engine must not recurse, and the
    per-step graph must give the gradients of the fused BPTT node."""
    tg.manual_seed(4)
    cell = nn.RNNCell(2, 3).double()
    seq = nn.RNN(2, 3).double()
    seq.load_state_dict({k + '_l0': v for k, v in cell.state_dict().items()})
    x = tg.randn(1000, 1, 2, dtype=tg.float64) * 0.5
    h = tg.zeros(1, 3, dtype=tg.float64)
    for t in range(1000):
        h = cell(x[t], h)
    h.sum().backward()
    seq(x)[1].sum().backward()
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(seq, name + '_l0').grad.numpy(),
                                   rtol=1e-10, atol=1e-12)
    assert np.abs(cell.weight_hh.grad.numpy()).max() > 1e-3


def test_long_lstm_sequence_backward():
    m = nn.LSTM(2, 4)
    x = tg.randn(3000, 1, 2, requires_grad=True)
    out, (_, c_n) = m(x)
    (out.sum() + c_n.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()[0]).max() > 0


def test_graph_and_saved_steps_are_freed_without_the_cyclic_gc():
    m = nn.LSTM(2, 3, num_layers=2)
    gc.disable()
    try:
        out, (h_n, c_n) = m(tg.randn(5, 1, 2, requires_grad=True))
        node, stack = None, [out.grad_fn]
        while node is None:                        # find a Recurrence node in the graph
            n = stack.pop()
            node = n if type(n).__name__ == 'Recurrence' else None
            stack += [p for p in n.parents if isinstance(p, tg.autograd.Function)]
        ref = weakref.ref(node)
        assert len(node.steps) == 5
        (out.sum() + c_n.sum()).backward()
        assert not hasattr(node, 'steps')          # backward released what forward saved
        del node, n, stack, out, h_n, c_n
        assert ref() is None
    finally:
        gc.enable()


# ---------------------------------------------------------------- learning
def test_lstm_learns_hello():
    """The lectures' character model: from h, e, l, l predict e, l, l, o."""
    tg.manual_seed(0)
    vocab = 'helo'
    ids = [vocab.index(ch) for ch in 'hello']
    x = F.one_hot(tg.tensor(ids[:-1]), 4).float()                  # (L=4, 4), unbatched
    target = tg.tensor(ids[1:])
    lstm, head = nn.LSTM(4, 8), nn.Linear(8, 4)
    opt = optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    for step in range(60):
        out, _ = lstm(x)
        loss = F.cross_entropy(head(out), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.02          # 1.36 at the start; below 0.005 for seeds 0-9
    # greedy generation from "h", carrying the state one step at a time
    text, state, ch = 'h', None, ids[0]
    with tg.no_grad():
        for _ in range(4):
            out, state = lstm(F.one_hot(tg.tensor([ch]), 4).float(), state)
            ch = int(head(out).argmax(-1).item())
            text += vocab[ch]
    assert text == 'hello'


# ---------------------------------------------------------------- errors
def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity='sigmoid')
    with pytest.raises(ValueError, match="nonlinearity 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity='gelu')
    with pytest.raises(ValueError, match='dropout'):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match='hidden_size'):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match='num_layers'):
        nn.GRU(3, 4, num_layers=0)


def test_shape_and_dtype_mismatches_raise_runtime_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=r'LSTM: input.size\(-1\) must be equal to input_size. '
                                           r'Expected 3, got 5'):
        m(tg.randn(6, 2, 5))
    with pytest.raises(RuntimeError, match=r'LSTM: Expected hidden\[0\] size \(2, 2, 4\), got '
                                           r'\(1, 2, 4\)'):
        m(tg.randn(6, 2, 3), (tg.randn(1, 2, 4), tg.randn(2, 2, 4)))
    with pytest.raises(RuntimeError, match='hx should also be 3-D'):
        m(tg.randn(6, 2, 3), (tg.randn(2, 4), tg.randn(2, 4)))
    with pytest.raises(ValueError, match='Expected input to be 2D or 3D, got 4D'):
        m(tg.randn(1, 6, 2, 3))
    with pytest.raises(RuntimeError, match='dtype'):
        m(tg.randn(6, 2, 3, dtype=tg.float64))
    cell = nn.GRUCell(3, 4)
    with pytest.raises(RuntimeError, match='GRUCell: input has inconsistent input_size: got 2'):
        cell(tg.randn(5, 2))
    with pytest.raises(RuntimeError,
                       match=r'GRUCell: expected hx\[0\] of shape \(5, 4\), got \(3, 4\)'):
        cell(tg.randn(5, 3), tg.randn(3, 4))
    with pytest.raises(ValueError, match='Expected input to be 1D or 2D, got 3D'):
        cell(tg.randn(1, 5, 3))
