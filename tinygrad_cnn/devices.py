"""``tg.device``: PyTorch's device object, for code written as ``torch.device(...)``.

A device is a ``str`` subclass ('cpu', 'cuda', 'cuda:0'), so everything that
accepts a device string accepts it, and ``tensor.device == 'cpu'`` keeps
working; like ``torch.device`` it has ``.type`` and ``.index`` and prints as
``device(type='cpu')``.
"""

import builtins

_TYPES = ('cpu', 'cuda')


class device(str):     # noqa: N801 - PyTorch's name
    """``device(type, index=None)``: ``device('cpu')``, ``device('cuda')``, ``device('cuda:0')``,
    ``device('cuda', 0)`` or ``device(0)`` (CUDA device 0)."""

    def __new__(cls, type, index=None):
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = 'cuda', type          # torch.device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device(): argument 'type' must be str or int, not "
                            f"{builtins.type(type).__name__}")
        name, _, number = type.partition(':')
        if name not in _TYPES or (number and not number.isdigit()):
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                               f"string: {type}")
        if number:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = super().__new__(cls, name if index is None else f'{name}:{index}')
        self.type, self.index = name, index
        return self

    def __getnewargs__(self):
        return (str(self),)

    def __repr__(self):
        index = '' if self.index is None else f', index={self.index}'
        return f"device(type='{self.type}'{index})"

