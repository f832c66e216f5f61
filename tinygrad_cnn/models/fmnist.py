"""The lectures' block CNN for Fashion-MNIST (about 93.5% test accuracy, against ~88% for an MLP).

The lectures build it from a repeated block, "a typical block-based CNN pattern":

    conv 3x3 (n filters) - ReLU - batch norm - conv 3x3 (n) - ReLU - batch norm
    - max pool 2x2 - dropout 0.25

with n = 32 and then 64 ('same' padding, so 28x28 -> 14x14 -> 7x7), followed
by dense 512 - ReLU - batch norm - dropout - dense 10. As in the lectures'
(Keras) table, each activation comes *before* its batch norm. The table gives
1,679,082 parameters, which counts BatchNorm's running mean and variance
(1,408 numbers); here those are buffers, so ``parameters()`` holds 1,677,674.
The lectures do not give the dense layer's dropout rate; 0.5 is the usual
choice for this model. The final softmax lives in the loss (``F.cross_entropy``).
"""
import collections

from .. import nn

__all__ = ['conv_block', 'fmnist_cnn']


def conv_block(in_channels, channels, dropout=0.25):
    """The lectures' CNN building block: two 3x3 'same' convs (each followed by
    ReLU and batch norm), a 2x2 max pool and dropout; halves the spatial size."""
    return nn.Sequential(collections.OrderedDict([
        ('conv1', nn.Conv2d(in_channels, channels, kernel_size=3, padding=1)),
        ('relu1', nn.ReLU()),
        ('bn1', nn.BatchNorm2d(channels)),
        ('conv2', nn.Conv2d(channels, channels, kernel_size=3, padding=1)),
        ('relu2', nn.ReLU()),
        ('bn2', nn.BatchNorm2d(channels)),
        ('pool', nn.MaxPool2d(2)),
        ('dropout', nn.Dropout(dropout)),
    ]))


def fmnist_cnn(num_classes=10, in_channels=1, dropout=0.25, dense_dropout=0.5):
    """The Fashion-MNIST CNN of the lectures: blocks of 32 and 64 filters, dense 512, dense 10.

    Input ``(N, 1, 28, 28)``; output ``(N, num_classes)`` logits. 1,677,674 parameters.
    """
    return nn.Sequential(collections.OrderedDict([
        ('block1', conv_block(in_channels, 32, dropout)),
        ('block2', conv_block(32, 64, dropout)),
        ('flatten', nn.Flatten()),
        ('fc1', nn.Linear(64 * 7 * 7, 512)),
        ('relu', nn.ReLU()),
        ('bn', nn.BatchNorm1d(512)),
        ('dropout', nn.Dropout(dense_dropout)),
        ('fc2', nn.Linear(512, num_classes)),
    ]))
