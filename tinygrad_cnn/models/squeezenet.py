"""SqueezeNet (Iandola et al., 2016): AlexNet's accuracy with 50x fewer parameters.

The building block is the *Fire* module: a 1x1 *squeeze* conv cuts the
channels (16 to 64), then two *expand* convs, 1x1 and 3x3, run side by side
and their maps are concatenated. Few channels enter each 3x3 conv, and many of
the filters are 1x1 (9x cheaper). There is no dense layer: a 1x1 conv makes one
map per class and a global average pool turns each map into a logit.

As torchvision builds them: ``squeezenet1_0()`` has 1,248,424 parameters;
``squeezenet1_1()`` (a 3x3 stem and earlier pooling, 2.4x less computation)
has 1,235,496. Names: ``features.0.weight``, ``features.3.squeeze.weight``,
``classifier.1.weight``.
"""
from .. import nn
from ..tensor import cat
from ._utils import _check_weights

__all__ = ['Fire', 'SqueezeNet', 'squeezenet1_0', 'squeezenet1_1']


class Fire(nn.Module):
    """squeeze 1x1 - ReLU, then [expand 1x1 - ReLU, expand 3x3 - ReLU] concatenated.

    Input ``(N, inplanes, H, W)``; output ``(N, expand1x1_planes + expand3x3_planes, H, W)``.
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return cat([self.expand1x1_activation(self.expand1x1(x)),
                    self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """A stem conv, eight :class:`Fire` modules with three 3x3/2 max pools, then dropout, a 1x1
    conv to ``num_classes`` maps, ReLU and a global average pool.

    Args:
        version: ``'1_0'`` (7x7/2 stem, 96 filters) or ``'1_1'`` (3x3/2 stem, 64 filters).
        num_classes: output maps of the final conv.
        dropout: dropout before the final conv.

    Input ``(N, 3, H, W)`` with H, W >= 33 (``'1_0'``) or 17 (``'1_1'``), 224 as trained;
    output ``(N, num_classes)``.
    """

    def __init__(self, version='1_0', num_classes=1000, dropout=0.5):
        super().__init__()
        self.num_classes = num_classes
        if version == '1_0':
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(512, 64, 256, 256),
            )
        elif version == '1_1':
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

        for m in self.modules():                  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                if m is final_conv:               # small, so the first logits are near zero
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


def squeezenet1_0(*, weights=None, progress=True, **kwargs):
    """SqueezeNet 1.0 as ``torchvision.models.squeezenet1_0()``: 1,248,424 parameters.

    ``kwargs`` go to :class:`SqueezeNet`; ``weights`` must be ``None`` (nothing
    is downloaded), ``progress`` is ignored.
    """
    _check_weights(weights, 'squeezenet1_0')
    return SqueezeNet('1_0', **kwargs)


def squeezenet1_1(*, weights=None, progress=True, **kwargs):
    """SqueezeNet 1.1 as ``torchvision.models.squeezenet1_1()``: 1,235,496 parameters."""
    _check_weights(weights, 'squeezenet1_1')
    return SqueezeNet('1_1', **kwargs)
