"""Checkpoints: ``tg.save(obj, path)`` and ``tg.load(path)``, without pickle.

``obj`` is a (nested) structure of dicts, lists, tuples, Tensors, numpy
arrays, numbers, strings, bools and None — a model's or an optimizer's
``state_dict()``, a scheduler's, ``tg.get_rng_state()``, an epoch counter.

The file is a standard safetensors file: the arrays are stored as
safetensors tensors named ``"0"``, ``"1"``, ...; the structure around them
is a JSON document in the header's ``__metadata__`` (key ``"tinygrad_cnn"``),
in which each array appears as ``{"type": "tensor", "key": "0", ...}``.
Loading only parses JSON and copies bytes, so an untrusted file cannot run
code (``pickle``, which ``torch.save`` uses, can). Each array also carries a
CRC-32 of its bytes, so a damaged file is detected instead of silently
loading wrong weights.

Saving is atomic: the bytes go to a temporary file in the same directory,
which is flushed, fsync'ed and then renamed over ``path`` (``os.replace``).
A crash or an error during ``save`` leaves the previous checkpoint intact.
"""
import collections
import json
import math
import os
import struct
import zlib

import numpy as np
import safetensors.numpy

from .backend import cuda_is_available, normalize_device, to_device, to_numpy
from .files import atomic_write
from .tensor import Tensor

__all__ = ['save', 'load']

FORMAT = 'tinygrad_cnn.checkpoint/1'      # bump if the JSON layout ever changes
_META_KEY = 'tinygrad_cnn'


# ---------------------------------------------------------------- object tree <-> JSON + arrays
def _encode(obj, arrays, where):
    """JSON for ``obj``; its arrays are appended to ``arrays`` (numbered in order).

    Every JSON object in the result is a tagged node ``{"type": ...}`` (so a
    user's dict can never be mistaken for one); JSON lists, strings, numbers,
    booleans and null stand for themselves.
    """
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        return _encode_array(obj, arrays, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj                        # JSON ints are unbounded: RNG states survive
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {'type': 'float', 'value': repr(obj)}      # 'inf', '-inf', 'nan'
    if isinstance(obj, dict):
        node = {'type': 'ordered_dict' if isinstance(obj, collections.OrderedDict) else 'dict'}
        items = [(_encode(k, arrays, f"{where} key {k!r}"), _encode(v, arrays, f"{where}[{k!r}]"))
                 for k, v in obj.items()]
        if all(isinstance(k, str) for k, _ in items):
            node['items'] = dict(items)     # the readable form: string keys
        else:
            node['pairs'] = [list(kv) for kv in items]
        return node
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {'type': 'tuple', 'items': [_encode(v, arrays, f"{where}[{i}]")
                                           for i, v in enumerate(obj)]}
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {where}; "
                    "supported: dict, list, tuple, Tensor, numpy array, int, float, str, bool, "
                    "None (no pickle, so no arbitrary objects)")


def _encode_array(obj, arrays, where):
    """A Tensor, numpy array or numpy scalar: its array goes to ``arrays``, a reference to JSON."""
    kind = 'tensor' if isinstance(obj, Tensor) else \
        'ndarray' if isinstance(obj, np.ndarray) else 'numpy_scalar'
    node = {'type': kind, 'key': str(len(arrays))}
    if kind == 'tensor':
        node['device'] = obj.device
        if obj.requires_grad:
            node['requires_grad'] = True
        if isinstance(obj, _parameter_class()):
            node['parameter'] = True
        obj = obj.data
    host = to_numpy(np.asarray(obj) if kind == 'numpy_scalar' else obj)
    if not host.flags.c_contiguous:
        host = host.copy(order='C')     # (np.ascontiguousarray would turn 0-d into 1-d)
    if host.dtype.kind not in 'biuf':
        raise TypeError(f"save: cannot store the {host.dtype} array at {where}; "
                        "supported dtypes are bool, integers and floats")
    arrays.append(host)
    return node


def _parameter_class():
    from .nn.parameter import Parameter     # imported late: nn depends on this package
    return Parameter


def _decode(node, arrays, device):
    """Rebuild the object that :func:`_encode` turned into ``node``."""
    if isinstance(node, list):
        return [_decode(v, arrays, device) for v in node]
    if not isinstance(node, dict):
        return node
    kind = node['type']
    if kind == 'float':
        return float(node['value'])
    if kind == 'tuple':
        return tuple(_decode(v, arrays, device) for v in node['items'])
    if kind in ('dict', 'ordered_dict'):
        pairs = node['items'].items() if 'items' in node else node['pairs']
        cls = collections.OrderedDict if kind == 'ordered_dict' else dict
        return cls((_decode(k, arrays, device), _decode(v, arrays, device)) for k, v in pairs)
    array = arrays[node['key']]
    if kind == 'ndarray':
        return array
    if kind == 'numpy_scalar':
        return array[()]
    if kind == 'tensor':
        target = device or node.get('device', 'cpu')
        if target == 'cuda' and not cuda_is_available():
            raise RuntimeError("a Tensor was saved on 'cuda', but CUDA (CuPy and a GPU) is not "
                               "available here; pass map_location='cpu'")
        array = to_device(array, target)
        if node.get('parameter'):
            return _parameter_class()(array, requires_grad=node.get('requires_grad', False))
        return Tensor(array, requires_grad=node.get('requires_grad', False))
    raise ValueError(f"unknown node type {kind!r}")


# ---------------------------------------------------------------- files
def _write_all(f, data):
    """Write ``data`` to the open file ``f`` (a seam for the tests' failure injection)."""
    f.write(data)


def save(obj, f):
    """Save ``obj`` (nested dicts/lists/tuples of Tensors, arrays, numbers, strings) to ``f``.

    ``f``: a path (written atomically) or a binary file object. Tensors keep
    their dtype (int64 stays int64), device, ``requires_grad`` and whether
    they were Parameters. The result is a safetensors file, so other tools
    can read the arrays too.
    """
    arrays = []
    structure = _encode(obj, arrays, 'obj')
    tensors = {str(i): a for i, a in enumerate(arrays)}
    checksums = {k: zlib.crc32(a) for k, a in tensors.items()}
    metadata = {_META_KEY: json.dumps({'format': FORMAT, 'structure': structure,
                                       'crc32': checksums}, allow_nan=False)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    if hasattr(f, 'write'):
        f.write(data)
    else:
        atomic_write(f, lambda out: _write_all(out, data))


def _read_header(data, name):
    """The JSON header of safetensors bytes: 8-byte little-endian length, then JSON."""
    if len(data) < 8:
        raise RuntimeError(f"load: {name} is not a checkpoint: the file has only {len(data)} "
                           "bytes (truncated or empty)")
    (n,) = struct.unpack('<Q', data[:8])
    if n > len(data) - 8:
        raise RuntimeError(f"load: {name} is truncated or not a checkpoint: its header claims "
                           f"{n} bytes but the file has only {len(data) - 8} after the length")
    try:
        return json.loads(data[8:8 + n].decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RuntimeError(f"load: {name} is corrupted or not a checkpoint: its header is not "
                           f"valid JSON ({e})") from None


def load(f, map_location=None, weights_only=None, mmap=None):
    """Load what :func:`save` wrote; Tensors come back as Tensors (dtype kept).

    ``f``: a path or a binary file object. ``map_location``: 'cpu' or 'cuda'
    puts every Tensor there; None restores each to the device it was saved
    from. ``weights_only`` and ``mmap`` are accepted for PyTorch's call
    signature and change nothing: the file holds only tensors and plain
    containers, never pickled code, so loading is always weights-only safe. A plain safetensors file (e.g. from another library) loads as a
    dict of Tensors by name. A truncated or corrupted file raises a
    RuntimeError naming the file and the problem.
    """
    name = repr(getattr(f, 'name', '<file object>')) if hasattr(f, 'read') else repr(os.fspath(f))
    if hasattr(f, 'read'):
        data = f.read()
    else:
        with open(f, 'rb') as fh:
            data = fh.read()
    device = None if map_location is None else normalize_device(map_location)
    header = _read_header(data, name)
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as e:          # SafetensorError: bad offsets, truncated data, ...
        raise RuntimeError(f"load: {name} is corrupted or truncated: {e}") from None
    meta = (header.get('__metadata__') or {}).get(_META_KEY)
    if meta is None:                # a plain safetensors file: its tensors by name
        return {k: Tensor(to_device(a, device or 'cpu')) for k, a in arrays.items()}
    try:
        meta = json.loads(meta)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"load: {name} is corrupted: its structure is not valid JSON "
                           f"({e})") from None
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        found = meta.get('format') if isinstance(meta, dict) else None
        raise RuntimeError(f"load: {name} has checkpoint format {found!r}; this version of "
                           f"tinygrad_cnn reads {FORMAT!r}")
    checksums = meta.get('crc32')
    if not isinstance(checksums, dict):
        raise RuntimeError(f"load: {name} is corrupted: its checksums are missing")
    for key, crc in checksums.items():
        if key not in arrays or zlib.crc32(arrays[key]) != crc:
            what = 'is missing' if key not in arrays else \
                f"(shape {arrays[key].shape}, {arrays[key].dtype}) fails its CRC-32 check"
            raise RuntimeError(f"load: {name} is corrupted: tensor {key!r} {what}")
    try:
        return _decode(meta['structure'], arrays, device)
    except RuntimeError as e:          # e.g. saved on 'cuda', no GPU here
        raise RuntimeError(f"load: {name}: {e}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise RuntimeError(f"load: {name} is corrupted: its structure is invalid "
                           f"({type(e).__name__}: {e})") from None
