"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), as in the lectures' table.

=========  ==================  =======  ===============  ======
layer      input               filters  output           params
=========  ==================  =======  ===============  ======
C1: conv   32 x 32 x 1         6 @ 5x5  28 x 28 x 6         156
S2: pool   28 x 28 x 6         2x2 / 2  14 x 14 x 6           0
C3: conv   14 x 14 x 6         16 @ 5x5 10 x 10 x 16      2,416
S4: pool   10 x 10 x 16        2x2 / 2  5 x 5 x 16            0
C5: conv   5 x 5 x 16          120@ 5x5 1 x 1 x 120      48,120
F6: FC     120                          84               10,164
output     84                           10                  850
=========  ==================  =======  ===============  ======

61,706 parameters in all. Every C3 map sees all six S2 maps (the 1998 paper
wired C3 to subsets of them, 60,000 parameters, to break symmetry; the lectures
and modern code connect them fully). C5 is a 5x5 convolution over a 5x5 input,
i.e. a fully connected layer on the 16*5*5 = 400 flattened features.
"""
import collections

from .. import nn

__all__ = ['LeNet5']


class LeNet5(nn.Sequential):
    """LeNet-5, with the lectures' layer names: ``c1, s2, c3, s4, c5, f6, output``.

    Args:
        num_classes: size of the output layer.
        in_channels: 1 for grey-scale digits.
        activation: ``'tanh'`` (the original) or ``'relu'``.
        pooling: ``'avg'`` (the original subsampling) or ``'max'``.
        padding: zero padding of C1. Use ``padding=2`` for 28x28 inputs
            (MNIST, Fashion-MNIST): the maps then have the sizes of a 32x32 input.

    Input ``(N, in_channels, 32, 32)`` (or 28x28 with ``padding=2``); output
    ``(N, num_classes)`` scores (logits: the softmax is in the loss).
    """

    def __init__(self, num_classes=10, in_channels=1, activation='tanh', pooling='avg', padding=0):
        acts = {'tanh': nn.Tanh, 'relu': nn.ReLU}
        pools = {'avg': nn.AvgPool2d, 'max': nn.MaxPool2d}
        if activation not in acts:
            raise ValueError(f"LeNet5: activation must be 'tanh' or 'relu', got {activation!r}")
        if pooling not in pools:
            raise ValueError(f"LeNet5: pooling must be 'avg' or 'max', got {pooling!r}")
        act, pool = acts[activation], pools[pooling]
        super().__init__(collections.OrderedDict([
            ('c1', nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding)),
            ('act1', act()),
            ('s2', pool(kernel_size=2, stride=2)),
            ('c3', nn.Conv2d(6, 16, kernel_size=5)),
            ('act3', act()),
            ('s4', pool(kernel_size=2, stride=2)),
            ('c5', nn.Conv2d(16, 120, kernel_size=5)),
            ('act5', act()),
            ('flatten', nn.Flatten()),
            ('f6', nn.Linear(120, 84)),
            ('act6', act()),
            ('output', nn.Linear(84, num_classes)),
        ]))
