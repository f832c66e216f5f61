"""Affine maps: ``F.linear`` (one fused op) and ``F.bilinear``."""
import numpy as np

from ...autograd import Function

__all__ = ['linear', 'bilinear']


class Linear(Function):
    """y = x W^T + b for x: (*, in), W: (out, in), b: (out,) (or any shape that
    broadcasts to the output's, as in PyTorch) or None.

    One op instead of transpose + matmul + add: one matrix product forward,
    two backward (dx = dy W, dW = dy^T x) and a sum for db.
    """
    def forward(self, x, weight, bias):
        # leading dims flattened: one big GEMM instead of a batch of small ones
        out = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + (weight.shape[0],))
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight, bias = self.inputs
        need_x, need_w, need_b = self.needs_input_grad
        out_features, in_features = weight.shape
        grad2d = grad.reshape(-1, out_features)
        return ((grad2d @ weight).reshape(x.shape) if need_x else None,
                grad2d.T @ x.reshape(-1, in_features) if need_w else None,
                grad._sum_to(bias.shape) if need_b else None)


def _broadcasts_to(shape, target):
    """True if ``shape`` broadcasts to ``target`` without enlarging it."""
    try:
        return np.broadcast_shapes(tuple(shape), target) == target
    except ValueError:
        return False


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias; input: (*, in), weight: (out, in), bias: (out,)."""
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: expected input of shape (*, in_features) and weight of shape "
                           f"(out_features, in_features), got input.shape={tuple(input.shape)} "
                           f"and weight.shape={tuple(weight.shape)}")
    out_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
    if bias is not None and not _broadcasts_to(bias.shape, out_shape):
        raise RuntimeError(f"linear: expected bias of shape ({weight.shape[0]},) (or one that "
                           f"broadcasts to the output shape {out_shape}) for weight.shape="
                           f"{tuple(weight.shape)}, got bias.shape={tuple(bias.shape)}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"linear: expected input and weight to have the same dtype, got "
                           f"input.dtype={input.dtype} and weight.dtype={weight.dtype}")
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = input1^T W_k input2 + b_k; input1: (*, in1), input2: (*, in2),
    weight: (out, in1, in2), bias: (out,) -> (*, out)."""
    if weight.ndim != 3 or input1.shape[-1:] != weight.shape[1:2] \
            or input2.shape[-1:] != weight.shape[2:] or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: expected input1 (*, in1), input2 (*, in2) and weight "
                           f"(out, in1, in2), got input1.shape={tuple(input1.shape)}, input2.shape="
                           f"{tuple(input2.shape)}, weight.shape={tuple(weight.shape)}")
    out_features, in1, in2 = weight.shape
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out * in2): x1^T W_k for every k at once, then dot with x2
    t = x1 @ weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    y = (t.reshape(-1, out_features, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(input1.shape[:-1] + (out_features,))
