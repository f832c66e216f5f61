"""``skip_init``: build a module without running its (possibly costly) initialisation."""
import inspect

from ..modules.module import Module

__all__ = ['skip_init']


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialised parameters and buffers (here:
    zeros), on ``device`` (default 'cpu'); the class must take a ``device`` argument,
    as in PyTorch. Initialise it yourself afterwards (e.g. from a checkpoint)."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if 'device' not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop('device', 'cpu')
    return module_cls(*args, **kwargs).to_empty(device=final_device)
