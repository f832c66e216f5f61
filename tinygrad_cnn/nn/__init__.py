"""Layers, containers and the Module base class (``import tinygrad_cnn.nn as nn``).

``nn.Module``/``nn.Parameter`` and every layer (``nn.Linear``, ``nn.Conv2d``,
...) are here; the functional forms are in ``nn.functional``, the weight
initialisers in ``nn.init`` and gradient clipping in ``nn.utils``.
"""
from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
