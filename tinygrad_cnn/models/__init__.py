"""The model zoo: the CNNs of the lectures, with torchvision's layer names where it has the model.

Ours: ``LeNet5``, the lectures' Fashion-MNIST CNN (``fmnist_cnn``),
``mobilenet_v1`` (depthwise separable convolutions) and the ShuffleNet v1 unit
(``shufflenet_unit``, ``channel_shuffle``). torchvision's: ``alexnet``,
``vgg11/13/16/19`` (and ``_bn``), ``resnet18/34/50/101/152``, ``resnext*``,
``wide_resnet*``, ``googlenet`` (and its ``Inception`` block),
``mobilenet_v2``, ``squeezenet1_0/1_1``, ``densenet121/161/169/201``,
``shufflenet_v2_x0_5/x1_0/x1_5/x2_0`` and ``mnasnet0_5/0_75/1_0/1_3``, with
torchvision's builder signatures (``resnet18(*, weights=None, progress=True,
**kwargs)``; ``weights`` must be ``None``: nothing is downloaded), default
initialisation, parameter counts and ``state_dict`` keys, so its weights,
converted to numpy, load with ``load_state_dict``.
"""
from .alexnet import AlexNet, alexnet
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .fmnist import conv_block, fmnist_cnn
from .googlenet import BasicConv2d, GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, googlenet
from .lenet import LeNet5
from .mnasnet import MNASNet, mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3
from .mobilenet import DepthwiseSeparableConv, MobileNetV1, mobilenet_v1
from .mobilenetv2 import MobileNetV2, mobilenet_v2
from .resnet import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101,
                     resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d,
                     wide_resnet50_2, wide_resnet101_2)
from .shufflenet import ShuffleNetUnit, channel_shuffle, shufflenet_unit
from .shufflenetv2 import (ShuffleNetV2, shufflenet_v2_x0_5, shufflenet_v2_x1_0,
                           shufflenet_v2_x1_5, shufflenet_v2_x2_0)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = ['LeNet5', 'conv_block', 'fmnist_cnn', 'AlexNet', 'alexnet', 'VGG', 'vgg11', 'vgg11_bn',
           'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn', 'ResNet', 'BasicBlock',
           'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'GoogLeNet', 'GoogLeNetOutputs',
           'Inception', 'InceptionAux', 'BasicConv2d', 'googlenet', 'DepthwiseSeparableConv',
           'MobileNetV1', 'mobilenet_v1', 'ShuffleNetUnit', 'channel_shuffle', 'shufflenet_unit',
           'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d', 'resnext101_64x4d',
           'wide_resnet50_2', 'wide_resnet101_2', 'MobileNetV2', 'mobilenet_v2', 'SqueezeNet',
           'squeezenet1_0', 'squeezenet1_1', 'DenseNet', 'densenet121', 'densenet161',
           'densenet169', 'densenet201', 'ShuffleNetV2', 'shufflenet_v2_x0_5',
           'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0', 'MNASNet',
           'mnasnet0_5', 'mnasnet0_75', 'mnasnet1_0', 'mnasnet1_3']
