"""ResNet (He, Zhang, Ren and Sun, 2015): residual blocks, as torchvision builds them.

A block learns a residual ``F(x)`` and outputs ``relu(F(x) + x)``: the identity
path carries the signal (and the gradient) through very deep stacks. When a
block changes the resolution or the width, the shortcut becomes ``downsample``
(a strided 1x1 conv and BatchNorm). ResNet-18/34 use :class:`BasicBlock`
(two 3x3 convs), ResNet-50/101/152 :class:`Bottleneck` (1x1 reduce, 3x3, 1x1
expand by 4). ResNeXt groups the bottleneck's 3x3 conv (``groups``); wide
ResNets widen it (``width_per_group``). Convolutions have no bias (BatchNorm
follows each). Parameter and buffer names equal torchvision's
(``layer1.0.conv1.weight``, ``layer2.0.downsample.1.running_var``,
``fc.bias``), so its weights load unchanged.
"""
from .. import nn
from ._utils import _check_weights, _overwrite_named_param

__all__ = ['ResNet', 'BasicBlock', 'Bottleneck', 'conv3x3', 'conv1x1', 'resnet18', 'resnet34',
           'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
           'resnext101_64x4d', 'wide_resnet50_2', 'wide_resnet101_2']


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with 'same' padding and no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """conv3x3 - BN - ReLU - conv3x3 - BN, plus the shortcut, then ReLU."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """conv1x1 (reduce) - BN - ReLU - conv3x3 (strided) - BN - ReLU - conv1x1 (expand x4) - BN,
    plus the shortcut, then ReLU. The stride sits on the 3x3 conv (torchvision's "ResNet v1.5")."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """Stem (7x7/2 conv, 3x3/2 max pool), four stages ``layer1..4`` of blocks, average pool, ``fc``.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: outputs of ``fc``.
        zero_init_residual: start each block's last BatchNorm at zero, so every
            block begins as the identity (helps very deep nets).
        groups, width_per_group: ResNeXt / wide-ResNet variants of Bottleneck.
        replace_stride_with_dilation: three bools, for stages 2-4: dilate
            instead of striding (keeps resolution, for segmentation).
        norm_layer: the normalisation layer (default ``nn.BatchNorm2d``).

    Input ``(N, 3, H, W)`` with H, W >= 32 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        replace_stride_with_dilation = replace_stride_with_dilation or [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(f"ResNet: replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():                  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _resnet(block, layers, weights, builder, **kwargs):
    _check_weights(weights, builder)
    return ResNet(block, layers, **kwargs)


def resnet18(*, weights=None, progress=True, **kwargs):
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 parameters.

    ``kwargs`` go to :class:`ResNet`; ``weights`` must be ``None`` (nothing is
    downloaded), ``progress`` is ignored. The same holds for every builder here.
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, 'resnet18', **kwargs)


def resnet34(*, weights=None, progress=True, **kwargs):
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 parameters."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, 'resnet34', **kwargs)


def resnet50(*, weights=None, progress=True, **kwargs):
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 parameters."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, 'resnet50', **kwargs)


def resnet101(*, weights=None, progress=True, **kwargs):
    """ResNet-101: Bottlenecks [3, 4, 23, 3]; 44,549,160 parameters."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, 'resnet101', **kwargs)


def resnet152(*, weights=None, progress=True, **kwargs):
    """ResNet-152: Bottlenecks [3, 8, 36, 3]; 60,192,808 parameters."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, 'resnet152', **kwargs)


def resnext50_32x4d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-50 32x4d (Xie et al., 2016): ResNet-50 whose 3x3 convs have 32 groups of 4
    channels per 64 planes (``groups=32, width_per_group=4``); 25,028,904 parameters."""
    _overwrite_named_param(kwargs, 'groups', 32)
    _overwrite_named_param(kwargs, 'width_per_group', 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, 'resnext50_32x4d', **kwargs)


def resnext101_32x8d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-101 32x8d: ``groups=32, width_per_group=8``; 88,791,336 parameters."""
    _overwrite_named_param(kwargs, 'groups', 32)
    _overwrite_named_param(kwargs, 'width_per_group', 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, 'resnext101_32x8d', **kwargs)


def resnext101_64x4d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-101 64x4d: ``groups=64, width_per_group=4``; 83,455,272 parameters."""
    _overwrite_named_param(kwargs, 'groups', 64)
    _overwrite_named_param(kwargs, 'width_per_group', 4)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, 'resnext101_64x4d', **kwargs)


def wide_resnet50_2(*, weights=None, progress=True, **kwargs):
    """Wide ResNet-50-2 (Zagoruyko and Komodakis, 2016): the bottleneck's 1x1 and 3x3 convs
    twice as wide (``width_per_group=128``), the block outputs unchanged; 68,883,240 parameters."""
    _overwrite_named_param(kwargs, 'width_per_group', 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, 'wide_resnet50_2', **kwargs)


def wide_resnet101_2(*, weights=None, progress=True, **kwargs):
    """Wide ResNet-101-2: ``width_per_group=128``; 126,886,696 parameters."""
    _overwrite_named_param(kwargs, 'width_per_group', 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, 'wide_resnet101_2', **kwargs)
