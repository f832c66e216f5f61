"""Optimisers (``import tinygrad_cnn.optim as optim``) and learning-rate schedules
(``optim.lr_scheduler``), with PyTorch's names, defaults and update rules."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop', 'lr_scheduler']
