"""conv1d/2d/3d and conv_transpose1d/2d/3d: lecture examples, loop references, gradients, errors."""
import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
import tinygrad_cnn.nn.functional.conv as conv_module
from tinygrad_cnn import Tensor


# ----------------------------------------------------------------------------- slow references

def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct N-d convolution with explicit loops over output positions and kernel offsets.

    ``padding`` is an int, a per-dim tuple or a tuple of (lo, hi) pairs.
    """
    nd = x.ndim - 2
    stride, dilation = _tup(stride, nd), _tup(dilation, nd)
    pads = [(p, p) if isinstance(p, int) else tuple(p) for p in _tup(padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    N, C = x.shape[:2]
    O, Cg, K = w.shape[0], w.shape[1], w.shape[2:]
    Og = O // groups
    out = [(xp.shape[2 + i] - dilation[i] * (K[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    y = np.zeros((N, O) + tuple(out))
    for n, o in itertools.product(range(N), range(O)):
        g = o // Og
        for pos in itertools.product(*[range(v) for v in out]):
            acc = 0.0
            for c in range(Cg):
                for k in itertools.product(*[range(v) for v in K]):
                    idx = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                    acc += w[(o, c) + k] * xp[(n, g * Cg + c) + idx]
            y[(n, o) + pos] = acc + (0.0 if b is None else b[o])
    return y


def conv_transpose_ref(u, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as a scatter: each input element adds ``u * w`` onto its window."""
    nd = u.ndim - 2
    stride, padding = _tup(stride, nd), _tup(padding, nd)
    output_padding, dilation = _tup(output_padding, nd), _tup(dilation, nd)
    N, Cin = u.shape[:2]
    K, Cog = w.shape[2:], w.shape[1]
    Cig = Cin // groups
    full = [(u.shape[2 + i] - 1) * stride[i] + dilation[i] * (K[i] - 1) + 1 + output_padding[i]
            for i in range(nd)]
    z = np.zeros((N, Cog * groups) + tuple(full))
    for n, ci in itertools.product(range(N), range(Cin)):
        g = ci // Cig
        for pos in itertools.product(*[range(v) for v in u.shape[2:]]):
            for co in range(Cog):
                for k in itertools.product(*[range(v) for v in K]):
                    idx = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                    z[(n, g * Cog + co) + idx] += u[(n, ci) + pos] * w[(ci, co) + k]
    z = z[(Ellipsis,) + tuple(slice(p, f - p) for p, f in zip(padding, full))]
    return z if b is None else z + b.reshape((-1,) + (1,) * nd)


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- lecture examples

IMAGE_5x5 = [[1, 1, 1, 0, 0],
             [0, 1, 1, 1, 0],
             [0, 0, 1, 1, 1],
             [0, 0, 1, 1, 0],
             [0, 1, 1, 0, 0]]
X_KERNEL = [[1, 0, 1],
            [0, 1, 0],
            [1, 0, 1]]


def test_lecture_5x5_image_stride_1():
    y = F.conv2d(tg.tensor([[IMAGE_5x5]], dtype=tg.float32), tg.tensor([[X_KERNEL]], dtype=tg.float32))
    assert y.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_lecture_5x5_image_stride_2():
    y = F.conv2d(tg.tensor([[IMAGE_5x5]], dtype=tg.float32), tg.tensor([[X_KERNEL]], dtype=tg.float32),
                 stride=2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[4, 4], [2, 4]])


def test_lecture_5x5_image_same_padding():
    x, w = tg.tensor([[IMAGE_5x5]], dtype=tg.float32), tg.tensor([[X_KERNEL]], dtype=tg.float32)
    y = F.conv2d(x, w, padding=1)              # (5 + 2 - 3) / 1 + 1 = 5
    assert y.shape == (1, 1, 5, 5)
    np.testing.assert_array_equal(y.numpy()[0, 0, 1:-1, 1:-1], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    np.testing.assert_array_equal(F.conv2d(x, w, padding='same').numpy(), y.numpy())


EDGE_LEFT_BRIGHT = [[10, 10, 10, 0, 0, 0]] * 6
VERTICAL = [[1, 0, -1]] * 3
SOBEL_VERTICAL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]


@pytest.mark.parametrize("kernel, value", [(VERTICAL, 30), (SOBEL_VERTICAL, 40)])
def test_lecture_vertical_edge_detectors(kernel, value):
    w = tg.tensor([[kernel]], dtype=tg.float32)
    bright_left = tg.tensor([[EDGE_LEFT_BRIGHT]], dtype=tg.float32)
    expected = np.array([[0, value, value, 0]] * 4)
    np.testing.assert_array_equal(F.conv2d(bright_left, w).numpy()[0, 0], expected)
    bright_right = bright_left.flip(-1)        # the dark-to-bright edge gives negative values
    np.testing.assert_array_equal(F.conv2d(bright_right, w).numpy()[0, 0], -expected)


def test_lecture_three_channel_example_with_bias_gives_minus_25():
    # top-left 5x5 corner of the lecture's RGB example, zero-padded by 1
    red = [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
           [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]]
    green = [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
             [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]]
    blue = [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
            [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]
    kernel = [[[-1, -1, 1], [0, 1, -1], [0, 1, 1]],
              [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
              [[0, 1, 1], [0, 1, 0], [1, -1, 1]]]
    x = tg.tensor([[red, green, blue]], dtype=tg.float32)
    w = tg.tensor([kernel], dtype=tg.float32)
    no_bias = F.conv2d(x, w, padding=1)
    # the per-channel sums on the slide: 308 + (-498) + 164, plus bias 1
    per_channel = [F.conv2d(x[:, c:c + 1], w[:, c:c + 1], padding=1).numpy()[0, 0, 0, 0] for c in range(3)]
    assert per_channel == [308, -498, 164]
    y = F.conv2d(x, w, tg.tensor([1.0]), padding=1)
    assert y.shape == (1, 1, 5, 5)
    assert y.numpy()[0, 0, 0, 0] == -25
    np.testing.assert_array_equal(y.numpy(), no_bias.numpy() + 1)


def test_lecture_two_channel_three_filter_example():
    x = np.zeros((1, 2, 5, 5), np.float32)
    x[0, 0] = 1                                # channel 0: all ones
    x[0, 1, 2, 2] = 1                          # channel 1: a single 1 in the centre
    centre = np.zeros((3, 3), np.float32)
    centre[1, 1] = 1
    w = np.stack([
        np.stack([0.5 * centre, 0.5 * centre]),
        np.stack([centre, -centre]),
        # the slide's W_{2,0} and W_{2,1} (text extraction garbled one entry of each):
        # a vertical Sobel (sums to 0 on the all-ones channel) and a horizontal one
        np.stack([np.array(SOBEL_VERTICAL, np.float32),
                  np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32)]),
    ])
    y = F.conv2d(tg.tensor(x), tg.tensor(w)).numpy()[0]
    assert y.shape == (3, 3, 3)
    np.testing.assert_array_equal(y[0], [[0.5, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 0.5]])
    np.testing.assert_array_equal(y[1], [[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    np.testing.assert_array_equal(y[2], [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])


@pytest.mark.parametrize("stride, padding, out", [(1, 0, 5), (2, 0, 3), (3, 1, 3)])
def test_lecture_output_sizes_7x7_input_3x3_filter(stride, padding, out):
    y = F.conv2d(tg.zeros(1, 1, 7, 7), tg.zeros(1, 1, 3, 3), stride=stride, padding=padding)
    assert y.shape == (1, 1, out, out)


def test_lecture_lenet_shapes():
    x = F.conv2d(tg.zeros(2, 1, 32, 32), tg.zeros(6, 1, 5, 5))
    assert x.shape == (2, 6, 28, 28)
    x = F.conv2d(F.max_pool2d(x, 2), tg.zeros(16, 6, 5, 5))
    assert x.shape == (2, 16, 10, 10)
    assert F.max_pool2d(x, 2).shape == (2, 16, 5, 5)


# ----------------------------------------------------------------------------- against the references

CONV_CASES = [
    # nd, x shape, w shape, options
    (1, (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    (2, (2, 3, 7, 6), (4, 3, 2, 3), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    (2, (1, 2, 5, 5), (3, 2, 3, 3), dict(padding='valid')),
    (2, (1, 2, 6, 5), (2, 2, 4, 2), dict(padding='same', dilation=(1, 2))),
    (2, (2, 4, 6, 6), (8, 1, 3, 3), dict(padding=1, groups=4)),          # depthwise, multiplier 2
    (2, (2, 3, 5, 6), (3, 1, 3, 3), dict(stride=2, padding=1, groups=3)),  # depthwise (MobileNet)
    (2, (1, 4, 5, 7), (2, 2, 1, 1), dict(stride=2, groups=2)),            # grouped 1x1
    (2, (3, 2, 5, 5), (4, 2, 5, 5), dict()),                              # LeNet C5: 1x1 output
    (2, (2, 4, 3, 2), (6, 2, 3, 2), dict(stride=2, groups=2)),            # grouped, kernel = input
    (3, (1, 2, 4, 5, 4), (2, 1, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1), groups=2)),
]


@pytest.mark.parametrize("nd, xs, ws, opts", CONV_CASES)
def test_conv_matches_loop_reference(rng, nd, xs, ws, opts):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    y = getattr(F, f'conv{nd}d')(t64(x), t64(w), t64(b), **opts)
    pad = opts.get('padding', 0)
    if pad == 'same':
        total = [d * (k - 1) for k, d in zip(ws[2:], _tup(opts.get('dilation', 1), nd))]
        pad = tuple((t // 2, t - t // 2) for t in total)
    elif pad == 'valid':
        pad = 0
    ref = conv_ref(x, w, b, opts.get('stride', 1), pad, opts.get('dilation', 1), opts.get('groups', 1))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd, xs, ws, opts", CONV_CASES)
def test_conv_gradcheck(rng, nd, xs, ws, opts):
    x, w, b = t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws)), t64(rng.standard_normal(ws[0]))
    conv = getattr(F, f'conv{nd}d')
    assert tg.gradcheck(lambda x, w, b: conv(x, w, b, **opts), (x, w, b))


TRANSPOSE_CASES = [
    (1, (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)),
    (2, (1, 2, 3, 4), (2, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    (2, (2, 4, 3, 3), (4, 1, 3, 3), dict(stride=2, groups=4, dilation=2, output_padding=1)),
    (3, (1, 2, 2, 3, 2), (2, 2, 2, 2, 3), dict(stride=(2, 1, 2), padding=(0, 1, 1))),
    # stride 1: the adjoint conv when out >= in channels (and the conv_path fixture allows),
    # else the flat col2im; the last two have fewer output channels or a padding larger
    # than the kernel, so always the flat col2im
    (2, (2, 4, 3, 4), (4, 2, 3, 2), dict(padding=(1, 0), dilation=(2, 1), groups=2)),
    (1, (3, 2, 6), (2, 3, 4), dict(padding=2)),
    (2, (2, 5, 4, 3), (5, 2, 3, 3), dict(padding=1, dilation=(1, 2))),
    (1, (2, 2, 5), (2, 3, 2), dict(padding=2)),
    (2, (2, 4, 1, 1), (4, 3, 4, 4), dict(stride=3)),      # 1x1 input: one window (DCGAN's first layer)
]


@pytest.fixture(params=['adjoint conv', 'col2im'])
def conv_path(request, monkeypatch):
    """Run a test through both ways of computing a stride-1 conv_transpose: the tiny test
    shapes lie below the channel count from which the adjoint conv is used."""
    monkeypatch.setattr(conv_module, 'ADJOINT_MIN_CHANNELS', 1 if request.param == 'adjoint conv' else 10**9)


@pytest.mark.parametrize("nd, us, ws, opts", TRANSPOSE_CASES)
def test_conv_transpose_matches_scatter_reference(rng, nd, us, ws, opts, conv_path):
    u, w = rng.standard_normal(us), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * opts.get('groups', 1))
    z = getattr(F, f'conv_transpose{nd}d')(t64(u), t64(w), t64(b), **opts)
    np.testing.assert_allclose(z.numpy(), conv_transpose_ref(u, w, b, **opts), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd, us, ws, opts", TRANSPOSE_CASES)
def test_conv_transpose_gradcheck(rng, nd, us, ws, opts, conv_path):
    u, w = t64(rng.standard_normal(us)), t64(rng.standard_normal(ws))
    b = t64(rng.standard_normal(ws[1] * opts.get('groups', 1)))
    convt = getattr(F, f'conv_transpose{nd}d')
    assert tg.gradcheck(lambda u, w, b: convt(u, w, b, **opts), (u, w, b))


def test_conv2d_gradgradcheck(rng):
    x, w, b = t64(rng.standard_normal((2, 2, 5, 4))), t64(rng.standard_normal((3, 2, 3, 2))), t64(rng.standard_normal(3))
    assert tg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
                            (x, w, b))


def test_grouped_conv_and_transpose_gradgradcheck(rng):
    x, w = t64(rng.standard_normal((1, 4, 4, 4))), t64(rng.standard_normal((4, 2, 2, 2)))
    assert tg.gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2), (x, w))
    assert tg.gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1, groups=2),
                            (x, w))


def test_conv_is_the_adjoint_of_conv_transpose(rng):
    # <conv(x, w), u> == <x, conv_transpose(u, w)>: the identity the backward relies on
    opts = dict(stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=2)
    x, w = rng.standard_normal((2, 4, 9, 10)), rng.standard_normal((6, 2, 3, 3))
    y = F.conv2d(t64(x), t64(w), **opts).numpy()
    u = rng.standard_normal(y.shape)
    # output_padding picks x's size among those that conv maps to y's size
    reached = [(o - 1) * s - 2 * p + d * (k - 1) + 1
               for o, s, p, d, k in zip(y.shape[2:], (2, 3), (1, 2), (2, 1), (3, 3))]
    op = tuple(n - r for n, r in zip(x.shape[2:], reached))
    z = F.conv_transpose2d(t64(u), t64(w), output_padding=op, **opts).numpy()
    assert z.shape == x.shape
    np.testing.assert_allclose((y * u).sum(), (x * z).sum(), rtol=1e-12)


@st.composite
def conv_configs(draw):
    nd = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    size = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    assume(all(n + 2 * p >= d * (k - 1) + 1 for n, p, d, k in zip(size, padding, dilation, kernel)))
    n = draw(st.integers(1, 2))
    return nd, (n, groups * cg) + size, (groups * og, cg) + kernel, dict(
        stride=stride, padding=padding, dilation=dilation, groups=groups), draw(st.booleans())


@settings(deadline=None, max_examples=25)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_conv_property_matches_reference(config, seed):
    nd, xs, ws, opts, with_bias = config
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if with_bias else None
    y = getattr(F, f'conv{nd}d')(t64(x, False), t64(w, False), None if b is None else t64(b, False), **opts)
    np.testing.assert_allclose(y.numpy(), conv_ref(x, w, b, **opts), rtol=1e-10, atol=1e-10)


@settings(deadline=None, max_examples=20)
@given(conv_configs(), st.integers(0, 2**31 - 1), st.data())
def test_conv_transpose_property_matches_reference(config, seed, data):
    nd, xs, ws, opts, with_bias = config
    adjoint_min = data.draw(st.sampled_from([1, 10**9]), label='ADJOINT_MIN_CHANNELS')
    rng = np.random.default_rng(seed)
    # reuse the conv config: weight (in, out/groups, *K) for an input with ws[0] channels
    groups = opts['groups']
    u = rng.standard_normal((xs[0], ws[0]) + xs[2:])
    w = rng.standard_normal((ws[0], xs[1] // groups) + ws[2:])
    output_padding = tuple(data.draw(st.integers(0, max(s, d) - 1))
                           for s, d in zip(opts['stride'], opts['dilation']))
    size = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
            zip(xs[2:], opts['stride'], opts['padding'], opts['dilation'], ws[2:], output_padding)]
    assume(all(v >= 1 for v in size))
    b = rng.standard_normal(xs[1]) if with_bias else None
    with mock.patch.object(conv_module, 'ADJOINT_MIN_CHANNELS', adjoint_min):
        z = getattr(F, f'conv_transpose{nd}d')(t64(u, False), t64(w, False), None if b is None else t64(b, False),
                                              output_padding=output_padding, **opts)
    np.testing.assert_allclose(z.numpy(), conv_transpose_ref(u, w, b, output_padding=output_padding, **opts),
                               rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- dtypes, batching, blocks

def test_float32_stays_float32_through_forward_and_backward(rng):
    x = Tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    z = F.conv_transpose2d(y, w, stride=2, output_padding=1)
    assert y.dtype == np.float32 and z.dtype == np.float32
    (z * z).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    ref = conv_ref(x.numpy().astype(np.float64), w.numpy().astype(np.float64), b.numpy().astype(np.float64),
                   padding=1)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_unbatched_input(rng):
    x, w, b = rng.standard_normal((3, 6, 5)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(2)
    y = F.conv2d(t64(x), t64(w), t64(b), padding=1)
    assert y.shape == (2, 6, 6)
    np.testing.assert_allclose(y.numpy(), conv_ref(x[None], w, b, padding=1)[0], rtol=1e-12)
    z = F.conv_transpose1d(t64(x[0]), t64(rng.standard_normal((6, 2, 3))), stride=2)
    assert z.shape == (2, 11)
    assert tg.gradcheck(lambda x, w: F.conv1d(x, w, stride=2), (t64(x[0]), t64(rng.standard_normal((4, 6, 2)))))


def test_many_blocks_and_wide_rows_match_reference(rng, monkeypatch):
    # tiny blocks force several cache blocks, a partial last block and reused buffers
    from tinygrad_cnn.nn.functional import _windows
    monkeypatch.setattr(_windows, 'BLOCK_BYTES', 256)
    x, w = rng.standard_normal((5, 2, 6, 7)), rng.standard_normal((3, 2, 3, 2))
    X, W = t64(x), t64(w)
    y = F.conv2d(X, W, padding=(1, 2), dilation=(1, 2))
    np.testing.assert_allclose(y.numpy(), conv_ref(x, w, padding=(1, 2), dilation=(1, 2)), rtol=1e-12)
    gy = rng.standard_normal(y.shape)
    gx, gw = tg.autograd.grad(y, (X, W), Tensor(gy))
    monkeypatch.setattr(_windows, 'BLOCK_BYTES', 4 << 20)
    X2, W2 = t64(x), t64(w)
    gx2, gw2 = tg.autograd.grad(F.conv2d(X2, W2, padding=(1, 2), dilation=(1, 2)), (X2, W2), Tensor(gy))
    np.testing.assert_allclose(gx.numpy(), gx2.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), gw2.numpy(), rtol=1e-12)


def test_kernel_covering_the_input_is_a_linear_layer(rng):
    # LeNet's C5: a 5x5 kernel on a 5x5 map is x.flatten(1) @ w.flatten(1).T
    x, w = rng.standard_normal((4, 16, 5, 5)), rng.standard_normal((12, 16, 5, 5))
    y = F.conv2d(t64(x, False), t64(w, False))
    assert y.shape == (4, 12, 1, 1)
    np.testing.assert_allclose(y.numpy()[:, :, 0, 0], x.reshape(4, -1) @ w.reshape(12, -1).T, rtol=1e-12)


def test_zero_batch():
    y = F.conv2d(tg.zeros(0, 3, 5, 5), tg.zeros(2, 3, 3, 3))
    assert y.shape == (0, 2, 3, 3)


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, exc, words", [
    (lambda: F.conv2d(tg.zeros(2, 3, 8, 8), tg.zeros(8, 4, 3, 3)), RuntimeError,
     ["conv2d", "weight.shape=(8, 4, 3, 3)", "in/groups=3", "input.shape=(2, 3, 8, 8)"]),
    (lambda: F.conv2d(tg.zeros(2, 3, 8, 8), tg.zeros(4, 1, 3, 3), groups=2), RuntimeError,
     ["conv2d", "groups=2", "in_channels=3"]),
    (lambda: F.conv2d(tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 3, 3)), RuntimeError,
     ["conv2d", "kernel size (3, 3)", "(2, 2)"]),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=2, padding='same'), ValueError,
     ["conv2d", "padding='same'", "stride"]),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), padding='full'), ValueError, ["conv2d", "'full'"]),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), padding=-1), ValueError, ["conv2d", "padding"]),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=0), ValueError, ["conv2d", "stride"]),
    (lambda: F.conv2d(tg.zeros(5, 5), tg.zeros(1, 1, 3, 3)), RuntimeError, ["conv2d", "input.shape=(5, 5)"]),
    (lambda: F.conv1d(tg.zeros(1, 1, 5), tg.zeros(1, 1, 3, 3)), RuntimeError, ["conv1d", "weight.shape=(1, 1, 3, 3)"]),
    (lambda: F.conv2d(tg.zeros(1, 2, 5, 5), tg.zeros(3, 2, 3, 3), tg.zeros(2)), RuntimeError,
     ["conv2d", "bias", "(3,)"]),
    (lambda: F.conv2d(tg.zeros(1, 2, 5, 5), tg.zeros(3, 2, 3, 3, dtype=tg.float64)), RuntimeError,
     ["conv2d", "dtype"]),
    (lambda: F.conv_transpose2d(tg.zeros(1, 2, 4, 4), tg.zeros(2, 1, 3, 3), stride=2, output_padding=2),
     ValueError, ["conv_transpose2d", "output_padding"]),
    (lambda: F.conv_transpose2d(tg.zeros(1, 3, 4, 4), tg.zeros(2, 1, 3, 3)), RuntimeError,
     ["conv_transpose2d", "weight.shape=(2, 1, 3, 3)", "input.shape=(1, 3, 4, 4)"]),
])
def test_errors_name_op_argument_and_shapes(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@settings(deadline=None, max_examples=10)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_conv_property_gradcheck(config, seed):
    nd, xs, ws, opts, with_bias = config
    assume(np.prod(xs) <= 150)                      # keep the finite-difference Jacobian cheap
    rng = np.random.default_rng(seed)
    x, w = t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws))
    b = t64(rng.standard_normal(ws[0])) if with_bias else None
    conv = getattr(F, f'conv{nd}d')
    assert tg.gradcheck(lambda x, w, b: conv(x, w, b, **opts), (x, w, b))
