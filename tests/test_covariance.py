"""``cov`` and ``corrcoef`` (tensor_math.py): values against numpy.cov/corrcoef and literals
verified with PyTorch, gradients by central differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import strategies as tst

X = np.array([[0.1, -1.2, 0.7, 2.0, -0.3], [1.5, 0.2, -0.4, 0.3, 0.9], [-0.6, 0.8, 1.1, -1.0, 0.4]])
FW, AW = np.array([1, 2, 1, 3, 1]), np.array([0.5, 1., 2., 1., 0.3])


@pytest.mark.parametrize('kwargs', [{}, {'correction': 0}, {'correction': 2}, {'fweights': FW},
                                    {'aweights': AW}, {'fweights': FW, 'aweights': AW},
                                    {'fweights': FW, 'aweights': AW, 'correction': 0}])
def test_cov_matches_numpy(kwargs):
    ref = np.cov(X, ddof=kwargs.get('correction', 1), fweights=kwargs.get('fweights'),
                 aweights=kwargs.get('aweights'))
    given = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = tg.cov(tg.tensor(X), **given)
    assert out.dtype == tg.float64 and np.allclose(out.numpy(), ref, rtol=1e-12)


def test_cov_corrcoef_forms_and_dtypes():
    ints = tg.tensor([[1, 2, 4], [0, 1, 1]])
    assert tg.cov(ints).dtype == tg.float32
    assert np.allclose(tg.cov(ints).numpy(), [[2.3333333, 0.6666667], [0.6666667, 0.3333333]])
    assert np.allclose(tg.corrcoef(ints).numpy(), [[1., 0.7559289], [0.7559289, 1.]])
    v = tg.tensor(X[0]).float()
    assert v.cov().shape == () and np.isclose(v.cov().item(), np.var(X[0], ddof=1))
    assert v.corrcoef().item() == 1.0
    assert np.allclose(tg.corrcoef(tg.tensor(X)).numpy(), np.corrcoef(X), rtol=1e-12)
    with pytest.warns(UserWarning, match='degrees of freedom'):
        assert np.isnan(tg.cov(tg.tensor(X[:, :1])).numpy()).all()
    with pytest.raises(RuntimeError, match='cov.*two or fewer'):
        tg.cov(tg.ones(2, 2, 2))


def test_cov_corrcoef_gradients():
    x = tg.tensor(X, requires_grad=True)
    aw = tg.tensor(AW)
    assert tg.gradcheck(lambda t: tg.cov(t, aweights=aw, fweights=tg.tensor(FW)), (x,))
    assert tg.gradcheck(lambda t: tg.corrcoef(t), (x,))
    assert tg.gradgradcheck(lambda t: tg.cov(t), (x,))


@settings(deadline=None, max_examples=15)
@given(shape=tst.shapes(min_dims=1, max_dims=2, min_side=2, max_side=4), data=st.data(),
       correction=st.sampled_from([0, 1]))
def test_cov_property(shape, data, correction):
    a = data.draw(tst.arrays(shape))
    out = tg.cov(tg.tensor(a), correction=correction).numpy()
    assert np.allclose(out, np.cov(a, ddof=correction), rtol=1e-10, atol=1e-12)
    assert np.allclose(out, np.swapaxes(out, -1, -2) if out.ndim else out)
