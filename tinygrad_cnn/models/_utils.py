"""What the torchvision-style builders share: the ``weights`` argument and fixed options.

Every builder has torchvision's signature, ``resnet18(*, weights=None,
progress=True, **kwargs)``, the keyword arguments going to the model class.
Pretrained weights cannot be downloaded here, so ``weights`` must be ``None``;
a torchvision ``state_dict`` converted to numpy loads into the built model
with ``model.load_state_dict``.
"""

__all__ = []


def _check_weights(weights, builder):
    """Raise ``ValueError`` unless ``weights`` is ``None`` (nothing is downloaded)."""
    if weights is not None:
        raise ValueError(f"{builder}: pretrained weights ({weights!r}) cannot be downloaded; build "
                         f"the model with weights=None and load a torchvision state_dict "
                         f"converted to numpy with model.load_state_dict(...)")


def _overwrite_named_param(kwargs, param, new_value):
    """Set ``kwargs[param] = new_value``; a caller's different value is a ``ValueError``
    (``resnext50_32x4d(groups=8)`` would not be ResNeXt-50 32x4d)."""
    if param in kwargs and kwargs[param] != new_value:
        raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                         f"{kwargs[param]} instead.")
    kwargs[param] = new_value
