"""``tg.backends``: PyTorch's backend switches, so that seeding boilerplate such as
``torch.backends.cudnn.deterministic = True`` runs unchanged.

There is no cuDNN here: the flags are stored and have no effect.
"""
import types

cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False,
                              is_available=lambda: False)
