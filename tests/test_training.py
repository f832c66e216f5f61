"""The training library: a small CNN learns; checkpoints hold the whole state; resuming —
after an epoch, or after Ctrl-C in the middle of one — reproduces the uninterrupted run exactly."""
import json
import os
import signal
import threading

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import optim
from tinygrad_cnn.data import DataLoader, TensorDataset
from tinygrad_cnn.training import Trainer, confusion_matrix, evaluate, train_one_epoch

CLASSES = 4


def synthetic(n, seed):
    """n noisy 1x12x12 images; class k has a bright 6x6 square in quadrant k."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    x = rng.normal(0, 0.5, (n, 1, 12, 12)).astype(np.float32)
    for k in range(CLASSES):
        r, c = divmod(k, 2)
        x[y == k, :, 6 * r:6 * r + 6, 6 * c:6 * c + 6] += 1.0
    return TensorDataset(tg.from_numpy(x), tg.from_numpy(y))


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.2), nn.Flatten(), nn.Linear(4 * 6 * 6, CLASSES))


def make_trainer(out_dir, scheduler='step', callbacks=(), n_train=512):
    """A fresh run: seeded model, Adam, a scheduler, shuffling loader (same every call)."""
    tg.manual_seed(0)
    model = small_cnn()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    train_loader = DataLoader(synthetic(n_train, 1), batch_size=64, shuffle=True)
    test_loader = DataLoader(synthetic(256, 2), batch_size=128)
    if scheduler == 'step':
        sched, interval = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5), 'epoch'
    else:
        sched, interval = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, epochs=2,
                                                        steps_per_epoch=len(train_loader)), 'step'
    return Trainer(model, optimizer, train_loader, test_loader, scheduler=sched,
                   scheduler_interval=interval, out_dir=out_dir, callbacks=callbacks,
                   class_names=[f'c{k}' for k in range(CLASSES)], config={'name': 'test'})


def results(trainer):
    """What must match exactly between runs: metrics (not times) and final parameters."""
    keys = ('epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'lr')
    history = [{k: row[k] for k in keys} for row in trainer.history]
    params = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
    return history, params, trainer.confusion


def assert_same(a, b):
    assert a[0] == b[0]                                  # bit-identical metrics
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k], err_msg=k)
    np.testing.assert_array_equal(a[2], b[2])


def test_confusion_matrix():
    cm = confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], 3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert cm.dtype == np.int64


def test_evaluate_loss_accuracy_and_mode():
    tg.manual_seed(0)
    model = small_cnn()
    data = synthetic(200, 3)
    result = evaluate(model, DataLoader(data, batch_size=64))       # batches of 64, 64, 64, 8
    x, y = data.tensors
    model.eval()
    with tg.no_grad():
        logits = model(x)
    model.train()
    assert model.training and all(m.training for m in model.modules())
    np.testing.assert_allclose(result['loss'], F.cross_entropy(logits, y).item(), rtol=1e-5)
    pred = logits.argmax(dim=1).numpy()
    assert result['accuracy'] == np.mean(pred == y.numpy())
    np.testing.assert_array_equal(result['confusion_matrix'], confusion_matrix(y.numpy(), pred, CLASSES))
    assert result['samples'] == 200


def test_small_cnn_learns():
    tg.manual_seed(0)
    model = small_cnn()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(synthetic(512, 1), batch_size=64, shuffle=True)
    first = train_one_epoch(model, loader, optimizer)
    for _ in range(2):
        last = train_one_epoch(model, loader, optimizer)
    test = evaluate(model, DataLoader(synthetic(256, 2), batch_size=128))
    assert first['samples'] == 512 and last['samples_per_s'] > 0
    assert last['loss'] < 0.2 < first['loss']            # chance level is ln 4 = 1.39
    assert test['loss'] < 0.2 and test['accuracy'] > 0.95


def test_resume_after_an_epoch_is_exact(tmp_path):
    full = make_trainer(tmp_path / 'full')
    full.fit(2)
    expected = results(full)

    make_trainer(tmp_path / 'half').fit(1)
    resumed = make_trainer(tmp_path / 'half')            # a new process would build the same
    resumed.resume()
    assert resumed.epoch == 1
    resumed.fit(2)
    assert_same(results(resumed), expected)
    assert len(resumed.history) == 2


@pytest.mark.parametrize('scheduler', ['step', 'onecycle'])
def test_keyboard_interrupt_saves_the_last_step_and_resume_is_exact(tmp_path, scheduler):
    full = make_trainer(tmp_path / 'full', scheduler)
    full.fit(2)
    expected = results(full)

    def interrupt(trainer, totals):                      # Ctrl-C after step 3 of epoch 2
        if trainer.epoch == 1 and totals['steps'] == 3:
            raise KeyboardInterrupt

    run = make_trainer(tmp_path / 'cut', scheduler, callbacks=[interrupt])
    with pytest.raises(KeyboardInterrupt):
        run.fit(2)
    assert run.interrupted_checkpoint == str(tmp_path / 'cut' / 'last.safetensors')
    state = tg.load(run.interrupted_checkpoint)
    assert state['epoch'] == 1 and state['totals']['steps'] == 3
    assert state['train_loader']['epoch'] == 1 and state['train_loader']['batch'] == 3

    resumed = make_trainer(tmp_path / 'cut', scheduler)
    resumed.resume()
    resumed.fit(2)
    assert_same(results(resumed), expected)


def test_real_sigint_finishes_the_step_then_saves(tmp_path):
    """A real SIGINT (as Ctrl-C sends) is deferred to the end of the step."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python runs signal handlers in the main thread only")
    full = make_trainer(tmp_path / 'full')
    full.fit(1)
    expected = results(full)

    def ctrl_c(trainer, totals):
        if totals['steps'] == 2:
            signal.raise_signal(signal.SIGINT)           # handled: no exception here

    run = make_trainer(tmp_path / 'cut', callbacks=[ctrl_c])
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        run.fit(1)
    assert tg.load(run.interrupted_checkpoint)['totals']['steps'] == 2
    assert signal.getsignal(signal.SIGINT) is handler    # fit put the previous handler back
    resumed = make_trainer(tmp_path / 'cut')
    resumed.resume()
    resumed.fit(1)
    assert_same(results(resumed), expected)


def test_interrupt_after_the_last_step_of_an_epoch(tmp_path):
    """Saved after the epoch's last step but before its evaluation: resume evaluates, then goes on."""
    full = make_trainer(tmp_path / 'full', n_train=256)
    full.fit(2)
    expected = results(full)

    def interrupt(trainer, totals):
        if trainer.epoch == 0 and totals['steps'] == 4:  # 256 / 64 = 4 steps per epoch
            raise KeyboardInterrupt

    run = make_trainer(tmp_path / 'cut', n_train=256, callbacks=[interrupt])
    with pytest.raises(KeyboardInterrupt):
        run.fit(2)
    resumed = make_trainer(tmp_path / 'cut', n_train=256)
    resumed.resume()
    resumed.fit(2)
    assert_same(results(resumed), expected)


def test_checkpoint_and_metrics_contents(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(2)
    names = sorted(os.listdir(tmp_path))
    assert {'epoch_001.safetensors', 'epoch_002.safetensors', 'last.safetensors',
            'metrics.json'} <= set(names)
    state = tg.load(tmp_path / 'epoch_002.safetensors')
    assert set(state) >= {'model', 'optimizer', 'scheduler', 'rng', 'train_loader', 'epoch',
                          'totals', 'history', 'config', 'class_names'}
    assert state['epoch'] == 2 and state['totals'] is None and state['config'] == {'name': 'test'}
    for k, v in trainer.model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(state['model'][k]), v.numpy(), err_msg=k)
    assert state['rng'] == tg.get_rng_state()
    assert state['train_loader'] == trainer.train_loader.state_dict()
    assert state['scheduler']['last_epoch'] == 2
    epoch1 = tg.load(tmp_path / 'epoch_001.safetensors')
    assert epoch1['epoch'] == 1 and len(epoch1['history']) == 1

    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert len(metrics['history']) == 2 and metrics['class_names'] == ['c0', 'c1', 'c2', 'c3']
    row = metrics['history'][1]
    assert row['epoch'] == 2 and row == pytest.approx(trainer.history[1])
    assert row['samples_per_s'] > 0 and row['time_s'] > 0
    assert np.sum(metrics['confusion_matrix']) == 256

    paths = trainer.write_outputs()
    for key in ('curves', 'confusion'):
        with open(paths[key], 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
