"""The layers of tinygrad_cnn.nn: PyTorch's parameter names, shapes and initialisation,
float64 gradient checks of each layer (input and parameter gradients), BatchNorm's
running statistics, dropout in train/eval mode, and nn.init."""
import math

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def randn(*shape, requires_grad=True):
    """float64 input for gradcheck (values from the seeded global generator)."""
    return tg.randn(*shape, dtype=tg.float64, requires_grad=requires_grad)


def gradcheck_module(module, *inputs):
    """Check d(output)/d(inputs) and d(output)/d(parameters) of ``module`` in float64.

    gradcheck perturbs each parameter's array in place, which the module reads.
    """
    module.double()
    params = tuple(p for p in module.parameters() if p.requires_grad)
    n = len(inputs)
    assert tg.gradcheck(lambda *args: module(*args[:n]), inputs + params)


# ---------------------------------------------------------------- parameter names and shapes
# (name, shape) lists as PyTorch's state_dict gives them for the same layers
STATE = [
    (lambda: nn.Linear(4, 3), [('weight', (3, 4)), ('bias', (3,))]),
    (lambda: nn.Linear(4, 3, bias=False), [('weight', (3, 4))]),
    (lambda: nn.Bilinear(2, 3, 4), [('weight', (4, 2, 3)), ('bias', (4,))]),
    (lambda: nn.Conv1d(2, 4, 3), [('weight', (4, 2, 3)), ('bias', (4,))]),
    (lambda: nn.Conv2d(4, 6, (3, 2), groups=2), [('weight', (6, 2, 3, 2)), ('bias', (6,))]),
    (lambda: nn.Conv3d(1, 2, 2, bias=False), [('weight', (2, 1, 2, 2, 2))]),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=2), [('weight', (4, 3, 3, 3)), ('bias', (6,))]),
    (lambda: nn.ConvTranspose1d(2, 3, 4), [('weight', (2, 3, 4)), ('bias', (3,))]),
    (lambda: nn.BatchNorm2d(5), [('weight', (5,)), ('bias', (5,)), ('running_mean', (5,)),
                                 ('running_var', (5,)), ('num_batches_tracked', ())]),
    (lambda: nn.BatchNorm1d(3, affine=False), [('running_mean', (3,)), ('running_var', (3,)),
                                               ('num_batches_tracked', ())]),
    (lambda: nn.BatchNorm3d(3, track_running_stats=False), [('weight', (3,)), ('bias', (3,))]),
    (lambda: nn.LayerNorm((2, 3)), [('weight', (2, 3)), ('bias', (2, 3))]),
    (lambda: nn.GroupNorm(2, 4), [('weight', (4,)), ('bias', (4,))]),
    (lambda: nn.Embedding(10, 3), [('weight', (10, 3))]),
    (lambda: nn.LocalResponseNorm(5), []),
    (lambda: nn.MaxPool2d(2), []),
    (lambda: nn.PReLU(), [('weight', (1,))]),
    (lambda: nn.PReLU(4), [('weight', (4,))]),
    (lambda: nn.InstanceNorm2d(3), []),
    (lambda: nn.InstanceNorm1d(3, affine=True), [('weight', (3,)), ('bias', (3,))]),
    (lambda: nn.InstanceNorm3d(3, track_running_stats=True),
     [('running_mean', (3,)), ('running_var', (3,)), ('num_batches_tracked', ())]),
]


@pytest.mark.parametrize('make, expected', STATE)
def test_state_dict_names_and_shapes_match_pytorch(make, expected):
    sd = make().state_dict()
    assert [(k, tuple(v.shape)) for k, v in sd.items()] == expected


# ---------------------------------------------------------------- default initialisation
def test_linear_and_conv_default_init_is_uniform_with_bound_one_over_sqrt_fan_in():
    tg.manual_seed(0)
    for layer, fan_in in ((nn.Linear(400, 300), 400), (nn.Conv2d(6, 16, 5), 150),
                          (nn.ConvTranspose2d(16, 6, 5), 150)):
        bound = 1 / math.sqrt(fan_in)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
        # U(-a, a) has std a / sqrt(3): kaiming_uniform_(a=sqrt(5)) gives a = 1/sqrt(fan_in)
        assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
        assert w.dtype == np.float32 and b.dtype == np.float32


def test_other_default_inits():
    tg.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1, 1, 1] and bn.bias.tolist() == [0, 0, 0]
    assert bn.running_mean.tolist() == [0, 0, 0] and bn.running_var.tolist() == [1, 1, 1]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 0
    assert not bn.running_mean.requires_grad
    emb = nn.Embedding(1000, 50, padding_idx=3).weight.numpy()
    assert abs(emb.mean()) < 0.02 and abs(emb.std() - 1) < 0.02 and not emb[3].any()
    ln = nn.LayerNorm(4)
    assert ln.weight.tolist() == [1] * 4 and ln.bias.tolist() == [0] * 4
    assert nn.PReLU(3).weight.tolist() == [0.25] * 3 and nn.PReLU(2, init=-0.5).weight.tolist() \
        == [-0.5, -0.5]
    assert nn.PReLU(dtype=tg.float64).weight.dtype == np.float64
    inorm = nn.InstanceNorm2d(2, affine=True, track_running_stats=True)
    assert inorm.weight.tolist() == [1, 1] and inorm.bias.tolist() == [0, 0]
    assert inorm.running_var.tolist() == [1, 1] and inorm.num_batches_tracked.item() == 0
    bil = nn.Bilinear(16, 3, 2).weight.numpy()
    assert np.abs(bil).max() <= 1 / 4


def test_constructor_argument_errors():
    with pytest.raises(ValueError, match='in_channels=3 must be divisible by groups=2'):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match='padding_mode'):
        nn.Conv2d(3, 4, 3, padding_mode='mirror')
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding='same')
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode='reflect')
    with pytest.raises(ValueError, match='dropout probability'):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match='divisible by num_groups'):
        nn.GroupNorm(3, 4)
    with pytest.raises(AssertionError, match='Padding_idx'):     # PyTorch asserts
        nn.Embedding(5, 2, padding_idx=5)


# ---------------------------------------------------------------- gradient checks, float64
def test_gradcheck_linear_and_bilinear():
    tg.manual_seed(0)
    gradcheck_module(nn.Linear(3, 2), randn(2, 3))
    gradcheck_module(nn.Linear(3, 2, bias=False), randn(2, 2, 3))
    gradcheck_module(nn.Bilinear(2, 3, 2), randn(2, 2), randn(2, 3))


@pytest.mark.parametrize('make, shape', [
    (lambda: nn.Conv1d(2, 2, 3, padding=1, padding_mode='circular'), (1, 2, 5)),
    (lambda: nn.Conv2d(2, 2, 2, padding=1, padding_mode='reflect'), (1, 2, 3, 3)),
    (lambda: nn.Conv2d(2, 4, (2, 3), groups=2, padding='same', padding_mode='replicate'),
     (1, 2, 3, 3)),
    (lambda: nn.Conv2d(1, 2, 3, stride=2, dilation=1, padding=1), (1, 1, 4, 4)),
    (lambda: nn.Conv3d(1, 1, 2), (1, 1, 3, 3, 3)),
    (lambda: nn.ConvTranspose1d(2, 1, 3, stride=2), (1, 2, 3)),
    (lambda: nn.ConvTranspose2d(2, 1, 2, stride=2, padding=1, output_padding=1), (1, 2, 2, 2)),
])
def test_gradcheck_conv_layers(make, shape):
    tg.manual_seed(1)
    gradcheck_module(make(), randn(*shape))


def test_conv_padding_modes_pad_before_convolving():
    tg.manual_seed(0)
    x = tg.randn(1, 2, 5, 5)
    for mode in ('reflect', 'replicate', 'circular'):
        conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        expected = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
        np.testing.assert_allclose(conv(x).numpy(), expected.numpy(), rtol=1e-6)
    conv = nn.Conv2d(2, 3, (3, 4), padding='same', padding_mode='zeros')
    assert conv(x).shape == (1, 3, 5, 5)


def test_conv_transpose_output_size_chooses_output_padding():
    conv = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = tg.randn(1, 2, 4, 4)
    assert conv(x).shape == (1, 3, 7, 7)
    assert conv(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    assert conv(x, output_size=[1, 3, 8, 7]).shape == (1, 3, 8, 7)
    with pytest.raises(ValueError, match='valid sizes range from'):
        conv(x, output_size=(9, 9))


def test_gradcheck_normalization_layers():
    tg.manual_seed(2)
    gradcheck_module(nn.BatchNorm1d(3), randn(4, 3))
    gradcheck_module(nn.BatchNorm2d(2), randn(3, 2, 2, 2))
    gradcheck_module(nn.BatchNorm1d(2, affine=False), randn(3, 2, 2))
    gradcheck_module(nn.BatchNorm2d(2).eval(), randn(2, 2, 2, 2))
    gradcheck_module(nn.LayerNorm((2, 3)), randn(2, 2, 3))
    gradcheck_module(nn.GroupNorm(2, 4), randn(2, 4, 3))
    gradcheck_module(nn.LocalResponseNorm(3, alpha=0.5, k=1.5), randn(2, 4, 2))
    gradcheck_module(nn.InstanceNorm1d(2, affine=True), randn(2, 2, 3))
    gradcheck_module(nn.InstanceNorm2d(2, affine=True), randn(2, 2, 2))      # unbatched
    gradcheck_module(nn.InstanceNorm3d(2, track_running_stats=True), randn(1, 2, 2, 1, 2))


def test_gradcheck_embedding_weight():
    tg.manual_seed(3)
    emb = nn.Embedding(5, 2, padding_idx=1).double()
    idx = tg.tensor([[0, 1, 4], [4, 2, 1]])
    assert tg.gradcheck(lambda w: emb(idx), (emb.weight,), raise_exception=False) is False
    # the padding row gets no gradient (on purpose, so it differs from finite differences)
    emb(idx).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[:, 0], [1, 0, 1, 0, 2])
    plain = nn.Embedding(5, 2).double()
    assert tg.gradcheck(lambda w: plain(idx), (plain.weight,))


@pytest.mark.parametrize('make, shape', [
    (lambda: nn.MaxPool2d(2), (1, 2, 4, 4)),
    (lambda: nn.MaxPool1d(3, stride=2, padding=1), (1, 2, 5)),
    (lambda: nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False), (1, 1, 3, 3)),
    (lambda: nn.AvgPool1d(2), (1, 2, 4)),
    (lambda: nn.AdaptiveAvgPool2d((2, 1)), (1, 2, 3, 3)),
    (lambda: nn.AdaptiveMaxPool1d(2), (1, 2, 5)),
    (lambda: nn.ReflectionPad2d((1, 0, 2, 1)), (1, 1, 3, 3)),
    (lambda: nn.ReplicationPad1d(2), (1, 2, 3)),
    (lambda: nn.CircularPad2d(1), (1, 1, 2, 2)),
    (lambda: nn.ConstantPad1d((1, 2), 3.5), (1, 2, 3)),
    (lambda: nn.ZeroPad2d(1), (1, 1, 2, 2)),
    (lambda: nn.Flatten(), (2, 2, 2)),
    (lambda: nn.Unflatten(1, (2, 2)), (2, 4)),
])
def test_gradcheck_shape_layers(make, shape):
    tg.manual_seed(4)
    gradcheck_module(make(), randn(*shape))


def test_pool_and_pad_layers_call_the_functional_ops():
    tg.manual_seed(5)
    x = tg.randn(2, 3, 6, 6)
    cases = [(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
              F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
             (nn.AvgPool2d(2), F.avg_pool2d(x, 2)),
             (nn.AdaptiveAvgPool2d((2, 3)), F.adaptive_avg_pool2d(x, (2, 3))),
             (nn.AdaptiveMaxPool2d(1), F.adaptive_max_pool2d(x, 1)),
             (nn.ZeroPad2d((1, 2, 3, 4)), F.pad(x, (1, 2, 3, 4))),
             (nn.ConstantPad2d(1, -2.0), F.pad(x, (1, 1, 1, 1), value=-2.0)),
             (nn.ReflectionPad2d(2), F.pad(x, (2, 2, 2, 2), mode='reflect'))]
    for layer, expected in cases:
        np.testing.assert_array_equal(layer(x).numpy(), expected.numpy())
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 3)          # stride defaults to kernel_size
    assert nn.AvgPool1d(4)(tg.randn(1, 2, 9)).shape == (1, 2, 2)


def test_max_unpool_inverts_max_pool():
    x = tg.tensor([[[[1., 2., 3., 4.], [5., 6., 7., 8.], [9., 10., 11., 12.],
                     [13., 14., 15., 16.]]]])
    out, indices = nn.MaxPool2d(2, return_indices=True)(x)
    assert out.tolist() == [[[[6., 8.], [14., 16.]]]]
    assert indices.dtype == np.int64 and indices.tolist() == [[[[5, 7], [13, 15]]]]
    assert nn.MaxUnpool2d(2)(out, indices).tolist() == [[[[0., 0., 0., 0.], [0., 6., 0., 8.],
                                                          [0., 0., 0., 0.], [0., 14., 0., 16.]]]]
    y, i = nn.MaxPool1d(2, return_indices=True)(tg.tensor([[[3., 1., 2., 5.]]]))
    assert nn.MaxUnpool1d(2)(y, i).tolist() == [[[3., 0., 0., 5.]]]


def test_gradcheck_activation_layers():
    tg.manual_seed(6)
    x = randn(3, 4)
    with tg.no_grad():
        x += 0.05 * x.sign()            # keep away from the kinks at 0
    for layer in (nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.ELU(0.5), nn.SELU(), nn.GELU(),
                  nn.GELU('tanh'), nn.SiLU(), nn.Softplus(2.0, 1.5), nn.Sigmoid(), nn.Tanh(),
                  nn.Hardtanh(-0.8, 0.9), nn.Softmax(dim=1), nn.LogSoftmax(dim=0), nn.Identity(),
                  nn.PReLU(), nn.CELU(0.7), nn.Mish(), nn.LogSigmoid(), nn.Hardsigmoid(),
                  nn.Hardswish(), nn.Softsign(), nn.Tanhshrink(), nn.Threshold(0.02, -1.0),
                  nn.GLU(), nn.Softmin(dim=1)):
        gradcheck_module(layer, x)
    gradcheck_module(nn.PReLU(4), randn(2, 4, 3))      # one slope per channel
    gradcheck_module(nn.GLU(0), randn(4, 3))


def test_activation_layers_equal_their_functions():
    x = tg.linspace(-8, 8, 33)
    pairs = [(nn.ReLU(inplace=True), F.relu(x)), (nn.ReLU6(), F.relu6(x)),
             (nn.LeakyReLU(0.1), F.leaky_relu(x, 0.1)), (nn.ELU(2.0), F.elu(x, 2.0)),
             (nn.SELU(), F.selu(x)), (nn.GELU(), F.gelu(x)), (nn.SiLU(), F.silu(x)),
             (nn.Softplus(0.5, 3), F.softplus(x, 0.5, 3)), (nn.Sigmoid(), F.sigmoid(x)),
             (nn.Tanh(), F.tanh(x)), (nn.Hardtanh(-2, 3), F.hardtanh(x, -2, 3)),
             (nn.Softmax(0), F.softmax(x, 0)), (nn.LogSoftmax(-1), F.log_softmax(x, -1)),
             (nn.PReLU(init=0.1), F.prelu(x, tg.tensor([0.1]))), (nn.CELU(0.5), F.celu(x, 0.5)),
             (nn.Mish(), F.mish(x)), (nn.LogSigmoid(), F.logsigmoid(x)),
             (nn.Hardsigmoid(), F.hardsigmoid(x)), (nn.Hardswish(True), F.hardswish(x)),
             (nn.Softsign(), F.softsign(x)), (nn.Tanhshrink(), F.tanhshrink(x)),
             (nn.Threshold(1.5, -3.0), F.threshold(x, 1.5, -3.0)),
             (nn.Softmin(0), F.softmin(x, 0))]
    for layer, expected in pairs:
        np.testing.assert_array_equal(layer(x).numpy(), expected.numpy())
    np.testing.assert_array_equal(nn.GLU(0)(x[1:]).numpy(), F.glu(x[1:], 0).numpy())
    with pytest.warns(UserWarning, match='Implicit dimension choice for softmax'):
        assert nn.Softmax()(tg.zeros(2, 3)).shape == (2, 3)


# ---------------------------------------------------------------- float32 stays float32
@pytest.mark.parametrize('make, shape', [
    (lambda: nn.Linear(3, 2), (2, 3)), (lambda: nn.Conv2d(2, 2, 3, padding=1), (1, 2, 4, 4)),
    (lambda: nn.BatchNorm2d(2), (2, 2, 3, 3)), (lambda: nn.BatchNorm2d(2).eval(), (2, 2, 3, 3)),
    (lambda: nn.LayerNorm(3), (2, 3)), (lambda: nn.GroupNorm(1, 2), (2, 2, 3)),
    (lambda: nn.LocalResponseNorm(2), (1, 3, 2, 2)), (lambda: nn.Dropout(0.5), (4, 4)),
    (lambda: nn.Dropout2d(0.5), (2, 4, 2, 2)), (lambda: nn.GELU(), (3,)),
    (lambda: nn.ELU(), (3,)), (lambda: nn.Softplus(), (3,)), (lambda: nn.LeakyReLU(), (3,)),
    (lambda: nn.Bilinear(3, 3, 2), None), (lambda: nn.PReLU(2), (3, 2, 2)),
    (lambda: nn.InstanceNorm1d(2, affine=True, track_running_stats=True), (2, 2, 3)),
    (lambda: nn.InstanceNorm2d(2, track_running_stats=True).eval(), (2, 2, 2)),
    (lambda: nn.Dropout1d(0.5), (2, 4, 3)), (lambda: nn.Dropout3d(0.5), (4, 2, 1, 2)),
    (lambda: nn.CELU(0.5), (3,)), (lambda: nn.Mish(), (3,)), (lambda: nn.LogSigmoid(), (3,)),
    (lambda: nn.Hardswish(), (3,)), (lambda: nn.GLU(), (3, 2)),
])
def test_float32_in_float32_out_and_grads(make, shape):
    layer = make()
    inputs = [tg.randn(2, 3, requires_grad=True)] * 2 if shape is None else \
        [tg.randn(*shape, requires_grad=True)]
    out = layer(*inputs)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert inputs[0].grad.dtype == np.float32
    assert all(b.dtype in (np.float32, np.int64) for b in layer.buffers())


# ---------------------------------------------------------------- BatchNorm statistics
def test_batchnorm_running_statistics_hand_computed():
    bn = nn.BatchNorm1d(1, eps=0.0)
    out = bn(tg.tensor([[1.0], [3.0]]))
    # batch mean 2, biased variance 1 (used to normalise), unbiased variance 2 (tracked)
    np.testing.assert_allclose(out.numpy().ravel(), [-1, 1])
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.9 * 0 + 0.1 * 2])
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 * 1 + 0.1 * 2])
    bn(tg.tensor([[4.0], [4.0], [4.0], [8.0]]))   # mean 5, biased var 3, unbiased 4
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.9 * 0.2 + 0.1 * 5], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 * 1.1 + 0.1 * 4], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 2
    bn.eval()                                     # eval normalises with the running stats
    np.testing.assert_allclose(bn(tg.tensor([[0.68], [2.0]])).numpy().ravel(),
                               [0.0, (2.0 - 0.68) / math.sqrt(1.39)], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 2     # and tracks nothing


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    bn(tg.tensor([[1.0], [3.0]]))                 # factor 1/1: mean 2, unbiased var 2
    bn(tg.tensor([[4.0], [4.0], [4.0], [8.0]]))   # factor 1/2: mean 5, unbiased var 4
    np.testing.assert_allclose(bn.running_mean.numpy(), [3.5])
    np.testing.assert_allclose(bn.running_var.numpy(), [3.0])


def test_batchnorm2d_statistics_over_batch_and_space():
    tg.manual_seed(7)
    bn = nn.BatchNorm2d(3, momentum=0.3)
    x = tg.randn(4, 3, 2, 5) * 2 + 1
    y = bn(x).numpy()
    a = x.numpy()
    mean, var = a.mean(axis=(0, 2, 3)), a.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y, (a - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.3 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.7 + 0.3 * var * 40 / 39, rtol=1e-5)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert bn.running_mean is None and list(bn.state_dict()) == ['weight', 'bias']
    out = bn(tg.tensor([[1.0, 5.0], [3.0, 7.0]]))
    np.testing.assert_allclose(out.numpy(), [[-1, -1], [1, 1]], rtol=1e-4)


def test_batchnorm_input_checks():
    with pytest.raises(ValueError, match=r'BatchNorm2d: expected 4D input \(got 2D input'):
        nn.BatchNorm2d(3)(tg.zeros(2, 3))
    with pytest.raises(ValueError, match='expected more than 1 value per channel'):
        nn.BatchNorm1d(3)(tg.zeros(1, 3))
    with pytest.raises(RuntimeError, match=r'expected running_mean of shape \(4,\)'):
        nn.BatchNorm1d(3)(tg.zeros(2, 4))


def test_batchnorm_train_then_eval_matches_running_stats():
    tg.manual_seed(8)
    bn = nn.BatchNorm2d(2)
    for _ in range(5):
        bn(tg.randn(3, 2, 2, 2) * 3 + 2)
    bn.eval()
    x = tg.randn(3, 2, 2, 2)
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    expected = (x.numpy() - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_instance_norm_running_statistics_train_eval_and_unbatched():
    tg.manual_seed(12)
    inorm = nn.InstanceNorm1d(2, momentum=0.5, track_running_stats=True)
    x = tg.randn(3, 2, 4, dtype=tg.float64) * 2 + 1
    a = x.numpy()
    y = inorm.double()(x).numpy()
    mean, var = a.mean(axis=2), a.var(axis=2)
    np.testing.assert_allclose(y, (a - mean[..., None]) / np.sqrt(var[..., None] + 1e-5),
                               rtol=1e-10)
    # the running statistics average the instances' ones; the count is not kept
    np.testing.assert_allclose(inorm.running_mean.numpy(), 0.5 * mean.mean(0), rtol=1e-12)
    np.testing.assert_allclose(inorm.running_var.numpy(), 0.5 + 0.5 * (var * 4 / 3).mean(0),
                               rtol=1e-12)
    assert inorm.num_batches_tracked.item() == 0
    inorm.eval()                                  # eval normalises with the running stats
    rm, rv = inorm.running_mean.numpy(), inorm.running_var.numpy()
    np.testing.assert_allclose(inorm(x).numpy(), (a - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5),
                               rtol=1e-10)
    np.testing.assert_array_equal(inorm(x[0]).numpy(), inorm(x).numpy()[0])   # unbatched (C, L)
    # the defaults: instance statistics in both modes, nothing tracked
    plain = nn.InstanceNorm2d(2).eval()
    assert plain.running_mean is None and list(plain.state_dict()) == []
    z = tg.randn(2, 3, 3)
    np.testing.assert_allclose(plain(z).numpy(), nn.InstanceNorm2d(2)(z[None]).numpy()[0],
                               rtol=1e-6)
    frozen = nn.InstanceNorm1d(2, momentum=None, track_running_stats=True)
    frozen(tg.randn(2, 2, 3))                     # momentum=None means 0, as in PyTorch
    assert frozen.running_mean.tolist() == [0, 0] and frozen.running_var.tolist() == [1, 1]


def test_instance_norm_input_checks_and_repr():
    with pytest.raises(ValueError, match=r'InstanceNorm1d: expected 2D or 3D input \(got 4D'):
        nn.InstanceNorm1d(3)(tg.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features "
                                         r"\(3\)"):
        nn.InstanceNorm2d(3, affine=True)(tg.zeros(2, 4, 4, 5))
    with pytest.warns(UserWarning, match="size at dim=0 does not match num_features"):
        nn.InstanceNorm2d(3)(tg.randn(4, 4, 5))     # unbatched; unused without affine
    assert repr(nn.InstanceNorm2d(4)) == ('InstanceNorm2d(4, eps=1e-05, momentum=0.1, '
                                          'affine=False, bias=False, track_running_stats=False)')
    assert repr(nn.InstanceNorm3d(2, 1e-3, None, True, True)) == (
        'InstanceNorm3d(2, eps=0.001, momentum=None, affine=True, bias=True, '
        'track_running_stats=True)')


# ---------------------------------------------------------------- other normalisations
def test_layernorm_and_groupnorm_normalise_their_groups():
    tg.manual_seed(9)
    x = tg.randn(2, 4, 3) * 5 + 3
    y = nn.LayerNorm((4, 3), eps=0.0)(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1, rtol=1e-4)
    g = nn.GroupNorm(2, 4, eps=0.0)(x).numpy().reshape(2, 2, 6)
    np.testing.assert_allclose(g.mean(axis=2), 0, atol=1e-5)
    np.testing.assert_allclose(g.std(axis=2), 1, rtol=1e-4)


def test_local_response_norm_formula():
    x = tg.tensor(np.arange(1.0, 6.0).reshape(1, 5, 1, 1))
    y = nn.LocalResponseNorm(3, alpha=0.3, beta=0.5, k=2.0)(x).numpy().ravel()
    a = np.arange(1.0, 6.0)
    sq = np.concatenate([[0.0], a ** 2, [0.0]])
    expected = a / (2.0 + 0.3 / 3 * (sq[:-2] + sq[1:-1] + sq[2:])) ** 0.5
    np.testing.assert_allclose(y, expected)


# ---------------------------------------------------------------- dropout
def test_dropout_scales_in_training_and_is_identity_in_eval():
    tg.manual_seed(10)
    drop = nn.Dropout(0.25)
    x = tg.ones(4000, requires_grad=True)
    y = drop(x)
    values = y.numpy()
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.03
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)      # the gradient is masked alike
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).numpy().any()


def test_dropout_uses_the_global_generator():
    x = tg.ones(100)
    tg.manual_seed(3)
    a = nn.Dropout()(x).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout()(x).numpy(), a)


def test_dropout2d_drops_whole_channels():
    tg.manual_seed(11)
    y = nn.Dropout2d(0.5)(tg.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(axis=2) | (per_channel == 2).all(axis=2)).all()
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    assert nn.Dropout2d().eval()(tg.ones(1, 2, 2, 2)).tolist() == tg.ones(1, 2, 2, 2).tolist()


def test_dropout1d_dropout3d_layers():
    tg.manual_seed(13)
    y = nn.Dropout1d(0.5)(tg.ones(8, 16, 5)).numpy()
    assert ((y == 0).all(axis=2) | (y == 2).all(axis=2)).all() and 0.3 < (y == 0).mean() < 0.7
    y = nn.Dropout3d(0.25)(tg.ones(16, 2, 2, 2)).numpy().reshape(16, -1)   # (C, D, H, W)
    assert ((y == 0).all(axis=1) | np.isclose(y, 4 / 3).all(axis=1)).all()
    x = tg.ones(1, 2, 2)
    assert nn.Dropout1d().eval()(x) is x
    assert nn.Dropout3d().eval()(x[..., None]).shape == (1, 2, 2, 1)
    assert repr(nn.Dropout1d()) == 'Dropout1d(p=0.5, inplace=False)'
    assert repr(nn.Dropout3d(0.2, True)) == 'Dropout3d(p=0.2, inplace=True)'
    with pytest.raises(ValueError, match='Dropout3d: dropout probability'):
        nn.Dropout3d(-0.1)


def test_new_activation_reprs_are_pytorchs():
    # checked against torch 2.13's print(module)
    reprs = {nn.PReLU(): 'PReLU(num_parameters=1)', nn.PReLU(3, 0.1): 'PReLU(num_parameters=3)',
             nn.CELU(): 'CELU(alpha=1.0)', nn.CELU(0.5, True): 'CELU(alpha=0.5, inplace=True)',
             nn.Threshold(0.1, 20): 'Threshold(threshold=0.1, value=20)',
             nn.Threshold(0.1, 2.0, True): 'Threshold(threshold=0.1, value=2.0, inplace=True)',
             nn.GLU(): 'GLU(dim=-1)', nn.Softmin(): 'Softmin(dim=None)',
             nn.Softmin(1): 'Softmin(dim=1)', nn.Mish(): 'Mish()',
             nn.Mish(True): 'Mish(inplace=True)',
             nn.Hardswish(True): 'Hardswish()', nn.Hardsigmoid(True): 'Hardsigmoid()',
             nn.LogSigmoid(): 'LogSigmoid()', nn.Softsign(): 'Softsign()',
             nn.Tanhshrink(): 'Tanhshrink()'}
    for layer, expected in reprs.items():
        assert repr(layer) == expected


def test_prelu_layer_learns_one_slope_per_channel():
    prelu = nn.PReLU(2)
    x = tg.tensor([[[-1.0, 2.0], [-3.0, -4.0]]])           # (N=1, C=2, L=2)
    out = prelu(x)
    np.testing.assert_allclose(out.numpy(), [[[-0.25, 2.0], [-0.75, -1.0]]])
    out.sum().backward()
    np.testing.assert_allclose(prelu.weight.grad.numpy(), [-1.0, -7.0])   # sum of x where x <= 0
    with pytest.raises(RuntimeError, match=r'prelu: .* got weight.shape=\(2,\) for input.shape='
                                           r'\(2, 3\)'):
        prelu(tg.zeros(2, 3))


# ---------------------------------------------------------------- embedding, flatten
def test_embedding_lookup_padding_and_from_pretrained():
    table = tg.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    emb = nn.Embedding.from_pretrained(table, padding_idx=0)
    assert not emb.weight.requires_grad
    out = emb(tg.tensor([[2, 0], [1, 1]]))
    assert out.shape == (2, 2, 2) and out.tolist() == [[[4, 5], [0, 1]], [[2, 3], [2, 3]]]
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    trainable(tg.tensor([1, 1, 2])).sum().backward()
    assert trainable.weight.grad.tolist() == [[0, 0], [2, 2], [1, 1]]
    with pytest.raises(IndexError, match='index out of range'):
        emb(tg.tensor([3]))


def test_flatten_unflatten_shapes():
    x = tg.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Unflatten(-1, (-1, 2))(tg.zeros(3, 4)).shape == (3, 2, 2)


# ---------------------------------------------------------------- a model end to end
def test_small_cnn_trains_with_plain_sgd():
    tg.manual_seed(12)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.1), nn.Flatten(), nn.Linear(16, 2))
    x = tg.randn(16, 1, 4, 4)
    y = tg.tensor((x.numpy().mean(axis=(1, 2, 3)) > 0).astype(np.int64))
    losses = []
    for _ in range(30):
        loss = -model(x).log_softmax(1).gather(1, y.unsqueeze(1)).mean()
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p -= 0.3 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------- nn.init
def test_calculate_gain():
    assert nn.init.calculate_gain('linear') == 1 and nn.init.calculate_gain('conv2d') == 1
    assert nn.init.calculate_gain('sigmoid') == 1
    assert nn.init.calculate_gain('tanh') == 5 / 3
    assert nn.init.calculate_gain('relu') == math.sqrt(2)
    assert nn.init.calculate_gain('leaky_relu') == math.sqrt(2 / (1 + 0.01 ** 2))
    assert nn.init.calculate_gain('leaky_relu', math.sqrt(5)) == math.sqrt(1 / 3)
    assert nn.init.calculate_gain('selu') == 3 / 4
    with pytest.raises(ValueError, match='unsupported nonlinearity'):
        nn.init.calculate_gain('swish')


def test_variance_scaling_initialisers():
    tg.manual_seed(13)
    w = tg.empty(200, 100, 3, 3)                  # fan_in 900, fan_out 1800
    assert nn.init.kaiming_uniform_(w, nonlinearity='relu') is w
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 900)
    assert abs(w.numpy().std() - math.sqrt(2 / 900)) < 0.01 * math.sqrt(2 / 900)
    nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')
    assert abs(w.numpy().std() - math.sqrt(2 / 1800)) < 0.01 * math.sqrt(2 / 1800)
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 2700)
    assert np.abs(w.numpy()).max() <= bound and w.numpy().max() > 0.99 * bound
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 2700)) < 0.01 * math.sqrt(2 / 2700)
    assert w.dtype == np.float32


def test_simple_initialisers_keep_dtype_and_work_on_parameters():
    p = nn.Parameter(tg.zeros(50, 40, dtype=tg.float64))
    assert nn.init.uniform_(p, -2, 3) is p and p.dtype == np.float64
    assert p.numpy().min() >= -2 and p.numpy().max() <= 3 and p.requires_grad
    nn.init.normal_(p, 5.0, 0.1)
    assert abs(p.numpy().mean() - 5) < 0.01
    nn.init.trunc_normal_(p, std=2.0, a=-1.0, b=0.5)
    assert p.numpy().min() >= -1 and p.numpy().max() <= 0.5
    nn.init.constant_(p, 0.25)
    assert (p.numpy() == 0.25).all()
    assert nn.init.ones_(p).numpy().all() and not nn.init.zeros_(p).numpy().any()
    q = nn.init.orthogonal_(tg.empty(3, 5), gain=2.0).numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)


def test_initialiser_errors():
    with pytest.raises(ValueError, match='fewer than 2 dimensions'):
        nn.init.xavier_uniform_(tg.empty(5))
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        nn.init.kaiming_uniform_(tg.empty(2, 2), mode='fan_avg')
    with pytest.raises(ValueError, match='2 or more dimensions'):
        nn.init.orthogonal_(tg.empty(3))
