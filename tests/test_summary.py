"""tinygrad_cnn.summary: the per-layer table, parameter and multiply-accumulate counts."""
import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
from tinygrad_cnn.models import LeNet5, resnet18


@pytest.fixture(scope='module')
def lenet_summary():
    return tg.summary(LeNet5(), (1, 1, 32, 32))


def test_lenet_totals_match_the_lectures(lenet_summary):
    s = lenet_summary
    assert s.total_params == s.trainable_params == 61_706
    params = {r['name']: r['params'] for r in s.rows}
    assert params == {'c1': 156, 'act1': 0, 's2': 0, 'c3': 2416, 'act3': 0, 's4': 0,
                      'c5': 48_120, 'act5': 0, 'flatten': 0, 'f6': 10_164, 'act6': 0,
                      'output': 850}
    shapes = {r['name']: r['output_shape'] for r in s.rows}
    assert shapes['c1'] == (1, 6, 28, 28) and shapes['s2'] == (1, 6, 14, 14)
    assert shapes['c3'] == (1, 16, 10, 10) and shapes['s4'] == (1, 16, 5, 5)
    assert shapes['c5'] == (1, 120, 1, 1) and shapes['output'] == (1, 10)


def test_mult_adds_follow_torchinfo(lenet_summary):
    macs = {r['name']: r['mult_adds'] for r in lenet_summary.rows}
    # conv: every weight and bias is used once per output position: (5*5*1*6 + 6) * 28*28
    assert macs['c1'] == 156 * 28 * 28
    assert macs['c3'] == (5 * 5 * 6 * 16 + 16) * 10 * 10
    assert macs['c5'] == 48_120 and macs['f6'] == 10_164 and macs['output'] == 850
    assert macs['s2'] == macs['act1'] == 0
    assert lenet_summary.total_mult_adds == 423_038
    # the batch multiplies everything
    assert tg.summary(nn.Conv2d(1, 6, 5), (4, 1, 32, 32)).total_mult_adds == 4 * 122_304


def test_receptive_fields_grow_through_the_stack(lenet_summary):
    rf = {r['name']: r['receptive_field'] for r in lenet_summary.rows}
    # rf += (k - 1) * jump; jump *= stride: C5 sees the whole 32x32 input
    assert rf['c1'] == (5, 5) and rf['act1'] == (5, 5) and rf['s2'] == (6, 6)
    assert rf['c3'] == (14, 14) and rf['s4'] == (16, 16) and rf['c5'] == (32, 32)
    assert rf['flatten'] is None and rf['output'] is None


def test_table_lists_every_layer(lenet_summary):
    text = str(lenet_summary)
    lines = text.splitlines()
    assert lines[0] == 'LeNet5: input [1, 1, 32, 32]'
    assert 'Layer (type)' in lines[2] and 'Mult-Adds' in lines[2] and 'RF' in lines[2]
    row = next(line for line in lines if line.startswith('c3 (Conv2d)'))
    assert row.split() == ['c3', '(Conv2d)', '[1,', '16,', '10,', '10]', '2,416', '241,600',
                           '6.2', 'KiB', '14']
    assert 'Total params: 61,706' in text and 'Trainable params: 61,706' in text
    assert 'Total mult-adds (M): 0.42' in text
    assert sum(1 for line in lines if '(Tanh)' in line) == 4
    assert repr(lenet_summary) == text


def test_frozen_params_bn_and_model_state_untouched():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Flatten(), nn.Linear(8 * 6 * 6, 5))
    model[0].requires_grad_(False)
    model[1].running_mean.fill_(0.5)
    s = tg.summary(model, (2, 3, 8, 8))
    assert s.total_params == 216 + 16 + 288 * 5 + 5
    assert s.trainable_params == s.total_params - 216
    macs = [r['mult_adds'] for r in s.rows]
    assert macs == [216 * 2 * 36, 16 * 2, 0, 0, (288 * 5 + 5) * 2]     # BN: N * params
    assert [r['activation_bytes'] for r in s.rows] == [2 * 8 * 36 * 4] * 3 + [2 * 288 * 4, 40]
    assert model.training and all(not m._forward_hooks for m in model.modules())
    np.testing.assert_array_equal(model[1].running_mean.numpy(), 0.5)


def test_linear_on_sequences_counts_every_position():
    s = tg.summary(nn.Linear(4, 3), (2, 5, 4))
    assert s.total_mult_adds == (12 + 3) * 2 * 5


def test_branches_take_the_widest_receptive_field():
    tg.manual_seed(0)
    s = tg.summary(resnet18(num_classes=10), (1, 3, 64, 64))
    rf = {r['name']: r['receptive_field'] for r in s.rows}
    # the well-known receptive field of ResNet-18 is 435 pixels
    assert rf['layer4.1.conv2'] == (435, 435)
    assert rf['layer2.0.downsample.0'] == (43, 43)      # the shortcut sees less than the block
    assert s.total_params == 11_181_642
    names = [r['name'] for r in s.rows]
    assert names.count('layer1.0.relu') == 2           # a module called twice: two rows...
    assert sum(r['params'] for r in s.rows) == s.total_params   # ...its parameters once


def test_bad_input_size():
    with pytest.raises(ValueError, match='batch dimension'):
        tg.summary(LeNet5(), (1, 32, 32.0))
    with pytest.raises(ValueError, match='input_size'):
        tg.summary(LeNet5())
