"""``summary(model, input_size)``: a layer-by-layer table of a model, like torchinfo's.

One forward pass of a zero input (under ``no_grad``, in eval mode, so nothing
in the model changes) with a forward hook on every leaf module records each
layer's output shape; parameter counts come from the modules themselves.

Multiply-accumulates follow torchinfo's conventions, so the numbers can be
compared with it directly. They count each parameter once per output position
it touches, for the whole batch:

- ``Conv*``: ``(weight.numel() + bias.numel()) * N * prod(output spatial
  size)``; for a convolution this is ``out_elements * (in_channels/groups) *
  prod(kernel)`` for the weights plus ``out_elements`` for the bias.
- ``Linear``: ``(weight.numel() + bias.numel()) * prod(output.shape[:-1])``.
- other layers with ``weight``/``bias`` (BatchNorm, LayerNorm): ``N * numel``;
  recurrent weights (``weight_ih_l0``, ...): ``prod(output.shape[:2]) * numel``.
- layers without parameters (pooling, activations) count 0.

The receptive field column gives, for conv/pool stacks, the size of the input
window one output position sees: ``rf_out = rf_in + (kernel - 1) * dilation *
jump_in`` and ``jump_out = jump_in * stride``, with ``rf = jump = 1`` at the
input. Where branches merge (a residual add, an Inception concat) the largest
receptive field seen so far is used; after flattening or global pooling it is
``-``.
"""
import math
import weakref

import numpy as np

from .autograd import no_grad
from .tensor import Tensor, zeros
from .viz._common import evaluating

__all__ = ['ModelSummary', 'summary']


def _tensors(output):
    """The Tensors in a module output (a Tensor, or a tuple/list such as an RNN's)."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for o in output for t in _tensors(o)]
    return []


def _mult_adds(module, params, out_shape):
    """Multiply-accumulates of one call, torchinfo's way (see the module docstring)."""
    kind = type(module).__name__
    total = 0
    for name, p in params:
        n = p.numel()
        if name in ('weight', 'bias'):
            if 'Conv' in kind:
                total += n * math.prod(out_shape[:1] + out_shape[2:])
            elif 'Linear' in kind:
                total += n * math.prod(out_shape[:-1])
            else:
                total += n * out_shape[0]
        elif 'weight' in name or 'bias' in name:            # recurrent layers
            total += n * math.prod(out_shape[:2])
    return total


def _window(module):
    """``(kernel, stride, dilation)`` of a sliding-window layer (conv, max/avg pool), else None."""
    kind = type(module).__name__
    if not hasattr(module, 'kernel_size') or 'Adaptive' in kind or 'Unpool' in kind \
            or 'Transpose' in kind or getattr(module, 'transposed', False):
        return None
    k = module.kernel_size
    s = getattr(module, 'stride', None) or k              # pooling: stride defaults to kernel
    return k, s, getattr(module, 'dilation', 1)


def _per_dim(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ReceptiveFields:
    """Receptive field and jump (input pixels per output step) of each tensor seen.

    Keyed by ``id(tensor)``; entries go when the tensor is freed, so a new
    tensor can't inherit an old one's id.
    """

    def __init__(self, x):
        self.info, self.deepest = {}, None
        if x.ndim >= 3:
            self._remember(x, ((1,) * (x.ndim - 2), (1,) * (x.ndim - 2)))

    def _remember(self, t, info):
        self.info[id(t)] = info
        weakref.finalize(t, self.info.pop, id(t), None)
        if info is not None and (self.deepest is None or max(info[0]) > max(self.deepest[0])):
            self.deepest = info

    def of(self, t):
        """A tensor made outside any hooked module (``a + b``, ``cat``) gets the largest
        receptive field so far: a merge sees at least as far as its widest branch."""
        if id(t) not in self.info:
            self._remember(t, self.deepest)
        return self.info[id(t)]

    def layer(self, module, inputs, output, leaf):
        """Receptive field of ``output``, recorded for the layers that come after."""
        x = inputs[0] if inputs and isinstance(inputs[0], Tensor) else None
        info = None
        if not leaf or x is None:
            info = self.of(output)
        else:
            info_in = self.of(x)
            window = _window(module)
            if info_in is not None and window is not None:
                n = len(info_in[0])
                k, s, d = (_per_dim(v, n) for v in window)
                rf, jump = info_in
                info = (tuple(r + (kk - 1) * dd * j for r, kk, dd, j in zip(rf, k, d, jump)),
                        tuple(j * ss for j, ss in zip(jump, s)))
            elif info_in is not None and output.ndim == x.ndim and \
                    output.shape[2:] == x.shape[2:] and type(module).__name__ != 'Linear':
                info = info_in                          # elementwise: BatchNorm, ReLU, Dropout
            self._remember(output, info)
        return info


def _fmt_rf(rf):
    if rf is None:
        return '-'
    return str(rf[0]) if len(set(rf)) == 1 else 'x'.join(str(r) for r in rf)


def _fmt_bytes(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f"{n:.0f} {unit}" if unit == 'B' else f"{n:.1f} {unit}"
        n /= 1024


class ModelSummary:
    """What :func:`summary` found. ``str(summary)`` is the table.

    Attributes:
        rows: one dict per layer call, in call order, with keys ``name``,
            ``type``, ``output_shape``, ``params``, ``mult_adds``,
            ``activation_bytes`` and ``receptive_field`` (a tuple per spatial
            dimension, or None).
        total_params, trainable_params: parameter counts of the whole model
            (shared parameters once).
        total_mult_adds: the sum of the rows' multiply-accumulates.
        input_size: the input shape, batch dimension included.
        activation_bytes, param_bytes, input_bytes: memory of all layer
            outputs (one forward pass), of the parameters and of the input.
    """

    def __init__(self, model_name, rows, total_params, trainable_params, input_size, input_bytes,
                 param_bytes):
        self.model_name = model_name
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.total_mult_adds = sum(r['mult_adds'] for r in rows)
        self.input_size = input_size
        self.input_bytes = input_bytes
        self.param_bytes = param_bytes
        self.activation_bytes = sum(r['activation_bytes'] for r in rows)

    def __str__(self):
        header = ('Layer (type)', 'Output Shape', 'Param #', 'Mult-Adds', 'Activations', 'RF')
        body = [(f"{r['name']} ({r['type']})" if r['name'] else r['type'],
                 str(list(r['output_shape'])),
                 f"{r['params']:,}" if r['params'] else '--',
                 f"{r['mult_adds']:,}" if r['mult_adds'] else '--',
                 _fmt_bytes(r['activation_bytes']),
                 _fmt_rf(r['receptive_field'])) for r in self.rows]
        widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]

        def fmt(line):
            cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(line[2:], widths[2:])]
            return '  '.join(cells).rstrip()

        rule = '=' * len(fmt(header))
        mb = 1024 ** 2
        total = self.input_bytes + self.activation_bytes + self.param_bytes
        unit, scale = ('G', 1e9) if self.total_mult_adds >= 1e9 else ('M', 1e6)
        lines = [f"{self.model_name}: input {list(self.input_size)}", rule, fmt(header), rule]
        lines += [fmt(line) for line in body]
        lines += [rule,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                  f"Total mult-adds ({unit}): {self.total_mult_adds / scale:,.2f}",
                  '-' * len(rule),
                  f"Input size (MB): {self.input_bytes / mb:,.2f}",
                  f"Forward pass activations (MB): {self.activation_bytes / mb:,.2f}",
                  f"Params size (MB): {self.param_bytes / mb:,.2f}",
                  f"Estimated total size (MB): {total / mb:,.2f}",
                  rule]
        return '\n'.join(lines)

    __repr__ = __str__


def summary(model, input_size=None, dtype=np.float32, input_data=None, device=None):
    """Summarise ``model`` layer by layer, as ``torchinfo.summary`` does.

    Args:
        model: an ``nn.Module``.
        input_size: the input shape *including* the batch dimension, e.g.
            ``(1, 1, 32, 32)`` (as torchinfo; torchsummary leaves the batch out).
        dtype: dtype of the zero input made from ``input_size``.
        input_data: a Tensor to run instead of zeros of ``input_size``.
        device: where to make the input (default: the model's device).

    Returns:
        ModelSummary: print it for the table; ``.total_params``,
        ``.trainable_params``, ``.total_mult_adds`` and ``.rows`` hold the numbers.

    Example:
        >>> print(summary(LeNet5(), (1, 1, 32, 32)))
    """
    if input_data is None:
        if input_size is None:
            raise ValueError("summary: give input_size (batch dimension included) or input_data")
        input_size = tuple(input_size)
        if not all(isinstance(s, int) and s > 0 for s in input_size):
            raise ValueError(f"summary: input_size must be positive ints including the batch "
                             f"dimension, e.g. (1, 3, 32, 32), got {input_size}")
        if device is None:
            device = next((p.device for p in model.parameters()), 'cpu')
        input_data = zeros(input_size, dtype=dtype, device=device)
    x = input_data
    rfs = _ReceptiveFields(x)
    rows, seen = [], set()

    def record(name, leaf):
        def hook(module, inputs, output):
            outs = _tensors(output)
            if not outs:
                return
            params = list(module.named_parameters(recurse=leaf))
            first = id(module) not in seen          # a module called twice counts its params once
            seen.add(id(module))
            rows.append(dict(
                name=name, type=type(module).__name__, output_shape=tuple(outs[0].shape),
                params=sum(p.numel() for _, p in params) if first else 0,
                mult_adds=_mult_adds(module, params, tuple(outs[0].shape)),
                activation_bytes=sum(t.numel() * t.element_size() for t in outs),
                receptive_field=(rfs.layer(module, inputs, outs[0], leaf) or (None,))[0]))
        return hook

    handles = []
    try:
        for name, module in model.named_modules():
            leaf = next(iter(module.children()), None) is None
            if leaf or next(iter(module.named_parameters(recurse=False)), None) is not None:
                handles.append(module.register_forward_hook(record(name, leaf)))
        with evaluating(model), no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()

    params = list(model.parameters())
    return ModelSummary(
        type(model).__name__, rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        input_size=tuple(x.shape), input_bytes=x.numel() * x.element_size(),
        param_bytes=sum(p.numel() * p.element_size() for p in params))
