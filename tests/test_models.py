"""tinygrad_cnn.models: parameter counts equal torchvision's and the lectures', output shapes,
torchvision's state_dict names."""
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('make, expected', [
    (models.LeNet5, 61_706),
    (lambda: models.LeNet5(padding=2, activation='relu', pooling='max'), 61_706),
    (models.fmnist_cnn, 1_677_674),          # Keras' 1,679,082 minus BatchNorm's running stats
    (models.alexnet, 61_100_840),
    (models.resnet18, 11_689_512),
    (models.resnet34, 21_797_672),
    (models.resnet50, 25_557_032),
    (lambda: models.googlenet(aux_logits=False), 6_624_904),
    (models.googlenet, 13_004_888),          # torchvision's default: aux_logits=True
    (models.mobilenet_v1, 4_231_976),
])
def test_parameter_counts(make, expected):
    tg.manual_seed(0)
    assert n_params(make()) == expected


def test_lenet_layers_match_the_lectures_table():
    lenet = models.LeNet5()
    counts = {name: n_params(m) for name, m in lenet.named_children() if n_params(m)}
    assert counts == {'c1': 156, 'c3': 2416, 'c5': 48_120, 'f6': 10_164, 'output': 850}


@pytest.mark.parametrize('cfg, features', [('A', 9_220_480), ('B', 9_404_992),
                                           ('D', 14_714_688), ('E', 20_024_384)])
def test_vgg_feature_counts(cfg, features):
    # the convolutions alone build fast; the dense layers are the same for every depth
    assert n_params(models.vgg.make_layers(models.vgg.cfgs[cfg])) == features


def test_vgg16_count():
    model = models.vgg16(init_weights=False)       # skip the 138M-sample re-initialisation
    assert n_params(model) == 138_357_544
    assert n_params(model.classifier) == 123_642_856
    assert n_params(model.classifier[0]) == 102_764_544   # the lectures' 7*7*512*4096 + biases


@pytest.mark.parametrize('make, cfg, batch_norm', [
    (models.vgg11, 'A', False), (models.vgg11_bn, 'A', True), (models.vgg13, 'B', False),
    (models.vgg13_bn, 'B', True), (models.vgg16, 'D', False), (models.vgg16_bn, 'D', True),
    (models.vgg19, 'E', False), (models.vgg19_bn, 'E', True)])
def test_vgg_builders_pick_their_configuration(monkeypatch, make, cfg, batch_norm):
    # a lightweight path: VGG replaced by its features, so no 102M-weight dense layer is built
    monkeypatch.setattr(models.vgg, 'VGG', lambda features, **kwargs: features)
    features = make()
    expected = models.vgg.make_layers(models.vgg.cfgs[cfg], batch_norm=batch_norm)
    assert [type(m).__name__ for m in features] == [type(m).__name__ for m in expected]
    assert n_params(features) == n_params(expected)


def test_vgg16_bn_adds_two_parameters_per_channel():
    plain, bn = (n_params(models.vgg.make_layers(models.vgg.cfgs['D'], batch_norm=b))
                 for b in (False, True))
    assert bn - plain == 138_365_992 - 138_357_544


@pytest.mark.slow
def test_vgg16_with_torchvision_init():
    tg.manual_seed(0)
    model = models.vgg16()
    assert n_params(model) == 138_357_544
    w = model.classifier[0].weight.numpy()
    assert abs(float(w[:64].std()) - 0.01) < 1e-3 and not model.classifier[0].bias.numpy().any()


def _forward(model, shape):
    tg.manual_seed(0)
    with tg.no_grad():
        return model.eval()(tg.randn(*shape))


@pytest.mark.parametrize('make, shape, out', [
    (models.LeNet5, (2, 1, 32, 32), (2, 10)),
    (lambda: models.LeNet5(padding=2), (2, 1, 28, 28), (2, 10)),
    (lambda: models.fmnist_cnn(), (2, 1, 28, 28), (2, 10)),
    (lambda: models.alexnet(num_classes=7), (1, 3, 63, 63), (1, 7)),
    (lambda: models.vgg11(num_classes=5, init_weights=False), (1, 3, 32, 32), (1, 5)),
    (lambda: models.resnet18(), (1, 3, 32, 32), (1, 1000)),
    (lambda: models.resnet50(num_classes=10), (1, 3, 32, 32), (1, 10)),
    (lambda: models.googlenet(num_classes=10), (1, 3, 32, 32), (1, 10)),
    (lambda: models.mobilenet_v1(num_classes=10, width_multiplier=0.25), (2, 3, 32, 32), (2, 10)),
])
def test_output_shapes(make, shape, out):
    y = _forward(make(), shape)
    assert tuple(y.shape) == out and y.dtype == tg.float32
    assert np.isfinite(y.numpy()).all()


def test_lenet_trains_end_to_end():
    tg.manual_seed(0)
    model = models.LeNet5(padding=2)
    x, target = tg.randn(4, 1, 28, 28), tg.tensor([0, 1, 2, 3])
    loss = tg.nn.functional.cross_entropy(model(x), target)
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_googlenet_aux_outputs_in_training():
    tg.manual_seed(0)
    model = models.googlenet(num_classes=4, aux_logits=True)
    out = model.train()(tg.randn(2, 3, 64, 64))
    assert isinstance(out, models.GoogLeNetOutputs)
    assert [tuple(o.shape) for o in out] == [(2, 4)] * 3
    assert tuple(_forward(model, (1, 3, 64, 64)).shape) == (1, 4)


def test_googlenet_five_by_five_is_the_paper():
    block = models.Inception(192, 64, 96, 128, 16, 32, 32, five_by_five=True)
    assert block.branch3[1].conv.weight.shape == (32, 16, 5, 5)
    # the lectures' inception (3a): 1x1 192->64, 3x3 96->128, 5x5 16->32, pool proj 32 (+ BN)
    assert tuple(_forward(block, (1, 192, 8, 8)).shape) == (1, 256, 8, 8)


def test_resnet18_state_dict_names_are_torchvision():
    sd = models.resnet18().state_dict()
    keys = list(sd)
    assert len(keys) == 122
    assert keys[:7] == ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean',
                        'bn1.running_var', 'bn1.num_batches_tracked', 'layer1.0.conv1.weight']
    for key in ('layer1.0.conv1.weight', 'layer2.0.downsample.0.weight',
                'layer2.0.downsample.1.running_var', 'layer4.1.bn2.bias'):
        assert key in sd
    assert keys[-2:] == ['fc.weight', 'fc.bias']
    assert 'layer1.0.downsample.0.weight' not in sd         # same shape: identity shortcut
    assert sd['layer2.0.downsample.0.weight'].shape == (128, 64, 1, 1)
    assert sd['fc.weight'].shape == (1000, 512)


def test_torchvision_names_alexnet_vgg_googlenet():
    alexnet = {k: tuple(v.shape) for k, v in models.alexnet(num_classes=10).state_dict().items()}
    assert alexnet['features.0.weight'] == (64, 3, 11, 11)
    assert alexnet['features.10.bias'] == (256,) and alexnet['classifier.6.weight'] == (10, 4096)
    vgg_features = models.vgg.make_layers(models.vgg.cfgs['A'], batch_norm=True).state_dict()
    assert list(vgg_features)[:6] == ['0.weight', '0.bias', '1.weight', '1.bias',
                                      '1.running_mean', '1.running_var']     # features.1.* in VGG
    g = models.googlenet(num_classes=10).state_dict()
    for key in ('conv1.conv.weight', 'conv1.bn.running_var', 'inception3a.branch2.1.conv.weight',
                'inception5b.branch4.1.bn.bias', 'fc.weight'):
        assert key in g
    assert g['inception3a.branch3.1.conv.weight'].shape == (32, 16, 3, 3)   # torchvision's 3x3


def test_mobilenet_is_bias_free_and_width_multiplier_shrinks_it():
    model = models.mobilenet_v1()
    convs = [m for m in model.modules() if isinstance(m, tg.nn.Conv2d)]
    assert len(convs) == 27 and all(c.bias is None for c in convs)
    dw = model.features.dw1.depthwise
    assert dw.groups == 32 and dw.weight.shape == (32, 1, 3, 3)
    half = models.mobilenet_v1(width_multiplier=0.5)
    assert half.fc.weight.shape == (1000, 512)
    assert n_params(half.features) < n_params(model.features) / 3.5     # about alpha^2


def test_channel_shuffle_interleaves_groups():
    x = tg.arange(6, dtype=tg.float32).reshape(1, 6, 1, 1)
    out = models.channel_shuffle(x, 3).numpy().reshape(-1)
    np.testing.assert_array_equal(out, [0, 2, 4, 1, 3, 5])
    # shuffling with g and then with C/g groups puts every channel back
    y = tg.randn(2, 12, 3, 3)
    back = models.channel_shuffle(models.channel_shuffle(y, 3), 4)
    np.testing.assert_array_equal(back.numpy(), y.numpy())
    with pytest.raises(RuntimeError, match='divisible by groups'):
        models.channel_shuffle(y, 5)


def test_shufflenet_units():
    tg.manual_seed(0)
    down = models.shufflenet_unit(24, 240, groups=3, stride=2, first_grouped=False)
    assert tuple(_forward(down, (2, 24, 8, 8)).shape) == (2, 240, 4, 4)
    assert down.gconv2.weight.shape == (216, 20, 1, 1)      # 240 - 24 outputs, 60 / 3 inputs
    same = models.shufflenet_unit(240, 240, groups=3)
    y = _forward(same, (1, 240, 4, 4))
    assert tuple(y.shape) == (1, 240, 4, 4) and (y.numpy() >= 0).all()
    with pytest.raises(ValueError, match='in_channels == out_channels'):
        models.shufflenet_unit(24, 48)
    with pytest.raises(ValueError, match='multiple of groups'):
        models.shufflenet_unit(24, 100, groups=3, stride=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match='activation'):
        models.LeNet5(activation='sigmoid')
    with pytest.raises(ValueError, match='pooling'):
        models.LeNet5(pooling='median')
    with pytest.raises(ValueError, match='width_multiplier'):
        models.mobilenet_v1(width_multiplier=0)
