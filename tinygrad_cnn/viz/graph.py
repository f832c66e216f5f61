"""Pictures of the backward graph of a Tensor, drawn with Graphviz (as torchviz does for PyTorch).

Boxes are the graph's nodes, named like PyTorch's ``grad_fn`` (``MulBackward0``,
``MatmulBackward0``): grey for ops, light blue for leaves (named after the
parameter when ``params`` is given), green for the output. An arrow goes from a
node to each node or leaf it sends gradient to, so the picture reads top-down
in the order ``backward()`` visits it.

The walk is breadth-first with an explicit queue, so a 100,000-node RNN graph
draws without hitting Python's recursion limit; ``max_nodes`` and ``max_depth``
keep big graphs readable and the picture says how much they left out.

Draw before ``backward()``, or after ``backward(retain_graph=True)``, to see
every op's output shape. A plain ``backward()`` frees what the nodes saved;
their names and edges remain, so the graph still draws, without op shapes.
"""
import bisect
import collections
import os

from ..autograd import Function, _topological_order
from ..backend import get_array_module
from ..tensor import Tensor
from ..files import atomic_write
from ._common import require

# torchviz's look: filled monospace boxes
_NODE_ATTR = dict(style='filled', shape='box', align='left', fontsize='10', ranksep='0.1',
                  height='0.2', fontname='monospace')
_OUTPUT, _LEAF, _OP = 'darkolivegreen1', 'lightblue', 'lightgrey'


def _shape(shape):
    return '(' + ', '.join(str(s) for s in shape) + ')'


def _param_names(params):
    """``{id(tensor): name}`` from a dict, a Module or ``(name, tensor)`` pairs."""
    if params is None:
        return {}
    if hasattr(params, 'named_parameters'):
        params = params.named_parameters()
    items = params.items() if hasattr(params, 'items') else params
    return {id(t): name for name, t in items}


def _walk(roots):
    """Breadth-first walk from ``roots`` (nodes or leaf Tensors) along ``.parents``.

    Returns every reachable node and leaf in visiting order, their depths (0 for
    the roots; never decreasing along the order), the position of each by id,
    and the edges as ``(node position, parent position)`` pairs.
    """
    objs, depths, index, edges = [], [], {}, []
    queue = collections.deque()

    def visit(obj, depth):
        pos = index.get(id(obj))
        if pos is None:
            pos = index[id(obj)] = len(objs)
            objs.append(obj)
            depths.append(depth)
            queue.append(obj)
        return pos

    for root in roots:
        visit(root, 0)
    while queue:
        obj = queue.popleft()
        if not isinstance(obj, Function):       # a leaf: the walk ends here
            continue
        pos = index[id(obj)]
        for parent in obj.parents:
            if parent is not None:             # None: an input that needs no gradient
                edges.append((pos, visit(parent, depths[pos] + 1)))
    return objs, depths, index, edges


def _module_of(root_nodes, names):
    """``{id: module name}`` for the leaves and op nodes that belong to one module.

    A parameter belongs to the module in its name (``layer1.0.conv1.weight`` ->
    ``layer1.0.conv1``). An op node joins a module when the inputs it takes
    straight from parameters (or from ops on that module's parameters alone,
    such as ``weight.t()``) all belong to that one module: the conv of
    ``conv1``, the matmul and bias add of ``fc``. Ops on activations only, such
    as a ReLU or a residual add, stay outside every module.
    """
    module = {i: name.rpartition('.')[0] for i, name in names.items() if '.' in name}
    params_only = set()          # nodes computed from one module's parameters alone
    for node in reversed(_topological_order(root_nodes)):       # parents before children
        found, only = set(), True
        for p in node.parents:
            # None is an input without gradient: data, so the node is not parameters-only
            m = None if p is None or (isinstance(p, Function) and id(p) not in params_only) \
                else module.get(id(p))
            if m is None:
                only = False
            else:
                found.add(m)
        if len(found) == 1:
            module[id(node)] = found.pop()
            if only:
                params_only.add(id(node))
    return module


def _grad_line(grad):
    if grad is None:
        return 'grad: None'
    xp = get_array_module(grad.data)
    return f"grad norm={float(xp.linalg.norm(grad.data.ravel())):.4g}"


def _label(obj, names, show_shapes, show_grads):
    if isinstance(obj, Function):
        out = obj._output                      # None once backward has freed the node
        if show_shapes and isinstance(out, tuple):     # a custom Function with several outputs
            return f"{obj.name()}\n" + ' '.join(_shape(o.shape) for o in out if o is not None)
        if show_shapes and out is not None:
            return f"{obj.name()}\n{_shape(out.shape)}"
        return obj.name()
    lines = [names[id(obj)]] if id(obj) in names else []
    if show_shapes or not lines:
        lines.append(_shape(obj.shape))
    if show_grads:
        lines.append(_grad_line(obj.grad))
    return '\n'.join(lines)


def draw_graph(tensor, params=None, show_shapes=True, show_grads=False, max_depth=None,
               max_nodes=2000, cluster_modules=False, graph_attr=None):
    """The backward graph of ``tensor`` as a ``graphviz.Digraph``.

    Args:
        tensor: the output Tensor (usually the loss), or a list of Tensors.
        params: names for the leaves: ``dict(model.named_parameters())``, a
            Module, or ``(name, tensor)`` pairs. Unnamed leaves show their shape.
        show_shapes: add the output shape to each node (op shapes are gone
            after a ``backward()`` without ``retain_graph=True``).
        show_grads: add each leaf's gradient L2 norm (call after ``backward()``).
        max_depth: draw only nodes at most this many edges below the output's node.
        max_nodes: draw at most this many nodes and leaves (None: no cap). Left-out
            parts end in a dashed note saying how many nodes were not drawn.
        cluster_modules: box each module's parameters, with the ops that apply
            them, under the module's name (needs ``params``).
        graph_attr: extra Graphviz graph attributes, e.g. ``{'rankdir': 'LR'}``.

    Returns:
        graphviz.Digraph: display it in a notebook, or ``.render()``/``.source``.
        Building it never needs the ``dot`` program; rendering does.

    Example:
        >>> loss = (model(x) - y).pow(2).mean()
        >>> draw_graph(loss, params=dict(model.named_parameters()))
    """
    graphviz = require('graphviz')
    outputs = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: expected a Tensor or a list of Tensors, got "
                            f"{type(t).__name__}")
    for arg, value, low in (('max_depth', max_depth, 0), ('max_nodes', max_nodes, 1)):
        if value is not None and (not isinstance(value, int) or value < low):
            raise ValueError(f"draw_graph: {arg} must be None or an int >= {low}, got {value!r}")

    names = _param_names(params)
    roots = [t.grad_fn if t.grad_fn is not None else t for t in outputs if t.requires_grad]
    objs, depths, index, edges = _walk(roots)
    # depths never decrease along the walk, so what is drawn is a prefix of it
    shown = len(objs) if max_depth is None else bisect.bisect_right(depths, max_depth)
    shown = shown if max_nodes is None else min(shown, max_nodes)

    dot = graphviz.Digraph(node_attr=_NODE_ATTR, graph_attr={'size': '12,12', **(graph_attr or {})})
    module = _module_of([r for r in roots if isinstance(r, Function)], names) \
        if cluster_modules else {}
    clusters = collections.defaultdict(list)
    for pos in range(shown):
        obj = objs[pos]
        color = _OP if isinstance(obj, Function) else _LEAF
        clusters[module.get(id(obj), '')].append(
            (f'n{pos}', _label(obj, names, show_shapes, show_grads), color))
    for name, nodes in clusters.items():
        if name:
            with dot.subgraph(name=f'cluster_{name}') as sub:
                sub.attr(label=name, style='dashed', fontname='monospace', fontsize='10')
                for node_id, label, color in nodes:
                    sub.node(node_id, label, fillcolor=color)
        else:
            for node_id, label, color in nodes:
                dot.node(node_id, label, fillcolor=color)

    for k, t in enumerate(outputs):
        label = ('output' if len(outputs) == 1 else f'output {k}') + \
            (f"\n{_shape(t.shape)}" if show_shapes else '')
        if not t.requires_grad:
            label += "\nrequires_grad=False: no graph"
        dot.node(f'out{k}', label, fillcolor=_OUTPUT)
        if t.requires_grad:
            root = t.grad_fn if t.grad_fn is not None else t
            dot.edge(f'out{k}', f'n{index[id(root)]}')

    cut = set()
    for pos, parent in edges:
        if parent < shown and pos < shown:
            dot.edge(f'n{pos}', f'n{parent}')
        elif pos < shown:
            cut.add(pos)
    if shown < len(objs):
        limits = ', '.join(f'{k}={v}' for k, v in (('max_depth', max_depth),
                                                   ('max_nodes', max_nodes)) if v is not None)
        dot.node('truncated', f"... {len(objs) - shown:,} more nodes not drawn\n"
                 f"(graph has {len(objs):,} nodes and leaves; {limits})",
                 shape='note', style='dashed')
        for pos in sorted(cut):
            dot.edge(f'n{pos}', 'truncated', style='dashed')
    return dot


def graph_to_dot(tensor, **kwargs):
    """The DOT source of :func:`draw_graph` ``(tensor, **kwargs)``, as a string.

    Needs the ``graphviz`` Python package but never the ``dot`` program.
    """
    return draw_graph(tensor, **kwargs).source


def render_graph(tensor, path, format=None, **kwargs):
    """Draw the backward graph of ``tensor`` into the file ``path``.

    Args:
        tensor: as for :func:`draw_graph`; ``**kwargs`` go to it too.
        path: where to write; replaced atomically.
        format: ``'svg'``, ``'png'``, ``'pdf'``, ...; by default taken from the
            suffix of ``path`` (``'svg'`` if it has none).

    Returns:
        The path written.

    Raises:
        RuntimeError: the Graphviz ``dot`` program is not installed.
    """
    graphviz = require('graphviz')
    fmt = (format or os.path.splitext(os.fspath(path))[1].lstrip('.') or 'svg').lower()
    if fmt not in graphviz.FORMATS:
        raise ValueError(f"render_graph: unknown format {fmt!r}; use one of 'svg', 'png', 'pdf' "
                         f"(or another Graphviz output format)")
    dot = draw_graph(tensor, **kwargs)
    try:
        data = dot.pipe(format=fmt)          # runs `dot` as a subprocess, never through a shell
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError(
            "render_graph: the Graphviz 'dot' program was not found on PATH. Install Graphviz: "
            "'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
            "'conda install graphviz' (conda), or see https://graphviz.org/download/. "
            "graph_to_dot() gives the DOT source without it.") from err
    return atomic_write(path, lambda f: f.write(data))
