"""GoogLeNet / Inception v1 (Szegedy et al., 2014), as torchvision builds it.

An Inception block runs four branches on the same input and concatenates
their maps along the channels: a 1x1 conv; a 1x1 "bottleneck" then a 3x3; a
1x1 bottleneck then a "5x5"; a 3x3 max pool then a 1x1 projection. The 1x1
bottlenecks cut the cost of the larger kernels (the lectures' example: 120M
multiplications become 12.4M). Every conv is a :class:`BasicConv2d`: conv
(no bias), BatchNorm (eps 0.001), ReLU — the batch-norm version torchvision
trains, not the 2014 original.

torchvision's "5x5" branch actually uses a 3x3 kernel (kept for its
pretrained weights); ``googlenet()`` does the same, so it has 6,624,904
parameters without the auxiliary classifiers (``aux_logits=False``; with
them, torchvision's default, 13,004,888), and torchvision's weights load
unchanged. ``five_by_five=True`` builds the paper's 5x5 kernels instead.
"""
import collections

from .. import nn
from ..nn import functional as F
from ..tensor import cat
from ._utils import _check_weights

__all__ = ['GoogLeNet', 'GoogLeNetOutputs', 'Inception', 'InceptionAux', 'BasicConv2d',
           'googlenet']

GoogLeNetOutputs = collections.namedtuple('GoogLeNetOutputs',
                                          ['logits', 'aux_logits2', 'aux_logits1'])


class BasicConv2d(nn.Module):
    """Conv2d (no bias) - BatchNorm2d(eps=0.001) - ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four parallel branches, concatenated: output channels ``ch1x1 + ch3x3 + ch5x5 + pool_proj``.

    Args:
        in_channels: input channels.
        ch1x1: filters of the 1x1 branch.
        ch3x3red, ch3x3: bottleneck and 3x3 filters of the second branch.
        ch5x5red, ch5x5: bottleneck and "5x5" filters of the third branch.
        pool_proj: 1x1 filters after the 3x3 max pool of the fourth branch.
        conv_block: the conv - BN - ReLU block (default :class:`BasicConv2d`).
        five_by_five: use a real 5x5 kernel in the third branch (the paper)
            instead of torchvision's 3x3.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 conv_block=None, five_by_five=False):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        k = 5 if five_by_five else 3
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=k, padding=k // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1,
                                                  ceil_mode=True),
                                     conv_block(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate map (training only): 4x4 average pool,
    1x1 conv to 128, dense 1024, dropout 0.7, dense ``num_classes``."""

    def __init__(self, in_channels, num_classes, conv_block=None, dropout=0.7):
        super().__init__()
        self.conv = (conv_block or BasicConv2d)(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4))).flatten(1)
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """GoogLeNet with torchvision's layer names (``conv1``, ``inception3a``, ..., ``fc``).

    Args:
        num_classes: outputs of ``fc``.
        aux_logits: add the two auxiliary classifiers (the default, as in
            torchvision); in training mode the forward then returns
            ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``.
        transform_input: map inputs normalised with ImageNet's mean/std to the
            (x - 0.5) / 0.5 normalisation torchvision's weights were trained with.
        init_weights: torchvision's truncated-normal initialisation (``None``
            means ``True``, without torchvision's FutureWarning); ``False`` keeps
            the layers' defaults.
        blocks: ``[conv_block, inception_block, inception_aux_block]``, default
            ``[BasicConv2d, Inception, InceptionAux]``.
        dropout, dropout_aux: dropout before ``fc`` and in the auxiliary classifiers.
        five_by_five: real 5x5 kernels in the Inception blocks (the paper).

    Input ``(N, 3, H, W)`` with H, W >= 15 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False,
                 init_weights=None, blocks=None, dropout=0.2, dropout_aux=0.7,
                 five_by_five=False):
        super().__init__()
        blocks = blocks or [BasicConv2d, Inception, InceptionAux]
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        def inception(*channels):
            if five_by_five:
                return inception_block(*channels, five_by_five=True)
            return inception_block(*channels)

        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception(832, 384, 192, 384, 48, 128, 128)
        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights is None or init_weights:  # torchvision's initialisation
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def _transform_input(self, x):
        if not self.transform_input:
            return x
        # undo ImageNet's (x - mean) / std and apply (x - 0.5) / 0.5, channel by channel
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        return cat([x[:, c:c + 1] * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5 for c in range(3)], 1)

    def forward(self, x):
        x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.aux_logits and self.training:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(*, weights=None, progress=True, **kwargs):
    """GoogLeNet as ``torchvision.models.googlenet()``: 13,004,888 parameters for 1000 classes,
    6,379,984 of them in the two auxiliary classifiers (``aux_logits=False``: 6,624,904).

    ``kwargs`` go to :class:`GoogLeNet`; ``weights`` must be ``None`` (nothing
    is downloaded), ``progress`` is ignored.
    """
    _check_weights(weights, 'googlenet')
    return GoogLeNet(**kwargs)
