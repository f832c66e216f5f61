"""Training curves and confusion matrices, written as image files.

Figures are built with ``matplotlib.figure.Figure`` directly (no ``pyplot``),
so they work without a display, leave matplotlib's global state alone and are
freed like any other object.
"""
import numpy as np

from ._common import require, save_figure


def _new_figure(**kwargs):
    require('matplotlib')
    from matplotlib.figure import Figure
    return Figure(**kwargs)


def plot_training_curves(history, path=None, title=None):
    """Plot the lists in ``history`` against the epoch; losses left, the rest right.

    Args:
        history: a dict of lists, one value per epoch, e.g. ``{'train_loss': [...],
            'test_loss': [...], 'train_acc': [...], 'test_acc': [...]}``. Keys
            containing ``'loss'`` share the left panel, all others the right one.
        path: if given, the figure is also written there (PNG unless the suffix
            says otherwise), atomically: a temporary file, then ``os.replace``.
        title: an optional figure title.

    Returns:
        matplotlib.figure.Figure
    """
    if not history or not all(hasattr(v, '__len__') for v in history.values()):
        raise ValueError("plot_training_curves: history must be a non-empty dict of lists, e.g. "
                         "{'train_loss': [...], 'test_loss': [...]}")
    losses = {k: v for k, v in history.items() if 'loss' in k}
    others = {k: v for k, v in history.items() if 'loss' not in k}
    groups = [(g, label) for g, label in ((losses, 'loss'), (others, 'metric')) if g]
    fig = _new_figure(figsize=(5.5 * len(groups), 4), layout='constrained')
    for i, (group, label) in enumerate(groups):
        ax = fig.add_subplot(1, len(groups), i + 1)
        for key, values in group.items():
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, np.asarray(values, dtype=float), marker='o', markersize=3, label=key)
        ax.set_xlabel('epoch')
        ax.set_ylabel(label if label == 'loss' else ', '.join(group))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    if path is not None:
        save_figure(fig, path, dpi=100)
    return fig


def plot_confusion_matrix(cm, class_names=None, path=None, normalize=False, title=None):
    """Draw a confusion matrix: rows are true classes, columns predicted ones.

    Args:
        cm: a (K, K) array-like of counts (a Tensor works too).
        class_names: K labels for the axes (default ``0 .. K-1``).
        path: if given, the figure is also written there, atomically.
        normalize: show each row as fractions of the true class (recall per class).
        title: an optional title.

    Returns:
        matplotlib.figure.Figure
    """
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: cm must be a square (K, K) matrix, got shape "
                         f"{cm.shape}")
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class_names for a {k}x{k} matrix")
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.5 * k + 2)
    fig = _new_figure(figsize=(size + 1, size), layout='constrained')
    ax = fig.add_subplot()
    image = ax.imshow(cm, cmap='Blues')
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(k), names, rotation=45, ha='right')
    ax.set_yticks(range(k), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    if k <= 30:                                # numbers in the cells while they still fit
        dark = cm.max() / 2 if cm.size else 0
        for i in range(k):
            for j in range(k):
                text = f"{cm[i, j]:.2f}" if normalize else f"{cm[i, j]:.0f}"
                ax.text(j, i, text, ha='center', va='center', fontsize=8,
                        color='white' if cm[i, j] > dark else 'black')
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(fig, path, dpi=100)
    return fig
