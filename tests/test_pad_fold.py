"""F.pad (constant/reflect/replicate/circular) and F.unfold/F.fold: references, gradients, errors."""
import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- pad reference

def source_index(j, n, lo, hi, mode):
    """Which input element output position ``j`` of a dim padded by (lo, hi) shows (None: fill)."""
    if mode == 'circular':                     # PyTorch crops first, then wraps what is kept
        start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        return start + (j - max(lo, 0)) % kept
    i = j - lo                                 # the others pad the whole input, then crop
    if 0 <= i < n:
        return i
    if mode == 'constant':
        return None
    if mode == 'replicate':
        return 0 if i < 0 else n - 1
    return -i if i < 0 else 2 * (n - 1) - i   # reflect


def pad_ref(x, pad, mode='constant', value=0.0):
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)][::-1]
    lead = x.ndim - len(pairs)
    out_shape = x.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[lead:], pairs))
    y = np.empty(out_shape)
    for pos in itertools.product(*map(range, out_shape[lead:])):
        src = [source_index(j, n, lo, hi, mode) for j, n, (lo, hi) in zip(pos, x.shape[lead:], pairs)]
        y[(Ellipsis,) + pos] = value if None in src else x[(Ellipsis,) + tuple(src)]
    return y


def test_pad_examples():
    x = t64([[[0.0, 1.0, 2.0, 3.0, 4.0]]], False)
    cases = {('constant', (2, 1)): [0, 0, 0, 1, 2, 3, 4, 0],
             ('constant', (-2, 1)): [2, 3, 4, 0],
             ('reflect', (2, 1)): [2, 1, 0, 1, 2, 3, 4, 3],
             ('replicate', (2, 1)): [0, 0, 0, 1, 2, 3, 4, 4],
             ('circular', (2, 1)): [3, 4, 0, 1, 2, 3, 4, 0],
             ('reflect', (-2, 3)): [2, 3, 4, 3, 2, 1],       # mirrors the uncropped input
             ('circular', (-1, 2)): [1, 2, 3, 4, 1, 2]}      # wraps the cropped input
    for (mode, pad), expected in cases.items():
        np.testing.assert_array_equal(F.pad(x, pad, mode=mode).numpy()[0, 0], expected, err_msg=f"{mode} {pad}")
    np.testing.assert_array_equal(F.pad(x, (1, 1), value=7.5).numpy()[0, 0], [7.5, 0, 1, 2, 3, 4, 7.5])


def test_pad_order_is_last_dim_first():
    x = tg.zeros(1, 1, 2, 3)
    assert F.pad(x, (1, 2)).shape == (1, 1, 2, 6)
    assert F.pad(x, (1, 2, 3, 4)).shape == (1, 1, 9, 6)
    assert F.pad(x, (0, 0, 0, 0, 1, 1)).shape == (1, 3, 2, 3)        # constant mode: any dim


PAD_CASES = [((2, 3, 4, 5), (1, 2, 2, 0), 'constant'), ((2, 3, 4, 5), (-1, 2, 1, -2), 'constant'),
             ((2, 3, 4, 5), (3, 1, 2, 3), 'reflect'), ((3, 5), (-1, 4), 'reflect'),
             ((2, 3, 4, 5), (2, 6, 0, 1), 'replicate'), ((1, 2, 3, 4, 3), (1, 1, 2, 0, 1, 2), 'replicate'),
             ((2, 3, 4, 5), (5, 2, -1, 3), 'circular'), ((2, 3, 5), (1, -2), 'circular')]


@pytest.mark.parametrize("shape, pad, mode", PAD_CASES)
def test_pad_matches_reference_and_gradcheck(rng, shape, pad, mode):
    x = rng.standard_normal(shape)
    np.testing.assert_array_equal(F.pad(t64(x, False), pad, mode=mode).numpy(), pad_ref(x, pad, mode))
    small = t64(rng.standard_normal(shape[:-2] + (min(shape[-2], 3), shape[-1])) if len(pad) == 2 else x)
    assert tg.gradcheck(lambda v: F.pad(v, pad, mode=mode, value=None), small)


@pytest.mark.parametrize("mode", ['constant', 'reflect', 'replicate', 'circular'])
def test_pad_gradgradcheck(rng, mode):
    x = t64(rng.standard_normal((1, 2, 3, 3)))
    assert tg.gradgradcheck(lambda v: F.pad(v, (2, 1, -1, 2) if mode == 'constant' else (2, 1, 1, 2),
                                            mode=mode), x)


@settings(deadline=None, max_examples=25)
@given(st.sampled_from(['constant', 'reflect', 'replicate', 'circular']),
       st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
def test_pad_property_matches_reference(mode, size, data):
    nd = len(size)
    shape = (2,) * data.draw(st.integers(1, 2)) + tuple(size)
    pad = []
    for n in reversed(size):
        hi_limit = n - 1 if mode == 'reflect' else n
        pad += [data.draw(st.integers(-n + 1, hi_limit)), data.draw(st.integers(-n + 1, hi_limit))]
    if mode == 'circular':        # the wrapped amount may not exceed what is kept
        assume(all(max(lo, hi, 0) <= n - max(-lo, 0) - max(-hi, 0)
                   for n, lo, hi in zip(reversed(size), pad[::2], pad[1::2])))
    out = [n + lo + hi for n, lo, hi in zip(reversed(size), pad[::2], pad[1::2])]
    assume(min(out) >= 0 and (mode in ('constant', 'circular') or max(out) >= 1))
    x = np.random.default_rng(nd).standard_normal(shape)
    np.testing.assert_array_equal(F.pad(t64(x, False), pad, mode=mode).numpy(), pad_ref(x, pad, mode))


def test_pad_crops_past_the_padding():
    x = t64([[[0.0, 1.0, 2.0]]], False)
    # reflect/replicate pad, then crop: a crop may reach into the padding (as PyTorch)
    np.testing.assert_array_equal(F.pad(x, (-4, 2), mode='replicate').numpy(), [[[2]]])
    np.testing.assert_array_equal(F.pad(x, (-3, 2), mode='reflect').numpy(), [[[1, 0]]])
    # one padded dim may become empty as long as another is not (PyTorch's check)
    assert F.pad(tg.zeros(1, 5, 2), (-2, 0, 1, -3), mode='reflect').shape == (1, 3, 0)
    np.testing.assert_array_equal(F.pad(x, (1, -3), value=5.0).numpy(), [[[5]]])   # crop all, pad 1


def test_pad_float32_and_unbatched(rng):
    x = Tensor(rng.standard_normal((3, 4, 5)).astype(np.float32), requires_grad=True)
    outs = [F.pad(x, (1, 2, 2, 1), mode=m) for m in ('constant', 'reflect', 'replicate', 'circular')]
    assert all(o.dtype == np.float32 and o.shape == (3, 7, 8) for o in outs)
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call, exc, words", [
    # exception types as PyTorch's
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (1,)), RuntimeError, ["pad", "even"]),
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (1, 1), mode='mirror'), NotImplementedError, ["pad", "'mirror'"]),
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (3, 0), mode='reflect'), RuntimeError, ["pad", "reflect", "(3, 0)", "3"]),
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (4, 0), mode='circular'), RuntimeError, ["pad", "circular", "(4, 0)"]),
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (1, 1), mode='reflect'), NotImplementedError,
     ["pad", "reflect", "(1, 1, 3, 3)"]),
    (lambda: F.pad(tg.zeros(1, 1, 3, 3), (-2, -2)), RuntimeError, ["pad", "(-2, -2)", "(1, 1, 3, 3)"]),
    (lambda: F.pad(tg.zeros(2, 2), (1, 1, 1, 1, 1, 1)), RuntimeError, ["pad", "(2, 2)"]),
    (lambda: F.pad(tg.zeros(1, 3, 3), (1, 1), mode='reflect', value=1.0), RuntimeError, ["pad", "value"]),
    # PyTorch crops before constant/circular padding: no cropping more than the dim
    (lambda: F.pad(tg.zeros(1, 5, 2, 1), (-2, 3)), RuntimeError, ["pad", "(-2, 3)", "(1, 5, 2, 1)"]),
    (lambda: F.pad(tg.zeros(1, 1, 3), (1, -4), mode='circular'), RuntimeError, ["pad", "(1, -4)"]),
    (lambda: F.pad(tg.zeros(1, 1, 3), (-2, -1), mode='reflect'), RuntimeError, ["pad", "(-2, -1)", "no output"]),
    (lambda: F.pad(tg.zeros(1, 1, 3), (-4, 1), mode='replicate'), RuntimeError, ["pad", "(-4, 1)", "no output"]),
])
def test_pad_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ----------------------------------------------------------------------------- unfold / fold

def unfold_ref(x, kernel, dilation=1, padding=0, stride=1):
    kernel, dilation, padding, stride = (tuple(v) if isinstance(v, tuple) else (v, v)
                                         for v in (kernel, dilation, padding, stride))
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]
    cols = []
    for oh, ow in itertools.product(range(out[0]), range(out[1])):
        patch = [xp[:, :, oh * stride[0] + i * dilation[0], ow * stride[1] + j * dilation[1]]
                 for i, j in itertools.product(range(kernel[0]), range(kernel[1]))]
        cols.append(np.stack(patch, axis=-1).reshape(x.shape[0], -1))   # channel-major rows
    return np.stack(cols, axis=-1)


def fold_ref(cols, size, kernel, dilation=1, padding=0, stride=1):
    kernel, dilation, padding, stride = (tuple(v) if isinstance(v, tuple) else (v, v)
                                         for v in (kernel, dilation, padding, stride))
    N, C = cols.shape[0], cols.shape[1] // (kernel[0] * kernel[1])
    img = np.zeros((N, C, size[0] + 2 * padding[0], size[1] + 2 * padding[1]))
    out = [(img.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]
    blocks = cols.reshape(N, C, kernel[0], kernel[1], out[0] * out[1])
    for l, (oh, ow) in enumerate(itertools.product(range(out[0]), range(out[1]))):
        for i, j in itertools.product(range(kernel[0]), range(kernel[1])):
            img[:, :, oh * stride[0] + i * dilation[0], ow * stride[1] + j * dilation[1]] += blocks[:, :, i, j, l]
    return img[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


FOLD_CASES = [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
              dict(kernel_size=3, dilation=2, padding=2, stride=2)]


@pytest.mark.parametrize("opts", FOLD_CASES)
def test_unfold_fold_match_references_and_gradcheck(rng, opts):
    x = rng.standard_normal((2, 3, 5, 6))
    args = [opts.get(k, d) for k, d in (('kernel_size', None), ('dilation', 1), ('padding', 0), ('stride', 1))]
    cols = F.unfold(t64(x, False), **opts)
    np.testing.assert_array_equal(cols.numpy(), unfold_ref(x, *args))
    c = rng.standard_normal(cols.shape)
    img = F.fold(t64(c, False), (5, 6), **opts)
    np.testing.assert_allclose(img.numpy(), fold_ref(c, (5, 6), *args), rtol=1e-12, atol=1e-12)
    small = rng.standard_normal((1, 2, 5, 6))
    assert tg.gradcheck(lambda v: F.unfold(v, **opts), t64(small))
    assert tg.gradcheck(lambda v: F.fold(v, (5, 6), **opts), t64(c[:1, :cols.shape[1] // 3 * 2]))
    assert tg.gradgradcheck(lambda v: F.fold(F.unfold(v, **opts) * 2, (5, 6), **opts), t64(small))


def test_conv2d_is_a_matrix_product_with_unfold(rng):
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    cols = F.unfold(t64(x, False), (3, 2), padding=1, stride=2)
    y = (t64(w.reshape(4, -1), False) @ cols).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(y.numpy(), F.conv2d(t64(x, False), t64(w, False), padding=1, stride=2).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_fold_of_unfold_counts_window_overlaps(rng):
    x = rng.standard_normal((1, 2, 4, 4))
    ones = F.fold(F.unfold(t64(np.ones_like(x), False), 3, padding=1), (4, 4), 3, padding=1).numpy()
    np.testing.assert_array_equal(ones[0, 0], [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    back = F.fold(F.unfold(t64(x, False), 3, padding=1), (4, 4), 3, padding=1).numpy()
    np.testing.assert_allclose(back, x * ones, rtol=1e-12)


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 3),
       st.integers(3, 7), st.integers(3, 7))
def test_unfold_property_matches_reference(kh, kw, dil, pad, stride, h, w):
    assume(h + 2 * pad >= dil * (kh - 1) + 1 and w + 2 * pad >= dil * (kw - 1) + 1)
    x = np.random.default_rng(h * 10 + w).standard_normal((2, 2, h, w))
    cols = F.unfold(t64(x, False), (kh, kw), dil, pad, stride)
    np.testing.assert_array_equal(cols.numpy(), unfold_ref(x, (kh, kw), dil, pad, stride))
    c = np.random.default_rng(0).standard_normal(cols.shape)
    np.testing.assert_allclose(F.fold(t64(c, False), (h, w), (kh, kw), dil, pad, stride).numpy(),
                               fold_ref(c, (h, w), (kh, kw), dil, pad, stride), rtol=1e-12, atol=1e-12)


def test_unfold_fold_unbatched_and_float32(rng):
    x = Tensor(rng.standard_normal((3, 4, 4)).astype(np.float32), requires_grad=True)
    cols = F.unfold(x, 2)
    assert cols.shape == (12, 9) and cols.dtype == np.float32
    img = F.fold(cols, 4, 2)
    assert img.shape == (3, 4, 4) and img.dtype == np.float32
    img.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call, exc, words", [
    (lambda: F.unfold(tg.zeros(3, 4), 2), RuntimeError, ["unfold", "(3, 4)"]),
    (lambda: F.unfold(tg.zeros(1, 1, 2, 2), 3), RuntimeError, ["unfold", "kernel_size=(3, 3)", "(1, 1, 2, 2)"]),
    (lambda: F.fold(tg.zeros(1, 13, 9), (4, 4), 2), RuntimeError, ["fold", "13", "divisible"]),
    (lambda: F.fold(tg.zeros(1, 12, 8), (4, 4), 2), RuntimeError, ["fold", "9", "input.shape[-1]=8"]),
])
def test_unfold_fold_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_unfold_fold_modules(rng):
    x = t64(rng.standard_normal((2, 3, 5, 4)), False)
    unfold = nn.Unfold((2, 3), dilation=1, padding=1, stride=2)
    assert repr(unfold) == 'Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)'   # as PyTorch
    cols = unfold(x)
    np.testing.assert_array_equal(cols.numpy(), F.unfold(x, (2, 3), 1, 1, 2).numpy())
    fold = nn.Fold((5, 4), (2, 3), padding=1, stride=2)
    assert repr(fold) == 'Fold(output_size=(5, 4), kernel_size=(2, 3), dilation=1, padding=1, stride=2)'
    np.testing.assert_array_equal(fold(cols).numpy(), F.fold(cols, (5, 4), (2, 3), 1, 1, 2).numpy())
