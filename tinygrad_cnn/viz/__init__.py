"""Pictures of what a network computes and learns.

- :mod:`~tinygrad_cnn.viz.graph`: the backward graph of any Tensor (Graphviz).
- :mod:`~tinygrad_cnn.viz.feature_maps`: activations, filters, activation
  maximisation, Grad-CAM (matplotlib).
- :mod:`~tinygrad_cnn.viz.curves`: training curves and confusion matrices.

graphviz and matplotlib are imported only when a function needs them; install
them with ``pip install 'tinygrad_cnn[viz]'``.
"""
from .curves import plot_confusion_matrix, plot_training_curves
from .feature_maps import (
                           activation_maximization,
                           capture_activations,
                           grad_cam,
                           plot_feature_maps,
                           plot_filters,
                           plot_grad_cam,
)
from .graph import draw_graph, graph_to_dot, render_graph

__all__ = ['draw_graph', 'graph_to_dot', 'render_graph', 'plot_feature_maps', 'plot_filters',
           'capture_activations', 'activation_maximization', 'grad_cam', 'plot_grad_cam',
           'plot_training_curves', 'plot_confusion_matrix']
