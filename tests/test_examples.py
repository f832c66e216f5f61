"""Every script in examples/ runs (as a user would start it) and prints what it promises.

Each runs in a subprocess with tiny options. The Fashion-MNIST ones are skipped
when the data set is not installed (/usr/share/datasets/fashion-mnist, from the
Debian package dataset-fashion-mnist, which ``make demo`` installs).
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, 'examples')
FASHION_MNIST = '/usr/share/datasets/fashion-mnist'
needs_data = pytest.mark.skipif(
    not os.path.isdir(FASHION_MNIST),
    reason=f"Fashion-MNIST is not installed in {FASHION_MNIST} (apt-get install dataset-fashion-mnist)")


def run(script, *args, timeout=240):
    # the package from this checkout, installed or not
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [ROOT, os.environ.get('PYTHONPATH')]))}
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def accuracy(text):
    """The value printed as 'test accuracy: 0.xxxx'."""
    match = re.search(r"test accuracy: (\d\.\d{4})", text)
    assert match, text[-2000:]
    return float(match.group(1))


def test_every_example_is_tested():
    tested = {'demo.py', 'lenet5_fashion_mnist.py', 'fmnist_cnn.py', 'char_rnn.py'}
    assert {f for f in os.listdir(EXAMPLES) if f.endswith('.py')} <= tested


@needs_data
def test_demo(tmp_path):
    out = tmp_path / 'demo'
    text = run('demo.py', '--epochs', '1', '--limit', '2048', '--out', str(out))
    assert 'Total params: 61,706' in text                  # the summary table comes first
    assert 0.4 < accuracy(text) <= 1       # 16 steps of Adam: 0.55, well above chance (0.1)
    for name in ('training_curves.png', 'confusion_matrix.png', 'metrics.json',
                 'last.safetensors'):
        assert str(out / name) in text and (out / name).exists()
    assert str(out / 'backward_graph.svg') in text


@needs_data
def test_lenet5_fashion_mnist():
    text = run('lenet5_fashion_mnist.py', '--epochs', '1', '--limit', '256')
    assert 'epoch 1: train loss' in text and 'LeNet5' in text
    assert 0 <= accuracy(text) <= 1


@needs_data
def test_fmnist_cnn():
    text = run('fmnist_cnn.py', '--epochs', '1', '--limit', '256')
    assert 'epoch 1: train loss' in text and 'BatchNorm2d' in text
    assert 0 <= accuracy(text) <= 1


@pytest.mark.skipif(not os.path.exists(os.path.join(EXAMPLES, 'char_rnn.py')),
                    reason="examples/char_rnn.py not written yet")
def test_char_rnn():
    text = run('char_rnn.py', '--steps', '150')       # the default: learns "hello" in seconds
    assert 'sampled: hello' in text
