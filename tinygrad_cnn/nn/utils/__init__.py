"""Training utilities (``tinygrad_cnn.nn.utils``): gradient clipping and parameter vectors,
weight and spectral normalisation, parametrizations, Conv/Linear-BatchNorm fusion,
``skip_init`` and ``stateless.functional_call``; ``nn.utils.rnn`` packs and pads batches of
sequences of different lengths."""
from . import parametrizations, parametrize, rnn, stateless  # noqa: F401
from .clip_grad import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
                        parameters_to_vector, vector_to_parameters)
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,
                     fuse_linear_bn_weights)
from .init import skip_init
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ['clip_grad_norm_', 'clip_grad_value_', 'clip_grads_with_norm_', 'get_total_norm',
           'parameters_to_vector', 'vector_to_parameters', 'fuse_conv_bn_eval',
           'fuse_conv_bn_weights', 'fuse_linear_bn_eval', 'fuse_linear_bn_weights', 'skip_init',
           'spectral_norm', 'remove_spectral_norm', 'weight_norm', 'remove_weight_norm']
