"""ShuffleNet v2 (Ma, Zhang, Zheng and Sun, 2018), as torchvision builds it.

ShuffleNet v1 (:mod:`.shufflenet`) cut the cost of 1x1 convs by grouping them.
v2 measures speed rather than counting multiply-adds, and drops the grouped
convs (memory access, not arithmetic, is what they cost). Its unit, the
:class:`InvertedResidual` here, *splits* the channels in two halves: one half
passes untouched, the other goes through 1x1 conv - depthwise 3x3 conv - 1x1
conv, both with the same width; the halves are concatenated and
``channel_shuffle(x, 2)`` mixes them for the next unit. A stride-2 unit sends
the whole input down both branches (the first with a depthwise 3x3/2 and a 1x1
conv), doubling the channels.

``shufflenet_v2_x0_5/x1_0/x1_5/x2_0`` scale the widths: 1,366,792 /
2,278,604 / 3,503,624 / 7,393,996 parameters for 1000 classes. Names:
``conv1.0.weight``, ``stage2.0.branch1.0.weight``, ``stage4.3.branch2.7.bias``,
``conv5.1.running_var``, ``fc.weight``.
"""
from .. import nn
from ..nn import functional as F
from ..tensor import cat
from ._utils import _check_weights

__all__ = ['ShuffleNetV2', 'shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5',
           'shufflenet_v2_x2_0']


class InvertedResidual(nn.Module):
    """The ShuffleNet v2 unit: split (stride 1) or duplicate (stride 2), one or two branches,
    concatenate, ``channel_shuffle(·, 2)``.

    Input ``(N, inp, H, W)``; output ``(N, oup, H / stride, W / stride)``. With
    ``stride=1``, ``inp`` must equal ``oup`` (half of it passes through).
    """

    def __init__(self, inp, oup, stride):
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             f"values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()        # the passed-through half
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1,
                      stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=stride,
                                padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
        """A ``kernel_size`` conv with ``groups=i``: one filter per input channel."""
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat([x1, self.branch2(x2)], 1)
        else:
            out = cat([self.branch1(x), self.branch2(x)], 1)
        return F.channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """A 3x3/2 stem conv and 3x3/2 max pool, three stages of units (each opening with a
    stride-2 unit), a 1x1 conv ``conv5``, global average pool, ``fc``.

    Args:
        stages_repeats: units in ``stage2``, ``stage3``, ``stage4`` (three ints).
        stages_out_channels: channels of ``conv1``, the three stages and ``conv5`` (five ints).
        num_classes: outputs of ``fc``.
        inverted_residual: the unit class (default :class:`InvertedResidual`).

    Input ``(N, 3, H, W)``, any H, W >= 1 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, stages_repeats, stages_out_channels, num_classes=1000,
                 inverted_residual=InvertedResidual):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        output_channels = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, output_channels, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(('stage2', 'stage3', 'stage4'), stages_repeats,
                                                  stages_out_channels[1:]):
            units = [inverted_residual(input_channels, output_channels, 2)]
            units += [inverted_residual(output_channels, output_channels, 1)
                      for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*units))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))            # global average pool


def _shufflenetv2(weights, builder, *args, **kwargs):
    _check_weights(weights, builder)
    return ShuffleNetV2(*args, **kwargs)


def shufflenet_v2_x0_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNet v2 0.5x (stages of 48, 96, 192 channels): 1,366,792 parameters.

    ``kwargs`` go to :class:`ShuffleNetV2`; ``weights`` must be ``None``
    (nothing is downloaded), ``progress`` is ignored. The same holds for every
    builder here.
    """
    return _shufflenetv2(weights, 'shufflenet_v2_x0_5', [4, 8, 4], [24, 48, 96, 192, 1024],
                         **kwargs)


def shufflenet_v2_x1_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNet v2 1.0x (116, 232, 464 channels): 2,278,604 parameters."""
    return _shufflenetv2(weights, 'shufflenet_v2_x1_0', [4, 8, 4], [24, 116, 232, 464, 1024],
                         **kwargs)


def shufflenet_v2_x1_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNet v2 1.5x (176, 352, 704 channels): 3,503,624 parameters."""
    return _shufflenetv2(weights, 'shufflenet_v2_x1_5', [4, 8, 4], [24, 176, 352, 704, 1024],
                         **kwargs)


def shufflenet_v2_x2_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNet v2 2.0x (244, 488, 976 channels; 2048 in ``conv5``): 7,393,996 parameters."""
    return _shufflenetv2(weights, 'shufflenet_v2_x2_0', [4, 8, 4], [24, 244, 488, 976, 2048],
                         **kwargs)
