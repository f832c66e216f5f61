"""EmbeddingBag / F.embedding_bag against a numpy loop over the bags; Embedding's
max_norm, from_pretrained and argument checks."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def _np_embedding_bag(idx, weight, offsets, mode, psw=None, include_last_offset=False,
                      padding_idx=None):
    """Values and the gradient of out.sum() * ... with respect to weight, bag by bag."""
    if idx.ndim == 2:
        bags = [(idx[b], None if psw is None else psw[b]) for b in range(len(idx))]
    else:
        ends = list(offsets[1:]) + ([] if include_last_offset else [len(idx)])
        bags = [(idx[s:e], None if psw is None else psw[s:e]) for s, e in zip(offsets, ends)]
    out = np.zeros((len(bags), weight.shape[1]))
    for b, (rows, w) in enumerate(bags):
        keep = rows != padding_idx if padding_idx is not None else np.ones(len(rows), bool)
        rows, w = rows[keep], (None if w is None else w[keep])
        if not len(rows):
            continue
        vectors = weight[rows] * (1 if w is None else w[:, None])
        out[b] = {'sum': vectors.sum(0), 'mean': vectors.mean(0), 'max': vectors.max(0)}[mode]
    return out


@settings(max_examples=30)
@given(mode=st.sampled_from(['sum', 'mean', 'max']), two_d=st.booleans(),
       cuts=st.lists(st.integers(0, 7), max_size=4), include_last_offset=st.booleans(),
       padding_idx=st.sampled_from([None, 1, -1]), weighted=st.booleans(), seed=st.integers(0, 9))
def test_embedding_bag_matches_numpy_loop(mode, two_d, cuts, include_last_offset, padding_idx,
                                          weighted, seed):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((5, 3))
    idx = rng.integers(0, 5, (3, 2) if two_d else 7)
    offsets = None if two_d else np.array([0] + sorted(cuts) + ([7] if include_last_offset else []))
    psw = rng.standard_normal(idx.shape) if weighted and mode == 'sum' else None
    w = tg.tensor(weight, requires_grad=True)
    out = F.embedding_bag(tg.tensor(idx), w, None if two_d else tg.tensor(offsets), mode=mode,
                          per_sample_weights=None if psw is None else tg.tensor(psw),
                          include_last_offset=include_last_offset, padding_idx=padding_idx)
    pad = None if padding_idx is None else padding_idx % 5
    want = _np_embedding_bag(idx, weight, offsets, mode, psw, include_last_offset and not two_d,
                             pad)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-12)
    # the gradient of a linear function of out: numerical derivative of the numpy loop
    g = rng.standard_normal(want.shape)
    (out * tg.tensor(g)).sum().backward()
    numeric = np.zeros_like(weight)
    for k in np.ndindex(*weight.shape):
        step = np.zeros_like(weight)
        step[k] = 1e-6
        plus = _np_embedding_bag(idx, weight + step, offsets, mode, psw,
                                 include_last_offset and not two_d, pad)
        minus = _np_embedding_bag(idx, weight - step, offsets, mode, psw,
                                  include_last_offset and not two_d, pad)
        numeric[k] = ((plus - minus) * g).sum() / 2e-6
    np.testing.assert_allclose(w.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)
    if pad is not None:
        assert not w.grad.numpy()[pad].any()


@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
def test_embedding_bag_gradcheck(mode, rng):
    w = tg.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    idx, offsets = tg.tensor([1, 4, 4, 0, 5, 2, 3]), tg.tensor([0, 3, 3, 5])
    assert tg.gradcheck(lambda w: F.embedding_bag(idx, w, offsets, mode=mode, padding_idx=0), (w,))
    if mode == 'sum':
        psw = tg.tensor(rng.standard_normal(7), requires_grad=True)
        assert tg.gradcheck(lambda w, p: F.embedding_bag(idx, w, offsets, mode='sum',
                                                         per_sample_weights=p), (w, psw))
        assert tg.gradgradcheck(lambda w, p: F.embedding_bag(idx, w, offsets, mode='sum',
                                                             per_sample_weights=p) ** 2, (w, psw))


def test_embedding_bag_values_match_pytorch_and_empty_bags_are_zero():
    w = tg.tensor(np.arange(12.0).reshape(4, 3))
    out = F.embedding_bag(tg.tensor([1, 2, 3, 0]), w, tg.tensor([0, 1, 1]), mode='mean')
    assert out.tolist() == [[3, 4, 5], [0, 0, 0], [5, 6, 7]]
    out = F.embedding_bag(tg.tensor([[1, 3], [2, 2]]), w, mode='max', padding_idx=2)
    assert out.tolist() == [[9, 10, 11], [0, 0, 0]]           # bag of padding only: zeros
    out = F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0, 1, 2]), include_last_offset=True,
                          mode='sum')
    assert out.tolist() == [[3, 4, 5], [6, 7, 8]]
    assert F.embedding_bag(tg.tensor([1]), w, tg.tensor([], dtype=tg.int64)).shape == (0, 3)
    w32 = w.float().requires_grad_()
    out = F.embedding_bag(tg.tensor([1, 2], dtype=tg.int32), w32, tg.tensor([0], dtype=tg.int32))
    out.sum().backward()
    assert out.dtype == w32.grad.dtype == np.float32


def test_embedding_bag_scale_grad_by_freq_divides_by_overall_count():
    w = tg.ones(4, 2, dtype=tg.float64, requires_grad=True)
    F.embedding_bag(tg.tensor([1, 1, 2, 1]), w, tg.tensor([0, 2]), mode='sum',
                    scale_grad_by_freq=True).sum().backward()
    assert w.grad.numpy()[:, 0].tolist() == [0, 1, 1, 0]


def test_embedding_bag_max_norm_renormalises_in_place():
    # values from PyTorch 2.13: only the looked-up rows (0, 2) are scaled to norm 1
    w = tg.tensor([[3.0, 4.0], [6.0, 8.0], [0.6, 0.8], [1.2, 1.6]])
    out = F.embedding_bag(tg.tensor([0, 2, 3]), w, tg.tensor([0, 2]), max_norm=1.0, mode='sum')
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), axis=1), [1, 10, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), [[1.2, 1.6], [0.6, 0.8]], rtol=1e-6)


def test_embedding_bag_module():
    tg.manual_seed(0)
    bag = nn.EmbeddingBag(10, 3, mode='max', padding_idx=-2)
    assert bag.padding_idx == 8 and not bag.weight.numpy()[8].any()
    assert repr(bag) == "EmbeddingBag(10, 3, mode='max', padding_idx=8)"
    assert repr(nn.EmbeddingBag(5, 2, max_norm=1.0)) == \
        "EmbeddingBag(5, 2, max_norm=1.0, mode='mean')"
    idx, offsets = tg.tensor([1, 8, 3]), tg.tensor([0, 2])
    np.testing.assert_array_equal(bag(idx, offsets).numpy(), F.embedding_bag(
        idx, bag.weight, offsets, mode='max', padding_idx=8).numpy())
    frozen = nn.EmbeddingBag.from_pretrained(tg.randn(4, 2), mode='sum')
    assert not frozen.weight.requires_grad and frozen.mode == 'sum'
    assert nn.EmbeddingBag.from_pretrained(tg.randn(4, 2), freeze=False).weight.requires_grad
    assert list(bag.state_dict()) == ['weight']
    with pytest.raises(AssertionError, match='Padding_idx must be within num_embeddings'):
        nn.EmbeddingBag(10, 3, padding_idx=10)
    with pytest.raises(AssertionError, match='2-dimensional'):
        nn.EmbeddingBag.from_pretrained(tg.randn(4))


def test_embedding_bag_errors():
    w, idx = tg.zeros(10, 3), tg.tensor([1, 2, 3])
    with pytest.raises(ValueError, match='if input is 2D, then offsets has to be None'):
        F.embedding_bag(tg.tensor([[1, 2]]), w, tg.tensor([0]))
    with pytest.raises(ValueError, match='offsets has to be a 1D Tensor but got None'):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match='input has to be 1D or 2D Tensor, but got Tensor of '
                                         'dimension 3'):
        F.embedding_bag(tg.tensor([[[1]]]), w)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(idx, w, tg.tensor([0]), mode='mean', per_sample_weights=tg.ones(3))
    with pytest.raises(ValueError, match='must have the same shape as the input'):
        F.embedding_bag(idx, w, tg.tensor([0]), mode='sum', per_sample_weights=tg.ones(2))
    with pytest.raises(ValueError, match='mode has to be one of sum, mean or max'):
        F.embedding_bag(idx, w, tg.tensor([0]), mode='prod')
    with pytest.raises(RuntimeError, match=r'offsets\[0\] has to be 0'):
        F.embedding_bag(idx, w, tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"offsets\[-1\] can not be greater than input's "
                                           r"length 3"):
        F.embedding_bag(idx, w, tg.tensor([0, 5]))
    with pytest.raises(RuntimeError, match=r'valid range \[0, 10\)'):
        F.embedding_bag(tg.tensor([1, 30]), w, tg.tensor([0]))
    with pytest.raises(RuntimeError, match='scalar types: Long, Int'):
        F.embedding_bag(tg.tensor([1.0]), w, tg.tensor([0]))
    with pytest.raises(RuntimeError, match='padding_idx must be within the number of embeddings'):
        F.embedding_bag(idx, w, tg.tensor([0]), padding_idx=10)
    with pytest.raises(ValueError, match='max mode does not support sparse weights'):
        F.embedding_bag(idx, w, tg.tensor([0]), mode='max', sparse=True)


def test_embedding_from_pretrained_and_assertions():
    table = tg.tensor([[3.0, 4.0], [0.3, 0.4]])
    emb = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0, max_norm=1.0)
    assert emb.weight.requires_grad and emb.padding_idx == 0
    emb(tg.tensor([0]))
    np.testing.assert_allclose(emb.weight.numpy()[0], [0.6, 0.8], rtol=1e-6)
    assert repr(emb) == 'Embedding(2, 2, padding_idx=0, max_norm=1.0)'
    with pytest.raises(AssertionError, match='Padding_idx must be within num_embeddings'):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(AssertionError, match='Shape of weight does not match'):
        nn.Embedding(3, 2, _weight=tg.zeros(2, 2))
    with pytest.raises(AssertionError, match='2-dimensional'):
        nn.Embedding.from_pretrained(tg.zeros(3))
    with pytest.raises(AssertionError, match='Padding_idx must be within num_embeddings'):
        F.embedding(tg.tensor([1]), tg.zeros(3, 2), padding_idx=-4)
