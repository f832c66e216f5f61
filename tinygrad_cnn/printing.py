"""How Tensors print: PyTorch's ``repr`` format and ``tg.set_printoptions``.

``repr(t)`` reproduces ``torch``'s text character for character: one shared
element width per tensor, whole-number floats as ``1.``, scientific notation
when the magnitudes span more than 1000x (or pass 1e8 / fall under 1e-4),
``...`` summaries of tensors with more than ``threshold`` elements, and the
suffixes ``dtype=``, ``device=``, ``grad_fn=<...>`` / ``requires_grad=True``.
"""
import contextlib
import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None      # None: chosen per tensor; True/False: forced


PRINT_OPTS = _PrintOptions()
_PROFILES = {'default': dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             'short': dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             'full': dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how Tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point of floats (default 4).
        threshold: tensors with more elements are summarised with ``...`` (default 1000).
        edgeitems: items kept at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'`` (never summarise); the other
            arguments override it.
        sci_mode: True/False forces scientific notation on or off; None (the default,
            and what every call without it restores) chooses per tensor.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (('precision', precision), ('threshold', threshold),
                       ('edgeitems', edgeitems), ('linewidth', linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current options, as a dict that ``set_printoptions(**d)`` accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a ``with`` block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Formats every element of one tensor with one width and one notation."""

    def __init__(self, values):
        """``values``: a numpy array of the elements that will be shown."""
        self.floating = values.dtype.kind == 'f'
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        precision = PRINT_OPTS.precision
        if not self.floating:
            for v in values.ravel().tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite).astype(np.float64)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool((finite == np.ceil(finite)).all())
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) \
            if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{precision}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1       # + the '.' that marks a float
            else:
                width = len(f"{v:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value):
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ('' if math.isinf(value) or math.isnan(value) else '.')
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return (self.max_width - len(text)) * ' ' + text


def _summarized(a):
    """The elements a summarised print shows: ``edgeitems`` from each end of every dim."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[tuple(slice(0, 0) for _ in a.shape)]
    rows = list(range(e)) + list(range(len(a) - e, len(a))) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a, indent, summarize, fmt):
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ['...']
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [' ...'] + \
            [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [', '.join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return '[' + (',\n' + ' ' * (indent + 1)).join(lines) + ']'


def _array_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ['...'] + \
            [_array_str(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))]
    else:
        slices = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return '[' + (',' + '\n' * (a.ndim - 1) + ' ' * (indent + 1)).join(slices) + ']'


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, wrapping to a new line where the line would pass linewidth."""
    parts = [text]
    last_line_len = len(text) - text.rfind('\n') + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(',\n' + ' ' * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(', ' + suffix)
            last_line_len += len(suffix) + 2
    return ''.join(parts) + ')'


def dtype_name(dtype):
    """PyTorch's name of a numpy dtype: ``'torch.float32'``."""
    return 'torch.' + ('bool' if dtype.kind == 'b' else dtype.name)


def tensor_repr(t, default_dtype):
    """``repr`` of Tensor ``t`` in PyTorch's format (``default_dtype``: tg.get_default_dtype())."""
    a = t.numpy()
    prefix = 'tensor('
    indent = len(prefix)
    suffixes = []
    if t.device != 'cpu':
        suffixes.append(f"device='{t.device}'")
    complex_default = np.complex128 if default_dtype == np.float64 else np.complex64
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != default_dtype:
            suffixes.append(f"dtype={dtype_name(a.dtype)}")
        body = '[]'
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype not in (default_dtype, complex_default, np.int64, np.bool_):
            suffixes.append(f"dtype={dtype_name(a.dtype)}")
        summarize = a.size > PRINT_OPTS.threshold
        values = a.astype(np.float64) if a.dtype == np.float16 else a
        fmt = _Formatter(_summarized(values) if summarize else values)
        body = _array_str(values, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
