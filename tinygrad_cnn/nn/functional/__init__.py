"""Functional forms of the layers (``import tinygrad_cnn.nn.functional as F``).

Each submodule holds one family of ops and lists them in ``__all__``.
"""
from .loss import *  # noqa: F401,F403
from .margin_loss import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
