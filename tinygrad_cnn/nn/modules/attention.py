"""``nn.MultiheadAttention``: h attention heads over learned projections of query, key
and value (Vaswani et al. 2017, "Attention Is All You Need").

Parameter names, shapes, registration order and initialisation are PyTorch's, so
``state_dict``\\ s move between the two frameworks unchanged. The math is
:func:`tinygrad_cnn.nn.functional.multi_head_attention_forward`.
"""
from ...tensor import empty
from .. import functional as F
from ..functional.attention import _canonical_mask, _dtype_or_none
from ..init import constant_, xavier_normal_, xavier_uniform_
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ['MultiheadAttention']


def _seq_first(*tensors):
    """(N, L, E) -> (L, N, E) for each, keeping the same input the same object: the
    functional form recognises self-attention by ``query is key is value``."""
    done = {}
    for x in tensors:
        if id(x) not in done:
            done[id(x)] = x.transpose(0, 1)
    return tuple(done[id(x)] for x in tensors)


class NonDynamicallyQuantizableLinear(Linear):
    """A plain ``Linear``; PyTorch names MultiheadAttention's output projection this way
    (it matters to its quantisation tooling), and so it shows in the repr."""


class MultiheadAttention(Module):
    """Multi-head attention: ``concat(head_1..head_h) W_o^T + b_o`` with
    ``head_i = softmax(q_i k_i^T / sqrt(d) + mask) v_i`` on the i-th slice of the
    projected query, key and value (d = embed_dim / num_heads).

    Parameters (as PyTorch): ``in_proj_weight`` (3E, E) when ``kdim == vdim == E``,
    else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight``
    (E, vdim); ``in_proj_bias`` (3E,) and ``out_proj`` (E -> E) with ``bias``;
    ``bias_k``, ``bias_v`` (1, 1, E) with ``add_bias_kv``. Projections start
    xavier-uniform, biases at 0, ``bias_k``/``bias_v`` xavier-normal.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``: query (L, N, E),
    key (S, N, kdim), value (S, N, vdim) ((N, L, E) ... with ``batch_first``; (L, E) ...
    unbatched); key_padding_mask (N, S); attn_mask (L, S) or (N * num_heads, L, S).
    Bool masks: True = not attended; float masks are added to the scores. Returns
    ``(attn_output, attn_weights)``: (L, N, E) and (N, L, S) (averaged over heads) or
    (N, num_heads, L, S), or None without ``need_weights``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than "
                             f"0, got embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        factory = dict(device=device, dtype=dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by num_heads, "
                                 f"got embed_dim={embed_dim} and num_heads={num_heads}")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **factory))
            for name in ('q_proj_weight', 'k_proj_weight', 'v_proj_weight'):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **factory))
            self.register_parameter('in_proj_weight', None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter('in_proj_bias', None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **factory))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                xavier_uniform_(w)
        if self.in_proj_bias is not None:
            constant_(self.in_proj_bias, 0.0)
            constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            xavier_normal_(self.bias_k)
            xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        key_padding_mask = _canonical_mask(key_padding_mask, 'key_padding_mask',
                                           _dtype_or_none(attn_mask), 'attn_mask', query.dtype)
        attn_mask = _canonical_mask(attn_mask, 'attn_mask', None, '', query.dtype,
                                    check_other=False)
        batched_first = self.batch_first and query.ndim == 3
        if batched_first:           # the functional form is sequence-first
            query, key, value = _seq_first(query, key, value)
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        return (out.transpose(0, 1) if batched_first else out), weights
