"""MobileNet v1 (Howard et al., 2017): depthwise separable convolutions.

A standard KxK convolution from M to N channels mixes space and channels at
once: K*K*M*N weights. MobileNet splits it in two: a *depthwise* KxK
convolution filters each channel on its own (``groups=M``: K*K*M weights),
then a *pointwise* 1x1 convolution mixes the channels (M*N weights), about
1/N + 1/K^2 of the cost. As in the paper, every convolution has no bias and
is followed by BatchNorm and ReLU. 4,231,976 parameters for 1000 classes
(Keras' table says 4,253,864: it also counts BatchNorm's running statistics,
which are buffers here). torchvision has no MobileNet v1, so the names are ours.
"""
import collections

from .. import nn

__all__ = ['DepthwiseSeparableConv', 'MobileNetV1', 'mobilenet_v1']

# (output channels, stride) of the 13 depthwise separable layers (Table 1 of the paper)
_LAYERS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class DepthwiseSeparableConv(nn.Module):
    """Depthwise 3x3 conv - BN - ReLU - pointwise 1x1 conv - BN - ReLU (no biases)."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=stride,
                                   padding=1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        x = self.relu1(self.bn1(self.depthwise(x)))
        return self.relu2(self.bn2(self.pointwise(x)))


class MobileNetV1(nn.Module):
    """A 3x3/2 stem conv, 13 depthwise separable layers, global average pool, ``fc``.

    Args:
        num_classes: outputs of ``fc``.
        width_multiplier: alpha of the paper: every layer gets ``int(channels *
            alpha)`` channels (0.25, 0.5, 0.75, 1.0), about alpha^2 of the cost.
        in_channels: input channels.
        dropout: dropout before ``fc`` (0 in the paper).

    Input ``(N, in_channels, H, W)`` (224 as trained; any H, W >= 1);
    output ``(N, num_classes)``.
    """

    def __init__(self, num_classes=1000, width_multiplier=1.0, in_channels=3, dropout=0.0):
        super().__init__()
        if width_multiplier <= 0:
            raise ValueError(f"MobileNetV1: width_multiplier must be > 0, got {width_multiplier}")

        def width(c):
            return max(1, int(c * width_multiplier))

        stem = width(32)
        layers = [('stem', nn.Sequential(collections.OrderedDict([
            ('conv', nn.Conv2d(in_channels, stem, kernel_size=3, stride=2, padding=1,
                               bias=False)),
            ('bn', nn.BatchNorm2d(stem)),
            ('relu', nn.ReLU())])))]
        channels = stem
        for i, (out, stride) in enumerate(_LAYERS, start=1):
            layers.append((f'dw{i}', DepthwiseSeparableConv(channels, width(out), stride)))
            channels = width(out)
        self.features = nn.Sequential(collections.OrderedDict(layers))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        return self.fc(self.dropout(x))


def mobilenet_v1(num_classes=1000, width_multiplier=1.0, **kwargs):
    """MobileNet v1: 4,231,976 parameters for 1000 classes at ``width_multiplier=1``."""
    return MobileNetV1(num_classes=num_classes, width_multiplier=width_multiplier, **kwargs)
