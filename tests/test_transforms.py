"""tinygrad_cnn.data.transforms and transforms.functional (torchvision.transforms v1).

Literal expected values were computed with torchvision 0.28 on the same inputs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.data import transforms as T
from tinygrad_cnn.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")


def rgb_u8():
    return Tensor(np.array([[[200, 10]], [[100, 20]], [[50, 250]]], np.uint8))      # (3, 1, 2)


def test_resize_tensor_matches_torchvision_antialias_and_modes():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(1, 4, 6))
    aa = F.resize(x, [2, 3])                                     # antialias=True is the default
    assert aa.dtype == np.float32
    np.testing.assert_allclose(aa.numpy(), [[[5.0, 6.785714, 8.571428], [14.428572, 16.214287, 18.0]]], atol=1e-5)
    np.testing.assert_allclose(F.resize(x, [2, 3], antialias=False).numpy(),
                               [[[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]]], atol=1e-6)
    up = F.resize(Tensor(np.array([[[0, 10], [20, 30]]], np.uint8)), [3, 3])
    assert up.dtype == np.uint8 and up.numpy().tolist() == [[[0, 5, 10], [10, 15, 20], [20, 25, 30]]]
    row = Tensor(np.arange(5.0, dtype=np.float32).reshape(1, 1, 5))
    assert F.resize(row, [1, 3], interpolation='nearest').numpy().tolist() == [[[0.0, 1.0, 3.0]]]
    assert F.resize(row, [1, 3], interpolation=T.InterpolationMode.NEAREST_EXACT).numpy().tolist() == [[[0.0, 2.0, 4.0]]]
    # int size: the smaller edge; max_size caps the longer one (torchvision's truncation)
    assert F.resize(Tensor(np.zeros((1, 7, 9), np.float32)), 4).shape == (1, 4, 5)
    assert F.resize(Tensor(np.zeros((1, 7, 9), np.float32)), 4, max_size=4 + 1).shape == (1, 4, 5)
    assert F.resize(Tensor(np.zeros((1, 9, 30), np.float32)), 4, max_size=10).shape == (1, 3, 10)
    with pytest.raises(ValueError, match="max_size"):
        F.resize(x, 4, max_size=4)
    with pytest.raises(ValueError, match="max_size"):
        F.resize(x, [4, 4], max_size=8)


def test_resize_pil_uses_pillow_and_keeps_kind():
    a = np.random.default_rng(0).integers(0, 256, (9, 13, 3), dtype=np.uint8)
    pil = Image.fromarray(a)
    out = T.Resize((4, 5))(pil)
    assert isinstance(out, Image.Image) and out.size == (5, 4)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(pil.resize((5, 4), Image.BILINEAR)))
    assert T.Resize(6)(pil).size == (8, 6)
    arr = T.Resize((4, 5))(a)                      # numpy (H, W, C) in, numpy (H, W, C) out
    assert isinstance(arr, np.ndarray) and arr.shape == (4, 5, 3) and arr.dtype == np.uint8
    # the antialiased tensor path is within 1 grey level of Pillow's fixed-point filter
    assert np.abs(arr.astype(int) - np.asarray(out).astype(int)).max() <= 1


def test_rotate_and_affine_match_torchvision():
    y = Tensor(np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3))
    np.testing.assert_allclose(F.rotate(y, 30.0, interpolation='bilinear').numpy(),
                               [[[1.0359, 2.90192, 3.1077], [2.63397, 5.0, 7.36603], [3.23205, 7.09808, 5.30385]]],
                               atol=1e-4)
    np.testing.assert_allclose(F.rotate(y, 30.0, interpolation='bilinear', fill=[0.0]).numpy(),
                               [[[0.65673, 2.90192, 1.9702], [2.63397, 5.0, 7.36603], [2.04904, 7.09808, 3.3625]]],
                               atol=1e-4)
    assert F.rotate(Tensor(np.arange(6.0).reshape(1, 2, 3)), 90.0, expand=True).numpy().tolist() == \
        [[[2.0, 2.0, 0.0], [2.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]
    assert F.affine(y, 0.0, [1, 0], 1.0, [0.0, 0.0]).numpy().tolist() == [[[0, 1, 2], [0, 4, 5], [0, 7, 8]]]
    np.testing.assert_allclose(
        F.affine(Tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4)), 15.0, [0, 1], 1.1, [10.0, 0.0],
                 interpolation='bilinear').numpy(),
        [[[0.0, 0.04493, 0.17641, 0.0], [1.41414, 1.69839, 1.59386, 1.80066],
          [5.70551, 5.60098, 5.49644, 5.39191], [9.60809, 9.50356, 9.39902, 9.29449]]], atol=1e-4)
    # a quarter turn is exact, on Tensors and PIL images alike
    a = np.arange(12, dtype=np.uint8).reshape(4, 3) * 20
    sq = a[:3]
    np.testing.assert_array_equal(F.rotate(Tensor(sq[None]), 90.0).numpy()[0], np.rot90(sq))
    np.testing.assert_array_equal(np.asarray(F.rotate(Image.fromarray(sq), 90.0)), np.rot90(sq))
    with pytest.raises(ValueError, match="scale"):
        F.affine(y, 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(TypeError, match="angle"):
        F.rotate(y, "30")


def test_colour_ops_match_torchvision_uint8_truncation():
    x = rgb_u8()
    assert F.rgb_to_grayscale(x).numpy().tolist() == [[[124, 43]]]
    assert F.rgb_to_grayscale(x, 3).shape == (3, 1, 2)
    assert F.adjust_brightness(x, 1.5).numpy().tolist() == [[[255, 15]], [[150, 30]], [[75, 255]]]
    assert F.adjust_contrast(x, 0.5).numpy().tolist() == [[[141, 46]], [[91, 51]], [[66, 166]]]
    assert F.adjust_saturation(x, 0.3).numpy().tolist() == [[[146, 33]], [[116, 36]], [[101, 105]]]
    assert F.adjust_hue(x, 0.25).numpy().tolist() == [[[75, 250]], [[200, 10]], [[50, 140]]]
    xf = Tensor(x.numpy().astype(np.float32) / 255)
    out = F.adjust_hue(xf, -0.1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[[0.784314, 0.039216]], [[0.196078, 0.643137]], [[0.352941, 0.980392]]],
                               atol=1e-5)
    assert F.invert(x).numpy().tolist() == [[[55, 245]], [[155, 235]], [[205, 5]]]
    assert F.autocontrast(Tensor(np.array([[[10, 20, 30]]], np.uint8))).numpy().tolist() == [[[0, 127, 255]]]
    blurred = F.gaussian_blur(Tensor((np.arange(12.0, dtype=np.float32) ** 2).reshape(1, 3, 4)), [3, 3], [1.0, 0.7])
    np.testing.assert_allclose(blurred.numpy(), [[[9.0876, 11.60191, 17.95317, 21.17865],
                                                  [27.63575, 32.25065, 43.25065, 48.57674],
                                                  [51.37384, 58.08934, 73.73808, 81.16475]]], atol=1e-3)
    assert F.convert_image_dtype(Tensor(np.array([0.0, 0.5, 1.0], np.float32)), np.uint8).numpy().tolist() == [0, 127, 255]
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(x, 0.6)
    with pytest.raises(ValueError, match="brightness_factor"):
        F.adjust_brightness(x, -1)
    with pytest.raises(ValueError, match="kernel_size"):
        F.gaussian_blur(x, 4)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(xf, np.int32)


def test_pil_colour_ops_use_pillow():
    a = np.random.default_rng(1).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    pil = Image.fromarray(a)
    assert F.rgb_to_grayscale(pil).mode == 'L' and F.rgb_to_grayscale(pil, 3).mode == 'RGB'
    np.testing.assert_array_equal(np.asarray(F.invert(pil)), 255 - a)
    assert F.adjust_hue(F.rgb_to_grayscale(pil), 0.3).mode == 'L'
    blurred = F.gaussian_blur(pil, 3, 1.0)
    assert isinstance(blurred, Image.Image) and blurred.mode == 'RGB'
    # PIL blur is the Tensor blur of the same pixels (torchvision converts and converts back)
    np.testing.assert_array_equal(np.asarray(blurred), np.moveaxis(F.gaussian_blur(F.pil_to_tensor(pil), 3, 1.0).numpy(), 0, 2))


def test_conversions_between_pil_tensor_and_numpy():
    a = np.random.default_rng(2).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    t = F.pil_to_tensor(Image.fromarray(a))
    assert t.dtype == np.uint8 and t.shape == (3, 4, 5)
    np.testing.assert_array_equal(np.moveaxis(t.numpy(), 0, 2), a)
    back = T.ToPILImage()(t)
    assert back.mode == 'RGB' and np.array_equal(np.asarray(back), a)
    f = T.ToPILImage()(Tensor(np.array([[[0.5, 1.0]]], np.float32)))        # floats: * 255, truncated
    assert f.mode == 'L' and np.asarray(f).tolist() == [[127, 255]]
    assert T.ToPILImage()(np.zeros((2, 2), np.int16)).mode == 'I;16'
    assert T.ToPILImage()(Tensor(np.zeros((1, 2, 2), np.float32)), ).mode == 'L'
    assert T.ToPILImage(mode='F')(Tensor(np.zeros((1, 2, 2), np.float32))).mode == 'F'
    assert F.pil_to_tensor(Image.fromarray(a[..., 0] > 128)).dtype == np.bool_           # 1-bit image
    with pytest.raises(ValueError, match="channels"):
        F.to_pil_image(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(TypeError):
        F.to_pil_image(np.zeros((2, 2), np.float64).astype(np.int64))
    cvt = T.ConvertImageDtype(np.float32)(t)
    assert cvt.dtype == np.float32 and np.allclose(cvt.numpy(), t.numpy() / 255)
    assert F.convert_image_dtype(Tensor(np.array([65535], np.uint16)), np.uint8).numpy().tolist() == [255]


def test_center_crop_pads_small_images_and_crop_fills_outside():
    x = Tensor(np.arange(1, 7, dtype=np.float32).reshape(1, 2, 3))
    assert F.center_crop(x, [4, 5]).numpy().tolist() == [[[0, 0, 0, 0, 0], [0, 1, 2, 3, 0], [0, 4, 5, 6, 0],
                                                          [0, 0, 0, 0, 0]]]
    assert F.crop(x, -1, 1, 2, 3).numpy().tolist() == [[[0, 0, 0], [2, 3, 0]]]
    pil = Image.fromarray(np.arange(1, 7, dtype=np.uint8).reshape(2, 3))
    assert np.asarray(F.center_crop(pil, [4, 5])).tolist() == F.center_crop(x, [4, 5]).numpy()[0].astype(int).tolist()
    tl, tr, bl, br, c = T.FiveCrop(2)(x)
    assert tl.numpy().tolist() == [[[1, 2], [4, 5]]] and br.numpy().tolist() == [[[2, 3], [5, 6]]]
    ten = T.TenCrop(2)(x)
    assert len(ten) == 10 and ten[5].numpy().tolist() == [[[3, 2], [6, 5]]]
    assert T.TenCrop(2, vertical_flip=True)(x)[5].numpy().tolist() == [[[4, 5], [1, 2]]]
    with pytest.raises(ValueError, match="bigger than input size"):
        T.FiveCrop(3)(x)


images = st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3]), st.integers(0, 2 ** 16))


def make(h, w, c, seed):
    a = np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)
    return a[..., 0] if c == 1 else a


@settings(deadline=None, max_examples=30)
@given(img=images, box=st.tuples(st.integers(-3, 9), st.integers(-3, 9), st.integers(1, 9), st.integers(1, 9)),
       pad=st.lists(st.integers(0, 3), min_size=4, max_size=4), mode=st.sampled_from(['constant', 'edge',
                                                                                     'reflect', 'symmetric']))
def test_geometry_on_pil_numpy_and_tensor_agree(img, box, pad, mode):
    a = make(*img)
    pil = Image.fromarray(a)
    t = Tensor(a[None] if a.ndim == 2 else np.moveaxis(a, 2, 0))

    def same(pil_out, arr_out, t_out):
        ref = np.asarray(pil_out)
        np.testing.assert_array_equal(arr_out, ref)
        np.testing.assert_array_equal(t_out.numpy(), ref[None] if ref.ndim == 2 else np.moveaxis(ref, 2, 0))

    top, left, h, w = box
    same(F.crop(pil, top, left, h, w), F.crop(a, top, left, h, w), F.crop(t, top, left, h, w))
    same(F.hflip(pil), F.hflip(a), F.hflip(t))
    same(F.vflip(pil), F.vflip(a), F.vflip(t))
    same(F.center_crop(pil, (h, w)), F.center_crop(a, (h, w)), F.center_crop(t, (h, w)))
    if mode == 'reflect' and max(pad) >= min(a.shape[:2]):
        return                                    # reflection needs more pixels than the padding
    same(F.pad(pil, pad, 7, mode), F.pad(a, pad, 7, mode), F.pad(t, pad, 7, mode))
    ref = np.pad(a, [(pad[1], pad[3]), (pad[0], pad[2])] + [(0, 0)] * (a.ndim - 2), mode=mode,
                 **({'constant_values': 7} if mode == 'constant' else {}))
    np.testing.assert_array_equal(F.pad(a, pad, 7, mode), ref)


def test_random_transforms_are_seeded_and_keep_the_kind():
    a = make(12, 10, 3, 0)
    pipeline = T.Compose([T.RandomResizedCrop(6), T.RandomVerticalFlip(), T.RandomRotation(20),
                          T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
                          T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.RandomGrayscale(0.5), T.GaussianBlur(3),
                          T.RandomInvert(), T.RandomAutocontrast(),
                          T.RandomApply([T.RandomHorizontalFlip(1.0)]), T.RandomChoice([T.Grayscale(3), T.Lambda(lambda x: x)]),
                          T.RandomOrder([T.RandomHorizontalFlip(), T.RandomVerticalFlip()])])
    for img in (a, Image.fromarray(a), Tensor(np.moveaxis(a, 2, 0).copy())):
        tg.manual_seed(5)
        first = pipeline(img)
        tg.manual_seed(5)
        second = pipeline(img)
        assert type(first) is type(img)
        np.testing.assert_array_equal(np.asarray(first), np.asarray(second))
        assert np.asarray(first).shape == ((6, 6, 3) if not isinstance(img, Tensor) else (3, 6, 6))
    erased = T.RandomErasing(p=1.0, value='random')(Tensor(np.ones((3, 8, 8), np.float32)))
    assert erased.dtype == np.float32 and (erased.numpy() != 1).any()


def test_random_params_follow_torchvision_distributions():
    tg.manual_seed(0)
    img = Tensor(np.zeros((3, 40, 30), np.float32))
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 40 - h and 0 <= j <= 30 - w and 0 < h <= 40 and 0 < w <= 30
        assert 0.08 * 1200 * 0.8 <= h * w <= 1200
        angle = T.RandomRotation.get_params((-10.0, 10.0))
        assert -10 <= angle <= 10
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params((-5, 5), (0.1, 0.2), (0.5, 2), (-3, 3, -1, 1),
                                                                     [30, 40])
        assert abs(tx) <= 3 and abs(ty) <= 8 and isinstance(tx, int) and 0.5 <= scale <= 2 and abs(sy) <= 1
        order, b, c, s, hue = T.ColorJitter.get_params((0.5, 1.5), None, (1, 1), (-0.1, 0.1))
        assert sorted(order.tolist()) == [0, 1, 2, 3] and 0.5 <= b <= 1.5 and c is None and abs(hue) <= 0.1
        i, j, h, w, v = T.RandomErasing.get_params(img, (0.02, 0.33), (0.3, 3.3), [0.0])
        assert h < 40 and w < 30 and v.shape == (1, 1, 1)
    # torchvision's fallback: central crop with the ratio clamped
    assert T.RandomResizedCrop.get_params(Tensor(np.zeros((1, 10, 100))), (2.0, 3.0), (1.0, 1.0)) == (0, 45, 10, 10)
    assert ColorJitterRanges() == ((0.0, 2.5), None, (0.5, 1.5), (-0.2, 0.2))


def ColorJitterRanges():
    cj = T.ColorJitter(brightness=1.5, contrast=0, saturation=(0.5, 1.5), hue=0.2)
    return cj.brightness, cj.contrast, cj.saturation, cj.hue


def test_random_transform_argument_errors():
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="positive"):
        T.RandomRotation(-5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="probability"):
        T.RandomErasing(p=2)
    with pytest.raises(TypeError, match="Tensor"):
        T.RandomErasing(p=1.0)(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation='cubic-ish')
    with pytest.raises(ValueError, match="length of p"):
        T.RandomChoice([T.Grayscale()], p=[0.5, 0.5])
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.0)(1) == 1
    assert T.RandomChoice([T.Lambda(lambda x: 'a'), T.Lambda(lambda x: 'b')], p=[0, 1])(0) == 'b'


@settings(deadline=None, max_examples=30)
@given(img=images, out=st.tuples(st.integers(1, 12), st.integers(1, 12)), antialias=st.booleans(),
       mode=st.sampled_from(['bilinear', 'nearest', 'nearest-exact']))
def test_resize_is_a_convex_resampling_on_any_size(img, out, antialias, mode):
    a = make(*img)
    t = Tensor(a[None] if a.ndim == 2 else np.moveaxis(a, 2, 0))
    r = F.resize(t, list(out), interpolation=mode, antialias=antialias)
    assert r.dtype == np.uint8 and r.shape == (t.shape[0],) + out
    if mode == 'bilinear':       # weights are non-negative and sum to 1: within each channel's range
        lo, hi = t.numpy().min(axis=(1, 2)), t.numpy().max(axis=(1, 2))
        assert (r.numpy().min(axis=(1, 2)) >= lo).all() and (r.numpy().max(axis=(1, 2)) <= hi).all()
        const = F.resize(Tensor(np.full((1,) + a.shape[:2], 0.7, np.float32)), list(out), antialias=antialias)
        np.testing.assert_allclose(const.numpy(), 0.7, rtol=1e-6)
    else:                        # nearest picks input pixels, whole rows and columns
        assert set(np.unique(r.numpy())) <= set(np.unique(t.numpy()))
    np.testing.assert_array_equal(np.moveaxis(r.numpy(), 0, -1).squeeze(-1) if a.ndim == 2 else
                                  np.moveaxis(r.numpy(), 0, -1), F.resize(a, list(out), mode, antialias=antialias))
