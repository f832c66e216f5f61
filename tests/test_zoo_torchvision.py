"""The torchvision models of tinygrad_cnn.models against torchvision 0.28: parameter counts,
state_dict keys/order/shapes, builder signatures, initialisation, and exact logits.

Every literal here was computed with torchvision 0.28 (torch 2.13, float64): the key hashes
from its state_dicts, the logits by loading the same deterministic weights into its models.
"""
import hashlib
import inspect
import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn

# name, parameters, state_dict entries, sha256 of repr([(key, shape), ...])[:16], default builder
TORCHVISION = [
    ('alexnet', 61_100_840, 16, 'fb0abbb9658286c1'),
    ('vgg11', 132_863_336, 22, '37cf01db9dec8106'),
    ('vgg11_bn', 132_868_840, 62, '84dc7bc2edf62045'),
    ('vgg13', 133_047_848, 26, '2a806d8cb23625f6'),
    ('vgg13_bn', 133_053_736, 76, '11a299b0d71e0864'),
    ('vgg16', 138_357_544, 32, 'e6f6dcd7f6088440'),
    ('vgg16_bn', 138_365_992, 97, 'a49a9e064802fa25'),
    ('vgg19', 143_667_240, 38, '94ee89e212fdd2bb'),
    ('vgg19_bn', 143_678_248, 118, 'f91df4c4077c3cba'),
    ('resnet18', 11_689_512, 122, '9682c6fd405d8d70'),
    ('resnet34', 21_797_672, 218, 'b5362b8c319971db'),
    ('resnet50', 25_557_032, 320, 'f398fe5f16a958c8'),
    ('resnet101', 44_549_160, 626, '08d49ebbdc97fd5e'),
    ('resnet152', 60_192_808, 932, 'e0308459e9c0dd33'),
    ('resnext50_32x4d', 25_028_904, 320, '9a47faebfc936a68'),
    ('resnext101_32x8d', 88_791_336, 626, 'b8d57ce9e87e1f3f'),
    ('resnext101_64x4d', 83_455_272, 626, '13b0cceab84171ef'),
    ('wide_resnet50_2', 68_883_240, 320, 'e373ab8541bccb2c'),
    ('wide_resnet101_2', 126_886_696, 626, 'fe5070ab23b203c0'),
    ('googlenet', 13_004_888, 364, '7bb52acb04403da3'),
    ('mobilenet_v2', 3_504_872, 314, '1c18ba5f335c2735'),
    ('squeezenet1_0', 1_248_424, 52, '873c3481b9b2aa9b'),
    ('squeezenet1_1', 1_235_496, 52, '9cf34f8e4ebfddab'),
    ('densenet121', 7_978_856, 727, '79c2c8a32ac57256'),
    ('densenet161', 28_681_000, 967, 'bcd681053a4b9c3c'),
    ('densenet169', 14_149_480, 1015, '7ff98be7ad6c4a79'),
    ('densenet201', 20_013_928, 1207, '67e1e762d707458a'),
    ('shufflenet_v2_x0_5', 1_366_792, 338, '843ba1c44b06c97f'),
    ('shufflenet_v2_x1_0', 2_278_604, 338, '1614bda6c2c38565'),
    ('shufflenet_v2_x1_5', 3_503_624, 338, '413a85835019df2a'),
    ('shufflenet_v2_x2_0', 7_393_996, 338, '4735ecb6108bbff3'),
    ('mnasnet0_5', 2_218_512, 314, '987ea38ccc5b344e'),
    ('mnasnet0_75', 3_170_208, 314, '0145b2a3e9499071'),
    ('mnasnet1_0', 4_383_312, 314, '79072ef7458a242e'),
    ('mnasnet1_3', 6_282_256, 314, '965b9a7f4d14c672'),
]


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def key_hash(state_dict):
    return hashlib.sha256(repr([(k, tuple(int(d) for d in v.shape))
                                for k, v in state_dict.items()]).encode()).hexdigest()[:16]


@pytest.fixture
def no_init(monkeypatch):
    """Skip the random initialisers (the layers' and the models'): building a 100M-parameter
    model then costs only its allocation, and the counts and keys are unchanged."""
    for name in ('kaiming_uniform_', 'kaiming_normal_', 'uniform_', 'normal_', 'trunc_normal_'):
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)


@pytest.mark.parametrize('name, params, n_keys, digest', TORCHVISION)
def test_counts_and_state_dict_keys_are_torchvision(no_init, name, params, n_keys, digest):
    model = getattr(models, name)()
    sd = model.state_dict()
    assert n_params(model) == params
    assert len(sd) == n_keys
    assert key_hash(sd) == digest          # names, order and shapes


@pytest.mark.parametrize('name, digest', [
    ('alexnet', '2891f54c81b8aa3e'),
    ('vgg11_bn', 'a45245226f1806de'),
    ('resnet18', '78a0ce552ae923a0'),
    ('resnext50_32x4d', 'd87d3de8a4f26dde'),
    ('googlenet', 'd8f3979e53c49f5c'),
    ('mobilenet_v2', 'e80e6fd178749cf5'),
    ('squeezenet1_1', 'db09563d9ff04db0'),
    ('densenet121', '86b22cc67387a261'),
    ('shufflenet_v2_x0_5', 'f6064216ec0d8d4a'),
    ('mnasnet0_5', '3ccc87c83bc492f7'),
])
def test_repr_is_torchvision(no_init, name, digest):
    # the printed module tree (sha256 of repr(model))[:16]: every submodule, its type and options
    assert hashlib.sha256(repr(getattr(models, name)()).encode()).hexdigest()[:16] == digest


def test_googlenet_without_aux_and_docstring_counts(no_init):
    model = models.googlenet(aux_logits=False)
    assert n_params(model) == 6_624_904
    assert key_hash(model.state_dict()) == 'c4e5f8d22277cc5b'
    # every builder's docstring states its parameter count: check it is the real one
    for name, params, _, _ in TORCHVISION:
        assert f'{params:,} parameters' in getattr(models, name).__doc__, name


@pytest.mark.parametrize('name', [row[0] for row in TORCHVISION])
def test_builders_have_torchvision_signature(name):
    builder = getattr(models, name)
    params = inspect.signature(builder).parameters
    assert list(params) == ['weights', 'progress', 'kwargs']
    assert params['weights'].kind is inspect.Parameter.KEYWORD_ONLY
    assert params['weights'].default is None and params['progress'].default is True
    with pytest.raises(ValueError, match=f'{name}: pretrained weights'):
        builder(weights='IMAGENET1K_V1')
    with pytest.raises(TypeError):
        builder(10)                        # num_classes is keyword-only, as in torchvision


def test_fixed_options_cannot_be_overridden(no_init):
    with pytest.raises(ValueError, match="'groups' expected value 32 but got 8"):
        models.resnext50_32x4d(groups=8)
    assert models.resnext50_32x4d(groups=32).groups == 32
    with pytest.raises(ValueError, match="'width_per_group' expected value 128"):
        models.wide_resnet50_2(width_per_group=64)


def test_block_argument_errors():
    with pytest.raises(ValueError, match='groups=1 and base_width=64'):
        models.BasicBlock(64, 64, groups=2)
    with pytest.raises(NotImplementedError, match='Dilation > 1'):
        models.resnet18(replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match='3-element'):
        models.resnet18(replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match='1_0 or 1_1'):
        models.SqueezeNet('1_2')
    with pytest.raises(ValueError, match='inp should be equal to oup'):
        models.shufflenetv2.InvertedResidual(24, 48, 1)
    with pytest.raises(ValueError, match='stages_repeats'):
        models.ShuffleNetV2([4, 8], [24, 48, 96, 192, 1024])
    with pytest.raises(ValueError, match='stride should be 1 or 2'):
        models.mobilenetv2.InvertedResidual(16, 16, 3, 6)
    with pytest.raises(ValueError, match='alpha should be greater than 0.0'):
        models.MNASNet(0.0)
    with pytest.raises(ValueError, match='blocks length should be 3'):
        models.GoogLeNet(blocks=[models.BasicConv2d])


def _std(p):
    return float(p.numpy().std())


def test_default_initialisation_is_torchvision():
    tg.manual_seed(0)
    r = models.resnet18()
    w = r.layer3[0].conv2.weight                    # kaiming_normal_, fan_out, relu
    assert abs(_std(w) / math.sqrt(2 / (256 * 9)) - 1) < 0.05
    assert (r.bn1.weight.numpy() == 1).all() and (r.bn1.bias.numpy() == 0).all()
    z = models.resnet18(zero_init_residual=True)
    assert (z.layer1[0].bn2.weight.numpy() == 0).all()
    assert (z.layer1[0].bn1.weight.numpy() == 1).all()
    g = models.googlenet()                          # trunc_normal_(std=0.01, a=-2, b=2)
    assert abs(_std(g.inception4a.branch2[1].conv.weight) / 0.01 - 1) < 0.05
    assert abs(_std(g.aux1.fc1.weight) / 0.01 - 1) < 0.05
    g_default = models.googlenet(init_weights=False)   # the layers' own kaiming_uniform_
    assert abs(_std(g_default.fc.weight) / math.sqrt(1 / (3 * 1024)) - 1) < 0.05
    m = models.mobilenet_v2()                       # kaiming_normal_ fan_out (gain sqrt 2)
    assert abs(_std(m.features[18][0].weight) / math.sqrt(2 / 1280) - 1) < 0.05
    assert abs(_std(m.classifier[1].weight) / 0.01 - 1) < 0.05
    assert not m.classifier[1].bias.numpy().any()
    s = models.squeezenet1_0()                      # final conv normal(0, 0.01), others
    assert abs(_std(s.classifier[1].weight) / 0.01 - 1) < 0.05     # kaiming_uniform_ (a=0)
    assert abs(_std(s.features[12].expand3x3.weight) / math.sqrt(2 / (64 * 9)) - 1) < 0.05
    assert not s.features[3].squeeze.bias.numpy().any()
    d = models.densenet121()                        # Linear keeps its weight, zero bias
    assert not d.classifier.bias.numpy().any()
    assert abs(_std(d.classifier.weight) / math.sqrt(1 / (3 * 1024)) - 1) < 0.05
    mn = models.mnasnet0_5()                        # kaiming_uniform_ fan_out, sigmoid gain 1
    assert abs(_std(mn.classifier[1].weight) / math.sqrt(1 / 1000) - 1) < 0.05
    assert mn.layers[1].momentum == pytest.approx(0.0003)


def test_googlenet_outputs_by_mode(no_init):
    tg.manual_seed(0)
    model = models.googlenet(num_classes=3)
    assert model.aux_logits and model.aux1 is not None      # torchvision's default
    out = model.train()(tg.randn(2, 3, 32, 32))
    assert isinstance(out, models.GoogLeNetOutputs) and out._fields == (
        'logits', 'aux_logits2', 'aux_logits1')
    assert [tuple(o.shape) for o in out] == [(2, 3)] * 3
    with tg.no_grad():
        y = model.eval()(tg.randn(1, 3, 32, 32))
    assert isinstance(y, tg.Tensor) and tuple(y.shape) == (1, 3)
    plain = models.googlenet(aux_logits=False, num_classes=3).train()
    assert isinstance(plain(tg.randn(2, 3, 32, 32)), tg.Tensor)


@pytest.mark.parametrize('make, shape', [
    (lambda: models.mobilenet_v2(num_classes=7, width_mult=0.5), (2, 3, 32, 32)),
    (lambda: models.squeezenet1_0(num_classes=7), (1, 3, 35, 35)),
    (lambda: models.squeezenet1_1(num_classes=7), (1, 3, 17, 17)),
    (lambda: models.densenet121(num_classes=7), (1, 3, 32, 32)),
    (lambda: models.shufflenet_v2_x1_0(num_classes=7), (2, 3, 32, 32)),
    (lambda: models.mnasnet0_5(num_classes=7), (2, 3, 32, 32)),
])
def test_forward_shapes_float32(make, shape):
    tg.manual_seed(0)
    model = make().eval()
    with tg.no_grad():
        y = model(tg.randn(*shape))
    assert tuple(y.shape) == (shape[0], 7) and y.dtype == tg.float32
    assert np.isfinite(y.numpy()).all()


def _deterministic_state(model):
    """Weights from a formula, so torchvision's models got exactly the same ones."""
    out = {}
    for i, (k, v) in enumerate(model.state_dict().items()):
        shape = tuple(v.shape)
        n = int(np.prod(shape))
        if k.endswith('num_batches_tracked'):
            continue
        base = np.sin(0.37 * np.arange(n) + i).reshape(shape)
        if k.endswith('running_var'):
            out[k] = 1 + 0.5 * base ** 2
        elif k.endswith('running_mean'):
            out[k] = 0.1 * base
        elif len(shape) == 1 and k.endswith('weight'):
            out[k] = 1 + 0.2 * base
        elif len(shape) == 1:
            out[k] = 0.1 * base
        else:
            out[k] = base * np.sqrt(3 / (n // shape[0]))
    return out


def _input(shape):
    n = int(np.prod(shape))
    return (np.sin(0.1 * np.arange(n)) + 0.5 * np.cos(0.023 * np.arange(n))).reshape(shape)


# logits of torchvision 0.28 in float64 for _deterministic_state weights and _input
EXACT = [
    ('mobilenet_v2', (2, 3, 32, 32), [
        [0.912588159631, 1.806759339712, -3.713477502604, 3.336838754557, -1.044807594346],
        [0.912588362001, 1.806759747869, -3.713478285022, 3.336839458322, -1.044807812074]]),
    ('shufflenet_v2_x0_5', (2, 3, 32, 32), [
        [0.379750511238, 1.118332660463, -1.313078607555, -0.545977314494, 1.424154919888],
        [0.377917207342, 1.108705872938, -1.305223778303, -0.541263697993, 1.413351738321]]),
    ('squeezenet1_1', (1, 3, 40, 40), [[0.0, 0.0, 0.0, 0.360065732225, 0.763180470211]]),
    ('densenet121', (1, 3, 32, 32),
     [[1.448999288431, 2.773136602852, -3.336675100343, -0.899805613215, 3.65402055213]]),
    ('mnasnet0_5', (1, 3, 32, 32),
     [[1.398449824371, 2.915381826199, -5.774843288879, 5.157698875405, -1.571132983472]]),
    ('resnext50_32x4d', (1, 3, 32, 32),
     [[-8.84108840527, -1.237770879465, 10.527261530487, -15.922413329152, 14.974621177572]]),
]


@pytest.mark.parametrize('name, shape, expected', EXACT)
def test_eval_logits_equal_torchvision(no_init, name, shape, expected):
    model = getattr(models, name)(num_classes=5).double()
    model.load_state_dict(_deterministic_state(model), strict=False)
    with tg.no_grad():
        y = model.eval()(tg.tensor(_input(shape)))
    assert y.dtype == tg.float64
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-11)


def test_googlenet_train_mode_aux_logits_equal_torchvision(no_init):
    # training mode: BatchNorm uses the batch statistics; no dropout, so deterministic
    model = models.googlenet(num_classes=4, dropout=0.0, dropout_aux=0.0).double()
    model.load_state_dict(_deterministic_state(model), strict=False)
    with tg.no_grad():
        out = model.train()(tg.tensor(_input((2, 3, 32, 32))))
    expected = models.GoogLeNetOutputs(
        [[-1.199400299294, 1.387423547523, 0.114983868897, -1.616842127734],
         [-0.933684553741, 1.323618791894, -0.110822202436, -1.411796383799]],
        [[0.82953592153, -1.425550342458, 0.040542832408, 1.290345684108],
         [0.814283473828, -1.417583035458, 0.050811754609, 1.275955198529]],
        [[0.659200841871, -1.383327897657, 0.089230140248, 1.298105805691],
         [0.626137423629, -1.357248195463, 0.105980786689, 1.261548626766]])
    for got, want in zip(out, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-11)


def test_summary_of_new_models():
    s = tg.summary(models.shufflenet_v2_x0_5(), (1, 3, 224, 224))
    assert s.total_params == 1_366_792 and s.total_mult_adds == 40_485_400
    s = tg.summary(models.mobilenet_v2(), (1, 3, 224, 224))
    assert s.total_params == 3_504_872 and s.total_mult_adds == 300_809_384
