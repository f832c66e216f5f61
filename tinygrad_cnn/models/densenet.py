"""DenseNet (Huang, Liu, van der Maaten and Weinberger, 2016): every layer sees all earlier maps.

Inside a *dense block*, layer l takes the concatenation of the block input and
the outputs of layers 1..l-1, and adds ``growth_rate`` (k = 32) new maps. The
features are reused rather than relearned, so each layer can be narrow. A layer
is BN - ReLU - 1x1 conv (a bottleneck to ``bn_size * k`` channels) - BN - ReLU -
3x3 conv (k channels) ("DenseNet-BC"). Between blocks a *transition* (BN - ReLU
- 1x1 conv halving the channels - 2x2 average pool) shrinks the maps.

As torchvision builds them: ``densenet121()`` has 7,978,856 parameters, names
``features.conv0.weight``, ``features.denseblock1.denselayer1.norm1.weight``,
``features.transition1.conv.weight``, ``features.norm5.running_var``,
``classifier.weight``. torchvision's ``memory_efficient`` (gradient
checkpointing) is accepted and ignored: it saves memory, not results.
"""
import collections

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor, cat
from ._utils import _check_weights

__all__ = ['DenseNet', 'densenet121', 'densenet161', 'densenet169', 'densenet201']


class _DenseLayer(nn.Module):
    """BN - ReLU - 1x1 conv (``bn_size * growth_rate``) - BN - ReLU - 3x3 conv (``growth_rate``).

    Input: a Tensor or a list of Tensors ``(N, C_i, H, W)``, concatenated along
    the channels (``num_input_features`` in all); output ``(N, growth_rate, H, W)``.
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                 memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1,
                               bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def forward(self, input):
        prev_features = [input] if isinstance(input, Tensor) else input
        bottleneck = self.conv1(self.relu1(self.norm1(cat(prev_features, 1))))
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` :class:`_DenseLayer` s (``denselayer1`` ...), each fed every earlier output.

    Input ``(N, C, H, W)``; output ``(N, C + num_layers * growth_rate, H, W)``.
    """

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                 memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate,
                                bn_size=bn_size, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.add_module(f'denselayer{i + 1}', layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN - ReLU - 1x1 conv - 2x2/2 average pool, between two dense blocks."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """Stem (7x7/2 conv, BN, ReLU, 3x3/2 max pool), four dense blocks with transitions between
    them, a final BN, ReLU, global average pool and ``classifier``.

    Args:
        growth_rate: maps each layer adds (k in the paper).
        block_config: layers in each of the four dense blocks.
        num_init_features: filters of the stem conv.
        bn_size: the bottleneck has ``bn_size * growth_rate`` channels.
        drop_rate: dropout after each dense layer.
        num_classes: outputs of ``classifier``.
        memory_efficient: accepted for torchvision compatibility; ignored.

    Input ``(N, 3, H, W)`` with H, W >= 29 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0, num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(collections.OrderedDict([
            ('conv0', nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ('norm0', nn.BatchNorm2d(num_init_features)),
            ('relu0', nn.ReLU(inplace=True)),
            ('pool0', nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features,
                                bn_size=bn_size, growth_rate=growth_rate, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.features.add_module(f'denseblock{i + 1}', block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f'transition{i + 1}',
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module('norm5', nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():                  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):       # the weight keeps Linear's default
                nn.init.zeros_(m.bias)

    def forward(self, x):
        out = F.relu(self.features(x))
        out = F.adaptive_avg_pool2d(out, (1, 1)).flatten(1)
        return self.classifier(out)


def _densenet(growth_rate, block_config, num_init_features, weights, builder, **kwargs):
    _check_weights(weights, builder)
    return DenseNet(growth_rate, block_config, num_init_features, **kwargs)


def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121 (k = 32, blocks of 6, 12, 24, 16 layers): 7,978,856 parameters.

    ``kwargs`` go to :class:`DenseNet`; ``weights`` must be ``None`` (nothing is
    downloaded), ``progress`` is ignored. The same holds for every builder here.
    """
    return _densenet(32, (6, 12, 24, 16), 64, weights, 'densenet121', **kwargs)


def densenet161(*, weights=None, progress=True, **kwargs):
    """DenseNet-161 (k = 48, blocks of 6, 12, 36, 24, a 96-filter stem): 28,681,000 parameters."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, 'densenet161', **kwargs)


def densenet169(*, weights=None, progress=True, **kwargs):
    """DenseNet-169 (k = 32, blocks of 6, 12, 32, 32): 14,149,480 parameters."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, 'densenet169', **kwargs)


def densenet201(*, weights=None, progress=True, **kwargs):
    """DenseNet-201 (k = 32, blocks of 6, 12, 48, 32): 20,013,928 parameters."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, 'densenet201', **kwargs)
