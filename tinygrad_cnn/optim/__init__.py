"""Optimisers (``import tinygrad_cnn.optim as optim``), learning-rate schedules
(``optim.lr_scheduler``) and weight averaging (``optim.swa_utils``), with PyTorch's names,
defaults and update rules."""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop', 'Adadelta', 'Adamax',
           'NAdam', 'RAdam', 'ASGD', 'Rprop', 'LBFGS', 'lr_scheduler', 'swa_utils']
