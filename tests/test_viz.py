"""tinygrad_cnn.viz: backward-graph drawing, feature maps, Grad-CAM, training curves."""
import io
import os
import re
import shutil

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
from tinygrad_cnn.viz import (
    activation_maximization,
    capture_activations,
    draw_graph,
    grad_cam,
    graph_to_dot,
    plot_confusion_matrix,
    plot_feature_maps,
    plot_filters,
    plot_grad_cam,
    plot_training_curves,
    render_graph,
)
from tinygrad_cnn.viz._common import require
from tinygrad_cnn.viz.feature_maps import _resize_bilinear

graphviz = pytest.importorskip('graphviz')
pytest.importorskip('matplotlib')

_NODE = re.compile(r'^\s*(\w+) \[label=("(?:[^"\\]|\\.)*"|[^ \]]+)([^\]]*)\]', re.M)
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)', re.M)


def parse_dot(src):
    """{node id: (label, attributes)} and the list of (tail, head) edges of a DOT source."""
    nodes = {m[1]: (m[2].strip('"'), m[3]) for m in _NODE.finditer(src)}
    return nodes, _EDGE.findall(src)


def labelled_edges(src):
    """The edges as pairs of the first lines of the node labels."""
    nodes, edges = parse_dot(src)
    return sorted((nodes[a][0].split('\n')[0], nodes[b][0].split('\n')[0]) for a, b in edges)


@pytest.fixture
def abc(rng):
    a, b, c = (tg.tensor(rng.standard_normal((2, 3)), dtype=tg.float32, requires_grad=True)
               for _ in range(3))
    return a, b, c


EXPECTED_EDGES = sorted([('output', 'SumBackward0'), ('SumBackward0', 'AddBackward0'),
                         ('AddBackward0', 'MulBackward0'), ('AddBackward0', 'c'),
                         ('MulBackward0', 'a'), ('MulBackward0', 'b')])


def test_dot_has_exactly_the_nodes_and_edges(abc):
    a, b, c = abc
    y = (a * b + c).sum()
    src = graph_to_dot(y, params={'a': a, 'b': b, 'c': c})
    nodes, _ = parse_dot(src)
    labels = sorted(label for label, _ in nodes.values())
    assert labels == sorted(['output\n()', 'SumBackward0\n()', 'AddBackward0\n(2, 3)',
                             'MulBackward0\n(2, 3)', 'a\n(2, 3)', 'b\n(2, 3)', 'c\n(2, 3)'])
    assert labelled_edges(src) == EXPECTED_EDGES
    colors = {label.split('\n')[0]: re.search(r'fillcolor=(\w+)', attrs)[1]
              for label, attrs in nodes.values()}
    assert colors == {'output': 'darkolivegreen1', 'SumBackward0': 'lightgrey',
                      'AddBackward0': 'lightgrey', 'MulBackward0': 'lightgrey',
                      'a': 'lightblue', 'b': 'lightblue', 'c': 'lightblue'}


def test_draw_graph_returns_digraph_and_hides_shapes(abc):
    a, b, c = abc
    dot = draw_graph((a * b + c).sum(), show_shapes=False)
    assert isinstance(dot, graphviz.Digraph)
    labels = sorted(label for label, _ in parse_dot(dot.source)[0].values())
    # unnamed leaves still show their shape: it is all there is to tell them apart
    assert labels == sorted(['output', 'SumBackward0', 'AddBackward0', 'MulBackward0',
                             '(2, 3)', '(2, 3)', '(2, 3)'])


def test_show_grads_after_backward_shows_leaf_norms(abc):
    a, b, c = abc
    y = (a * b + c).sum()
    y.backward()                     # frees the graph: names and edges remain, op shapes go
    src = graph_to_dot(y, params=dict(a=a, b=b, c=c), show_grads=True)
    assert labelled_edges(src) == EXPECTED_EDGES
    nodes, _ = parse_dot(src)
    labels = {label.split('\n')[0]: label for label, _ in nodes.values()}
    assert labels['MulBackward0'] == 'MulBackward0'
    for name, grad in (('a', b), ('b', a), ('c', tg.ones(2, 3))):
        norm = float(np.linalg.norm(grad.numpy()))
        assert labels[name] == f"{name}\n(2, 3)\ngrad norm={norm:.4g}"


def test_retained_graph_keeps_shapes_and_unset_grad_says_none(abc):
    a, b, c = abc
    y = (a * b + c).sum()
    y.backward(retain_graph=True)
    d = tg.ones(2, 3, requires_grad=True)
    src = graph_to_dot([y, (a * d).sum()], params=dict(a=a, b=b, c=c, d=d), show_grads=True)
    labels = [label for label, _ in parse_dot(src)[0].values()]
    assert 'MulBackward0\n(2, 3)' in labels and 'output 0\n()' in labels
    assert 'd\n(2, 3)\ngrad: None' in labels
    # a is shared by both outputs: drawn once
    assert sum(label.startswith('a\n') for label in labels) == 1


def test_no_graph_and_bad_arguments():
    src = graph_to_dot(tg.ones(3))
    assert 'requires_grad=False: no graph' in src
    with pytest.raises(TypeError, match='draw_graph'):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match='got float'):
        draw_graph([tg.ones(1), 2.0])
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match='max_nodes'):
        draw_graph(x * 2, max_nodes=0)
    with pytest.raises(ValueError, match='max_depth'):
        draw_graph(x * 2, max_depth=-1)


def test_module_params_and_clusters():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(tg.randn(5, 3)).sum()
    src = graph_to_dot(loss, params=model, cluster_modules=True)
    blocks = dict(re.findall(r'subgraph (cluster_\w+) \{(.*?)\n\t\}', src, re.S))
    assert set(blocks) == {'cluster_0', 'cluster_2'}
    for name, body in blocks.items():
        i = name.split('_')[1]
        assert f'label="{i}.weight' in body and f'label="{i}.bias' in body
        assert 'ReluBackward0' not in body           # activations stay outside the modules
    assert 'ReluBackward0' in src


def test_huge_chain_is_capped_without_recursion():
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    src = graph_to_dot(y, max_nodes=100)
    nodes, edges = parse_dot(src)
    assert len(nodes) == 100 + 2                      # drawn nodes, the output, the note
    assert '99,901 more nodes not drawn' in src and 'max_nodes=100' in src
    assert ('n99', 'truncated') in edges
    src = graph_to_dot(y, max_depth=2)
    assert len(parse_dot(src)[0]) == 3 + 2 and 'max_depth=2' in src


@pytest.mark.skipif(shutil.which('dot') is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize('fmt, magic', [('svg', (b'<?xml', b'<svg')), ('png', (b'\x89PNG',))])
def test_render_writes_the_file(abc, tmp_path, fmt, magic):
    a, b, c = abc
    path = tmp_path / f'graph.{fmt}'
    assert render_graph((a * b + c).sum(), path, params=dict(a=a, b=b, c=c)) == str(path)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [path.name]       # no temporary file left behind
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask    # not mkstemp's private 0600


def test_render_without_dot_says_how_to_install(abc, tmp_path, monkeypatch):
    def missing(self, *args, **kwargs):
        raise graphviz.ExecutableNotFound(('dot', '-Tsvg'))
    monkeypatch.setattr(graphviz.Digraph, 'pipe', missing)
    a, b, c = abc
    with pytest.raises(RuntimeError, match='apt-get install graphviz') as err:
        render_graph((a * b + c).sum(), tmp_path / 'g.svg')
    assert 'brew install graphviz' in str(err.value)
    assert 'conda install graphviz' in str(err.value)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match='format'):
        render_graph((a * b).sum(), tmp_path / 'g.nope')


def test_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"tinygrad_cnn\[viz\]"):
        require('no_such_module_for_tinygrad_cnn')


# ---------------------------------------------------------------- feature maps


def _png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    return buf.getvalue()


def test_plot_feature_maps_and_filters():
    tg.manual_seed(0)
    fig = plot_feature_maps(tg.randn(2, 5, 6, 6), ncols=3, title='maps')
    assert _png_bytes(fig).startswith(b'\x89PNG')
    assert len(fig.axes) == 1
    assert fig.axes[0].images[0].get_array().shape == (2 * 7 - 1, 3 * 7 - 1)  # 2x3 grid, 1px gaps
    rgb = plot_filters(nn.Conv2d(3, 4, 3))
    assert rgb.axes[0].images[0].get_array().shape[-1] == 3
    gray = plot_filters(nn.Conv2d(2, 4, 3).weight, in_channel=1)
    assert gray.axes[0].images[0].get_array().ndim == 2
    with pytest.raises(ValueError, match='plot_feature_maps'):
        plot_feature_maps(tg.randn(4, 4))
    with pytest.raises(ValueError, match='in_channel'):
        plot_filters(nn.Conv2d(2, 4, 3), in_channel=2)


def _small_cnn():
    tg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 3),
                         nn.BatchNorm2d(2))


def test_capture_activations_uses_hooks_and_leaves_no_trace():
    model = _small_cnn()
    x = tg.randn(2, 1, 6, 6)
    running = model[3].running_mean.numpy().copy()
    acts = capture_activations(model, x)
    assert list(acts) == ['0', '1', '2', '3']
    assert [tuple(a.shape) for a in acts.values()] == [(2, 3, 6, 6)] * 2 + [(2, 2, 4, 4)] * 2
    np.testing.assert_allclose(acts['1'].numpy(), np.maximum(acts['0'].numpy(), 0))
    assert not acts['0'].requires_grad
    convs = capture_activations(model, x, layer_types=nn.Conv2d)
    assert list(convs) == ['0', '2']
    assert all(not m._forward_hooks for m in model.modules())
    assert model.training and all(m.training for m in model.modules())
    np.testing.assert_array_equal(model[3].running_mean.numpy(), running)


def test_shared_module_is_captured_per_call():
    relu = nn.ReLU()
    model = nn.Sequential(nn.Conv2d(1, 2, 1), relu, nn.Conv2d(2, 2, 1), relu)
    assert list(capture_activations(model, tg.randn(1, 1, 3, 3))) == ['0', '1', '2', '1#1']


def test_activation_maximization_increases_the_activation():
    model = _small_cnn().eval()
    tg.manual_seed(1)
    start = 0.1 * tg.randn(1, 1, 8, 8)
    with tg.no_grad():
        before = model[0](start)[:, 1].mean().item()
    tg.manual_seed(1)                                 # the same starting noise
    x = activation_maximization(model, '0', channel=1, steps=10, lr=0.1, input_shape=(1, 1, 8, 8))
    assert x.shape == (1, 1, 8, 8) and x.dtype == tg.float32 and not x.requires_grad
    with tg.no_grad():
        after = model[0](x)[:, 1].mean().item()
    # the objective is linear in x, so each normalised step x += lr * g / rms(g) raises it by
    # exactly lr * |g|^2 / rms(g) = lr * |g| * sqrt(x.numel())
    probe = tg.zeros(1, 1, 8, 8, requires_grad=True)
    (g,) = tg.autograd.grad(model[0](probe)[:, 1].mean(), [probe])
    expected = 10 * 0.1 * float(np.linalg.norm(g.numpy())) * 8
    assert after - before == pytest.approx(expected, rel=1e-4)
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match='channel 5'):
        activation_maximization(model, model[0], channel=5, steps=1, input_shape=(1, 1, 8, 8))
    with pytest.raises(ValueError, match='no submodule'):
        activation_maximization(model, 'nope', channel=0, steps=1)


class _GlobalMean(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


def _cam_model():
    """conv 1x1 (identity) -> ReLU -> global mean -> linear with weights [+1, -1]."""
    conv, fc = nn.Conv2d(1, 1, 1), nn.Linear(1, 2, bias=False)
    with tg.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.fill_(0.0)
        fc.weight.copy_(np.array([[1.0], [-1.0]], dtype=np.float32))
    return nn.Sequential(conv, nn.ReLU(), _GlobalMean(), fc)


def test_grad_cam_finds_the_evidence():
    model = _cam_model()
    image = np.zeros((1, 8, 8), dtype=np.float32)
    image[0, 1:3, 2:4] = [[1.0, 0.5], [0.25, 2.0]]
    cam = grad_cam(model, tg.tensor(image), target_layer=model[0])
    assert cam.shape == (8, 8) and cam.min() == 0 and cam.max() == 1
    # the class-0 score is the mean activation: the map is the image, scaled to [0, 1]
    np.testing.assert_allclose(cam, image[0] / 2.0, atol=1e-6)
    # class 1 is evidence against every bright pixel: nothing survives the ReLU
    np.testing.assert_array_equal(grad_cam(model, tg.tensor(image[None]), '0', class_idx=1), 0)
    assert all(p.grad is None for p in model.parameters())
    assert plot_grad_cam(image, cam).axes[0].images[1].get_array().shape == (8, 8)
    with pytest.raises(ValueError, match='one image'):
        grad_cam(model, tg.zeros(2, 1, 8, 8), model[0])


def test_grad_cam_resizes_to_the_input():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), _GlobalMean(),
                          nn.Linear(4, 3))
    model.requires_grad_(False)                      # a frozen model still gets its heat map
    cam = grad_cam(model, tg.randn(3, 10, 12), model[1])
    assert cam.shape == (10, 12) and 0 <= cam.min() and cam.max() <= 1


def test_resize_bilinear_matches_half_pixel_interpolation():
    image = np.array([[0.0, 1.0], [2.0, 3.0]])
    out = _resize_bilinear(image, (4, 4))
    # F.interpolate(mode='bilinear', align_corners=False) gives these rows
    np.testing.assert_allclose(out[0], [0, 0.25, 0.75, 1])
    np.testing.assert_allclose(out[:, 0], [0, 0.5, 1.5, 2])
    np.testing.assert_allclose(_resize_bilinear(image, (2, 2)), image)


# ---------------------------------------------------------------- curves


def test_training_curves_png_written_atomically(tmp_path):
    history = {'train_loss': [1.0, 0.6, 0.4], 'test_loss': [1.1, 0.7, 0.6],
               'train_acc': [0.5, 0.7, 0.8], 'test_acc': [0.45, 0.65, 0.7]}
    path = tmp_path / 'curves.png'
    fig = plot_training_curves(history, path)
    assert path.read_bytes().startswith(b'\x89PNG')
    assert os.listdir(tmp_path) == ['curves.png']
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert len(plot_training_curves({'loss': [3, 2]}).axes) == 1
    with pytest.raises(ValueError, match='history'):
        plot_training_curves({})


def test_confusion_matrix(tmp_path):
    cm = np.array([[5, 1, 0], [2, 3, 1], [0, 0, 6]])
    path = tmp_path / 'cm.png'
    fig = plot_confusion_matrix(cm, ['cat', 'dog', 'fox'], path, normalize=True)
    assert path.read_bytes().startswith(b'\x89PNG')
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), cm / cm.sum(axis=1, keepdims=True))
    assert [t.get_text() for t in ax.get_xticklabels()] == ['cat', 'dog', 'fox']
    assert ax.texts[1].get_text() == '0.17'
    with pytest.raises(ValueError, match='square'):
        plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match='class_names'):
        plot_confusion_matrix(cm, ['a'])
