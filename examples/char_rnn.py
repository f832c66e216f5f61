"""A character-level language model, as in the lectures: learn "hello", sample it back.

The vocabulary is [h, e, l, o]. Each character goes in one-hot, the recurrent
layer carries a hidden state from step to step, and a linear layer scores the
next character. Trained on "hell" -> "ello", the model is then given "h" and
fed its own samples one at a time, carrying the hidden state; it writes
"hello" back (the two l's need the hidden state: after the first l comes l,
after the second o).

    python examples/char_rnn.py                     # learn "hello" (a few seconds)
    python examples/char_rnn.py --cell gru          # rnn | lstm | gru
    python examples/char_rnn.py --text notes.txt    # learn any text file, sample new text
"""
import argparse
import time

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
import tinygrad_cnn.optim as optim
from tinygrad_cnn.nn.utils import clip_grad_norm_

CELLS = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}


class CharModel(nn.Module):
    """Character ids (N, L) -> one-hot -> recurrent layer -> next-character scores (N, L, V)."""

    def __init__(self, vocab_size, hidden_size, cell):
        super().__init__()
        self.vocab_size = vocab_size
        self.rnn = CELLS[cell](vocab_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.rnn(F.one_hot(ids, self.vocab_size).float(), state)
        return self.head(out), state


def sample(model, start, length, rng, temperature=1.0):
    """Feed ``start``, then each sampled character back in, carrying the hidden state."""
    ids, state = [start], None
    with tg.no_grad():
        for _ in range(length):
            logits, state = model(tg.tensor([[ids[-1]]]), state)
            p = (logits[0, -1] / temperature).softmax(-1).numpy().astype(np.float64)
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
    return ids


def batches(data, seq_len, batch_size, rng):
    """Random windows of the text: inputs (N, L) and the same shifted by one as targets."""
    starts = rng.integers(0, len(data) - seq_len - 1, batch_size)
    windows = np.stack([data[s:s + seq_len + 1] for s in starts])
    return tg.tensor(windows[:, :-1]), tg.tensor(windows[:, 1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--text', help='train on this text file instead of "hello"')
    parser.add_argument('--cell', choices=sorted(CELLS), default='lstm')
    parser.add_argument('--steps', type=int, help='training steps (default 150; 1000 with --text)')
    parser.add_argument('--hidden', type=int, help='hidden size (default 16; 128 with --text)')
    parser.add_argument('--seq-len', type=int, default=64, help='characters per training window')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--lr', type=float,
                        help='Adam learning rate (default 0.02; 0.003 with --text)')
    parser.add_argument('--sample-len', type=int, default=300, help='characters to sample (--text)')
    parser.add_argument('--temperature', type=float, default=1.0)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    text = 'hello'
    if args.text:
        with open(args.text, encoding='utf-8') as f:
            text = f.read()
    steps = args.steps or (1000 if args.text else 150)
    hidden = args.hidden or (128 if args.text else 16)
    lr = args.lr or (3e-3 if args.text else 0.02)
    vocab = sorted(set(text)) if args.text else list('helo')      # the lectures' order
    if args.text and len(text) < args.seq_len + 2:
        raise SystemExit(f"char_rnn: the text needs more than {args.seq_len + 1} characters "
                         f"(--seq-len {args.seq_len}), got {len(text)}")
    data = np.array([vocab.index(ch) for ch in text], dtype=np.int64)
    print(f"{len(text)} characters, vocabulary of {len(vocab)}, "
          f"{args.cell} with {hidden} hidden units")

    tg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = CharModel(len(vocab), hidden, args.cell)
    opt = optim.Adam(model.parameters(), lr=lr)
    x, y = tg.tensor(data[None, :-1]), tg.tensor(data[None, 1:])    # "hell" -> "ello"
    start = time.perf_counter()
    for step in range(1, steps + 1):
        if args.text:
            x, y = batches(data, args.seq_len, args.batch_size, rng)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 5.0)     # tames exploding BPTT gradients
        opt.step()
        if step % max(1, steps // 10) == 0 or step == steps:
            print(f"step {step:5d}  loss {loss.item():.4f}  ({time.perf_counter() - start:.1f}s)")

    if args.text:
        ids = sample(model, int(rng.choice(data)), args.sample_len, rng, args.temperature)
    else:
        ids = sample(model, vocab.index('h'), 4, rng, args.temperature)
    print('sampled:', ''.join(vocab[i] for i in ids))


if __name__ == '__main__':
    main()
