"""The model zoo: the CNNs of the lectures, with torchvision's layer names where it has the model.

``LeNet5``, the lectures' Fashion-MNIST CNN (``fmnist_cnn``), ``alexnet``,
``vgg11/13/16/19`` (and ``_bn``), ``resnet18/34/50``, ``googlenet`` (and its
``Inception`` block), ``mobilenet_v1`` (depthwise separable convolutions) and
the ShuffleNet unit (``shufflenet_unit``, ``channel_shuffle``). Parameter
counts equal torchvision's for the same configuration, so its weights load
with ``load_state_dict``.
"""
from .alexnet import AlexNet, alexnet
from .fmnist import conv_block, fmnist_cnn
from .googlenet import BasicConv2d, GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, googlenet
from .lenet import LeNet5
from .mobilenet import DepthwiseSeparableConv, MobileNetV1, mobilenet_v1
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .shufflenet import ShuffleNetUnit, channel_shuffle, shufflenet_unit
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = ['LeNet5', 'conv_block', 'fmnist_cnn', 'AlexNet', 'alexnet', 'VGG', 'vgg11', 'vgg11_bn',
           'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn', 'ResNet', 'BasicBlock',
           'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'GoogLeNet', 'GoogLeNetOutputs',
           'Inception', 'InceptionAux', 'BasicConv2d', 'googlenet', 'DepthwiseSeparableConv',
           'MobileNetV1', 'mobilenet_v1', 'ShuffleNetUnit', 'channel_shuffle', 'shufflenet_unit']
