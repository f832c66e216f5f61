"""Attention: ``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward``.

Both are compositions of differentiable Tensor ops (matmul, softmax, masked_fill,
dropout, linear), so their gradients -- of any order -- come from those ops.
The two kinds of mask follow PyTorch, with *opposite* meanings for bool masks:

- ``scaled_dot_product_attention``: bool ``True`` = the position *takes part*;
- ``multi_head_attention_forward`` (and ``nn.MultiheadAttention``, the Transformer
  layers): bool ``True`` = the position is *masked out*.

Float masks are added to the attention scores in both (``-inf`` masks out).
"""
import math
import warnings

import numpy as np

from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import cat, zeros
from .dropout import dropout
from .linear import linear
from .padding import pad

__all__ = ['scaled_dot_product_attention', 'multi_head_attention_forward']


def _safe_softmax(scores):
    """Softmax over the last dim, with weight 0 (not NaN) for rows that are all ``-inf``.

    Such rows attend to nothing; PyTorch's attention gives them zero output and zero
    gradient, which filling the row with 0 before and after the softmax reproduces.
    """
    xp = get_array_module(scores.data)
    dead = xp.isneginf(scores.data).all(axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    if dead.all():              # nothing to attend to anywhere (also when there are no keys)
        return scores.masked_fill(_const(dead), 0.0)
    dead = _const(dead)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, with dropout on the weights.

    Shapes: query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev); the batch
    dims ``*`` broadcast. ``scale`` defaults to 1/sqrt(E).

    Args:
        attn_mask: broadcastable to (*, L, S); bool (True = take part in attention) or
            float (added to the scores; float32 or query's dtype).
        dropout_p: dropout probability on the attention weights (always applied when
            > 0, as in PyTorch: pass 0.0 in evaluation).
        is_causal: attend only to keys j <= i (lower-triangular (L, S) mask);
            ``attn_mask`` must then be None.
        enable_gqa: grouped-query attention: query (*, Hq, L, E) with key/value
            (*, Hkv, S, E), each key/value head shared by Hq / Hkv query heads.

    Rows in which every score is masked give output 0 (and gradient 0), as PyTorch.
    """
    op = 'scaled_dot_product_attention'
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{op}: expected query, key and value to be at least 2-D, got "
                           f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
                           f"value.shape={tuple(value.shape)}")
    if query.dtype.kind != 'f' or not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"{op}: expected query, key and value to have the same floating "
                           f"dtype, got query.dtype={query.dtype}, key.dtype={key.dtype}, "
                           f"value.dtype={value.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: expected query (*, L, E), key (*, S, E) and value (*, S, Ev), "
                           f"got query.shape={tuple(query.shape)}, key.shape="
                           f"{tuple(key.shape)}, value.shape={tuple(value.shape)}")
    if attn_mask is not None:
        if attn_mask.dtype not in (np.bool_, np.float32, query.dtype):
            raise RuntimeError(f"{op}: expected attn_mask of dtype bool, float32 or query's "
                               f"dtype {query.dtype}, got attn_mask.dtype={attn_mask.dtype}")
        if is_causal:
            raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"{op}: dropout probability has to be between 0 and 1, but got "
                           f"{dropout_p}")
    if enable_gqa and query.ndim >= 3:
        key, value = _repeat_kv_heads(op, query, key), _repeat_kv_heads(op, query, value)
    L, S = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        xp = get_array_module(query.data)
        attn_mask = _const(xp.tril(xp.ones((L, S), dtype=bool)))
    if attn_mask is not None:
        _check_mask_shape(op, attn_mask, scores)
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(~attn_mask, float('-inf'))
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _check_mask_shape(op, mask, scores):
    """The mask is added to the scores in place (PyTorch): it may broadcast up to their
    shape (*, L, S), never beyond it."""
    shape = tuple(scores.shape)
    try:
        fits = np.broadcast_shapes(shape, tuple(mask.shape)) == shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{op}: attn_mask of shape {tuple(mask.shape)} does not broadcast to "
                           f"the attention scores' shape (*, L, S) = {shape}")


def _repeat_kv_heads(op, query, kv):
    """(*, Hkv, S, E) -> (*, Hq, S, E), each head repeated Hq / Hkv times in a row (as
    ``repeat_interleave``), so query head h reads key/value head h // (Hq / Hkv)."""
    hq, hkv = query.shape[-3], kv.shape[-3]
    if hq % hkv:
        raise RuntimeError(f"{op}: with enable_gqa=True the number of heads in key and value "
                           f"({hkv}) must divide the number of heads in query ({hq})")
    reps = hq // hkv
    if reps == 1:
        return kv
    shape = tuple(kv.shape)
    return (kv.unsqueeze(-3).expand(*shape[:-2], reps, *shape[-2:])
            .reshape(*shape[:-3], hq, *shape[-2:]))


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) as a float mask of ``target_type`` (-inf where True);
    float masks pass unchanged. Warns, as PyTorch, when two masks' dtypes differ."""
    if mask is None:
        return None
    if mask.dtype != np.bool_ and mask.dtype.kind != 'f':
        raise AssertionError(f"only bool and floating types of {mask_name} are supported, got "
                             f"{mask_name}.dtype={mask.dtype}")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if mask.dtype == np.bool_:
        xp = get_array_module(mask.data)
        mask = _const(xp.where(mask.data, target_type.type('-inf'), target_type.type(0)))
    return mask


def _dtype_or_none(mask):
    return None if mask is None else mask.dtype


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Check the ranks of query/key/value and the masks; True for batched (3-D) input."""
    ranks = {3: 'batched (3-D)', 2: 'unbatched (2-D)'}
    if query.ndim not in ranks:
        raise AssertionError(f"multi_head_attention_forward: query should be unbatched 2D or "
                             f"batched 3D tensor but received {query.ndim}-D query tensor "
                             f"(shape {tuple(query.shape)})")
    kind = ranks[query.ndim]
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be "
                             f"{query.ndim}-D but found {key.ndim}-D and {value.ndim}-D tensors "
                             "respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.ndim - 1}-D but found {key_padding_mask.ndim}-D tensor "
                             "instead")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.ndim}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if query.ndim == 2 and attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                 f"{tuple(attn_mask.shape)}")
    return query.ndim == 3


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, q_proj_weight,
                   k_proj_weight, v_proj_weight):
    """q, k, v = the three input projections (a packed (3E, E) weight, or three weights)."""
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if q_proj_weight is None:
        if query is key and key is value:       # self-attention: one matrix product
            return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        q_proj_weight, k_proj_weight, v_proj_weight = in_proj_weight.chunk(3)
    e = query.shape[-1]
    for name, w, x in (('query', q_proj_weight, query), ('key', k_proj_weight, key),
                       ('value', v_proj_weight, value)):
        if tuple(w.shape) != (e, x.shape[-1]):
            raise AssertionError(f"expecting {name} weights shape of {(e, x.shape[-1])}, but got "
                                 f"{tuple(w.shape)}")
    return (linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k),
            linear(value, v_proj_weight, b_v))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The forward pass of ``nn.MultiheadAttention`` (sequence-first layout).

    Shapes: query (L, N, E) or unbatched (L, E); key (S, N, Ek), value (S, N, Ev);
    key_padding_mask (N, S) or (S,); attn_mask (L, S) or (N * num_heads, L, S). Bool
    masks: True = masked out; float masks are added to the scores.

    Returns ``(attn_output, attn_weights)``: attn_output (L, N, E) (or (L, E)); the
    weights, when ``need_weights``, are (N, L, S) averaged over heads, or
    (N, num_heads, L, S) with ``average_attn_weights=False`` (no N when unbatched);
    otherwise None.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, 'key_padding_mask',
                                       _dtype_or_none(attn_mask), 'attn_mask', query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None        # is_causal is only a hint: the causal mask is built in SDPA
    else:
        attn_mask = _canonical_mask(attn_mask, 'attn_mask', None, '', query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False   # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                                 f"match value's {tuple(value.shape[:2])}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q_proj_weight = k_proj_weight = v_proj_weight = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, q_proj_weight,
                             k_proj_weight, v_proj_weight)

    if attn_mask is not None:
        expected = (tgt_len, src_len) if attn_mask.ndim == 2 else \
            (bsz * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is "
                               f"{tuple(attn_mask.shape)}, but should be {expected}.")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must be both set or both None")
    if bias_k is not None:      # one learned key/value appended to every sequence
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    # heads become batch entries: (seq, N, E) -> (N * num_heads, seq, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads_first(k, static_k, 'static_k', bsz * num_heads, head_dim)
    v = _heads_first(v, static_v, 'static_v', bsz * num_heads, head_dim)
    if add_zero_attn:           # an all-zero key/value appended to every sequence
        z = zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k, v = cat([k, z], dim=1), cat([v, z], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"Expected key_padding_mask of shape {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        key_padding_mask = (key_padding_mask.reshape(bsz, 1, 1, src_len)
                            .expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        # the weights are returned, so they are formed here (a plain softmax, as PyTorch:
        # rows with every key masked are NaN)
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if is_causal and attn_mask is None:      # PyTorch's own error, word for word
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if is_batched else out.squeeze(1)), None


def _heads_first(x, static, name, batch_heads, head_dim):
    """(seq, N, E) -> (N * num_heads, seq, head_dim), or the given static (N * num_heads,
    seq, head_dim) key/value."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    if static.shape[0] != batch_heads or static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name} of shape ({batch_heads}, S, {head_dim}), but got "
                             f"{tuple(static.shape)}")
    return static
