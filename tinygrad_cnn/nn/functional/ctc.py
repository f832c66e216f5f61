"""Connectionist Temporal Classification loss (Graves et al., 2006).

A network emits, for each of T frames, log-probabilities over C symbols, one
of them a ``blank``. An alignment picks one symbol per frame; collapsing
repeats and then dropping blanks turns it into a label sequence (``-aa-b`` ->
``ab``). The loss is ``-log`` of the total probability of all alignments of
the target, summed by dynamic programming over the *extended* target
``l' = (blank, l1, blank, l2, ..., lS, blank)`` of length 2S + 1:

* forward: ``alpha[t, s]`` = log probability of frames 0..t ending in ``l'[s]``;
  state s is reached from s (stay), s - 1 (advance) and s - 2 (skip a blank,
  allowed unless ``l'[s]`` is blank or repeats ``l'[s - 2]``);
* backward: ``beta[t, s]`` the same from the end, both including frame t;
* the posterior of symbol c at frame t is
  ``sum_{s: l'[s] = c} exp(alpha[t, s] + beta[t, s] - log_probs[t, c] + loss)``.

Everything is in log space (products of thousands of probabilities underflow
in any float type) and vectorised over the batch: a Python loop runs over
the T frames only.
"""
import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor
from .loss import _check_reduction

__all__ = ['ctc_loss']


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c) elementwise, exact when all three are -inf."""
    xp = get_array_module(a)
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide='ignore'):
        return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _shift(a, k, fill):
    """``a`` moved k places along the last axis (right for k > 0, left for k < 0), padded
    with ``fill``: state s then sees state s - k."""
    xp = get_array_module(a)
    out = xp.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


class CTCLoss(Function):
    """Per-sample CTC negative log likelihoods (N,) from ``log_probs`` (T, N, C).

    Forward runs the alpha recursion; the backward (beta recursion and
    posteriors) is :class:`CTCLossBackward`. As in PyTorch, the gradient is
    ``exp(log_probs) - posterior``, the gradient of the loss with respect to
    the *logits* when ``log_probs = log_softmax(logits)`` (and what
    ``log_softmax``'s backward then passes on unchanged); frames past a
    sample's input length get 0.
    """
    def forward(self, log_probs, *, targets, input_lengths, target_lengths, blank, zero_infinity):
        xp = get_array_module(log_probs)
        n_frames, batch, _ = log_probs.shape
        n_states = 2 * targets.shape[1] + 1
        ext = xp.full((batch, n_states), blank, dtype=np.int64)     # l' = blank, l1, blank, ...
        ext[:, 1::2] = targets
        states = xp.arange(n_states)
        valid = states < 2 * target_lengths[:, None] + 1                  # (N, 2S+1)
        can_skip = (states % 2 == 1) & (states >= 3) & (ext != _shift(ext, 2, -1))
        # log_probs[t, n, l'[n, s]] (T, N, 2S+1); -inf past the end of a target
        lp_ext = xp.where(valid, log_probs[:, xp.arange(batch)[:, None], ext], -xp.inf)
        # alpha[0] is a virtual start before the first frame: all mass in state 0, which the
        # stay / advance moves take to states 0 and 1 at frame 0
        alpha = xp.full((n_frames + 1, batch, n_states), -xp.inf, dtype=log_probs.dtype)
        alpha[0, :, 0] = 0
        for t in range(n_frames):
            prev = alpha[t]
            skip = xp.where(can_skip, _shift(prev, 2, -xp.inf), -xp.inf)
            alpha[t + 1] = _logsumexp3(prev, _shift(prev, 1, -xp.inf), skip) + lp_ext[t]
        # the last frame of each sample ends in the final blank or the last label
        last = alpha[input_lengths, xp.arange(batch)]                      # (N, 2S+1)
        end = 2 * target_lengths
        end_label = xp.where(target_lengths > 0, last[xp.arange(batch), end - 1], -xp.inf)
        nll = -xp.logaddexp(last[xp.arange(batch), end], end_label)
        self.infinite = zero_infinity & xp.isinf(nll)
        self.saved = dict(alpha=alpha, nll=nll, lp_ext=lp_ext, ext=ext, can_skip=can_skip,
                          input_lengths=input_lengths, target_lengths=target_lengths)
        return xp.where(self.infinite, 0, nll).astype(log_probs.dtype, copy=False)

    def backward(self, grad):
        (log_probs,) = self.inputs
        return CTCLossBackward.apply(grad, log_probs, infinite=self.infinite, **self.saved)


class CTCLossBackward(Function):
    """The gradient of :class:`CTCLoss` (beta recursion + posteriors). Like PyTorch's, it is
    not differentiable itself: a second derivative raises."""
    def forward(self, grad, log_probs, *, alpha, nll, lp_ext, ext, can_skip, input_lengths,
                target_lengths, infinite):
        xp = get_array_module(log_probs)
        n_frames, batch, n_classes = log_probs.shape
        rows = xp.arange(batch)
        last_frame = input_lengths - 1
        end = 2 * target_lengths
        # beta at each sample's last frame: the final blank or the last label, then backwards
        init = xp.full(lp_ext.shape[1:], -xp.inf, dtype=log_probs.dtype)
        beta = xp.full(lp_ext.shape, -xp.inf, dtype=log_probs.dtype)
        skip_next = _shift(can_skip, -2, False)            # may state s + 2 skip back to s?
        nxt = init
        for t in range(n_frames - 1, -1, -1):
            skip = xp.where(skip_next, _shift(nxt, -2, -xp.inf), -xp.inf)
            step = _logsumexp3(nxt, _shift(nxt, -1, -xp.inf), skip) + lp_ext[t]
            start = init.copy()       # (end - 1 wraps around for empty targets: set end last)
            start[rows, end - 1] = xp.where(target_lengths > 0, lp_ext[t, rows, end - 1], -xp.inf)
            start[rows, end] = lp_ext[t, rows, end]
            beta[t] = xp.where((t == last_frame)[:, None], start,
                               xp.where((t < last_frame)[:, None], step, -xp.inf))
            nxt = beta[t]
        # posterior mass of each state at each frame, then summed per symbol
        with np.errstate(invalid='ignore'):         # -inf - -inf past a target's end: masked
            log_post = alpha[1:] + beta - lp_ext + nll[:, None]
        post = xp.where(xp.isfinite(lp_ext), xp.exp(log_post), 0)
        symbol = (ext[:, :, None] == xp.arange(n_classes)).astype(log_probs.dtype)
        posterior = xp.einsum('tns,nsc->tnc', post, symbol)
        # zero past each input's end, and (zero_infinity) for impossible alignments (nan there)
        keep = (xp.arange(n_frames)[:, None] < input_lengths) & ~infinite
        grad = (xp.exp(log_probs) - posterior) * grad[:, None]
        return xp.where(keep[:, :, None], grad, 0).astype(log_probs.dtype, copy=False)

    def backward(self, grad):
        raise RuntimeError("ctc_loss: the derivative of the ctc_loss gradient is not implemented "
                           "(no double backward through ctc_loss, as in PyTorch)")


def _lengths(name, lengths, batch, xp):
    """``input_lengths``/``target_lengths`` (Tensor, array, list or int) as an int64 array."""
    a = lengths.data if isinstance(lengths, Tensor) else xp.asarray(lengths)
    if a.dtype.kind not in 'iu':
        raise RuntimeError(f"ctc_loss: {name} must be integral, got dtype {a.dtype}")
    if a.size != batch:
        raise RuntimeError(f"ctc_loss: {name} must be of size batch_size ({batch}), got shape "
                           f"{tuple(a.shape)}")
    return a.reshape(batch).astype(np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
             zero_infinity=False):
    """The CTC loss of per-frame log-probabilities ``log_probs`` against unaligned targets.

    ``log_probs``: (T, N, C), or (T, C) for one sample (e.g. ``log_softmax(dim=-1)``
    of the network's outputs). ``targets``: (N, S) padded label sequences, or
    the N sequences concatenated into one 1-d tensor of ``sum(target_lengths)``
    labels (for one sample: (S,) with S = its target length, or (1, S)); labels
    are in [0, C) and should not be ``blank`` (one that is is taken as a label
    that the blank symbol emits, as PyTorch does).
    ``input_lengths``, ``target_lengths``: (N,) (or ints/0-d for one sample),
    input lengths at most T. 'mean' divides each loss by its target length
    (at least 1) and then averages over the batch; 'none' gives shape (N,).
    ``zero_infinity`` replaces the infinite losses of impossible alignments
    (input too short for the target) and their gradients by zeros.
    """
    reduction = _check_reduction('ctc_loss', reduction)
    if log_probs.dtype.kind != 'f':
        raise NotImplementedError(f"ctc_loss: not implemented for log_probs of dtype "
                                  f"{log_probs.dtype}")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: Expected log_probs of shape (T, N, C) or (T, C), got a "
                           f"{log_probs.ndim}-dimensional tensor of shape "
                           f"{tuple(log_probs.shape)}")
    if log_probs.numel() == 0:
        raise RuntimeError(f"ctc_loss: log_probs tensor must not be empty, got shape "
                           f"{tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    n_frames, batch, n_classes = lp.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {n_classes}), got {blank}")
    xp = get_array_module(lp.data)
    il = _lengths('input_lengths', input_lengths, batch, xp)
    tl = _lengths('target_lengths', target_lengths, batch, xp)
    if il.size and (il.min() < 0 or il.max() > n_frames):
        bad = il.min() if il.min() < 0 else il.max()
        raise RuntimeError(f"ctc_loss: Expected input_lengths to have values in [0, T={n_frames}]"
                           f", but got value {bad}")
    if tl.size and tl.min() < 0:
        raise RuntimeError(f"ctc_loss: Expected target_lengths to have value at least 0, but got "
                           f"value {tl.min()}")
    t = (targets.data if isinstance(targets, Tensor) else xp.asarray(targets)).astype(np.int64)
    longest = int(tl.max()) if tl.size else 0
    if t.ndim == 1:                            # concatenated: cut into padded rows
        if t.size != tl.sum():
            raise RuntimeError(f"ctc_loss: concatenated targets must have sum(target_lengths) = "
                               f"{int(tl.sum())} elements, got shape {tuple(t.shape)}")
        starts = xp.cumsum(tl) - tl
        cols = xp.minimum(starts[:, None] + xp.arange(longest), max(t.size - 1, 0))
        t = t[cols] if t.size else xp.zeros((batch, longest), np.int64)
    else:
        if t.ndim != 2 or t.shape[0] != batch or t.shape[1] < longest:
            raise RuntimeError(f"ctc_loss: Expected targets of shape (N={batch}, S >= {longest}) "
                               f"or concatenated (sum(target_lengths),), got shape "
                               f"{tuple(t.shape)}")
        t = t[:, :longest]
    in_target = xp.arange(longest) < tl[:, None]
    if ((t < 0) | (t >= n_classes))[in_target].any():
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {n_classes}), got values "
                           f"{t[in_target].min()}..{t[in_target].max()}")
    loss = CTCLoss.apply(lp, targets=xp.where(in_target, t, blank), input_lengths=il,
                         target_lengths=tl, blank=blank, zero_infinity=bool(zero_infinity))
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'mean':
        per_symbol = Tensor(1.0 / xp.maximum(tl, 1).astype(lp.dtype), device=lp.device)
        return (loss * per_symbol).mean()
    return loss.reshape(()) if unbatched else loss
