"""MobileNet v2 (Sandler et al., 2018): inverted residuals with linear bottlenecks.

MobileNet v1 (:mod:`.mobilenet`) stacks depthwise separable convolutions. v2
wraps each one in an *inverted residual*: a 1x1 conv first *expands* the
channels t times (t = 6), the depthwise 3x3 conv filters in that wide space,
and a 1x1 conv projects back to a narrow *linear bottleneck* — no ReLU after
it, since a ReLU in a narrow space loses information. The shortcut joins the
narrow ends (stride 1, same width), the opposite of ResNet's bottleneck, which
is wide at its ends. Activations are ReLU6, min(max(x, 0), 6).

As torchvision builds it: 3,504,872 parameters for 1000 classes, names
``features.0.0.weight`` (the stem conv), ``features.1.conv.0.0.weight``,
``features.18.1.running_var``, ``classifier.1.weight``.
"""
from .. import nn
from ..nn import functional as F
from ._utils import _check_weights

__all__ = ['Conv2dNormActivation', 'InvertedResidual', 'MobileNetV2', 'mobilenet_v2']


def _make_divisible(v, divisor, min_value=None):
    """Round ``v`` channels to a multiple of ``divisor``, never more than 10% down
    (the TensorFlow reference's rule, which the pretrained weights follow)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dNormActivation(nn.Sequential):
    """Conv2d - norm - activation as one Sequential (``torchvision.ops.Conv2dNormActivation``).

    ``padding=None`` keeps the size at stride 1 (``(kernel_size - 1) // 2 * dilation``);
    the conv has a bias only without a norm layer (``bias=None``); ``norm_layer`` or
    ``activation_layer`` ``None`` leaves that layer out.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True,
                 bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {'inplace': inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class InvertedResidual(nn.Module):
    """1x1 expand (x ``expand_ratio``) - ReLU6 - depthwise 3x3 - ReLU6 - 1x1 project (linear),
    plus the input where ``stride == 1`` and ``inp == oup``.

    Input ``(N, inp, H, W)``; output ``(N, oup, H / stride, W / stride)``.
    """

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:                 # t = 1 (the first block) has nothing to expand
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                 norm_layer=norm_layer, activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),   # the linear bottleneck: no ReLU
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """A 3x3/2 stem conv (32), 17 inverted residuals, a 1x1 conv to 1280, global average pool,
    dropout, dense.

    Args:
        num_classes: outputs of the classifier.
        width_mult: scales every layer's channels (rounded to ``round_nearest``);
            the last conv keeps at least 1280.
        inverted_residual_setting: rows ``[t, c, n, s]``: expansion t, output
            channels c, n blocks, the first with stride s (default: the paper's Table 2).
        round_nearest: channel counts are multiples of this (1: no rounding).
        block: the block class (default :class:`InvertedResidual`).
        norm_layer: the normalisation layer (default ``nn.BatchNorm2d``).
        dropout: dropout before the dense layer.

    Input ``(N, 3, H, W)``, any H, W >= 1 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None,
                 round_nearest=8, block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, "
                             f"got {inverted_residual_setting}")
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1,
                                      expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))

        for m in self.modules():                  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1)).flatten(1)
        return self.classifier(x)


def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """MobileNet v2 as ``torchvision.models.mobilenet_v2()``: 3,504,872 parameters.

    ``kwargs`` go to :class:`MobileNetV2`; ``weights`` must be ``None`` (nothing
    is downloaded), ``progress`` is ignored.
    """
    _check_weights(weights, 'mobilenet_v2')
    return MobileNetV2(**kwargs)
