"""Helpers shared by the viz modules (and ``summary``): optional imports with a clear
message, atomic file writes, running a model in eval mode."""
import contextlib
import importlib
import os
import tempfile


def require(module):
    """Import an optional dependency (graphviz, matplotlib), or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split('.')[0]
        raise ImportError(f"tinygrad_cnn.viz needs the '{top}' package for this; install the viz "
                          f"extra: pip install 'tinygrad_cnn[viz]' (or pip install {top})") from err


def _umask():
    mask = os.umask(0)                     # the only way to read it is to set it
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call ``write(tmp_path)``, then move the result onto ``path`` in one step.

    Readers (a browser, a notebook refreshing the image) never see a
    half-written file, and a failed write leaves the old file in place.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp')
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())       # mkstemp makes it private; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def save_figure(fig, path, **savefig_kwargs):
    """Save a matplotlib Figure to ``path`` atomically; the format comes from the suffix."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip('.').lower() or 'png'
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, **savefig_kwargs))


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
