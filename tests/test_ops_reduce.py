"""Reductions (sum/mean/var/std/prod/max/min/amax/amin/argmax/argmin/norm) and logsumexp,
softmax, log_softmax: values against numpy for every kind of ``dim``, PyTorch's tie and
correction semantics, gradcheck, gradgradcheck and hypothesis over shapes and dims."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tst


def axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def np_logsumexp(a, dim, keepdim=False):
    m = a.max(axis=dim, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=dim, keepdims=True)) + m
    return out if keepdim else out.squeeze(axis=dim)


def np_softmax(a, dim):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


# name: (tg call with dim/keepdim, numpy reference with axis/keepdims); dim may be None/int/tuple
REDUCTIONS = {
    'sum': (lambda x, d, k: x.sum(d, keepdim=k), lambda a, d, k: a.sum(axis=d, keepdims=k)),
    'mean': (lambda x, d, k: x.mean(d, keepdim=k), lambda a, d, k: a.mean(axis=d, keepdims=k)),
    'var': (lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: a.var(axis=d, keepdims=k, ddof=1)),
    'var_c0': (lambda x, d, k: x.var(d, keepdim=k, correction=0),
               lambda a, d, k: a.var(axis=d, keepdims=k)),
    'std': (lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: a.std(axis=d, keepdims=k, ddof=1)),
    'std_biased': (lambda x, d, k: x.std(d, unbiased=False, keepdim=k),
                   lambda a, d, k: a.std(axis=d, keepdims=k)),
    'amax': (lambda x, d, k: x.amax(d, keepdim=k), lambda a, d, k: a.max(axis=d, keepdims=k)),
    'amin': (lambda x, d, k: x.amin(d, keepdim=k), lambda a, d, k: a.min(axis=d, keepdims=k)),
    'logsumexp': (lambda x, d, k: x.logsumexp(d if d is not None else tuple(range(x.ndim)),
                                              keepdim=k),
                  lambda a, d, k: np_logsumexp(a, d, k)),
    'norm': (lambda x, d, k: x.norm(dim=d, keepdim=k),
             lambda a, d, k: np.sqrt((a * a).sum(axis=d, keepdims=k))),
    'norm1': (lambda x, d, k: x.norm(p=1, dim=d, keepdim=k),
              lambda a, d, k: np.abs(a).sum(axis=d, keepdims=k)),
}
# these take only None or a single int dim
SINGLE_DIM = {
    'prod': (lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k),
             lambda a, d, k: a.prod(axis=d, keepdims=k and d is not None)),
    'max': (lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k).values,
            lambda a, d, k: a.max(axis=d, keepdims=k and d is not None)),
    'min': (lambda x, d, k: x.min() if d is None else x.min(d, keepdim=k)[0],
            lambda a, d, k: a.min(axis=d, keepdims=k and d is not None)),
}
ALL = {**REDUCTIONS, **SINGLE_DIM}
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


def cases(dims):
    """(name, dim) pairs; prod/max/min take a single dim, as in PyTorch."""
    return [(n, d) for n in ALL for d in dims if not (n in SINGLE_DIM and isinstance(d, tuple))]


def distinct(shape, rng):
    """Values with no ties (max/min) and away from zero (norm1, prod), in random order."""
    n = int(np.prod(shape))
    vals = (np.arange(n) - n / 2 + 0.5) * (2.0 / max(n, 1)) + 0.03
    return rng.permutation(vals).reshape(shape)


@pytest.mark.parametrize('name,dim', cases(DIMS))
@pytest.mark.parametrize('keepdim', [False, True])
def test_reduction_values(name, dim, keepdim, rng):
    fn, ref = ALL[name]
    a = distinct((2, 3, 4), rng)
    y = fn(Tensor(a), dim, keepdim)
    expected = ref(a, dim, keepdim)
    assert y.shape == np.shape(expected) and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('name,dim', cases([None, 1, -1, (0, 2)]))
def test_reduction_gradcheck(name, dim, rng):
    x = Tensor(distinct((2, 3, 2), rng), requires_grad=True)
    assert tg.gradcheck(lambda x: ALL[name][0](x, dim, True), (x,))


@pytest.mark.parametrize('name', ALL)
def test_reduction_gradgradcheck(name, rng):
    x = Tensor(distinct((2, 3), rng), requires_grad=True)
    assert tg.gradgradcheck(lambda x: ALL[name][0](x, -1, False), (x,))
    assert tg.gradgradcheck(lambda x: ALL[name][0](x, None, False), (x,))


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(ALL)), shape=tst.shapes(max_dims=3, max_side=3),
       keepdim=st.booleans(), data=st.data())
def test_reduction_property(name, shape, keepdim, data):
    ndim = len(shape)
    dim = data.draw(tst.dims(ndim, allow_none=True))
    if name in REDUCTIONS:       # also tuples of distinct dims, negative ones included
        dim = data.draw(st.one_of(st.just(dim), st.lists(tst.dims(ndim), min_size=1,
                                                         max_size=ndim,
                                                         unique_by=lambda d: d % ndim)
                                  .map(tuple)))
    a = data.draw(tst.arrays(shape, unique=True))          # no ties for max/min
    # nor near-ties: gradcheck's finite differences would step across them
    tst.assume(a.size < 2 or np.diff(np.sort(a.ravel())).min() > 1e-3)
    n = a.size if dim is None else int(np.prod([shape[d] for d in np.atleast_1d(dim)]))
    tst.assume(not (name.startswith(('var', 'std')) and n < 2))   # var of 1 element is nan
    fn, ref = ALL[name]
    x = Tensor(a, requires_grad=True)
    y = fn(x, dim, keepdim)
    np.testing.assert_allclose(y.numpy(), ref(a, axis(dim), keepdim), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda x: fn(x, dim, keepdim), (x,))


def test_reductions_take_negative_and_tuple_dims_like_pytorch():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(-1).shape == (2, 3) and x.sum((0, -1)).shape == (3,)
    assert x.sum(dim=(0, 1), keepdim=True).shape == (1, 1, 4)
    assert x.mean(-2, keepdim=True).shape == (2, 1, 4)
    assert x.sum().shape == () and x.sum().item() == 276
    assert tg.sum(x, 1).tolist() == x.sum(1).tolist()
    with pytest.raises(IndexError, match="range"):
        x.sum(3)
    with pytest.raises(IndexError, match="range"):
        x.mean(-4)


def test_sum_dtypes():
    assert Tensor([True, True, False]).sum().item() == 2
    assert Tensor([True]).sum().dtype == np.int64              # PyTorch: bool sums to int64
    assert Tensor([1, 2]).sum().dtype == np.int64
    assert Tensor(np.array([1, 2], np.int32)).sum().dtype == np.int64
    assert Tensor([1, 2]).sum(dtype=tg.float32).dtype == np.float32
    assert Tensor([1.0, 2.0]).mean().dtype == np.float32


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf/nan on purpose
def test_var_std_correction_semantics():
    a = np.array([1.0, 2.0, 4.0])
    x = Tensor(a)
    assert x.var().item() == pytest.approx(7 / 3)                  # Bessel by default
    assert x.var(unbiased=False).item() == pytest.approx(14 / 9)
    assert x.var(correction=0).item() == pytest.approx(14 / 9)
    assert x.var(correction=2).item() == pytest.approx(14 / 3)
    assert x.std().item() == pytest.approx(np.sqrt(7 / 3))
    assert np.isnan(Tensor([1.0]).var().item())                      # n - 1 = 0
    assert Tensor([1.0]).var(correction=0).item() == 0


def test_max_min_with_dim_return_values_and_indices():
    x = Tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    out = x.max(1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert values.tolist() == [5, 6] and indices.tolist() == [1, 2]
    assert indices.dtype == np.int64 and not indices.requires_grad
    v, i = tg.min(x, dim=0, keepdim=True)
    assert v.tolist() == [[1, 2, 3]] and i.tolist() == [[0, 1, 0]]
    assert x.max().item() == 6 and tg.max(x).item() == 6
    np.testing.assert_array_equal(x.max(Tensor([[9.0, 0, 0], [0, 0, 0]])).numpy(),
                                  [[9, 5, 3], [4, 2, 6]])                  # max(other)


def test_argmax_argmin():
    a = np.array([[1.0, 7.0, 7.0], [9.0, 2.0, 9.0]])
    x = Tensor(a)
    assert x.argmax().item() == 3 and x.argmin().item() == 0          # flattened
    assert x.argmax(1).tolist() == [1, 0]                               # ties: first index
    assert x.argmax(dim=-1, keepdim=True).shape == (2, 1)
    assert x.argmin(0).tolist() == [0, 1, 0]
    assert x.argmax().dtype == np.int64 and tg.argmax(x, 0).tolist() == [1, 0, 1]
    assert x.argmax(keepdim=True).tolist() == [[3]] and x.argmin(keepdim=True).shape == (1, 1)


def test_max_tie_gradients_follow_pytorch():
    # max()/amax() share the gradient evenly between tied maxima; max(dim) gives it all to
    # the index it returns
    for fn, expected in [(lambda x: x.max(), [0, 0.5, 0.5]),
                         (lambda x: x.amax(0), [0, 0.5, 0.5]),
                         (lambda x: x.max(0).values, [0, 1, 0]),
                         (lambda x: x.min(0)[0], [1, 0, 0]),
                         (lambda x: -(x.amin(0)), [-1, 0, 0])]:
        x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
        fn(x).backward()
        np.testing.assert_array_equal(x.grad.numpy(), expected)
    x = Tensor([[2.0, 2.0], [1.0, 2.0]], requires_grad=True)
    x.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0], [0, 1]])
    assert x.max(dim=1).indices.tolist() == [0, 1]


def test_prod_gradient_with_zeros():
    x = Tensor([0.0, 2.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6, 0, 0])
    x = Tensor([[0.0, 2.0, 0.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [6, 3, 2]])
    a = np.array([[0.0, 2.0, -1.5], [0.7, 0.0, 0.0]])
    for dim in (None, 0, 1):
        assert tg.gradcheck(lambda x: x.prod(dim) if dim is not None else x.prod(),
                            (Tensor(a, requires_grad=True),))
    assert tg.gradgradcheck(lambda x: x.prod(1), (Tensor(a, requires_grad=True),))


# ---------------------------------------------------------------- softmax family

@pytest.mark.parametrize('dim', [0, 1, -1])
def test_softmax_log_softmax_values(dim, rng):
    a = rng.standard_normal((2, 3, 4))
    x = Tensor(a)
    np.testing.assert_allclose(x.softmax(dim).numpy(), np_softmax(a, dim), rtol=1e-12)
    np.testing.assert_allclose(tg.softmax(x, dim).numpy(), np_softmax(a, dim), rtol=1e-12)
    np.testing.assert_allclose(x.log_softmax(dim).numpy(), np.log(np_softmax(a, dim)), rtol=1e-12)
    np.testing.assert_allclose(x.logsumexp(dim).numpy(), np_logsumexp(a, dim), rtol=1e-12)


@pytest.mark.parametrize('name', ['softmax', 'log_softmax', 'logsumexp'])
def test_softmax_family_gradcheck(name, rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    for dim in (0, -1):
        assert tg.gradcheck(lambda x: getattr(x, name)(dim), (x,))
        assert tg.gradgradcheck(lambda x: getattr(x, name)(dim), (x,))


@settings(deadline=None, max_examples=15)
@given(shape=tst.shapes(max_dims=3, max_side=3), data=st.data())
def test_softmax_property(shape, data):
    dim = data.draw(tst.dims(len(shape)))
    a = data.draw(tst.arrays(shape, low=-5, high=5, min_magnitude=0))
    x = Tensor(a, requires_grad=True)
    p = x.softmax(dim)
    np.testing.assert_allclose(p.numpy().sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(p.numpy(), np_softmax(a, dim), rtol=1e-10)
    np.testing.assert_allclose(x.log_softmax(dim).numpy(), a - np_logsumexp(a, dim, True),
                               rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda x: x.log_softmax(dim), (x,))
    # the gradient of any function of softmax sums to zero along dim (shift invariance)
    (p * Tensor(a)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=dim), 0.0, atol=1e-12)


def test_softmax_family_is_stable_for_large_inputs():
    x = Tensor([[1000.0, 1000.0], [-1000.0, 0.0]], dtype=tg.float64)
    np.testing.assert_allclose(x.softmax(1).numpy(), [[0.5, 0.5], [0, 1]])
    np.testing.assert_allclose(x.log_softmax(1).numpy(), [[-np.log(2), -np.log(2)], [-1000, 0]])
    np.testing.assert_allclose(x.logsumexp(1).numpy(), [1000 + np.log(2), 0])
    with np.errstate(divide='ignore'):                             # log(0) = -inf is the answer
        assert Tensor([-np.inf, -np.inf]).logsumexp(0).item() == -np.inf
    with pytest.raises(IndexError, match="softmax"):
        x.softmax(2)


def test_function_forms():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert tg.mean(x).item() == 2.5 and tg.prod(x + 1).item() == 720
    assert tg.amax(x, 0).tolist() == [3, 4, 5] and tg.argmin(x).item() == 0
    np.testing.assert_allclose(tg.logsumexp(x, 1).numpy(), np_logsumexp(x.numpy(), 1))
    np.testing.assert_allclose(tg.log_softmax(x, 0).numpy(), np.log(np_softmax(x.numpy(), 0)),
                               rtol=1e-6)
    np.testing.assert_allclose(tg.std(x, 1).numpy(), x.numpy().std(1, ddof=1), rtol=1e-6)
    assert tg.var(x).item() == pytest.approx(3.5)


# ---------------------------------------------- regressions found by differential testing vs PyTorch

@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf/nan on purpose
def test_var_std_positional_bool_is_unbiased_not_dim():
    x = Tensor(np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]]))
    np.testing.assert_allclose(x.var(False).item(), np.var(x.numpy()))           # whole tensor
    np.testing.assert_allclose(x.std(True).item(), np.std(x.numpy(), ddof=1))
    np.testing.assert_allclose(x.var(1, False).numpy(), np.var(x.numpy(), 1))
    assert np.isinf(x.var(0, correction=2).numpy()).all()          # n - correction = 0: inf


def test_std_and_norm_have_zero_gradient_where_they_are_zero():
    x = Tensor(np.array([[1.0, 1.0], [1.0, 3.0]]), requires_grad=True)
    x.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])
    x = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    x.norm(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [0.6, 0.8]])
    assert tg.gradgradcheck(lambda t: t.std(), (Tensor(np.array([0.5, -1.0, 2.0]),
                                                       requires_grad=True),))


def test_max_with_nan_returns_nan_and_routes_the_gradient_to_it():
    x = Tensor([1.0, np.nan, 3.0], requires_grad=True)
    v, i = x.max(0)
    assert np.isnan(v.item()) and i.item() == 1
    (v + x.max()).backward()
    assert x.grad.tolist() == [0, 2, 0]


def test_softmax_and_mean_take_a_dtype():
    x = Tensor(np.array([[1.0, 2.0]], np.float32))
    y = x.softmax(-1, dtype=tg.float64)
    assert y.dtype == np.float64 and np.isclose(y.numpy()[0, 1], 1 / (1 + np.exp(-1)))
    assert x.log_softmax(1, dtype=np.float64).dtype == np.float64
    assert x.mean(dtype=tg.float64).dtype == np.float64 and x.mean().item() == 1.5


# ---------------------------------------------------------------- sort, argsort, topk

def np_sort_desc_indices(a, axis):
    """Stable descending order (ties in index order), as PyTorch's CPU sort; no NaN in ``a``."""
    return np.argsort(-a, axis=axis, kind='stable')


TIES = np.array([[2.0, 1, 2, 1, 0, 2], [3, 3, 0, 1, 3, 0]])


@pytest.mark.parametrize('dim', [0, 1, -1])
@pytest.mark.parametrize('descending', [False, True])
def test_sort_and_argsort_values_and_stable_indices(dim, descending, rng):
    for a in (distinct((2, 3, 4), rng), np.stack([TIES, TIES[::-1]], -1)):
        ref = np_sort_desc_indices(a, dim) if descending else np.argsort(a, dim, kind='stable')
        values, indices = Tensor(a).sort(dim, descending)
        assert indices.dtype == np.int64 and values.dtype == np.float64
        np.testing.assert_array_equal(indices.numpy(), ref)
        np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, ref, dim))
        np.testing.assert_array_equal(tg.argsort(Tensor(a), dim, descending).numpy(), ref)
        np.testing.assert_array_equal(tg.sort(Tensor(a), dim=dim, descending=descending,
                                              stable=True).indices.numpy(), ref)


def test_sort_ties_nan_dtypes_and_0d_like_pytorch():
    # the indices PyTorch 2.13 (CPU) returns for these ties
    y = Tensor([2, 1, 2, 1, 0, 2])
    assert y.sort().indices.tolist() == [4, 1, 3, 0, 2, 5] and y.sort().values.dtype == np.int64
    assert y.sort(descending=True).indices.tolist() == [0, 2, 5, 1, 3, 4]
    x = Tensor([1.0, np.nan, 3.0, np.nan, 3.0])           # NaN sorts above every number
    v, i = x.sort()
    assert i.tolist() == [0, 2, 4, 1, 3] and np.isnan(v.numpy()[3:]).all()
    assert x.sort(descending=True).indices.tolist() == [1, 3, 2, 4, 0]
    assert Tensor([True, False, True]).sort(descending=True).indices.tolist() == [0, 2, 1]
    assert Tensor(np.array([3.0, 1.0], np.float32)).sort().values.dtype == np.float32
    out = tg.sort(Tensor(2.5))
    assert type(out).__name__ == 'sort' and out.values.shape == () and out.indices.item() == 0
    assert Tensor(2.5).argsort().shape == () and Tensor(2.5).argsort().dtype == np.int64
    with pytest.raises(IndexError, match="sort"):
        Tensor([1.0]).sort(1)


@pytest.mark.parametrize('k,dim,largest', [(1, -1, True), (3, 1, True), (2, 0, False),
                                           (4, -1, False), (0, 1, True)])
def test_topk_values_indices(k, dim, largest, rng):
    a = distinct((2, 5, 4), rng)
    order = np_sort_desc_indices(a, dim) if largest else np.argsort(a, dim, kind='stable')
    ref = np.take(order, np.arange(k), axis=dim)
    out = Tensor(a).topk(k, dim, largest)
    assert type(out).__name__ == 'topk' and out.indices.dtype == np.int64
    np.testing.assert_array_equal(out.indices.numpy(), ref)
    np.testing.assert_array_equal(out.values.numpy(), np.take_along_axis(a, ref, dim))
    _, i = tg.topk(Tensor(a), k, dim=dim, largest=largest, sorted=False)
    np.testing.assert_array_equal(i.numpy(), ref)


def test_topk_ties_nan_errors_and_top5_accuracy():
    x = Tensor([1.0, 3.0, 3.0, 2.0, 3.0])
    assert x.topk(2).values.tolist() == [3, 3] and x.topk(2).indices.tolist() == [1, 2]
    assert x.topk(2, largest=False).indices.tolist() == [0, 3]
    n = Tensor([1.0, np.nan, 3.0, np.nan])                 # NaN is the largest, as PyTorch
    assert n.topk(2).indices.tolist() == [1, 3]
    assert n.topk(2, largest=False).indices.tolist() == [0, 2]
    assert Tensor([1, 5, 2]).topk(2).values.tolist() == [5, 2]
    assert Tensor(3.0).topk(1).values.shape == () and Tensor(3.0).topk(0).indices.item() == 0
    for k in (6, -1):
        with pytest.raises(RuntimeError, match=r"topk: k=-?\d+ is out of range for dim -1 of "
                                               r"size 5"):
            x.topk(k)
    with pytest.raises(IndexError, match="topk"):
        x.topk(1, dim=1)
    logits = Tensor(np.array([[0.1, 0.5, 0.2, 0.9, 0.0, 0.3], [0.9, 0.8, 0.7, 0.6, 0.5, 0.0]]))
    labels = Tensor([4, 5])
    hit = (logits.topk(5, 1).indices == labels.unsqueeze(1)).any(1)
    assert hit.tolist() == [False, False]
    assert (logits.topk(5).indices == 2).any(1).tolist() == [True, True]


def test_sort_topk_gradients_scatter_back():
    x = Tensor([[1.0, 3.0, 3.0, 2.0]], requires_grad=True)
    (x.sort(descending=True).values * Tensor([0.0, 1, 2, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 0, 1, 2]])     # PyTorch's values
    x = Tensor([1.0, 3.0, 4.0, 2.0], requires_grad=True)
    (x.topk(2).values * Tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 10, 1, 0])
    x = Tensor(np.array([3.0, 1.0], np.float32), requires_grad=True)
    x.sort().values.sum().backward()
    assert x.grad.dtype == np.float32


SELECTIONS = {
    'sort': lambda x, d: x.sort(d).values,
    'sort_desc': lambda x, d: x.sort(d, descending=True)[0],
    'topk': lambda x, d: x.topk(2, d).values,
    'topk_smallest': lambda x, d: x.topk(1, d, largest=False).values,
    'median_dim': lambda x, d: x.median(d).values,
    'median_keepdim': lambda x, d: x.median(d, keepdim=True)[0],
    'median_all': lambda x, d: x.median(),
    'cumsum': lambda x, d: x.cumsum(d),
    'cumprod': lambda x, d: x.cumprod(d),
    'nansum': lambda x, d: x.nansum(d),
    'nanmean': lambda x, d: x.nanmean(d, keepdim=True),
}


@pytest.mark.parametrize('name', SELECTIONS)
def test_new_reductions_gradcheck_and_gradgradcheck(name, rng):
    x = Tensor(distinct((3, 4), rng), requires_grad=True)
    for dim in (0, -1):
        assert tg.gradcheck(lambda x: SELECTIONS[name](x, dim), (x,))
    assert tg.gradgradcheck(lambda x: SELECTIONS[name](x ** 3, 1), (x,))


@settings(deadline=None, max_examples=20)
@given(name=st.sampled_from(sorted(SELECTIONS)), shape=tst.shapes(max_dims=3, max_side=4),
       data=st.data())
def test_new_reductions_property(name, shape, data):
    dim = data.draw(tst.dims(len(shape)))
    a = data.draw(tst.arrays(shape, unique=True))
    tst.assume(a.size < 2 or np.diff(np.sort(a.ravel())).min() > 1e-3)   # no near-ties
    tst.assume(not (name == 'topk' and shape[dim] < 2))
    x = Tensor(a, requires_grad=True)
    y = SELECTIONS[name](x, dim).numpy()
    s = np.sort(a, axis=dim)
    n = a.shape[dim]
    ref = {'sort': lambda: s, 'sort_desc': lambda: np.flip(s, dim),
           'topk': lambda: np.flip(s, dim).take([0, 1], dim),
           'topk_smallest': lambda: s.take([0], dim),
           'median_dim': lambda: s.take((n - 1) // 2, dim),
           'median_keepdim': lambda: s.take([(n - 1) // 2], dim),
           'median_all': lambda: np.sort(a.ravel())[(a.size - 1) // 2],
           'cumsum': lambda: np.cumsum(a, dim), 'cumprod': lambda: np.cumprod(a, dim),
           'nansum': lambda: a.sum(dim), 'nanmean': lambda: a.mean(dim, keepdims=True)}[name]()
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda x: SELECTIONS[name](x, dim), (x,))


# ---------------------------------------------------------------- median

def test_median_is_the_lower_median_with_pytorch_indices():
    assert Tensor([1.0, 4.0, 2.0, 3.0]).median().item() == 2
    v, i = tg.median(Tensor([[1.0, 4.0, 2.0, 3.0], [2.0, 2.0, 1.0, 1.0]]), 1)
    assert v.tolist() == [2, 1] and i.tolist() == [2, 3] and i.dtype == np.int64
    # tie-breaking: the index of the median in a stable sort (these are PyTorch 2.13's answers)
    for row, index in [([3.0, 1, 3, 3, 0, 5], 0), ([2.0, 1, 2, 1], 3), ([1.0, 2, 2, 3, 2], 2)]:
        assert Tensor(row).median(0).indices.item() == index
    out = Tensor(np.ones((2, 3))).median(-1, keepdim=True)
    assert type(out).__name__ == 'median' and out.values.shape == (2, 1)
    assert Tensor([3, 1, 2, 4]).median().item() == 2 and Tensor([3, 1]).median().dtype == np.int64
    assert Tensor(2.0).median(0).values.shape == () and Tensor(2.0).median(0).indices.item() == 0
    assert Tensor(np.array([1.0, 3.0], np.float32)).median().dtype == np.float32
    with pytest.raises(IndexError, match=r"median: expected reduction dim 1 to have non-zero size"):
        tg.zeros(2, 0).median(1)
    assert np.isnan(Tensor(np.zeros(0)).median().item())


def test_median_nan_and_tie_gradients_follow_pytorch():
    x = Tensor([1.0, 2.0, 2.0, 3.0, 2.0], requires_grad=True)
    x.median().backward()                                   # median(): ties share evenly
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    x = Tensor([[1.0, 2.0, 2.0, 3.0, 2.0]], requires_grad=True)
    x.median(1).values.sum().backward()                     # median(dim): to the index
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1, 0, 0]])
    x = Tensor([1.0, np.nan, 0.0, np.nan], requires_grad=True)
    x.median().backward()                                   # NaN wins, NaNs share
    assert np.isnan(x.median().item()) and x.grad.tolist() == [0, 0.5, 0, 0.5]
    v, i = Tensor([[1.0, np.nan, 0.0, np.nan]]).median(1)
    assert np.isnan(v.item()) and i.item() == 1             # the first NaN


# ---------------------------------------------------------------- cumsum, cumprod

@pytest.mark.parametrize('dim', [0, 1, -1])
def test_cumsum_cumprod_values_and_dtypes(dim, rng):
    a = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(Tensor(a).cumsum(dim).numpy(), np.cumsum(a, dim), rtol=1e-12)
    np.testing.assert_allclose(tg.cumprod(Tensor(a), dim).numpy(), np.cumprod(a, dim), rtol=1e-12)
    i = np.arange(24, dtype=np.int32).reshape(2, 3, 4) % 3
    assert Tensor(i).cumsum(dim).dtype == np.int64 and Tensor(i).cumprod(dim).dtype == np.int64
    np.testing.assert_array_equal(Tensor(i).cumsum(dim).numpy(), np.cumsum(i, dim))
    x32 = Tensor(a.astype(np.float32))
    assert x32.cumsum(dim).dtype == np.float32
    assert x32.cumprod(dim, dtype=tg.float64).dtype == np.float64
    assert tg.cumsum(x32, dim, dtype=tg.float64).dtype == np.float64
    assert Tensor([True, True, False]).cumsum(0).tolist() == [1, 2, 2]
    assert Tensor(3.0).cumsum(0).shape == () and Tensor(3.0).cumprod(-1).item() == 3
    with pytest.raises(IndexError, match="cumsum"):
        Tensor(a).cumsum(3)


def test_cumsum_grad_and_cumprod_grad_with_zeros_match_pytorch():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.cumsum(0) * Tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [111, 110, 100]
    # PyTorch 2.13's gradients of (cumprod(x) * [1, 2, 3, 4, 5]).sum()
    for a, expected in [([2.0, 0, 3, 0, 4], [1, 22, 0, 0, 0]),
                        ([2.0, 5, 3, 0, 4], [56, 22, 30, 720, 0]),
                        ([0.0, 0, 3, 0, 4], [1, 0, 0, 0, 0])]:
        x = Tensor(a, requires_grad=True)
        (x.cumprod(0) * Tensor([1.0, 2, 3, 4, 5])).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), expected)
    a = np.array([[0.0, -0.7, 0.6, 0.0, 0.4], [0.4, 1.3, 0.9, 0.0, 0.0],
                  [0.0, 0.5, 0.0, -0.2, 0.0]])
    for dim in (0, 1):
        assert tg.gradcheck(lambda x: x.cumprod(dim), (Tensor(a, requires_grad=True),))
    # the gradient's gradient too: zeros after the first still depend on it
    assert tg.gradgradcheck(lambda x: x.cumprod(1), (Tensor(a, requires_grad=True),))
    x32 = Tensor(a.astype(np.float32), requires_grad=True)
    x32.cumprod(1).sum().backward()
    assert x32.grad.dtype == np.float32


# ---------------------------------------------------------------- NaN-aware reductions, counting

@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # all-NaN slices: 0 / 0 on purpose
def test_nansum_nanmean_values_grads_and_dtypes():
    a = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    x = Tensor(a, requires_grad=True)
    assert x.nansum().item() == 3 and tg.nansum(x, 1).tolist() == [3, 0]
    np.testing.assert_array_equal(x.nanmean(1, keepdim=True).numpy(),
                                  np.nanmean(a, 1, keepdims=True))
    assert x.nanmean().item() == 1.5 and tg.nanmean(x, dim=0)[1].isnan().item()
    x.nansum().backward()
    assert x.grad.tolist() == [[1, 0, 1], [0, 0, 0]]          # NaNs get no gradient
    x = Tensor(a, requires_grad=True)
    x.nanmean(1).sum().backward()                             # PyTorch: an all-NaN row's is NaN
    np.testing.assert_array_equal(x.grad.numpy(), [[0.5, 0, 0.5], [np.nan] * 3])
    assert Tensor([1, 2]).nansum().dtype == np.int64 and Tensor([1, 2]).nansum().item() == 3
    assert Tensor(np.array([1.0], np.float32)).nanmean().dtype == np.float32
    assert Tensor([1, 2]).nanmean(dtype=tg.float64).item() == 1.5
    with pytest.raises(RuntimeError, match="nanmean: expected input of floating point dtype"):
        Tensor([1, 2]).nanmean()


def test_count_nonzero():
    x = Tensor([[0.0, 1.0, np.nan], [0.0, 0.0, 2.0]])
    assert x.count_nonzero().item() == 3 and x.count_nonzero().dtype == np.int64
    assert tg.count_nonzero(x, dim=0).tolist() == [0, 1, 2]
    assert x.count_nonzero(-1).tolist() == [2, 1]
    assert x.count_nonzero((0, 1)).item() == 3 and Tensor([True, False]).count_nonzero().item() == 1
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        x.count_nonzero((0, -2))
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        x.sum((1, 1))                                          # as PyTorch, for every reduction


def test_amax_amin_gradient_of_a_nan_slice_is_nan_as_pytorch():
    x = Tensor([[1.0, np.nan, 3.0], [1.0, 3.0, 3.0]], requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[np.nan] * 3, [0, 0.5, 0.5]])
    x = Tensor([[1.0, np.nan, np.nan], [1.0, 3.0, 1.0]], requires_grad=True)
    x.amin(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[np.nan] * 3, [0.5, 0, 0.5]])
    x = Tensor([1.0, np.nan, np.nan], requires_grad=True)
    x.max().backward()                                        # max() shares between the NaNs
    assert x.grad.tolist() == [0, 0.5, 0.5]
