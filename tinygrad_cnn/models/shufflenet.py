"""The ShuffleNet unit (Zhang, Zhou, Lin and Sun, 2017): grouped 1x1 convs plus a channel shuffle.

Grouped convolutions (``groups=g``) cut a 1x1 conv's cost by g, but then each
output group only ever sees one input group. The *channel shuffle* fixes that
for free: view the C channels as a (g, C/g) grid, transpose it and flatten, so
the next grouped conv gets channels from every group.

A unit (Fig. 2 of the paper): grouped 1x1 conv (bottleneck, a quarter of the
output channels) - BN - ReLU - shuffle - depthwise 3x3 conv - BN - grouped 1x1
conv - BN, then either ``relu(x + branch)`` (stride 1) or
``relu(cat(avgpool3x3/2(x), branch))`` (stride 2: the shortcut is
concatenated, so the branch makes only ``out - in`` channels).
"""
from .. import nn
from ..nn.functional import channel_shuffle
from ..tensor import cat

__all__ = ['channel_shuffle', 'ShuffleNetUnit', 'shufflenet_unit']


class ShuffleNetUnit(nn.Module):
    """One ShuffleNet v1 unit.

    Args:
        in_channels, out_channels: with ``stride=1`` they must be equal.
        groups: groups of the 1x1 convolutions (1, 2, 3, 4 or 8 in the paper).
        stride: 1 (residual add) or 2 (halves H and W, concatenates the shortcut).
        first_grouped: group the first 1x1 conv too; the paper does not where
            the input has few channels (the first unit of stage 2).

    Input ``(N, in_channels, H, W)``; output ``(N, out_channels, H / stride, W / stride)``.
    """

    def __init__(self, in_channels, out_channels, groups=3, stride=1, first_grouped=True):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"ShuffleNetUnit: stride must be 1 or 2, got {stride}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"ShuffleNetUnit: with stride=1 the residual add needs in_channels "
                             f"== out_channels, got {in_channels} and {out_channels}")
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        mid = out_channels // 4
        first_groups = groups if first_grouped else 1
        for name, c, g in (('in_channels', in_channels, first_groups), ('bottleneck', mid, groups),
                           ('branch output', branch_out, groups)):
            if c <= 0 or c % g:
                raise ValueError(f"ShuffleNetUnit: {name} channels ({c}) must be a positive "
                                 f"multiple of groups={g} (in_channels={in_channels}, "
                                 f"out_channels={out_channels})")
        self.groups, self.first_groups, self.stride = groups, first_groups, stride
        self.gconv1 = nn.Conv2d(in_channels, mid, kernel_size=1, groups=first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.dwconv = nn.Conv2d(mid, mid, kernel_size=3, stride=stride, padding=1, groups=mid,
                                bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.gconv2 = nn.Conv2d(mid, branch_out, kernel_size=1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch_out)
        self.shortcut = nn.AvgPool2d(kernel_size=3, stride=2, padding=1) if stride == 2 else None

    def forward(self, x):
        out = self.bn1(self.gconv1(x)).relu()
        out = channel_shuffle(out, self.groups) if self.first_groups > 1 else out
        out = self.bn3(self.gconv2(self.bn2(self.dwconv(out))))
        if self.stride == 1:
            return (x + out).relu()
        return cat([self.shortcut(x), out], 1).relu()


def shufflenet_unit(in_channels, out_channels, groups=3, stride=1, first_grouped=True):
    """A :class:`ShuffleNetUnit`."""
    return ShuffleNetUnit(in_channels, out_channels, groups, stride, first_grouped)
