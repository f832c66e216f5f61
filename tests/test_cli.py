"""``python -m tinygrad_cnn train | eval | predict`` on a tiny synthetic Fashion-MNIST.

The data are written as IDX files into a temporary directory (``--data-root``),
so these tests need neither the real data set nor a network.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_cnn import cli
from tinygrad_cnn.data import FashionMNIST

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMELESS = ('epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'lr')


def fake_images(n, seed):
    """uint8 28x28 images; class k is a bright 7x7 square in cell k of a 4x4 grid, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for k in range(10):
        r, c = divmod(k, 4)
        images[labels == k, 7 * r:7 * r + 7, 7 * c:7 * c + 7] = 230
    return images, labels


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
    with open(path, 'wb') as f:
        f.write(header + array.tobytes())


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('fake-fashion-mnist')
    for prefix, n, seed in (('train', 384, 0), ('t10k', 200, 1)):
        images, labels = fake_images(n, seed)
        write_idx(root / f'{prefix}-images-idx3-ubyte', images)
        write_idx(root / f'{prefix}-labels-idx1-ubyte', labels)
    return root


def train_args(data_root, out, epochs, *extra):
    return ['train', '--model', 'lenet5', '--epochs', str(epochs), '--batch-size', '64',
            '--limit-train', '256', '--limit-test', '128', '--data-root', str(data_root),
            '--out', str(out), '--seed', '3', *extra]


def timeless(out):
    with open(os.path.join(out, 'metrics.json')) as f:
        return [{k: row[k] for k in TIMELESS} for row in json.load(f)['history']]


@pytest.fixture(scope='module')
def full_run(data_root, tmp_path_factory):
    """Two epochs through the real entry point, ``python -m tinygrad_cnn``, in a subprocess."""
    out = tmp_path_factory.mktemp('runs') / 'full'
    proc = subprocess.run([sys.executable, '-m', 'tinygrad_cnn', *train_args(data_root, out, 2)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_train_writes_checkpoints_metrics_and_pictures(full_run):
    out, proc = full_run
    files = set(os.listdir(out))
    assert {'epoch_001.safetensors', 'epoch_002.safetensors', 'last.safetensors', 'metrics.json',
            'training_curves.png', 'confusion_matrix.png'} <= files
    if shutil.which('dot'):
        assert 'backward_graph.svg' in files
        svg = (out / 'backward_graph.svg').read_text()
        assert '<svg' in svg and 'c1.weight' in svg and 'output.bias' in svg
    metrics = json.loads((out / 'metrics.json').read_text())
    assert [row['epoch'] for row in metrics['history']] == [1, 2]
    for row in metrics['history']:
        assert 0 <= row['test_accuracy'] <= 1 and row['samples_per_s'] > 0 and row['time_s'] > 0
    assert metrics['class_names'] == FashionMNIST.classes
    assert np.sum(metrics['confusion_matrix']) == 128
    assert metrics['config']['model'] == 'lenet5' and metrics['config']['limit_train'] == 256
    # the per-epoch summary lines and the tqdm bar (loss, accuracy, samples/s)
    assert 'epoch 2: train loss' in proc.stdout and 'test accuracy' in proc.stdout
    assert 'samples_s=' in proc.stderr


def test_resume_reproduces_the_uninterrupted_run(full_run, data_root, tmp_path, capsys):
    out = tmp_path / 'resumed'
    assert cli.main(train_args(data_root, out, 1, '--no-progress')) == 0
    assert cli.main(train_args(data_root, out, 2, '--no-progress', '--resume')) == 0
    assert 'resumed from' in capsys.readouterr().out
    assert timeless(out) == timeless(full_run[0])


def test_resume_refuses_other_settings(full_run, data_root, tmp_path):
    out = tmp_path / 'run'
    shutil.copytree(full_run[0], out)
    with pytest.raises(SystemExit, match='--lr 0.001 \\(now 0.01\\)'):
        cli.main(train_args(data_root, out, 3, '--lr', '0.01', '--resume'))
    with pytest.raises(SystemExit, match='--scheduler none \\(now cosine\\)'):
        cli.main(train_args(data_root, out, 3, '--scheduler', 'cosine', '--resume'))
    with pytest.raises(SystemExit, match='no checkpoint'):
        cli.main(train_args(data_root, tmp_path / 'empty', 3, '--resume'))


def test_eval_prints_the_test_accuracy(full_run, data_root, capsys):
    out = full_run[0]
    last = json.loads((out / 'metrics.json').read_text())['history'][-1]
    assert cli.main(['eval', '--checkpoint', str(out / 'last.safetensors'), '--limit-test', '128',
                     '--data-root', str(data_root), '--no-progress']) == 0
    text = capsys.readouterr().out
    assert f"loss {last['test_loss']:.4f}, accuracy {last['test_accuracy']:.4f}" in text
    assert '128 samples' in text


def test_predict_reads_image_files(full_run, tmp_path, capsys):
    from PIL import Image

    images, _ = fake_images(3, 7)
    paths = []
    for i, img in enumerate(images):
        paths.append(str(tmp_path / f'img{i}.png'))
        Image.fromarray(img).save(paths[-1])
    # a dark object on a light background is inverted automatically
    paths.append(str(tmp_path / 'light.png'))
    Image.fromarray(255 - images[0]).save(paths[-1])

    checkpoint = str(full_run[0] / 'last.safetensors')
    assert cli.main(['predict', '--checkpoint', checkpoint, *paths]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    model, _ = cli.load_model(checkpoint)
    probs = model(cli.normalize_images(images, 'fashion-mnist')).softmax(dim=1).numpy()
    for line, path, p in zip(lines, paths, [*probs, probs[0]]):
        k = int(p.argmax())
        assert line == f"{path}: {FashionMNIST.classes[k]} ({p[k]:.1%})"


def test_missing_data_says_how_to_get_it(tmp_path, capsys):
    assert cli.main(train_args(tmp_path, tmp_path / 'out', 1)) == 1
    err = capsys.readouterr().err
    assert 'train-images-idx3-ubyte' in err and 'dataset-fashion-mnist' in err and '--download' in err


def test_mnist_normalisation_and_class_names(data_root, tmp_path):
    args = train_args(data_root, tmp_path / 'mnist', 1, '--dataset', 'mnist', '--no-progress',
                      '--optimizer', 'sgd', '--momentum', '0.9', '--scheduler', 'cosine')
    assert cli.main(args) == 0
    metrics = json.loads((tmp_path / 'mnist' / 'metrics.json').read_text())
    assert metrics['class_names'][3] == '3 - three' and metrics['config']['optimizer'] == 'sgd'
    x = cli.normalize_images(np.full((1, 28, 28), 255, np.uint8), 'mnist')
    np.testing.assert_allclose(x.numpy(), (1 - 0.1307) / 0.3081, rtol=1e-6)
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32


def test_ctrl_c_says_how_to_resume(data_root, tmp_path, monkeypatch, capsys):
    def interrupted(trainer, epochs):           # as Trainer.fit does after Ctrl-C
        os.makedirs(trainer.out_dir, exist_ok=True)
        trainer.interrupted_checkpoint = trainer.save_checkpoint(trainer.checkpoint_path())
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.Trainer, 'fit', interrupted)
    args = train_args(data_root, tmp_path / 'run', 2, '--no-progress')
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    assert f"saved in {tmp_path / 'run' / 'last.safetensors'}" in err
    assert f"resume with: python -m tinygrad_cnn {' '.join(args)} --resume" in err


@pytest.mark.parametrize('name, interval', [('none', 'epoch'), ('step', 'epoch'),
                                            ('cosine', 'epoch'), ('onecycle', 'step')])
def test_schedulers(name, interval):
    model = cli.MODELS['lenet5']()
    optimizer = cli.build_optimizer(model.parameters(), 'adam', 1e-3)
    scheduler, how = cli.build_scheduler(optimizer, name, epochs=6, steps_per_epoch=10)
    assert how == interval and (scheduler is None) == (name == 'none')
    steps = 60 if interval == 'step' else 6
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    expected = {'none': [1e-3] * 6, 'step': [1e-3] * 2 + [1e-4] * 2 + [1e-5] * 2}
    if name in expected:
        np.testing.assert_allclose(lrs, expected[name], rtol=1e-9)
    elif name == 'cosine':
        np.testing.assert_allclose(lrs[3], 1e-3 * (1 + np.cos(np.pi * 3 / 6)) / 2, rtol=1e-9)
    else:                                    # one cycle: warm up to the peak lr, then anneal
        assert max(lrs) == pytest.approx(1e-3) and lrs[0] < 1e-4 and lrs[-1] < 1e-6
