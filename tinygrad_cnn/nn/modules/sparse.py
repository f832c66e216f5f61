"""``Embedding``: a learned table of vectors looked up by integer index; ``EmbeddingBag``:
sums, means or maxima of bags of them."""
from ...autograd import no_grad
from ...tensor import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ['Embedding', 'EmbeddingBag']


# PyTorch checks these arguments with ``assert``: AssertionError, as there
def _check_padding_idx(op, padding_idx, num_embeddings):
    """padding_idx in [-num_embeddings, num_embeddings), made non-negative (None stays None)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"{op}: Padding_idx must be within num_embeddings "
                             f"({num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def _check_weight(op, weight, num_embeddings, embedding_dim):
    if tuple(weight.shape) != (num_embeddings, embedding_dim):
        raise AssertionError(f"{op}: Shape of weight does not match num_embeddings and "
                             f"embedding_dim: _weight.shape={tuple(weight.shape)}, expected "
                             f"({num_embeddings}, {embedding_dim})")


def _check_pretrained(op, embeddings):
    if embeddings.ndim != 2:
        raise AssertionError(f"{op}.from_pretrained: Embeddings parameter is expected to be "
                             f"2-dimensional, got shape {tuple(embeddings.shape)}")


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1); input (*) of indices ->
    (*, embedding_dim). The row ``padding_idx`` starts at zero and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        padding_idx = _check_padding_idx('Embedding', padding_idx, num_embeddings)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            _check_weight('Embedding', _weight, num_embeddings, embedding_dim)
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f'{self.num_embeddings}, {self.embedding_dim}'
        if self.padding_idx is not None:
            s += f', padding_idx={self.padding_idx}'
        if self.max_norm is not None:
            s += f', max_norm={self.max_norm}'
        if self.norm_type != 2:
            s += f', norm_type={self.norm_type}'
        if self.scale_grad_by_freq:
            s += f', scale_grad_by_freq={self.scale_grad_by_freq}'
        if self.sparse:
            s += ', sparse=True'
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (2-d); frozen unless ``freeze=False``."""
        _check_pretrained('Embedding', embeddings)
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of rows of ``weight`` (num_embeddings, embedding_dim) ~ N(0, 1)
    (see :func:`~tinygrad_cnn.nn.functional.embedding_bag`), as PyTorch's.

    ``forward(input, offsets=None, per_sample_weights=None)``: input (B, n) of
    indices (B bags of n), or 1-d with ``offsets`` (B,) where each bag starts
    (B + 1 with ``include_last_offset``) -> (B, embedding_dim). The row
    ``padding_idx`` starts at zero, is left out of every bag and gets no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _check_padding_idx('EmbeddingBag', padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device))
            self.reset_parameters()
        else:
            _check_weight('EmbeddingBag', _weight, num_embeddings, embedding_dim)
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    reset_parameters = Embedding.reset_parameters

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
                               self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f'{self.num_embeddings}, {self.embedding_dim}'
        if self.max_norm is not None:
            s += f', max_norm={self.max_norm}'
        if self.norm_type != 2:
            s += f', norm_type={self.norm_type}'
        if self.scale_grad_by_freq is not False:
            s += f', scale_grad_by_freq={self.scale_grad_by_freq}'
        s += f', mode={self.mode!r}'
        if self.padding_idx is not None:
            s += f', padding_idx={self.padding_idx}'
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode='mean', sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose weight is ``embeddings`` (2-d); frozen unless ``freeze=False``."""
        _check_pretrained('EmbeddingBag', embeddings)
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
