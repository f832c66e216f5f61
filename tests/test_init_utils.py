"""nn.init (every initialiser, generator=, errors) and nn.utils: weight/spectral norm (hook-based
and parametrizations), parametrize, Conv/Linear-BatchNorm fusion, skip_init, functional_call.
Literals were checked against PyTorch 2.13; moments use fixed generators and tolerances of
several standard errors, so they cannot flake."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.nn.utils import parametrize

# ---------------------------------------------------------------- nn.init


def _gen(seed=0):
    return tg.Generator().manual_seed(seed)


def test_calculate_gain_all_nonlinearities():
    for name in ('linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
                 'conv_transpose3d', 'sigmoid'):
        assert nn.init.calculate_gain(name) == 1
    assert nn.init.calculate_gain('tanh', 7) == 5 / 3            # param ignored but for leaky_relu
    assert nn.init.calculate_gain('leaky_relu', 0.2) == math.sqrt(2 / 1.04)
    assert nn.init.calculate_gain('leaky_relu', 1) == 1.0
    for bad in (True, 'x'):
        with pytest.raises(ValueError, match='not a valid number'):
            nn.init.calculate_gain('leaky_relu', bad)
    with pytest.raises(ValueError, match='gelu'):
        nn.init.calculate_gain('gelu')


def test_eye_and_dirac_structure():
    np.testing.assert_array_equal(nn.init.eye_(tg.empty(2, 3)).numpy(), np.eye(2, 3))
    w = nn.init.dirac_(tg.empty(4, 2, 3), groups=2)
    # torch.nn.init.dirac_(torch.empty(4, 2, 3), groups=2).nonzero()
    assert np.argwhere(w.numpy()).tolist() == [[0, 0, 1], [1, 1, 1], [2, 0, 1], [3, 1, 1]]
    assert w.numpy().sum() == 4


@pytest.mark.parametrize('groups', [1, 2])
@pytest.mark.parametrize('conv, kernel', [(F.conv1d, (3,)), (F.conv2d, (3, 5)),
                                          (F.conv3d, (1, 3, 3))])
def test_dirac_convolution_is_identity(rng, conv, kernel, groups):
    # out = in channels: a Dirac-initialised 'same' convolution copies its input
    c = 4
    w = nn.init.dirac_(tg.empty(c, c // groups, *kernel, dtype=np.float64), groups=groups)
    x = tg.tensor(rng.standard_normal((2, c) + (5,) * len(kernel)))
    y = conv(x, w, padding=tuple(k // 2 for k in kernel), groups=groups)
    np.testing.assert_allclose(y.numpy(), x.numpy())


@pytest.mark.parametrize('call, shape', [
    (lambda t: nn.init.eye_(t), (3,)), (lambda t: nn.init.eye_(t), (2, 2, 2)),
    (lambda t: nn.init.dirac_(t), (2, 2)), (lambda t: nn.init.dirac_(t, groups=2), (3, 2, 3)),
    (lambda t: nn.init.xavier_uniform_(t), (5,)), (lambda t: nn.init.xavier_normal_(t), ()),
    (lambda t: nn.init.kaiming_normal_(t), (4,)),
    (lambda t: nn.init.kaiming_uniform_(t, mode='fan_avg'), (2, 2)),
    (lambda t: nn.init.orthogonal_(t), (3,)), (lambda t: nn.init.sparse_(t, 0.5), (2, 2, 2)),
])
def test_init_errors_are_value_errors(call, shape):
    t = tg.ones(*shape)
    with pytest.raises(ValueError):
        call(t)
    assert (t.numpy() == 1).all()                   # unchanged


def _moments(fill, shape=(400, 500), dtype=np.float64):
    t = fill(tg.empty(*shape, dtype=dtype))
    assert t.dtype == dtype
    return t.numpy().mean(), t.numpy().std(), t.numpy()


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_distribution_moments(dtype):
    n = 200_000
    g = _gen(1)
    mean, std, v = _moments(lambda t: nn.init.uniform_(t, -1.0, 3.0, generator=g), dtype=dtype)
    assert v.min() >= -1 and v.max() <= 3
    assert abs(mean - 1) < 5 * (4 / math.sqrt(12)) / math.sqrt(n)
    assert abs(std - 4 / math.sqrt(12)) < 0.01
    mean, std, _ = _moments(lambda t: nn.init.normal_(t, 2.0, 0.5, generator=g), dtype=dtype)
    assert abs(mean - 2) < 5 * 0.5 / math.sqrt(n) and abs(std - 0.5) < 0.005
    # fans of (400, 500): fan_in 500, fan_out 400
    _, std, v = _moments(lambda t: nn.init.xavier_uniform_(t, gain=2.0, generator=g), dtype=dtype)
    bound = 2.0 * math.sqrt(6 / 900)
    assert np.abs(v).max() <= bound and abs(std - bound / math.sqrt(3)) < 0.01 * bound
    _, std, _ = _moments(lambda t: nn.init.xavier_normal_(t, generator=g), dtype=dtype)
    assert abs(std - math.sqrt(2 / 900)) < 0.01 * math.sqrt(2 / 900)
    _, std, v = _moments(lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5), generator=g),
                         dtype=dtype)
    assert np.abs(v).max() <= 1 / math.sqrt(500)
    _, std, _ = _moments(lambda t: nn.init.kaiming_normal_(t, mode='fan_out',
                                                           nonlinearity='relu', generator=g),
                         dtype=dtype)
    assert abs(std - math.sqrt(2 / 400)) < 0.01 * math.sqrt(2 / 400)


def _truncated_moments(mu, sigma, a, b):
    """Mean and std of N(mu, sigma^2) truncated to [a, b] (closed form)."""
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)    # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2             # noqa: E731
    al, be = (a - mu) / sigma, (b - mu) / sigma
    z = cdf(be) - cdf(al)
    d = (pdf(al) - pdf(be)) / z
    return mu + sigma * d, sigma * math.sqrt(1 + (al * pdf(al) - be * pdf(be)) / z - d * d)


@pytest.mark.filterwarnings('ignore:mean is more than 2 std')
@pytest.mark.parametrize('args', [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, -1.0, 2.0),
                                  (0.0, 1.0, 3.0, 4.0)])    # the last: a far tail, < 30% mass
def test_trunc_normal_moments(args):
    t = nn.init.trunc_normal_(tg.empty(100_000, dtype=np.float64), *args, generator=_gen(2))
    v = t.numpy()
    mean, std = _truncated_moments(*args)
    assert v.min() >= args[2] and v.max() <= args[3]
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(v.size) and abs(v.std() - std) < 0.01 * std


def test_trunc_normal_warns_when_mean_is_far():
    with pytest.warns(UserWarning, match='more than 2 std'):
        v = nn.init.trunc_normal_(tg.empty(1000), mean=10.0, generator=_gen()).numpy()
    assert v.min() >= -2 and v.max() <= 2


def test_sparse_zeros_per_column():
    t = nn.init.sparse_(tg.empty(10, 300, dtype=np.float64), sparsity=0.25, std=0.5,
                        generator=_gen(3))
    v = t.numpy()
    assert ((v == 0).sum(axis=0) == 3).all()        # ceil(0.25 * 10) per column
    assert abs(v[v != 0].std() - 0.5) < 0.03


@st.composite
def _matrix_shapes(draw):
    return tuple(draw(st.lists(st.integers(1, 5), min_size=2, max_size=4)))


@settings(max_examples=15)
@given(shape=_matrix_shapes(), gain=st.sampled_from([1.0, 0.5, 3.0]))
def test_orthogonal_is_semi_orthogonal(shape, gain):
    q = nn.init.orthogonal_(tg.empty(*shape, dtype=np.float64), gain=gain, generator=_gen())
    m = q.numpy().reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(len(gram)), atol=1e-10)


def test_generator_reproducible_and_global_untouched():
    names = ['uniform_', 'normal_', 'trunc_normal_', 'xavier_uniform_', 'xavier_normal_',
             'kaiming_uniform_', 'kaiming_normal_', 'orthogonal_']
    tg.manual_seed(0)
    expected = tg.rand(3).numpy()
    tg.manual_seed(0)
    for name in names:
        a = getattr(nn.init, name)(tg.empty(4, 5), generator=_gen(7)).numpy()
        b = getattr(nn.init, name)(tg.empty(4, 5), generator=_gen(7)).numpy()
        np.testing.assert_array_equal(a, b)
    a = nn.init.sparse_(tg.empty(4, 5), 0.5, generator=_gen(7)).numpy()
    np.testing.assert_array_equal(a, nn.init.sparse_(tg.empty(4, 5), 0.5,
                                                      generator=_gen(7)).numpy())
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected)    # global stream not used


def test_init_in_place_on_parameters_without_graph():
    p = nn.Parameter(tg.empty(3, 4, dtype=np.float64))
    for fill in (nn.init.eye_, nn.init.orthogonal_, nn.init.xavier_normal_,
                 lambda t: nn.init.sparse_(t, 0.3), lambda t: nn.init.constant_(t, 2.5)):
        assert fill(p) is p
        assert p.requires_grad and p.grad_fn is None and p.dtype == np.float64


def test_zero_element_and_deprecated_names_warn():
    with pytest.warns(UserWarning, match='zero-element'):
        nn.init.kaiming_uniform_(tg.empty(0, 3))
    assert nn.init.orthogonal_(tg.empty(0, 3)).shape == (0, 3)
    with pytest.warns(FutureWarning, match='nn.init.uniform_'):
        nn.init.uniform(tg.empty(2))
    with pytest.warns(FutureWarning, match='nn.init.dirac_'):
        nn.init.dirac(tg.empty(2, 2, 1))

# ---------------------------------------------------------------- gradient clipping


def test_clip_grad_foreach_and_inf_norm():
    ps = [tg.zeros(2, requires_grad=True), tg.zeros(2, requires_grad=True)]
    ps[0].grad, ps[1].grad = tg.tensor([3.0, -4.0]), tg.tensor([0.0, 12.0])
    total = nn.utils.clip_grad_norm_(ps, 6.0, float('inf'), foreach=True)
    assert total.item() == 12.0
    np.testing.assert_allclose(ps[1].grad.numpy(), [0.0, 6.0], rtol=1e-6)
    assert nn.utils.get_total_norm([p.grad for p in ps], 1.0, foreach=False).item() == \
        pytest.approx(9.5, rel=1e-6)
    nn.utils.clip_grad_value_(ps, 1.0, foreach=True)
    np.testing.assert_allclose(ps[0].grad.numpy(), [1.0, -1.0], rtol=1e-6)
    ps[0].grad = tg.tensor([1.0, float('nan')])
    with pytest.raises(RuntimeError, match='non-finite'):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)

# ---------------------------------------------------------------- weight norm


def _linear(weight, bias=None, dtype=np.float64):
    out, inp = np.shape(weight)
    m = nn.Linear(inp, out, bias=bias is not None, dtype=dtype)
    with tg.no_grad():
        m.weight.copy_(np.asarray(weight, dtype=dtype))
        if bias is not None:
            m.bias.copy_(np.asarray(bias, dtype=dtype))
    return m


def test_weight_norm_hook_names_values_and_removal():
    m = _linear([[1.0, 2, 3], [4, 5, 6]], [0.0, 0.0], np.float32)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ['bias', 'weight_g', 'weight_v']
    # torch: weight_g = [[3.7416574955], [8.7749643326]]
    np.testing.assert_allclose(m.weight_g.numpy(), [[3.7416574955], [8.7749643326]], rtol=1e-6)
    assert m.weight_g.dtype == np.float32 and not isinstance(m.weight, nn.Parameter)
    with tg.no_grad():
        m.weight_g.mul_(2.0)
    y = m(tg.ones(1, 3))                        # the pre-hook recomputes weight from g and v
    np.testing.assert_allclose(y.numpy(), [[12.0, 30.0]], rtol=1e-6)
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match='two weight_norm hooks'):
        nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ['bias', 'weight'] and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.numpy(), [[2, 4, 6], [8, 10, 12]], rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


@settings(max_examples=12)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
       dim=st.sampled_from([0, 1, None, -1]))
def test_weight_norm_decomposition_over_shapes(shape, dim):
    rng = np.random.default_rng(len(shape))
    w = rng.standard_normal(shape) + 0.1
    m = nn.Module()
    m.weight = nn.Parameter(tg.tensor(w))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        nn.utils.weight_norm(m, dim=dim)
    if dim in (None, -1):          # one norm of the whole tensor (PyTorch's dim=-1 too)
        assert m.weight_g.shape == () and np.isclose(m.weight_g.item(), np.linalg.norm(w))
    else:
        others = tuple(d for d in range(len(shape)) if d != dim)
        np.testing.assert_allclose(m.weight_g.numpy(),
                                   np.sqrt((w ** 2).sum(axis=others, keepdims=True)))
    np.testing.assert_allclose(m.weight.numpy(), w)       # w = g * v / |v| at the start
    p = nn.Module()                                       # the parametrization: same g, v
    p.weight = nn.Parameter(tg.tensor(w))
    nn.utils.parametrizations.weight_norm(p, dim=dim)
    np.testing.assert_array_equal(p.parametrizations.weight.original0.numpy(),
                                  m.weight_g.numpy())
    np.testing.assert_array_equal(p.parametrizations.weight.original1.numpy(), w)
    np.testing.assert_allclose(p.weight.numpy(), w)


def test_weight_norm_gradcheck_hook_and_parametrization(rng):
    x = tg.tensor(rng.standard_normal((3, 4)))
    m = _linear(rng.standard_normal((2, 4)), rng.standard_normal(2))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        nn.utils.weight_norm(m)
    g = tg.tensor(m.weight_g.numpy() * 1.5, requires_grad=True)
    v = tg.tensor(m.weight_v.numpy(), requires_grad=True)
    assert tg.gradcheck(lambda g, v: tg.func.functional_call(
        m, {'weight_g': g, 'weight_v': v}, (x,)), (g, v))
    p = nn.utils.parametrizations.weight_norm(_linear(rng.standard_normal((2, 4))), dim=1)
    g0, v0 = (p.parametrizations.weight.original0, p.parametrizations.weight.original1)
    assert g0.shape == (1, 4) and v0.shape == (2, 4)
    assert tg.gradcheck(lambda g, v: tg.func.functional_call(
        p, {'parametrizations.weight.original0': g, 'parametrizations.weight.original1': v}, x),
        (tg.tensor(g0.numpy(), requires_grad=True), tg.tensor(v0.numpy(), requires_grad=True)))


def test_parametrized_weight_norm_keys_and_old_checkpoints():
    old = _linear([[1.0, 2, 3], [4, 5, 6]], [0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        nn.utils.weight_norm(old)
    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2, dtype=np.float64))
    assert type(m).__name__ == 'ParametrizedLinear'
    assert list(m.state_dict()) == ['bias', 'parametrizations.weight.original0',
                                    'parametrizations.weight.original1']
    m.load_state_dict(old.state_dict())          # weight_g/weight_v keys are renamed
    np.testing.assert_allclose(m.weight.numpy(), [[1, 2, 3], [4, 5, 6]])
    parametrize.remove_parametrizations(m, 'weight')
    assert type(m) is nn.Linear and list(m.state_dict()) == ['bias', 'weight']
    np.testing.assert_allclose(m.weight.numpy(), [[1, 2, 3], [4, 5, 6]])

# ---------------------------------------------------------------- spectral norm


def test_spectral_norm_hook_same_u_as_torch():
    m = _linear([[1.0, 2, 3], [4, 5, 6]], [0.0, 0.0], np.float32)
    nn.utils.spectral_norm(m)
    assert list(m.state_dict()) == ['bias', 'weight_orig', 'weight_u', 'weight_v']
    with tg.no_grad():
        m.weight_u.copy_(np.array([0.6, 0.8]))
        m.weight_v.copy_(np.array([1.0, 0.0, 0.0]))
    y = m(tg.ones(1, 3))            # one power iteration (training mode), then w / sigma
    np.testing.assert_allclose(m.weight_u.numpy(), [0.3878529966, 0.9217212796], rtol=1e-5)
    np.testing.assert_allclose(m.weight_v.numpy(), [0.4120709300, 0.5638865232, 0.7157021165],
                               rtol=1e-5)
    np.testing.assert_allclose(y.numpy(), [[0.6311769485, 1.5779422522]], rtol=1e-5)
    m.eval()
    u = m.weight_u.numpy().copy()
    m(tg.ones(1, 3))
    np.testing.assert_array_equal(m.weight_u.numpy(), u)     # eval: no power iteration
    with pytest.raises(RuntimeError, match='two spectral_norm hooks'):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ['bias', 'weight']
    np.testing.assert_allclose(m.weight.numpy(), [[0.1051961556, 0.2103923112, 0.3155884445],
                                                  [0.4207846224, 0.5259807706, 0.6311768889]],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)


@pytest.mark.parametrize('make', [lambda: nn.Conv2d(3, 4, 3, dtype=np.float64),
                                  lambda: nn.ConvTranspose2d(3, 5, 2, dtype=np.float64)])
@pytest.mark.parametrize('parametrization', [False, True])
def test_spectral_norm_converges_to_unit_sigma(make, parametrization):
    tg.manual_seed(0)
    m = make()
    w = m.weight.numpy().copy()
    sn = nn.utils.parametrizations.spectral_norm if parametrization else nn.utils.spectral_norm
    sn(m, n_power_iterations=30)
    m(tg.ones(1, 3, 4, 4, dtype=np.float64))
    dim = 1 if isinstance(m, nn.ConvTranspose2d) else 0
    mat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
    sigma = np.linalg.svd(mat, compute_uv=False)[0]
    np.testing.assert_allclose(m.weight.numpy(), w / sigma, rtol=1e-6)
    if parametrization:
        keys = list(m.state_dict())
        assert keys == ['bias', 'parametrizations.weight.original',
                        'parametrizations.weight.0._u', 'parametrizations.weight.0._v']


def test_spectral_norm_gradcheck_eval(rng):
    x = tg.tensor(rng.standard_normal((2, 3)))
    m = nn.utils.spectral_norm(_linear(rng.standard_normal((4, 3)), rng.standard_normal(4)))
    m(x)
    m.eval()
    w = tg.tensor(m.weight_orig.numpy(), requires_grad=True)
    assert tg.gradcheck(lambda w: tg.func.functional_call(m, {'weight_orig': w}, x), (w,))
    p = nn.utils.parametrizations.spectral_norm(_linear(rng.standard_normal((4, 3)))).eval()
    w = tg.tensor(p.parametrizations.weight.original.numpy(), requires_grad=True)
    assert tg.gradcheck(lambda w: tg.func.functional_call(
        p, {'parametrizations.weight.original': w}, x), (w,))


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match='n_power_iterations'):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'w'"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), name='w')

# ---------------------------------------------------------------- orthogonal


def test_orthogonal_parametrization_literals():
    m = _linear([[2.0, 1, 0], [0, 1, 0], [1, 0, 3]], [0.0, 0.0, 0.0])
    nn.utils.parametrizations.orthogonal(m)              # matrix_exp, trivialization
    assert list(m.state_dict()) == ['bias', 'parametrizations.weight.original',
                                    'parametrizations.weight.0.base']
    np.testing.assert_allclose(m.weight.numpy(), [          # torch: the Q of the QR, diag(R) > 0
        [0.8944271909999157, 0.18257418583505536, -0.40824829046386296],
        [0.0, 0.912870929175277, 0.408248290463863],
        [0.4472135954999579, -0.36514837167011077, 0.8164965809277261]], atol=1e-12)
    with tg.no_grad():
        m.parametrizations.weight.original.copy_(np.arange(1, 10).reshape(3, 3) / 10)
    np.testing.assert_allclose(m.weight.numpy(), [
        [0.35935967956769227, -0.6027488398570023, -0.712428562560516],
        [0.34904002930832995, 0.7948300050239852, -0.4964033854175563],
        [0.865466162620727, -0.07027872483624342, 0.4960133286454563]], atol=1e-12)
    h = _linear([[1.0, 0], [1, 1], [0, 2], [3, 1]])
    nn.utils.parametrizations.orthogonal(h, orthogonal_map='householder',
                                         use_trivialization=False)
    assert list(h.state_dict()) == ['parametrizations.weight.original']
    np.testing.assert_allclose(h.parametrizations.weight.original.numpy(), [
        [-1.0, -1.2060453783110545], [0.23166247903554, -1.0], [0.0, 0.7011118965218471],
        [0.69498743710662, 0.05672472471967605]], atol=1e-12)
    np.testing.assert_allclose(h.weight.numpy(), [
        [0.3015113445777635, -0.17056057308448838], [0.30151134457776363, 0.29848100289785484],
        [0.0, 0.938083151964686], [0.9045340337332909, -0.04264014327112217]], atol=1e-12)
    x = tg.tensor(np.arange(1, 10).reshape(3, 3) / 10, requires_grad=True)
    assert tg.gradgradcheck(lambda x: m.parametrizations.weight[0](x), (x,))   # matrix_exp
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        nn.utils.parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map='qr')
    with pytest.raises(ValueError, match='Got a tensor of 1 dimensions'):
        nn.utils.parametrizations.orthogonal(nn.Linear(2, 2), name='bias')


@settings(max_examples=15)
@given(shape=st.sampled_from([(3, 3), (4, 2), (2, 4), (2, 3, 3), (2, 3, 2)]),
       orthogonal_map=st.sampled_from(['matrix_exp', 'cayley', 'householder']),
       use_trivialization=st.booleans())
def test_orthogonal_stays_orthogonal_and_gradcheck(shape, orthogonal_map, use_trivialization):
    rng = np.random.default_rng(sum(shape))
    m = nn.Module()
    m.weight = nn.Parameter(tg.tensor(rng.standard_normal(shape)))
    nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                         use_trivialization=use_trivialization)
    original = m.parametrizations.weight.original
    off_diagonal = 1 - np.eye(*shape[-2:])     # householder reads column signs off the diagonal
    with tg.no_grad():
        original.add_(0.3 * rng.standard_normal(shape) * off_diagonal)
    q = m.weight.numpy()
    q = q if shape[-2] >= shape[-1] else np.swapaxes(q, -1, -2)
    identity = np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, identity, atol=1e-12)
    # vary the off-diagonal entries only: the diagonal (signs, +-1) is read as a constant
    diagonal = tg.tensor(original.numpy() * (1 - off_diagonal))
    x = tg.tensor(original.numpy(), requires_grad=True)
    assert tg.gradcheck(lambda x: m.parametrizations.weight[0](x * tg.tensor(off_diagonal)
                                                               + diagonal), (x,))


# ---------------------------------------------------------------- parametrize


class _Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class _Double(nn.Module):
    def forward(self, X):
        return 2 * X


class _Split(nn.Module):
    def forward(self, a, b):
        return a + b

    def right_inverse(self, X):
        return X * 0.25, X * 0.75


def test_register_parametrization_symmetric():
    m = _linear(np.arange(9.0).reshape(3, 3), np.ones(3))
    w = m.weight
    parametrize.register_parametrization(m, 'weight', _Symmetric())
    assert type(m).__name__ == 'ParametrizedLinear'
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, 'weight')
    assert not parametrize.is_parametrized(m, 'bias')
    assert list(m.state_dict()) == ['bias', 'parametrizations.weight.original']
    assert m.parametrizations.weight.original is w           # the same Parameter object
    np.testing.assert_array_equal(m.weight.numpy(), [[0, 1, 2], [1, 4, 5], [2, 5, 8]])
    parametrize.register_parametrization(m, 'weight', _Double())
    np.testing.assert_array_equal(m.weight.numpy(), [[0, 2, 4], [2, 8, 10], [4, 10, 16]])
    with pytest.raises(RuntimeError, match='_Double does not implement right_inverse'):
        m.weight = tg.eye(3, dtype=np.float64)
    m.parametrizations.weight.pop(1)
    m.weight = 4 * tg.eye(3, dtype=np.float64)               # stored through right_inverse
    np.testing.assert_array_equal(w.numpy(), 4 * np.eye(3))
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    m(tg.ones(2, 3, dtype=np.float64)).sum().backward()      # gradients reach the original
    np.testing.assert_array_equal(w.grad.numpy(), [[2, 4, 4], [0, 2, 4], [0, 0, 2]])
    parametrize.remove_parametrizations(m, 'weight', leave_parametrized=False)
    assert type(m) is nn.Linear and m.weight is w and not hasattr(m, 'parametrizations')
    assert list(m.state_dict()) == ['bias', 'weight']


def test_parametrization_with_several_originals_and_buffers():
    m = _linear([[1.0, 2], [3, 4]])
    parametrize.register_parametrization(m, 'weight', _Split())
    assert list(m.state_dict()) == ['parametrizations.weight.original0',
                                    'parametrizations.weight.original1']
    np.testing.assert_allclose(m.weight.numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match='leave_parametrized'):
        parametrize.remove_parametrizations(m, 'weight', leave_parametrized=False)
    parametrize.remove_parametrizations(m, 'weight')
    assert isinstance(m.weight, nn.Parameter) and list(m.state_dict()) == ['weight']
    bn = nn.BatchNorm1d(2)
    parametrize.register_parametrization(bn, 'running_var', _Double())
    assert [n for n, _ in bn.named_buffers()] == ['running_mean', 'num_batches_tracked',
                                                  'parametrizations.running_var.original']
    np.testing.assert_array_equal(bn.running_var.numpy(), [2, 2])


def test_parametrized_module_copy_pickle_and_functional_call():
    m = nn.utils.parametrizations.weight_norm(_linear([[3.0, 4.0], [0.0, 2.0]]))
    with pytest.raises(RuntimeError, match='only supported through state_dict'):
        pickle.dumps(m)
    c = copy.deepcopy(m)
    assert type(c) is type(m) and c.parametrizations.weight.original1 is not \
        m.parametrizations.weight.original1
    np.testing.assert_allclose(c.weight.numpy(), [[3, 4], [0, 2]])
    w = tg.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=np.float64)
    x = tg.tensor([[1.0, 2.0]], dtype=np.float64)
    y = tg.func.functional_call(m, {'weight': w}, x)    # the parametrized tensor replaced
    np.testing.assert_allclose(y.numpy(), [[1.0, 2.0]])
    np.testing.assert_allclose(m(x).numpy(), [[11.0, 4.0]])


def test_transfer_parametrizations_and_params():
    a = nn.utils.parametrizations.weight_norm(_linear([[3.0, 4.0], [0.0, 2.0]], [1.0, 1.0]))
    parametrize.register_parametrization(a, 'bias', _Double())
    b = parametrize.transfer_parametrizations_and_params(a, nn.Linear(2, 2, dtype=np.float64))
    assert list(b.state_dict()) == ['parametrizations.weight.original0',
                                    'parametrizations.weight.original1',
                                    'parametrizations.bias.original']
    assert b.parametrizations.weight.original1 is a.parametrizations.weight.original1
    np.testing.assert_allclose(b.weight.numpy(), [[3, 4], [0, 2]])
    np.testing.assert_allclose(b.bias.numpy(), [2, 2])
    c = parametrize.transfer_parametrizations_and_params(a, nn.Module(), 'weight')
    assert type(c).__name__ == 'ParametrizedModule' and c.weight.shape == (2, 2)


def test_parametrization_errors():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match='may not change the shape'):
        parametrize.register_parametrization(m, 'weight', Shrink())
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)   # nothing changed
    with pytest.raises(ValueError, match="with name 'nope'"):
        parametrize.register_parametrization(m, 'nope', _Double())
    with pytest.raises(ValueError, match='does not have a parametrization'):
        parametrize.remove_parametrizations(m, 'weight')
    parametrize.register_parametrization(m, 'weight', Shrink(), unsafe=True)
    assert m.weight.shape == (1, 2)

# ---------------------------------------------------------------- fusion, skip_init


def test_fuse_conv_bn_literal():
    c = nn.Conv2d(2, 2, 1)
    bn = nn.BatchNorm2d(2)
    with tg.no_grad():
        c.weight.copy_(np.array([[1.0, 2], [3, 4]]).reshape(2, 2, 1, 1))
        c.bias.copy_(np.array([0.5, -1.0]))
        bn.running_mean.copy_(np.array([1.0, 2]))
        bn.running_var.copy_(np.array([4.0, 0.25]))
        bn.weight.copy_(np.array([2.0, 3]))
        bn.bias.copy_(np.array([0.1, 0.2]))
    f = nn.utils.fuse_conv_bn_eval(c.eval(), bn.eval())
    # torch: [1, 2, 18, 24] and [-0.4, -17.8] (up to eps=1e-5)
    np.testing.assert_allclose(f.weight.numpy().ravel(), [0.9999988079, 1.9999976158,
                                                          17.9996395111, 23.9995193481],
                               rtol=1e-6)
    np.testing.assert_allclose(f.bias.numpy(), [-0.3999994099, -17.7996387482], rtol=1e-6)
    assert isinstance(f.weight, nn.Parameter) and f is not c and c.weight.numpy()[1, 1] == 4
    with pytest.raises(AssertionError, match='Fusion only for eval'):
        nn.utils.fuse_conv_bn_eval(c.train(), bn)


@pytest.mark.parametrize('kind', ['conv1d', 'conv2d', 'conv_transpose2d', 'linear'])
@pytest.mark.parametrize('bias', [True, False])
def test_fused_layer_equals_layer_then_bn(rng, kind, bias):
    tg.manual_seed(1)
    layer, bn, shape = {
        'conv1d': (nn.Conv1d(3, 4, 3, bias=bias), nn.BatchNorm1d(4), (2, 3, 6)),
        'conv2d': (nn.Conv2d(3, 4, 3, bias=bias), nn.BatchNorm2d(4), (2, 3, 5, 5)),
        'conv_transpose2d': (nn.ConvTranspose2d(3, 4, 3, bias=bias), nn.BatchNorm2d(4),
                             (2, 3, 4, 4)),
        'linear': (nn.Linear(3, 4, bias=bias), nn.BatchNorm1d(4), (5, 3))}[kind]
    with tg.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.normal_()
        bn.bias.normal_()
    layer.eval(), bn.eval()
    x = tg.tensor(rng.standard_normal(shape).astype(np.float32))
    if kind == 'linear':
        fused = nn.utils.fuse_linear_bn_eval(layer, bn)
    else:
        fused = nn.utils.fuse_conv_bn_eval(layer, bn, transpose=kind == 'conv_transpose2d')
    assert fused.weight.dtype == np.float32 and fused.bias.shape == (4,)
    np.testing.assert_allclose(fused(x).numpy(), bn(layer(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 3, 4, dtype=np.float64)
    assert type(m) is nn.Linear and m.weight.shape == (4, 3) and m.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match='Expected a Module'):
        nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)

# ---------------------------------------------------------------- functional_call


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2, dtype=np.float64)
        self.bn = nn.BatchNorm1d(2, dtype=np.float64)

    def forward(self, x, scale=1.0):
        return self.bn(self.fc(x)) * scale


def test_functional_call_replaces_for_one_call(rng):
    net = _Net()
    x = tg.tensor(rng.standard_normal((4, 3)))
    w = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    mean = tg.zeros(2, dtype=np.float64)
    own = net.fc.weight
    y = tg.func.functional_call(net, {'fc.weight': w, 'bn.running_mean': mean}, (x,),
                                {'scale': 2.0})
    expected = x.numpy() @ w.numpy().T + net.fc.bias.numpy()
    expected = (expected - expected.mean(0)) / np.sqrt(expected.var(0) + 1e-5) * 2.0
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    y.sum().backward()
    assert w.grad is not None and own.grad is None
    assert net.fc.weight is own
    assert mean.numpy().any() and not net.bn.running_mean.numpy().any()   # the given one updated
    with pytest.raises(RuntimeError):                                   # restored on errors too
        tg.func.functional_call(net, {'fc.weight': w}, tg.ones(2, 5))
    assert net.fc.weight is own
    with pytest.warns(FutureWarning, match='tg.func.functional_call'):  # the old name
        y2 = nn.utils.stateless.functional_call(net.eval(), {'fc.weight': w}, x)
    np.testing.assert_allclose(y2.numpy(), tg.func.functional_call(net, {'fc.weight': w},
                                                                   x).numpy())


def test_functional_call_strict_and_tied(rng):
    net = _Net()
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'bn.bias', 'bn.num_batches_trac"):
        tg.func.functional_call(net, {'fc.weight': net.fc.weight}, tg.ones(2, 3), strict=True)
    with pytest.raises(ValueError, match='appeared in multiple dictionaries'):
        tg.func.functional_call(net, ({'fc.bias': tg.ones(2)}, {'fc.bias': tg.ones(2)}),
                                tg.ones(2, 3))
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    w = tg.tensor([[0.0, 1.0], [1.0, 0.0]])
    x = tg.tensor([[1.0, 2.0]])
    assert tg.func.functional_call(tied, {'0.weight': w}, x).tolist() == [[1.0, 2.0]]
    y = tg.func.functional_call(tied, {'0.weight': w}, x, tie_weights=False)
    expected = (x.numpy() @ w.numpy().T) @ tied[0].weight.numpy().T
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match='which are tied'):
        tg.func.functional_call(tied, {'0.weight': w, '1.weight': tg.zeros(2, 2)}, x)
