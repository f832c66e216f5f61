"""VGG (Simonyan and Zisserman, 2014): stacks of 3x3 convolutions, as torchvision builds them.

Configurations A, B, D, E of the paper are VGG-11, -13, -16, -19: numbers are
3x3 'same' convolutions with that many filters, ``'M'`` a 2x2 max pool. Two
stacked 3x3 convolutions see a 5x5 window, three see 7x7, with fewer
parameters (27 D^2 instead of 49 D^2) and more non-linearities. Parameter names
equal torchvision's (``features.0.weight``, ``classifier.0.weight``); VGG-16
has 138,357,544 parameters, 102,764,544 of them in the first dense layer.
"""
from .. import nn
from ._utils import _check_weights

__all__ = ['VGG', 'make_layers', 'cfgs', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16',
           'vgg16_bn', 'vgg19', 'vgg19_bn']

cfgs = {
    'A': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'B': [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'D': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    'E': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M',
          512, 512, 512, 512, 'M'],
}


def make_layers(cfg, batch_norm=False, in_channels=3):
    """The ``features`` Sequential of a configuration: conv3x3 [+ BatchNorm] + ReLU, or max pool."""
    layers = []
    for v in cfg:
        if v == 'M':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features`` (from :func:`make_layers`), a 7x7 adaptive average pool and three dense layers.

    Input ``(N, 3, H, W)`` with H, W >= 32 (224 as trained); output ``(N, num_classes)``.
    ``init_weights=False`` keeps the layers' default initialisation (faster to build).
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:                          # torchvision's initialisation
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(cfg, batch_norm, weights, builder, **kwargs):
    _check_weights(weights, builder)
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (configuration A): 132,863,336 parameters.

    ``kwargs`` go to :class:`VGG` (``num_classes``, ``init_weights``,
    ``dropout``); ``weights`` must be ``None`` (nothing is downloaded),
    ``progress`` is ignored. The same holds for every builder here.
    """
    return _vgg('A', False, weights, 'vgg11', **kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with BatchNorm after each convolution: 132,868,840 parameters."""
    return _vgg('A', True, weights, 'vgg11_bn', **kwargs)


def vgg13(*, weights=None, progress=True, **kwargs):
    """VGG-13 (configuration B): 133,047,848 parameters."""
    return _vgg('B', False, weights, 'vgg13', **kwargs)


def vgg13_bn(*, weights=None, progress=True, **kwargs):
    """VGG-13 with BatchNorm after each convolution: 133,053,736 parameters."""
    return _vgg('B', True, weights, 'vgg13_bn', **kwargs)


def vgg16(*, weights=None, progress=True, **kwargs):
    """VGG-16 (configuration D): 138,357,544 parameters."""
    return _vgg('D', False, weights, 'vgg16', **kwargs)


def vgg16_bn(*, weights=None, progress=True, **kwargs):
    """VGG-16 with BatchNorm after each convolution: 138,365,992 parameters."""
    return _vgg('D', True, weights, 'vgg16_bn', **kwargs)


def vgg19(*, weights=None, progress=True, **kwargs):
    """VGG-19 (configuration E): 143,667,240 parameters."""
    return _vgg('E', False, weights, 'vgg19', **kwargs)


def vgg19_bn(*, weights=None, progress=True, **kwargs):
    """VGG-19 with BatchNorm after each convolution: 143,678,248 parameters."""
    return _vgg('E', True, weights, 'vgg19_bn', **kwargs)
