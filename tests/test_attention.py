"""Attention: F.scaled_dot_product_attention, MultiheadAttention and the Transformer layers.

Values are checked against numpy references written here; the Transformer's output
and parameter layout are PyTorch 2.13's (float64) for the deterministic weights made
by ``_fill``.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def _fill(module):
    """Deterministic weights: parameter j gets 0.5 * sin(0.7 k + j), k its flat index."""
    with tg.no_grad():
        for j, p in enumerate(module.parameters()):
            p.copy_(0.5 * np.sin(0.7 * np.arange(p.numel()) + j).reshape(p.shape))
    return module


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sdpa_reference(q, k, v, mask=None, is_causal=False, scale=None):
    """numpy: softmax(q k^T * scale + bias) v; bool mask True = attend; rows with nothing
    to attend to give 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    allowed = np.ones(s.shape, bool)
    if is_causal:
        allowed &= np.tril(np.ones(s.shape[-2:], bool))
    if mask is not None and mask.dtype == bool:
        allowed &= mask
    elif mask is not None:
        s = s + mask
    s = np.where(allowed, s, -np.inf)
    dead = ~np.isfinite(s).any(-1, keepdims=True)
    w = np.where(dead, 0.0, _softmax(np.where(dead, 0.0, s)))
    return w @ v


def _mha_reference(q, k, v, w_in, b_in, w_out, b_out, num_heads, key_padding_mask=None,
                   attn_mask=None):
    """numpy, sequence-first (L, N, E): returns the output and head-averaged weights."""
    E = q.shape[-1]
    d = E // num_heads
    wq, wk, wv = np.split(w_in, 3)
    bq, bk, bv = np.split(b_in, 3)
    L, N, S = q.shape[0], q.shape[1], k.shape[0]

    def heads(x, n):    # (n, N, E) -> (N, heads, n, d)
        return x.reshape(n, N, num_heads, d).transpose(1, 2, 0, 3)
    qh, kh, vh = heads(q @ wq.T + bq, L), heads(k @ wk.T + bk, S), heads(v @ wv.T + bv, S)
    s = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d)
    if attn_mask is not None:
        s = np.where(attn_mask, -np.inf, s)
    if key_padding_mask is not None:
        s = np.where(key_padding_mask[:, None, None, :], -np.inf, s)
    w = _softmax(s)
    out = (w @ vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    return out @ w_out.T + b_out, w.mean(1)


def _t(a, requires_grad=False):
    return tg.tensor(a, requires_grad=requires_grad)


# ---------------------------------------------------------------- scaled_dot_product_attention
@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), L=st.integers(1, 4), S=st.integers(1, 4),
       E=st.integers(1, 4), Ev=st.integers(1, 3), mask=st.sampled_from([None, 'bool', 'float']),
       is_causal=st.booleans(), scale=st.sampled_from([None, 0.5]), seed=st.integers(0, 99))
def test_sdpa_matches_numpy(batch, L, S, E, Ev, mask, is_causal, scale, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((*batch, n, e)) for n, e in ((L, E), (S, E), (S, Ev)))
    m = None
    if mask == 'bool':
        m = rng.random((L, S)) > 0.4
    elif mask == 'float':
        m = rng.standard_normal((*batch, L, S))
    if m is not None and is_causal:
        is_causal = False       # PyTorch forbids both
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), None if m is None else _t(m),
                                         is_causal=is_causal, scale=scale)
    assert out.shape == (*batch, L, Ev) and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), _sdpa_reference(q, k, v, m, is_causal, scale),
                               atol=1e-12)


def test_sdpa_gradcheck():
    rng = np.random.default_rng(0)
    q, k, v = (_t(rng.standard_normal(s), True) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    bias = _t(rng.standard_normal((3, 5)), True)
    keep = _t(rng.random((2, 3, 5)) > 0.4)
    assert tg.gradcheck(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, b),
                        (q, k, v, bias))
    assert tg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, keep), (q, k, v))
    assert tg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                        scale=0.3), (q, k, v))
    assert tg.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (q, k, v))


def test_sdpa_fully_masked_rows_give_zero_output_and_gradient():
    kv = _t(np.arange(8.0).reshape(4, 2), True)
    mask = _t(np.array([[True] * 4, [False] * 4, [True, False, False, False]]))
    q = _t(np.ones((3, 2)), True)
    out = F.scaled_dot_product_attention(q, kv, kv, mask)
    assert np.isfinite(out.numpy()).all()
    np.testing.assert_array_equal(out.numpy()[1], [0.0, 0.0])
    np.testing.assert_allclose(out.numpy()[2], [0.0, 1.0])       # only key 0 attended
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy()[1], [0.0, 0.0])


def test_sdpa_grouped_query_attention_shares_heads():
    rng = np.random.default_rng(1)
    q = rng.standard_normal((2, 4, 3, 2))
    k, v = rng.standard_normal((2, 2, 5, 2)), rng.standard_normal((2, 2, 5, 2))
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), enable_gqa=True)
    # query heads 0, 1 read key/value head 0; heads 2, 3 read head 1
    ref = _sdpa_reference(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


def test_sdpa_dropout_uses_the_generator_and_keeps_dtype():
    rng = np.random.default_rng(2)
    q, k, v = (_t(rng.standard_normal((2, 3, 4)).astype(np.float32)) for _ in range(3))
    tg.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tg.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy(),
                                  np.zeros((2, 3, 4), np.float32))


@pytest.mark.parametrize('args, kwargs', [
    (((4,), (4,), (4,)), {}),                                   # 1-D
    (((2, 3, 4), (2, 5, 3), (2, 5, 3)), {}),                    # E differs
    (((2, 3, 4), (2, 5, 4), (2, 4, 3)), {}),                    # S differs
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {'is_causal': True, 'attn_mask': np.zeros((3, 5))}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {'attn_mask': np.ones((3, 5), np.int64)}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {'dropout_p': 1.5}),
    (((1, 4, 3, 2), (1, 3, 5, 2), (1, 3, 5, 2)), {'enable_gqa': True}),
])
def test_sdpa_errors_are_runtime_errors(args, kwargs):
    q, k, v = (tg.zeros(*s, dtype=tg.float64) for s in args)
    if 'attn_mask' in kwargs:
        kwargs['attn_mask'] = _t(kwargs['attn_mask'])
    with pytest.raises(RuntimeError, match='scaled_dot_product_attention'):
        F.scaled_dot_product_attention(q, k, v, **kwargs)


# ---------------------------------------------------------------- MultiheadAttention
def test_multihead_attention_parameters_as_pytorch():
    m = nn.MultiheadAttention(4, 2)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ('in_proj_weight', (12, 4)), ('in_proj_bias', (12,)), ('out_proj.weight', (4, 4)),
        ('out_proj.bias', (4,))]
    assert not m.in_proj_bias.numpy().any() and not m.out_proj.bias.numpy().any()
    assert np.abs(m.in_proj_weight.numpy()).max() <= np.sqrt(6 / 16)      # xavier_uniform_
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=5)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ('q_proj_weight', (4, 4)), ('k_proj_weight', (4, 3)), ('v_proj_weight', (4, 5)),
        ('in_proj_bias', (12,)), ('bias_k', (1, 1, 4)), ('bias_v', (1, 1, 4)),
        ('out_proj.weight', (4, 4)), ('out_proj.bias', (4,))]
    assert repr(nn.MultiheadAttention(4, 2, bias=False)) == (
        'MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, '
        'out_features=4, bias=False)\n)')
    with pytest.raises(AssertionError, match='divisible'):
        nn.MultiheadAttention(5, 2)


@pytest.mark.parametrize('masks', ['none', 'padding', 'attn', 'both'])
@pytest.mark.parametrize('self_attention', [True, False])
def test_multihead_attention_matches_numpy(masks, self_attention):
    rng = np.random.default_rng(3)
    m = _fill(nn.MultiheadAttention(6, 3).double())
    L, S, N = 3, (3 if self_attention else 4), 2
    q = rng.standard_normal((L, N, 6))
    k = q if self_attention else rng.standard_normal((S, N, 6))
    v = q if self_attention else rng.standard_normal((S, N, 6))
    kpm = np.array([[False] * (S - 1) + [True], [False] * S]) if masks in ('padding', 'both') \
        else None
    am = np.triu(np.ones((L, S), bool), 1) if masks in ('attn', 'both') else None
    tq = _t(q)
    tk, tv = (tq, tq) if self_attention else (_t(k), _t(v))
    out, w = m(tq, tk, tv, key_padding_mask=None if kpm is None else _t(kpm),
               attn_mask=None if am is None else _t(am))
    ref_out, ref_w = _mha_reference(q, k, v, m.in_proj_weight.numpy(), m.in_proj_bias.numpy(),
                                    m.out_proj.weight.numpy(), m.out_proj.bias.numpy(), 3,
                                    kpm, am)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    # the SDPA path (no weights) and float masks give the same output
    fmask = None if am is None else _t(np.where(am, -np.inf, 0.0))
    fkpm = None if kpm is None else _t(np.where(kpm, -np.inf, 0.0))
    out2, none = m(tq, tk, tv, key_padding_mask=fkpm, attn_mask=fmask, need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.numpy(), ref_out, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(heads=st.sampled_from([1, 2]), L=st.integers(1, 3), S=st.integers(1, 3),
       N=st.integers(1, 2), bias=st.booleans(), add_bias_kv=st.booleans(),
       add_zero_attn=st.booleans(), kdim=st.sampled_from([None, 3]), pad=st.booleans(),
       seed=st.integers(0, 99))
def test_multihead_attention_options_match_numpy(heads, L, S, N, bias, add_bias_kv,
                                                 add_zero_attn, kdim, pad, seed):
    rng = np.random.default_rng(seed)
    m = nn.MultiheadAttention(4, heads, bias=bias, add_bias_kv=add_bias_kv,
                              add_zero_attn=add_zero_attn, kdim=kdim, vdim=kdim).double()
    q, k, v = (rng.standard_normal((n, N, e)) for n, e in ((L, 4), (S, kdim or 4),
                                                            (S, kdim or 4)))
    kpm = rng.random((N, S)) > 0.5 if pad else None
    if pad:
        kpm[:, 0] = False
    out, w = m(_t(q), _t(k), _t(v), key_padding_mask=None if kpm is None else _t(kpm),
               average_attn_weights=False)
    p = {name: t.numpy() for name, t in m.named_parameters()}
    wq, wk, wv = np.split(p['in_proj_weight'], 3) if kdim is None else \
        (p['q_proj_weight'], p['k_proj_weight'], p['v_proj_weight'])
    bq, bk, bv = np.split(p['in_proj_bias'], 3) if bias else (0.0, 0.0, 0.0)
    qp, kp, vp = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    hidden = np.zeros((N, S), bool) if kpm is None else kpm
    extra = [p['bias_k'], p['bias_v']] if add_bias_kv else []   # appended keys/values
    for extra_k, extra_v in ([extra] if extra else []) + ([[0.0, 0.0]] if add_zero_attn else []):
        kp = np.concatenate([kp, np.broadcast_to(extra_k, (1, N, 4))])
        vp = np.concatenate([vp, np.broadcast_to(extra_v, (1, N, 4))])
        hidden = np.concatenate([hidden, np.zeros((N, 1), bool)], 1)
    d = 4 // heads
    qh, kh, vh = (x.reshape(x.shape[0], N, heads, d).transpose(1, 2, 0, 3) for x in (qp, kp, vp))
    weights = _softmax(np.where(hidden[:, None, None], -np.inf,
                                qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d)))
    ref = (weights @ vh).transpose(2, 0, 1, 3).reshape(L, N, 4) @ p['out_proj.weight'].T
    ref = ref + (p['out_proj.bias'] if bias else 0.0)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), weights, atol=1e-12)


def test_multihead_attention_batch_first_and_unbatched_agree():
    rng = np.random.default_rng(4)
    seq_first = _fill(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_zero_attn=True).double())
    batch_first = _fill(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_zero_attn=True,
                                              batch_first=True).double())
    q, k, v = (rng.standard_normal((2, n, e)) for n, e in ((3, 4), (5, 3), (5, 5)))
    out, w = batch_first(_t(q), _t(k), _t(v), average_attn_weights=False)
    assert out.shape == (2, 3, 4) and w.shape == (2, 2, 3, 6)       # 5 keys + the zero key
    ref, ref_w = seq_first(*(_t(x.transpose(1, 0, 2)) for x in (q, k, v)),
                           average_attn_weights=False)
    np.testing.assert_allclose(out.numpy(), ref.numpy().transpose(1, 0, 2), atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w.numpy(), atol=1e-12)
    one, w1 = seq_first(_t(q[0]), _t(k[0]), _t(v[0]))
    assert one.shape == (3, 4) and w1.shape == (3, 6)
    np.testing.assert_allclose(one.numpy(), out.numpy()[0], atol=1e-12)


def test_multihead_attention_gradcheck():
    rng = np.random.default_rng(5)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    x = _t(rng.standard_normal((3, 2, 4)), True)
    mem = _t(rng.standard_normal((2, 2, 4)), True)
    mask = _t(rng.standard_normal((3, 2)))
    assert tg.gradcheck(lambda x, mem: m(x, mem, mem, attn_mask=mask)[0], (x, mem))
    w_in, b_in, w_out = (_t(p.numpy(), True) for p in (m.in_proj_weight, m.in_proj_bias,
                                                        m.out_proj.weight))

    def fn(x, w_in, b_in, w_out):
        return F.multi_head_attention_forward(x, x, x, 4, 2, w_in, b_in, None, None, False, 0.0,
                                              w_out, None, need_weights=False)[0]
    assert tg.gradcheck(fn, (x, w_in, b_in, w_out))


def test_multihead_attention_mask_errors():
    m = nn.MultiheadAttention(4, 2)
    x = tg.zeros(3, 2, 4)
    with pytest.raises(RuntimeError, match='is_causal'):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match='2D attn_mask'):
        m(x, x, x, attn_mask=tg.zeros(3, 4))
    with pytest.raises(AssertionError, match='key_padding_mask'):
        m(x, x, x, key_padding_mask=tg.zeros(2, 3, 1))
    with pytest.warns(UserWarning, match='mismatched'):
        m(x, x, x, key_padding_mask=tg.zeros(2, 3, dtype=tg.bool), attn_mask=tg.zeros(3, 3))


# ---------------------------------------------------------------- Transformer
TRANSFORMER_REFERENCE = [   # PyTorch 2.13, _fill'ed nn.Transformer(4, 2, 1, 1, 6, dropout=0.0)
    [[0.11555282862176161, 0.3231687643949519, 0.11591038767285206, 0.05702366825673338],
     [0.11552983833946823, 0.3449913512120736, 0.09289976589654844, 0.05809100001569477]],
    [[0.11828686338754543, 0.3101438468003445, 0.12080795853611088, 0.0584695913349439],
     [0.1099653664818753, 0.37100975364382494, 0.08556760320743899, 0.05410288075846138]]]


@pytest.mark.filterwarnings('ignore:enable_nested_tensor')
def test_transformer_matches_pytorch_numbers():
    t = _fill(nn.Transformer(4, 2, 1, 1, 6, dropout=0.0).double()).eval()
    names = list(t.state_dict())
    assert len(names) == 34 and names[:3] == [
        'encoder.layers.0.self_attn.in_proj_weight', 'encoder.layers.0.self_attn.in_proj_bias',
        'encoder.layers.0.self_attn.out_proj.weight']
    assert names[12:15] == ['encoder.norm.weight', 'encoder.norm.bias',
                            'decoder.layers.0.self_attn.in_proj_weight']
    assert names[18] == 'decoder.layers.0.multihead_attn.in_proj_weight'
    src = _t(np.cos(np.arange(24) * 0.9).reshape(3, 2, 4))
    tgt = _t(np.sin(np.arange(16) * 0.7).reshape(2, 2, 4))
    kpm = _t(np.array([[False, False, True], [False, False, False]]))
    mask = nn.Transformer.generate_square_subsequent_mask(2).double()
    out = t(src, tgt, tgt_mask=mask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm)
    np.testing.assert_allclose(out.numpy(), TRANSFORMER_REFERENCE, atol=1e-12)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


@pytest.mark.parametrize('norm_first', [False, True])
def test_encoder_layer_matches_numpy(norm_first):
    rng = np.random.default_rng(6)
    layer = _fill(nn.TransformerEncoderLayer(4, 2, 5, activation='gelu',
                                             norm_first=norm_first).double()).eval()
    x = rng.standard_normal((3, 2, 4))
    out = layer(_t(x))
    a = layer.self_attn
    p = {k: v.numpy() for k, v in layer.state_dict().items()}

    def ln(y, name):
        mu, var = y.mean(-1, keepdims=True), y.var(-1, keepdims=True)
        return (y - mu) / np.sqrt(var + 1e-5) * p[name + '.weight'] + p[name + '.bias']

    def sa(y):
        return _mha_reference(y, y, y, a.in_proj_weight.numpy(), a.in_proj_bias.numpy(),
                              a.out_proj.weight.numpy(), a.out_proj.bias.numpy(), 2)[0]

    def ff(y):
        h = y @ p['linear1.weight'].T + p['linear1.bias']
        h = F.gelu(_t(h)).numpy()
        return h @ p['linear2.weight'].T + p['linear2.bias']
    if norm_first:
        y = x + sa(ln(x, 'norm1'))
        ref = y + ff(ln(y, 'norm2'))
    else:
        y = ln(x + sa(x), 'norm1')
        ref = ln(y + ff(y), 'norm2')
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


def test_transformer_stacks_gradients_and_options():
    with warnings.catch_warnings():
        warnings.simplefilter('error')      # batch_first + relu + even heads: no warning
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True), 2,
                                    enable_nested_tensor=True)
    assert enc.use_nested_tensor and enc.layers[0] is not enc.layers[1]
    with pytest.warns(UserWarning, match='norm_first was True'):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, norm_first=True), 1)
    dec_layer = nn.TransformerDecoderLayer(4, 2, 6, activation=F.silu, bias=False)
    assert dec_layer.norm1.bias is None and dec_layer.linear1.bias is None
    dec = nn.TransformerDecoder(dec_layer, 2, nn.LayerNorm(4)).double()
    enc.double()
    src = _t(np.random.default_rng(7).standard_normal((2, 3, 4)), True)
    tgt = _t(np.random.default_rng(8).standard_normal((2, 2, 4)), True)
    mem = enc(src).transpose(0, 1)
    out = dec(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(2).double())
    assert out.shape == (2, 2, 4)
    out.sum().backward()
    assert src.grad.shape == (2, 3, 4) and dec.layers[1].linear1.weight.grad is not None
    with pytest.raises(RuntimeError, match='activation should be relu/gelu'):
        nn.TransformerEncoderLayer(4, 2, activation='tanh')
    with pytest.warns(UserWarning, match='batch_first was not True'):
        t = nn.Transformer(4, 2, 1, 1, 6)
    with pytest.raises(RuntimeError, match='batch number'):
        t(tg.zeros(3, 2, 4), tg.zeros(3, 3, 4))
    with pytest.raises(RuntimeError, match='d_model'):
        t(tg.zeros(3, 2, 4), tg.zeros(3, 2, 5))


def test_encoder_inference_fast_path_zeroes_padding_as_pytorch():
    # PyTorch packs the unpadded tokens (eval, no grad needed, padding at the ends) and
    # returns 0 at the padded positions; with gradients it computes them like the rest
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True), 1).eval()
    x = tg.randn(2, 3, 4)
    pad = tg.tensor([[False, False, True], [False, False, False]])
    with tg.no_grad():
        fast = enc(x, src_key_padding_mask=pad).numpy()
    slow = enc(x, src_key_padding_mask=pad).numpy()
    np.testing.assert_array_equal(fast[0, 2], np.zeros(4, np.float32))
    assert np.abs(slow[0, 2]).sum() > 0
    np.testing.assert_allclose(fast[:, :2], slow[:, :2], atol=1e-6)
    np.testing.assert_allclose(fast[1], slow[1], atol=1e-6)
    with tg.no_grad():          # padding not at the end: no fast path
        middle = tg.tensor([[False, True, False], [False, False, False]])
        assert np.abs(enc(x, src_key_padding_mask=middle).numpy()[0, 1]).sum() > 0
