"""Training a classifier: one epoch, evaluation, and a loop with checkpoints and exact resume.

The pieces, from small to large:

- :func:`train_one_epoch` — the PyTorch loop everybody writes (forward, loss,
  ``zero_grad``, ``backward``, ``step``), plus running loss/accuracy, samples
  per second and an optional tqdm progress bar.
- :func:`evaluate` — loss, accuracy and confusion matrix on a data set, under
  ``no_grad`` and in ``eval()`` mode.
- :class:`Trainer` — epochs of both, a checkpoint after every epoch, the
  history of metrics, and ``resume()`` that continues *exactly* where a
  checkpoint left off.

Why resuming can be exact: a checkpoint holds everything that decides the
future of a run — the model's parameters and buffers, the optimiser's state
(e.g. Adam's moments and step counts), the scheduler's state, the global
random generator (dropout, augmentation), the data loader's position (its
shuffling seed, epoch and batch: the order of epoch ``e`` is a function of
``(seed, e)``) and the running sums of the epoch in progress. Restoring all of
them replays the same arithmetic in the same order, so the metrics of a
resumed run equal those of an uninterrupted one to the last bit.

Ctrl-C during :meth:`Trainer.fit` does not kill the step in progress: the
current step finishes, the state *after that step* is saved, and then
``KeyboardInterrupt`` propagates. A second Ctrl-C stops at once without
saving (the last epoch's checkpoint is still there).
"""
import json
import os
import signal
import sys
import threading
import time

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.random import get_rng_state, set_rng_state
from tinygrad_cnn.files import atomic_write
from tinygrad_cnn.viz._common import evaluating

__all__ = ['train_one_epoch', 'evaluate', 'confusion_matrix', 'Trainer', 'FASHION_MNIST_CLASSES']

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def confusion_matrix(targets, predictions, num_classes):
    """``cm[i, j]`` = how many samples of true class ``i`` were predicted as class ``j``.

    Args:
        targets, predictions: integer arrays of shape (N,).
        num_classes: C; the result has shape (C, C), dtype int64.
    """
    targets = np.asarray(targets, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    # one bincount over the flat index i * C + j counts every (i, j) pair at once
    flat = np.bincount(targets * num_classes + predictions, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def _new_totals():
    """Running sums of one epoch; plain numbers, so that checkpoints can store them."""
    return {'loss_sum': 0.0, 'correct': 0, 'samples': 0, 'steps': 0, 'seconds': 0.0}


def _epoch_metrics(totals):
    n = max(totals['samples'], 1)
    return {'loss': totals['loss_sum'] / n, 'accuracy': totals['correct'] / n,
            'samples': totals['samples'], 'seconds': totals['seconds'],
            'samples_per_s': totals['samples'] / max(totals['seconds'], 1e-9)}


def train_one_epoch(model, loader, optimizer, loss_fn=F.cross_entropy, *, scheduler=None,
                    totals=None, before_backward=None, after_step=None, progress=False,
                    desc='train'):
    """Train ``model`` on one pass over ``loader`` (or what is left of it).

    Args:
        model: a Module returning logits of shape (N, C).
        loader: yields ``(inputs, targets)`` batches. A
            :class:`~tinygrad_cnn.data.DataLoader` remembers its position, so
            after ``loader.load_state_dict(...)`` this continues mid-epoch.
        optimizer: stepped once per batch.
        loss_fn: ``loss_fn(logits, targets)`` -> a scalar Tensor (mean over the batch).
        scheduler: a per-batch learning-rate scheduler (e.g. ``OneCycleLR``),
            stepped after every optimiser step. Step per-epoch schedulers
            (StepLR, CosineAnnealingLR) yourself after the epoch.
        totals: running sums to continue (from a checkpoint); updated in place.
        before_backward: ``before_backward(loss)`` is called with each loss
            before ``backward()`` (e.g. to draw its graph); not timed.
        after_step: ``after_step(totals)`` is called after each complete step
            (the parameters, optimiser, scheduler, loader and ``totals`` all
            agree: a consistent point to save a checkpoint); not timed.
        progress: show a tqdm progress bar with loss, accuracy and samples/s.
        desc: the bar's label.

    Returns:
        dict with the epoch's mean ``loss``, ``accuracy``, ``samples``,
        ``seconds`` (training time, without the callbacks) and ``samples_per_s``.
    """
    totals = _new_totals() if totals is None else totals
    model.train()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(loader, total=len(loader), initial=totals['steps'], desc=desc, unit='batch',
                   leave=False, dynamic_ncols=True)
    try:
        start = time.perf_counter()
        for inputs, targets in (loader if bar is None else bar):
            logits = model(inputs)
            loss = loss_fn(logits, targets)
            if before_backward is not None:
                paused = time.perf_counter()
                before_backward(loss)
                start += time.perf_counter() - paused
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()

            n = len(targets)
            totals['loss_sum'] += loss.item() * n
            totals['correct'] += int((logits.argmax(dim=1) == targets).sum().item())
            totals['samples'] += n
            totals['steps'] += 1
            totals['seconds'] += time.perf_counter() - start
            if bar is not None:
                m = _epoch_metrics(totals)
                # refresh on the last step: tqdm rate-limits redraws, and a short epoch
                # would otherwise never show its numbers
                bar.set_postfix(loss=f"{m['loss']:.4f}", acc=f"{m['accuracy']:.4f}",
                                samples_s=f"{m['samples_per_s']:.0f}",
                                refresh=totals['steps'] == bar.total)
            if after_step is not None:
                after_step(totals)
            start = time.perf_counter()
    finally:
        if bar is not None:
            bar.close()
    return _epoch_metrics(totals)


def evaluate(model, loader, loss_fn=F.cross_entropy, num_classes=None, progress=False,
             desc='eval'):
    """Loss, accuracy and confusion matrix of ``model`` on ``loader``.

    Runs in ``eval()`` mode (dropout off, batch norm using its running
    statistics) without recording a graph; each module's previous mode is
    restored afterwards.

    Args:
        model: a Module returning logits of shape (N, C).
        loader: yields ``(inputs, targets)`` batches.
        loss_fn: ``loss_fn(logits, targets)`` -> the batch's mean loss.
        num_classes: size of the confusion matrix (default: C of the logits).
        progress: show a tqdm progress bar.

    Returns:
        dict with ``loss`` (mean per sample), ``accuracy``, ``samples``,
        ``seconds`` and ``confusion_matrix`` (an int64 (C, C) array; rows are
        true classes, columns predictions).
    """
    loss_sum, samples, cm = 0.0, 0, None
    start = time.perf_counter()
    batches = loader
    if progress:
        from tqdm import tqdm
        batches = tqdm(loader, desc=desc, unit='batch', leave=False, dynamic_ncols=True)
    try:
        with evaluating(model), tg.no_grad():
            for inputs, targets in batches:
                logits = model(inputs)
                n = len(targets)
                loss_sum += loss_fn(logits, targets).item() * n
                samples += n
                c = num_classes or logits.shape[1]
                batch_cm = confusion_matrix(targets.numpy(), logits.argmax(dim=1).numpy(), c)
                cm = batch_cm if cm is None else cm + batch_cm
    finally:
        if progress:
            batches.close()
    if cm is None:
        c = num_classes or 0
        cm = np.zeros((c, c), dtype=np.int64)
    return {'loss': loss_sum / max(samples, 1), 'accuracy': np.trace(cm).item() / max(samples, 1),
            'samples': samples, 'seconds': time.perf_counter() - start, 'confusion_matrix': cm}


class _DeferredInterrupt:
    """While active (in the main thread), the first Ctrl-C only sets ``requested``, so the
    training loop can stop at the end of a step, in a consistent state. A second Ctrl-C
    raises ``KeyboardInterrupt`` at once."""

    def __enter__(self):
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nCtrl-C: finishing the current step, then saving a checkpoint "
              "(press Ctrl-C again to stop at once, without saving)", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class Trainer:
    """Train a classifier for some epochs, evaluating and checkpointing after each.

    Args:
        model: a Module returning logits of shape (N, C).
        optimizer: the optimiser of ``model``'s parameters.
        train_loader: a :class:`~tinygrad_cnn.data.DataLoader` (its
            ``state_dict`` is saved, so resuming continues its batch order).
        test_loader: evaluated after every epoch (None: no evaluation).
        loss_fn: ``loss_fn(logits, targets)``, default cross-entropy.
        scheduler: a learning-rate scheduler, or None.
        scheduler_interval: ``'epoch'`` (step the scheduler after each epoch,
            e.g. StepLR, CosineAnnealingLR) or ``'step'`` (after each batch,
            e.g. OneCycleLR).
        out_dir: where checkpoints (``epoch_001.safetensors``, ...,
            ``last.safetensors``) and ``metrics.json`` go; None writes nothing.
        class_names: names of the classes, stored in ``metrics.json`` and the
            checkpoints (used by ``predict``).
        config: a JSON-able dict describing the run (model name, data set,
            hyper-parameters), stored with every checkpoint so that the model
            can be rebuilt from it.
        graph_path: draw the backward graph of the first training step's loss
            into this file (e.g. ``.../backward_graph.svg``).
        progress: show tqdm progress bars.
        callbacks: functions ``cb(trainer, totals)`` called after every
            complete step; one may raise ``KeyboardInterrupt`` to stop
            (a checkpoint of that step is saved first).

    After :meth:`fit`, ``history`` holds one dict per epoch (``epoch``,
    ``train_loss``, ``train_accuracy``, ``test_loss``, ``test_accuracy``,
    ``lr``, ``time_s``, ``samples_per_s``, ``eval_time_s``) and
    ``confusion`` the last test confusion matrix.
    """

    def __init__(self, model, optimizer, train_loader, test_loader=None, *, loss_fn=F.cross_entropy,
                 scheduler=None, scheduler_interval='epoch', out_dir=None, class_names=None,
                 config=None, graph_path=None, progress=False, callbacks=()):
        if scheduler_interval not in ('epoch', 'step'):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', "
                             f"got {scheduler_interval!r}")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.train_loader, self.test_loader, self.loss_fn = train_loader, test_loader, loss_fn
        self.scheduler_interval = scheduler_interval
        self.out_dir = None if out_dir is None else os.fspath(out_dir)
        self.class_names = None if class_names is None else list(class_names)
        self.config = dict(config or {})
        self.graph_path, self.progress, self.callbacks = graph_path, progress, list(callbacks)
        self.epoch = 0              # completed epochs
        self.totals = None          # running sums of the epoch in progress (None between epochs)
        self.history = []
        self.confusion = None
        self.interrupted_checkpoint = None    # set when a Ctrl-C saved a checkpoint

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """Everything a resumed run needs, as one nested dict (what the checkpoints store)."""
        return {
            'model': self.model.state_dict(),
            'optimizer': self.optimizer.state_dict(),
            'scheduler': None if self.scheduler is None else self.scheduler.state_dict(),
            'rng': get_rng_state(),
            'train_loader': self.train_loader.state_dict(),
            'epoch': self.epoch,
            'totals': self.totals,
            'history': self.history,
            'confusion': None if self.confusion is None else self.confusion.tolist(),
            'class_names': self.class_names,
            'config': self.config,
        }

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` (e.g. ``tg.load(checkpoint_path)``)."""
        self.model.load_state_dict(state['model'])
        self.optimizer.load_state_dict(state['optimizer'])
        if self.scheduler is not None and state.get('scheduler') is not None:
            self.scheduler.load_state_dict(state['scheduler'])
        set_rng_state(state['rng'])
        self.train_loader.load_state_dict(state['train_loader'])
        self.epoch = int(state['epoch'])
        self.totals = None if state['totals'] is None else dict(state['totals'])
        self.history = [dict(h) for h in state['history']]
        self.confusion = None if state['confusion'] is None else np.asarray(state['confusion'],
                                                                             dtype=np.int64)

    def save_checkpoint(self, path):
        """Write :meth:`state_dict` to ``path`` with ``tg.save`` (atomically)."""
        tg.save(self.state_dict(), path)
        return path

    def checkpoint_path(self, name='last'):
        """``out_dir/<name>.safetensors``; ``name`` is ``'last'`` or e.g. ``'epoch_003'``."""
        return os.path.join(self.out_dir, f'{name}.safetensors')

    def resume(self, path=None):
        """Load ``path`` (default: ``out_dir/last.safetensors``); returns the path loaded."""
        path = self.checkpoint_path() if path is None else path
        self.load_state_dict(tg.load(path))
        return path

    # ------------------------------------------------------------------ the loop
    def fit(self, epochs):
        """Train until ``epochs`` epochs are complete (counting those of a resumed checkpoint).

        With ``out_dir``, saves a checkpoint and ``metrics.json`` after every
        epoch; :meth:`write_outputs` draws the pictures. Returns ``history``.
        Raises ``KeyboardInterrupt`` when interrupted, after saving the state
        of the last complete step (see the module docs) to
        ``interrupted_checkpoint``.
        """
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
        self.interrupted_checkpoint = None
        with _DeferredInterrupt() as interrupt:
            def after_step(totals):
                try:
                    for callback in self.callbacks:
                        callback(self, totals)
                    if interrupt.requested:
                        raise KeyboardInterrupt
                except KeyboardInterrupt:
                    self._save_interrupted()
                    raise

            while self.epoch < epochs:
                if self.totals is None:
                    self.totals = _new_totals()
                per_step = self.scheduler if self.scheduler_interval == 'step' else None
                if self.totals['steps'] < len(self.train_loader):
                    train = train_one_epoch(
                        self.model, self.train_loader, self.optimizer, self.loss_fn,
                        scheduler=per_step, totals=self.totals, before_backward=self._draw_graph,
                        after_step=after_step, progress=self.progress,
                        desc=f"epoch {self.epoch + 1}/{epochs}")
                else:       # resumed from a checkpoint saved after the epoch's last step
                    train = _epoch_metrics(self.totals)
                self._end_epoch(train, lr=self.optimizer.param_groups[0]['lr'])
                if interrupt.requested:            # Ctrl-C during evaluation: the epoch is saved
                    self.interrupted_checkpoint = self.checkpoint_path() if self.out_dir else None
                    raise KeyboardInterrupt
        return self.history

    def _end_epoch(self, train, lr):
        """Evaluate, record the epoch, step a per-epoch scheduler and save the checkpoints."""
        row = {'epoch': self.epoch + 1, 'train_loss': train['loss'],
               'train_accuracy': train['accuracy'], 'lr': lr, 'time_s': train['seconds'],
               'samples_per_s': train['samples_per_s']}
        if self.test_loader is not None:
            result = evaluate(self.model, self.test_loader, self.loss_fn,
                              num_classes=len(self.class_names) if self.class_names else None,
                              progress=self.progress, desc='test')
            row.update(test_loss=result['loss'], test_accuracy=result['accuracy'],
                       eval_time_s=result['seconds'])
            self.confusion = result['confusion_matrix']
        if self.scheduler is not None and self.scheduler_interval == 'epoch':
            self.scheduler.step()
        self.history.append(row)
        self.epoch += 1
        self.totals = None
        if self.progress or self.out_dir is not None:
            print(self.format_epoch(row), flush=True)
        if self.out_dir is not None:
            self.save_checkpoint(self.checkpoint_path(f'epoch_{self.epoch:03d}'))
            self.save_checkpoint(self.checkpoint_path())
            self.write_metrics()

    @staticmethod
    def format_epoch(row):
        """One line summarising an epoch's row of ``history``."""
        text = (f"epoch {row['epoch']}: train loss {row['train_loss']:.4f} "
                f"acc {row['train_accuracy']:.4f}")
        if 'test_loss' in row:
            text += f" | test loss {row['test_loss']:.4f} acc {row['test_accuracy']:.4f}"
        return text + f" | {row['time_s']:.1f} s, {row['samples_per_s']:.0f} samples/s"

    def _save_interrupted(self):
        """Save the state after the step that just completed (called from inside the step loop)."""
        if self.out_dir is None:
            return
        self.interrupted_checkpoint = self.save_checkpoint(self.checkpoint_path())
        self.write_metrics()

    def _draw_graph(self, loss):
        """Render the graph of the first loss of this run into ``graph_path``; then stop drawing."""
        if self.graph_path is None:
            return
        path, self.graph_path = self.graph_path, None
        try:
            from tinygrad_cnn.viz import render_graph
            render_graph(loss, path, params=dict(self.model.named_parameters()))
        except (ImportError, RuntimeError) as err:      # no graphviz package / no `dot` program
            print(f"warning: backward graph not drawn: {err}", file=sys.stderr)

    # ------------------------------------------------------------------ outputs
    def metrics(self):
        """The run's metrics as a JSON-able dict: config, class names, per-epoch history,
        the last confusion matrix."""
        return {'config': self.config, 'class_names': self.class_names, 'history': self.history,
                'confusion_matrix': None if self.confusion is None else self.confusion.tolist()}

    def write_metrics(self):
        """Write ``out_dir/metrics.json`` atomically (readers never see half a file)."""
        text = json.dumps(self.metrics(), indent=1)
        return atomic_write(os.path.join(self.out_dir, 'metrics.json'),
                            lambda f: f.write(text.encode()))

    def write_outputs(self):
        """Write metrics.json, training_curves.png and confusion_matrix.png into ``out_dir``.

        Returns a dict of the paths written (pictures are skipped with a
        warning when matplotlib is missing).
        """
        if self.out_dir is None or not self.history:
            return {}
        paths = {'metrics': self.write_metrics()}
        try:
            from tinygrad_cnn.viz import plot_confusion_matrix, plot_training_curves
            paths['curves'] = os.path.join(self.out_dir, 'training_curves.png')
            curves = {key: [row[key] for row in self.history] for key in
                      ('train_loss', 'test_loss', 'train_accuracy', 'test_accuracy')
                      if key in self.history[0]}
            plot_training_curves(curves, paths['curves'])
            if self.confusion is not None:
                paths['confusion'] = os.path.join(self.out_dir, 'confusion_matrix.png')
                names = self.class_names or [str(i) for i in range(len(self.confusion))]
                plot_confusion_matrix(self.confusion, names, paths['confusion'])
        except ImportError as err:
            print(f"warning: pictures not drawn: {err}", file=sys.stderr)
        return paths

