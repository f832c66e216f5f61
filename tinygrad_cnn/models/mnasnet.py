"""MnasNet (Tan et al., 2018): a MobileNet v2-like net found by architecture search, variant B1.

The search, run for speed on a phone, kept MobileNet v2's inverted residual
(1x1 expand - ReLU - depthwise conv - ReLU - 1x1 linear projection, plus the
input where the shapes agree) but chose per stage the expansion (3 or 6), the
depthwise kernel (3x3 or 5x5) and the depth. ``alpha`` scales the widths like
MobileNet's width multiplier. BatchNorm uses TensorFlow's momentum (0.0003).

As torchvision builds them: ``mnasnet0_5/0_75/1_0/1_3`` have 2,218,512 /
3,170,208 / 4,383,312 / 6,282,256 parameters for 1000 classes, names
``layers.0.weight``, ``layers.8.0.layers.0.weight``, ``classifier.1.weight``.
Checkpoints saved by torchvision before 0.9 (the old stem) are not converted.
"""
from .. import nn
from ._utils import _check_weights

__all__ = ['MNASNet', 'mnasnet0_5', 'mnasnet0_75', 'mnasnet1_0', 'mnasnet1_3']

# TensorFlow's BatchNorm keeps 0.9997 of the running statistics: PyTorch's momentum is 1 - that
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1x1 expand - BN - ReLU - depthwise KxK - BN - ReLU - 1x1 project - BN, plus the input
    where ``in_ch == out_ch`` and ``stride == 1``."""

    def __init__(self, in_ch, out_ch, kernel_size, stride, expansion_factor, bn_momentum=0.1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in (3, 5):
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input):
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats, bn_momentum):
    """``repeats`` inverted residuals, the first with ``stride``."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor,
                              bn_momentum=bn_momentum)
    remaining = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor,
                                   bn_momentum=bn_momentum) for _ in range(1, repeats)]
    return nn.Sequential(first, *remaining)


def _round_to_multiple_of(val, divisor, round_up_bias=0.9):
    """Round ``val`` to a multiple of ``divisor``, up unless that is within 10%:
    (83, 8) -> 80, (84, 8) -> 88."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(f"round_up_bias should be greater than 0.0 and smaller than 1.0 instead "
                         f"of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha):
    """The eight stage widths scaled by ``alpha``, multiples of 8."""
    return [_round_to_multiple_of(depth * alpha, 8) for depth in (32, 16, 24, 40, 80, 96, 192, 320)]


class MNASNet(nn.Module):
    """A 3x3/2 stem conv, a depthwise separable conv, six stacks of inverted residuals, a 1x1
    conv to 1280, global average pool, dropout, dense.

    Args:
        alpha: width multiplier (> 0).
        num_classes: outputs of the classifier.
        dropout: dropout before the dense layer.

    Input ``(N, 3, H, W)``, any H, W >= 1 (224 as trained); output ``(N, num_classes)``.
    """

    def __init__(self, alpha, num_classes=1000, dropout=0.2):
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        self.layers = nn.Sequential(
            nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            # depthwise separable, no skip
            nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0], bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
            # (in, out, kernel, stride, expansion, repeats)
            _stack(depths[1], depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[2], depths[3], 5, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[3], depths[4], 5, 2, 6, 3, _BN_MOMENTUM),
            _stack(depths[4], depths[5], 3, 1, 6, 2, _BN_MOMENTUM),
            _stack(depths[5], depths[6], 5, 2, 6, 4, _BN_MOMENTUM),
            _stack(depths[6], depths[7], 3, 1, 6, 1, _BN_MOMENTUM),
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))

        for m in self.modules():                  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, mode='fan_out', nonlinearity='sigmoid')
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))


def _mnasnet(alpha, weights, builder, **kwargs):
    _check_weights(weights, builder)
    return MNASNet(alpha, **kwargs)


def mnasnet0_5(*, weights=None, progress=True, **kwargs):
    """MnasNet with widths x0.5: 2,218,512 parameters.

    ``kwargs`` go to :class:`MNASNet`; ``weights`` must be ``None`` (nothing is
    downloaded), ``progress`` is ignored. The same holds for every builder here.
    """
    return _mnasnet(0.5, weights, 'mnasnet0_5', **kwargs)


def mnasnet0_75(*, weights=None, progress=True, **kwargs):
    """MnasNet with widths x0.75: 3,170,208 parameters."""
    return _mnasnet(0.75, weights, 'mnasnet0_75', **kwargs)


def mnasnet1_0(*, weights=None, progress=True, **kwargs):
    """MnasNet with widths x1.0: 4,383,312 parameters."""
    return _mnasnet(1.0, weights, 'mnasnet1_0', **kwargs)


def mnasnet1_3(*, weights=None, progress=True, **kwargs):
    """MnasNet with widths x1.3: 6,282,256 parameters."""
    return _mnasnet(1.3, weights, 'mnasnet1_3', **kwargs)
