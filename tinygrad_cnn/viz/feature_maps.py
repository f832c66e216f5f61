"""What a CNN sees: feature maps, filters, activation maximisation, Grad-CAM.

All of these look at a model through forward hooks
(``Module.register_forward_hook``), run it in eval mode (BatchNorm statistics
and Dropout stay untouched) and remove their hooks when done. Gradients with
respect to activations or inputs come from ``tg.autograd.grad``, which leaves
the parameters' ``.grad`` alone, so they are safe to call in the middle of
training.
"""
import collections

import numpy as np

from .. import autograd
from ..autograd import enable_grad, no_grad
from ..backend import get_array_module
from ..random import get_rng
from ..tensor import Tensor
from ._common import evaluating, require


def _host(x):
    """A Tensor or array-like as a float host numpy array."""
    return np.asarray(x.numpy() if isinstance(x, Tensor) else x, dtype=float)


def _mosaic(tiles, ncols, pad=1):
    """Lay ``tiles`` (n, h, w) or (n, h, w, 3), each scaled to [0, 1], out in a grid.

    One image with NaN gaps is far faster to draw than one subplot per tile.
    """
    n, h, w = tiles.shape[:3]
    lo = tiles.reshape(n, -1).min(axis=1)
    span = tiles.reshape(n, -1).max(axis=1) - lo
    shape = (n,) + (1,) * (tiles.ndim - 1)
    tiles = (tiles - lo.reshape(shape)) / np.where(span > 0, span, 1).reshape(shape)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + tiles.shape[3:], np.nan)
    for i in range(n):
        r, c = divmod(i, ncols)
        grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tiles[i]
    return grid, nrows, ncols


def _show(grid, nrows, ncols, cmap, title):
    require('matplotlib')
    import matplotlib
    from matplotlib.figure import Figure
    fig = Figure(figsize=(min(1.2 * ncols, 14), min(1.2 * nrows, 14) + (0.4 if title else 0)),
                 layout='constrained')
    ax = fig.add_subplot()
    if grid.ndim == 3:                          # RGB: NaN gaps shown white
        ax.imshow(np.nan_to_num(grid, nan=1.0))
    else:
        ax.imshow(grid, cmap=matplotlib.colormaps[cmap].with_extremes(bad='white'))
    ax.axis('off')
    if title:
        ax.set_title(title)
    return fig


def plot_feature_maps(activations, ncols=8, cmap='viridis', max_maps=64, title=None):
    """Show each channel of a layer's output as a small image.

    Args:
        activations: a (C, H, W) or (N, C, H, W) Tensor or array; of a batch
            the first sample is shown.
        ncols: images per row.
        cmap: a matplotlib colour map name.
        max_maps: show at most this many channels (the first ones).
        title: an optional title.

    Returns:
        matplotlib.figure.Figure. Each map is scaled to its own [min, max].
    """
    a = _host(activations)
    if a.ndim == 4:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected activations of shape (C, H, W) or "
                         f"(N, C, H, W), got shape {a.shape}")
    return _show(*_mosaic(a[:max_maps], ncols), cmap, title)


def plot_filters(weight, ncols=8, in_channel=None, cmap='gray', title=None):
    """Show convolution kernels as small images.

    Args:
        weight: a conv weight of shape (out, in, kH, kW) (a Tensor, an array,
            or a layer with a ``.weight``).
        in_channel: which input channel's slice to show. By default filters of
            a 3-channel input are shown as RGB images, otherwise channel 0.
        ncols, cmap, title: as for :func:`plot_feature_maps`.

    Returns:
        matplotlib.figure.Figure, one tile per output channel, each scaled to
        its own [min, max].
    """
    w = _host(getattr(weight, 'weight', weight))
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected a weight of shape (out, in, kH, kW), got shape "
                         f"{w.shape}")
    if in_channel is None and w.shape[1] == 3:
        tiles = w.transpose(0, 2, 3, 1)                  # (out, kH, kW, RGB)
    else:
        c = 0 if in_channel is None else in_channel
        if not 0 <= c < w.shape[1]:
            raise ValueError(f"plot_filters: in_channel={c} is out of range for a weight of "
                             f"shape {w.shape}")
        tiles = w[:, c]
    return _show(*_mosaic(tiles, ncols), cmap, title)


def _is_leaf_module(module):
    return next(iter(module.children()), None) is None


def _find_module(model, layer, op):
    """``layer`` as a module of ``model``: the module itself or its name in ``named_modules()``."""
    if not isinstance(layer, str):
        return layer
    modules = dict(model.named_modules())
    if layer not in modules:
        some = ', '.join(repr(n) for n in list(modules)[1:9])
        raise ValueError(f"{op}: the model has no submodule named {layer!r} (it has {some}, ...)")
    return modules[layer]


def capture_activations(model, x, layer_types=None):
    """Run ``model(x)`` once and return the outputs of its layers.

    Args:
        model: an ``nn.Module``.
        x: the input batch.
        layer_types: a class or tuple of classes (e.g. ``nn.Conv2d``) whose
            outputs to keep; by default every leaf module (one without children).

    Returns:
        An ordered dict ``{module name: output Tensor}`` (detached, in call
        order). A module called twice (a shared ReLU) appears again as
        ``'name#1'``, ``'name#2'``, ...
    """
    acts = collections.OrderedDict()

    def keep(name):
        def hook(module, inputs, output):
            key, k = name, 0
            while key in acts:
                k += 1
                key = f"{name}#{k}"
            acts[key] = output.detach() if isinstance(output, Tensor) else output
        return hook

    handles = []
    try:
        for name, module in model.named_modules():
            wanted = _is_leaf_module(module) if layer_types is None else isinstance(module,
                                                                                    layer_types)
            if wanted:
                handles.append(module.register_forward_hook(keep(name or 'model')))
        with evaluating(model), no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return acts


class _StopForward(Exception):
    """Raised by a hook once the layer of interest has run: the rest of the model is not needed."""


def activation_maximization(model, layer, channel, steps=30, lr=0.1, input_shape=(1, 3, 64, 64),
                            dtype=np.float32):
    """Find an input that excites one channel of one layer: gradient ascent on the input.

    Starts from small random noise (``tg.manual_seed`` makes it repeatable) and
    repeats ``x += lr * g / rms(g)``, where ``g`` is the gradient of the
    channel's mean activation with respect to ``x`` (the normalised step keeps
    the step size independent of the activation's scale). Only the part of the
    model up to ``layer`` runs.

    Args:
        model: an ``nn.Module``.
        layer: the module (or its name in ``model.named_modules()``).
        channel: the output channel (dim 1 of the layer's output) to maximise.
        steps, lr: number and size of the ascent steps.
        input_shape: shape of the input to optimise, batch dimension included.

    Returns:
        The optimised input, a Tensor of ``input_shape``.
    """
    module = _find_module(model, layer, 'activation_maximization')
    device = next((p.device for p in model.parameters()), 'cpu')
    x = Tensor((0.1 * get_rng().standard_normal(input_shape)).astype(dtype), device=device,
               requires_grad=True)
    captured = []

    def stop(module, inputs, output):
        captured.append(output)
        raise _StopForward

    handle = module.register_forward_hook(stop)
    try:
        with evaluating(model), enable_grad():
            for _ in range(steps):
                captured.clear()
                try:
                    model(x)
                except _StopForward:
                    pass
                if not captured:
                    raise ValueError("activation_maximization: the layer was not called by the "
                                     "model's forward")
                out = captured[0]
                if out.ndim < 2 or not 0 <= channel < out.shape[1]:
                    raise ValueError(f"activation_maximization: channel {channel} is out of range "
                                     f"for the layer's output of shape {tuple(out.shape)}")
                (g,) = autograd.grad(out[:, channel].mean(), [x])
                xp = get_array_module(g.data)
                x.data += lr * g.data / (xp.sqrt(xp.mean(g.data * g.data)) + 1e-8)
    finally:
        handle.remove()
    return x.detach()


def _resize_bilinear(image, size):
    """Resize a 2-d array with bilinear interpolation (pixel centres aligned, as
    ``F.interpolate(..., mode='bilinear', align_corners=False)``)."""
    (h, w), (out_h, out_w) = image.shape, size

    def coords(n_in, n_out):
        c = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(c).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), c - lo

    y0, y1, wy = coords(h, out_h)
    x0, x1, wx = coords(w, out_w)
    rows = image[y0] * (1 - wy)[:, None] + image[y1] * wy[:, None]
    return rows[:, x0] * (1 - wx) + rows[:, x1] * wx


def grad_cam(model, x, target_layer, class_idx=None):
    """Grad-CAM: where in the image the evidence for a class is (Selvaraju et al., 2017).

    The target layer's output ``A`` (K maps) is weighted by the mean gradient of
    the class score over each map, ``alpha_k = mean_ij dScore/dA_kij``; the heat
    map is ``relu(sum_k alpha_k A_k)``, resized to the input's size and scaled
    to [0, 1].

    Args:
        model: a classifier returning (1, num_classes) scores.
        x: one image, (C, H, W) or (1, C, H, W).
        target_layer: a module producing (1, K, h, w) maps, usually the last
            conv block (or its name in ``model.named_modules()``).
        class_idx: the class to explain; by default the predicted one.

    Returns:
        numpy.ndarray of shape (H, W) with values in [0, 1] (all zeros when
        no location supports the class).
    """
    module = _find_module(model, target_layer, 'grad_cam')
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"grad_cam: expected one image of shape (C, H, W) or (1, C, H, W), got "
                         f"shape {tuple(x.shape)}")
    captured = []
    handle = module.register_forward_hook(lambda m, inputs, output: captured.append(output))
    try:
        # an input that requires grad makes a graph even when every parameter is frozen
        with evaluating(model), enable_grad():
            scores = model(x.detach().requires_grad_())
    finally:
        handle.remove()
    if not captured or captured[-1].ndim != 4:
        raise ValueError("grad_cam: target_layer must be called by the model and return (1, K, h, "
                         "w) feature maps" + (f", got shape {tuple(captured[-1].shape)}"
                                              if captured else ""))
    maps = captured[-1]
    if class_idx is None:
        class_idx = int(np.argmax(scores.numpy().reshape(-1)))
    (grads,) = autograd.grad(scores.reshape(-1)[class_idx], [maps])
    a, g = maps.numpy()[0].astype(float), grads.numpy()[0].astype(float)
    cam = np.maximum((g.mean(axis=(1, 2))[:, None, None] * a).sum(axis=0), 0)
    cam = _resize_bilinear(cam, x.shape[2:])
    cam -= cam.min()
    return cam / cam.max() if cam.max() > 0 else cam


def plot_grad_cam(image, cam, alpha=0.5, cmap='jet', title=None):
    """Overlay a Grad-CAM heat map on its image.

    Args:
        image: (C, H, W) or (1, C, H, W) with C = 1 or 3, or (H, W).
        cam: the (H, W) map from :func:`grad_cam`.
        alpha: opacity of the heat map.

    Returns:
        matplotlib.figure.Figure
    """
    require('matplotlib')
    from matplotlib.figure import Figure
    img = _host(image)
    img = img[0] if img.ndim == 4 else img
    img = img.transpose(1, 2, 0) if img.ndim == 3 else img
    img = img[..., 0] if img.ndim == 3 and img.shape[2] == 1 else img
    img = (img - img.min()) / max(float(img.max() - img.min()), 1e-12)
    fig = Figure(figsize=(4, 4), layout='constrained')
    ax = fig.add_subplot()
    ax.imshow(img, cmap='gray' if img.ndim == 2 else None)
    ax.imshow(_host(cam), cmap=cmap, alpha=alpha, vmin=0, vmax=1)
    ax.axis('off')
    if title:
        ax.set_title(title)
    return fig
