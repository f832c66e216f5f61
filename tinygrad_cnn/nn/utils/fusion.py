"""Fold an eval-mode BatchNorm into the convolution or linear layer before it.

In eval mode BatchNorm is the affine map ``y = (x - mean) * gamma / sqrt(var + eps) +
beta`` per channel, so ``bn(conv(x))`` equals one convolution with the weight of each
output channel scaled by ``s = gamma / sqrt(var + eps)`` and the bias
``(b - mean) * s + beta``: one layer less at inference, same outputs.
"""
import copy

from ...tensor import ones_like, zeros_like
from ..parameter import Parameter

__all__ = ['fuse_conv_bn_eval', 'fuse_conv_bn_weights', 'fuse_linear_bn_eval',
           'fuse_linear_bn_weights']


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The fused ``(weight, bias)`` Parameters of a conv (weight (out, in, *k), or
    (in, out, *k) with ``transpose``) followed by BatchNorm with running mean ``bn_rm``,
    variance ``bn_rv``, ``bn_eps`` and affine ``bn_w``/``bn_b`` (None: 1 and 0). The
    weight keeps conv_w's dtype, the bias conv_b's."""
    weight_dtype = conv_w.dtype
    bias_dtype = conv_w.dtype if conv_b is None else conv_b.dtype
    conv_b = zeros_like(bn_rm) if conv_b is None else conv_b
    bn_w = ones_like(bn_rm) if bn_w is None else bn_w
    bn_b = zeros_like(bn_rm) if bn_b is None else bn_b
    rsqrt = (bn_rv + bn_eps).rsqrt()
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
    w = (conv_w * (bn_w * rsqrt).reshape(shape)).to(weight_dtype)
    b = ((conv_b - bn_rm) * rsqrt * bn_w + bn_b).to(bias_dtype)
    return (Parameter(w.detach().data, requires_grad=conv_w.requires_grad),
            Parameter(b.detach().data, requires_grad=conv_b.requires_grad))


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` (in eval mode) with ``bn`` (in eval mode) folded in."""
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(conv)
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean,
                                                    bn.running_var, bn.eps, bn.weight, bn.bias,
                                                    transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused ``(weight, bias)`` Parameters of a Linear (weight (out, in)) followed by
    BatchNorm1d over its out features (or over 1 feature, broadcast)."""
    weight_dtype = linear_w.dtype
    bias_dtype = linear_w.dtype if linear_b is None else linear_b.dtype
    linear_b = zeros_like(bn_rm) if linear_b is None else linear_b
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    w = linear_w * scale.unsqueeze(-1).to(weight_dtype)
    b = ((linear_b - bn_rm) * scale + bn_b).to(bias_dtype)
    return (Parameter(w.detach().data, requires_grad=linear_w.requires_grad),
            Parameter(b.detach().data, requires_grad=linear_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` (in eval mode) with ``bn`` (in eval mode) folded in."""
    assert not (linear.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(linear)
    assert linear.out_features == bn.num_features or bn.num_features == 1, \
        "To fuse, linear.out_features == bn.num_features or bn.num_features == 1"
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean,
                                                      bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
