"""Helpers shared by the viz modules (and ``summary``): optional imports with a clear
message, atomic file writes, running a model in eval mode."""
import contextlib
import importlib
import os

from ..files import atomic_write


def require(module):
    """Import an optional dependency (graphviz, matplotlib), or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split('.')[0]
        raise ImportError(f"tinygrad_cnn.viz needs the '{top}' package for this; install the viz "
                          f"extra: pip install 'tinygrad_cnn[viz]' (or pip install {top})") from err


def save_figure(fig, path, **savefig_kwargs):
    """Save a matplotlib Figure to ``path`` atomically; the format comes from the suffix."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip('.').lower() or 'png'
    return atomic_write(path, lambda f: fig.savefig(f, format=fmt, **savefig_kwargs))


@contextlib.contextmanager
def evaluating(model):
    """Run ``model`` in eval mode inside the block, then restore each module's own mode.

    Looking at a model must not change it: in training mode BatchNorm would
    update its running statistics and Dropout would add noise to the pictures.
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode
