"""``tg.utils``: helpers in the style of ``torch.utils`` (``tg.utils.checkpoint``).

``tinygrad_cnn.utils.data`` *is* :mod:`tinygrad_cnn.data`, so
``from torch.utils.data import DataLoader`` ports as
``from tinygrad_cnn.utils.data import DataLoader``.
"""
import sys

from . import checkpoint  # noqa: F401
from .. import data

# register the alias so that ``import tinygrad_cnn.utils.data`` finds the same module
sys.modules[__name__ + '.data'] = data
