"""Weight averaging: stochastic weight averaging (SWA) and exponential moving averages (EMA).

- ``AveragedModel(model)`` keeps a copy of ``model`` whose parameters are an
  average of ``model``'s over the calls to ``update_parameters(model)``: by
  default the equal-weight running mean (SWA, Izmailov et al. 2018)::

      avg = avg + (p - avg) / (n_averaged + 1)

  or, with ``multi_avg_fn=get_ema_multi_avg_fn(decay)``, an EMA
  ``avg = decay * avg + (1 - decay) * p``. The first call copies the weights.
  Buffers (BatchNorm statistics) are copied from ``model``, or averaged too
  with ``use_buffers=True``.
- ``SWALR(optimizer, swa_lr)`` anneals each group's rate to ``swa_lr`` over
  ``anneal_epochs`` epochs (cosine or linear), then holds it.
- ``update_bn(loader, model)`` recomputes BatchNorm running statistics with
  one pass over the data (averaged weights need their own statistics).

Same names, arguments and numbers as ``torch.optim.swa_utils``.
"""
import copy
import itertools
import math

from ..autograd import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from ..tensor import tensor
from .lr_scheduler import LRScheduler, _per_group

__all__ = ['AveragedModel', 'SWALR', 'update_bn', 'get_ema_multi_avg_fn', 'get_swa_multi_avg_fn',
           'get_ema_avg_fn', 'get_swa_avg_fn']


def _lerp_(start, end, weight):
    """``start += weight * (end - start)`` in place on arrays, with PyTorch's formula (the one
    from ``end`` when ``weight >= 0.5``, which is exact at ``weight == 1``)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _is_floating(t):
    return t.dtype.kind in 'fc'


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA for ``AveragedModel(multi_avg_fn=...)``:
    ``avg = decay * avg + (1 - decay) * p``, for lists of Tensors."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"get_ema_multi_avg_fn: Invalid decay value {decay} provided. Please "
                         "provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        if _is_floating(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                _lerp_(p_ema.data, p_model.data, 1 - decay)
        else:       # integer buffers: the float average, truncated back (PyTorch's copy_)
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.data[...] = p_ema.data * decay + p_model.data * (1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """The in-place equal-weight running mean: ``avg = avg + (p - avg) / (n_averaged + 1)``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if not _is_floating(averaged_param_list[0]):
            raise RuntimeError("get_swa_multi_avg_fn: integer Tensors (e.g. BatchNorm's "
                               "num_batches_tracked with use_buffers=True) cannot be averaged "
                               "in place (as PyTorch, whose addcdiv refuses integer division)")
        # with a Tensor count the weight is a float32 Tensor, rounded as in PyTorch
        weight = float(1 / (num_averaged + 1))
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            _lerp_(p_avg.data, p_model.data, weight)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA for ``AveragedModel(avg_fn=...)``: returns ``decay * avg + (1 - decay) * p``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"get_ema_avg_fn: Invalid decay value {decay} provided. Please provide "
                         "a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running mean for ``AveragedModel(avg_fn=...)``: ``avg + (p - avg) / (n + 1)``."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """``AveragedModel(model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False)``.

    Holds ``module`` (a deep copy of ``model``) and the buffer ``n_averaged``
    (int64, the number of models averaged so far); calling it runs ``module``.
    ``avg_fn(avg, p, n_averaged) -> Tensor`` averages one Tensor at a time,
    ``multi_avg_fn(avgs, ps, n_averaged)`` updates lists in place; with neither,
    the SWA running mean is used.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("AveragedModel: Only one of avg_fn and multi_avg_fn should be "
                                 "provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer('n_averaged', tensor(0, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        with no_grad():
            if self.use_buffers:
                averaged = list(itertools.chain(self.module.parameters(), self.module.buffers()))
                current = list(itertools.chain(model.parameters(), model.buffers()))
            else:
                averaged, current = list(self.parameters()), list(model.parameters())
            current = [p.detach().to(p_avg.device) for p_avg, p in zip(averaged, current)]
            averaged = averaged[:len(current)]
            n_averaged = self.n_averaged.item()
            if n_averaged == 0:         # the first model is copied
                for p_avg, p in zip(averaged, current):
                    p_avg.data[...] = p.data
            elif self.multi_avg_fn is not None:
                # PyTorch passes each (device, dtype) group of Tensors together
                groups = {}
                for p_avg, p in zip(averaged, current):
                    groups.setdefault((p_avg.device, p_avg.dtype), []).append((p_avg, p))
                for pairs in groups.values():
                    self.multi_avg_fn([a for a, _ in pairs], [p for _, p in pairs],
                                      self.n_averaged)
            else:
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for p_avg, p in zip(averaged, current):
                    p_avg.data[...] = avg_fn(p_avg.detach(), p, self.n_averaged).data
            if not self.use_buffers:    # the statistics of the latest model
                for b_avg, b in zip(self.module.buffers(), model.buffers()):
                    b_avg.data[...] = b.detach().to(b_avg.device).data
            self.n_averaged.data += 1


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every BatchNorm layer of ``model`` from ``loader``.

    The statistics are reset and, with ``momentum=None``, become the exact
    average over all batches; batches may be Tensors or ``(input, target, ...)``
    lists (the first element is used). ``model``'s train/eval mode is restored.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate from its current value to ``swa_lr`` over ``anneal_epochs``
    epochs (``anneal_strategy`` 'cos' or 'linear'), then keep ``swa_lr``.

    Like PyTorch, each step works backwards from the current rate, so the
    rate may also be changed by hand between steps.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy='cos',
                 last_epoch=-1):
        swa_lrs = _per_group('swa_lr', optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group['swa_lr'] = lr
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError(f"SWALR: anneal_strategy must be one of 'cos' or 'linear', instead "
                             f"got {anneal_strategy}")
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        """The fraction of the way to ``swa_lr`` at progress ``t`` in [0, 1]."""
        if self._anneal_strategy == 'cos':
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The starting rate that, a fraction ``alpha`` of the way to ``swa_lr``, gives ``lr``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group['lr'], group['swa_lr'], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group['swa_lr'] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]
