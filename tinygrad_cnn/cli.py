"""The command line: ``python -m tinygrad_cnn train | eval | predict``.

::

    python -m tinygrad_cnn train --model lenet5 --epochs 5 --out runs/lenet5
    python -m tinygrad_cnn train --out runs/lenet5 --epochs 10 --resume
    python -m tinygrad_cnn eval --checkpoint runs/lenet5/last.safetensors
    python -m tinygrad_cnn predict --checkpoint runs/lenet5/last.safetensors shoe.png

``train`` writes into ``--out``: ``epoch_NNN.safetensors`` after every epoch
and ``last.safetensors`` (the newest state, also after Ctrl-C),
``metrics.json``, ``training_curves.png``, ``confusion_matrix.png`` and
``backward_graph.svg`` (the graph of one training step's loss).
"""
import argparse
import os
import shlex
import sys

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import models, optim
from tinygrad_cnn.data import MNIST, DataLoader, FashionMNIST, TensorDataset
from tinygrad_cnn.data.transforms import Normalize
from tinygrad_cnn.training import Trainer, evaluate

# name -> (dataset class, mean, std of its training pixels scaled to [0, 1]). Fashion-MNIST's
# were computed from the 60,000 training images: 0.28604, 0.35302.
DATASETS = {
    'fashion-mnist': (FashionMNIST, (0.2860,), (0.3530,)),
    'mnist': (MNIST, (0.1307,), (0.3081,)),
}

# name -> a function building the model for 1x28x28 inputs and 10 classes
MODELS = {
    'lenet5': lambda: models.LeNet5(activation='relu', pooling='max', padding=2),
    'fmnist_cnn': lambda: models.fmnist_cnn(),
}

# the settings that must not change when a run is resumed
_RUN_KEYS = ('model', 'dataset', 'batch_size', 'lr', 'optimizer', 'momentum', 'weight_decay',
             'scheduler', 'seed', 'limit_train', 'limit_test')


def normalize_images(images, dataset):
    """uint8 images (N, 28, 28) -> normalised float32 Tensor (N, 1, 28, 28).

    The same arithmetic as ``Compose([ToTensor(), Normalize(mean, std)])`` on
    each image, done once for the whole array instead of once per sample.
    """
    _, mean, std = DATASETS[dataset]
    x = tg.from_numpy(images[:, None].astype(np.float32) / 255)
    return Normalize(mean, std)(x)


def load_dataset(name, train=True, limit=None, root=None, download=False):
    """A split of ``name`` as a :class:`TensorDataset` of normalised images and labels.

    Args:
        name: a key of ``DATASETS``.
        train: the training split, else the test split.
        limit: keep only the first ``limit`` samples (for quick runs).
        root, download: passed to the dataset class.

    Returns:
        ``(dataset, class_names)``.

    Raises:
        FileNotFoundError: the files are missing; the message says how to get them.
    """
    cls = DATASETS[name][0]
    ds = cls(root=root, train=train, download=download)
    images, labels = ds.data[:limit], ds.targets[:limit]
    return TensorDataset(normalize_images(images, name), tg.from_numpy(labels)), list(cls.classes)


def build_optimizer(params, name, lr, momentum=0.0, weight_decay=0.0):
    """``optim.SGD`` or ``optim.Adam`` with the given hyper-parameters."""
    if name == 'sgd':
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return optim.Adam(params, lr=lr, weight_decay=weight_decay)


def build_scheduler(optimizer, name, epochs, steps_per_epoch):
    """``(scheduler, interval)`` for ``--scheduler``; interval is 'epoch' or 'step'.

    step: lr x 0.1 every third of the run; cosine: cosine annealing to 0 over
    the run, per epoch; onecycle: OneCycleLR peaking at ``lr``, per batch.
    """
    lr = optimizer.param_groups[0]['lr']
    if name == 'step':
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), 'epoch'
    if name == 'cosine':
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs), 'epoch'
    if name == 'onecycle':
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                             steps_per_epoch=steps_per_epoch), 'step'
    return None, 'epoch'


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog='python -m tinygrad_cnn',
                                     description="Train, evaluate and use CNNs on (Fashion-)MNIST.")
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    train = commands.add_parser('train', help="train a model, checkpointing every epoch",
                                description="Train a model; see docs/training.md.")
    train.add_argument('--model', choices=sorted(MODELS), default='lenet5')
    train.add_argument('--dataset', choices=sorted(DATASETS), default='fashion-mnist')
    train.add_argument('--epochs', type=_positive_int, default=5,
                       help="total number of epochs (with --resume: including those already done)")
    train.add_argument('--batch-size', type=_positive_int, default=128)
    train.add_argument('--lr', type=float, default=1e-3, help="learning rate (OneCycle: its peak)")
    train.add_argument('--optimizer', choices=('sgd', 'adam'), default='adam')
    train.add_argument('--momentum', type=float, default=0.0, help="SGD momentum")
    train.add_argument('--weight-decay', type=float, default=0.0)
    train.add_argument('--scheduler', choices=('none', 'step', 'cosine', 'onecycle'), default='none')
    train.add_argument('--seed', type=int, default=0, help="seeds weights and batch order")
    train.add_argument('--out', default=None, help="output directory (default runs/MODEL-DATASET)")
    train.add_argument('--limit-train', type=_positive_int, default=None, metavar='N',
                       help="use only the first N training samples")
    train.add_argument('--limit-test', type=_positive_int, default=None, metavar='N',
                       help="use only the first N test samples")
    train.add_argument('--resume', action='store_true',
                       help="continue from OUT/last.safetensors, reproducing the uninterrupted run")
    _data_arguments(train)

    ev = commands.add_parser('eval', help="test loss and accuracy of a checkpoint")
    ev.add_argument('--checkpoint', required=True)
    ev.add_argument('--batch-size', type=_positive_int, default=1000)
    ev.add_argument('--limit-test', type=_positive_int, default=None, metavar='N')
    _data_arguments(ev)

    predict = commands.add_parser('predict', help="classify image files with a checkpoint")
    predict.add_argument('--checkpoint', required=True)
    predict.add_argument('--invert', choices=('auto', 'yes', 'no'), default='auto',
                         help="invert grey levels; the data sets have light objects on black, "
                              "auto inverts images whose border is light (default)")
    predict.add_argument('images', nargs='+', metavar='IMAGE')
    return parser


def _data_arguments(parser):
    parser.add_argument('--data-root', default=None,
                        help="directory of the IDX files (default: the standard places)")
    parser.add_argument('--download', action='store_true', help="download missing data files")
    parser.add_argument('--no-progress', action='store_true', help="no progress bars")


def train(args):
    out = args.out or os.path.join('runs', f'{args.model}-{args.dataset}')
    config = {key: getattr(args, key) for key in _RUN_KEYS}
    config['epochs'] = args.epochs
    tg.manual_seed(args.seed)
    train_set, classes = load_dataset(args.dataset, True, args.limit_train, args.data_root,
                                      args.download)
    test_set, _ = load_dataset(args.dataset, False, args.limit_test, args.data_root)
    model = MODELS[args.model]()
    optimizer = build_optimizer(model.parameters(), args.optimizer, args.lr, args.momentum,
                                args.weight_decay)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    scheduler, interval = build_scheduler(optimizer, args.scheduler, args.epochs, len(train_loader))
    graph = os.path.join(out, 'backward_graph.svg')
    trainer = Trainer(model, optimizer, train_loader, test_loader, scheduler=scheduler,
                      scheduler_interval=interval, out_dir=out, class_names=classes,
                      config=config, progress=not args.no_progress,
                      graph_path=None if args.resume and os.path.exists(graph) else graph)
    if args.resume:
        _resume(trainer, config)
    print(f"training {args.model} on {args.dataset} ({len(train_set)} samples, "
          f"{len(test_set)} for testing) into {out}", flush=True)
    try:
        trainer.fit(args.epochs)
    except KeyboardInterrupt:
        trainer.write_outputs()
        saved = trainer.interrupted_checkpoint
        what = (f"the state after the last complete step is saved in {saved}" if saved
                else "nothing saved since the last epoch's checkpoint")
        again = ['python -m tinygrad_cnn'] + [shlex.quote(a) for a in args.argv if a != '--resume']
        print(f"\ninterrupted: {what}.\nresume with: {' '.join(again)} --resume", file=sys.stderr)
        return 130
    paths = trainer.write_outputs()
    if os.path.exists(graph):
        paths['graph'] = graph
    last = trainer.history[-1] if trainer.history else None
    if last is not None and 'test_accuracy' in last:
        print(f"test accuracy {last['test_accuracy']:.4f} after {last['epoch']} epochs")
    for what, path in paths.items():
        print(f"{what}: {path}")
    print(f"checkpoint: {trainer.checkpoint_path()}")
    return 0


def _resume(trainer, config):
    path = trainer.checkpoint_path()
    if not os.path.exists(path):
        raise SystemExit(f"--resume: no checkpoint {path}; train without --resume first")
    saved = tg.load(path)['config']
    keys = _RUN_KEYS + (('epochs',) if config['scheduler'] != 'none' else ())   # schedule length
    changed = [f"--{k.replace('_', '-')} {saved.get(k)} (now {config[k]})" for k in keys
               if saved.get(k) != config[k]]
    if changed:
        raise SystemExit(f"--resume: {path} was trained with different settings: "
                         + ", ".join(changed) + ". Use those settings, or another --out.")
    trainer.resume(path)
    step = f", {trainer.totals['steps']} steps into epoch {trainer.epoch + 1}" if trainer.totals else ""
    print(f"resumed from {path}: {trainer.epoch} epochs done{step}", flush=True)


def load_model(checkpoint):
    """``(model, state)``: the model a checkpoint was trained as, with its weights, in eval mode."""
    state = tg.load(checkpoint)
    model = MODELS[state['config']['model']]()
    model.load_state_dict(state['model'])
    model.eval()
    return model, state


def evaluate_checkpoint(args):
    model, state = load_model(args.checkpoint)
    config = state['config']
    test_set, _ = load_dataset(config['dataset'], False, args.limit_test, args.data_root,
                               args.download)
    result = evaluate(model, DataLoader(test_set, batch_size=args.batch_size),
                      progress=not args.no_progress)
    print(f"{args.checkpoint}: {config['model']} on the {config['dataset']} test set "
          f"({result['samples']} samples): loss {result['loss']:.4f}, "
          f"accuracy {result['accuracy']:.4f}")
    return 0


def read_image(path, invert='auto'):
    """An image file as a (28, 28) uint8 array in the data sets' style (light object on black)."""
    from PIL import Image
    with Image.open(path) as img:
        a = np.asarray(img.convert('L').resize((28, 28), Image.BILINEAR))
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if invert == 'yes' or (invert == 'auto' and border.mean() > 127):
        a = 255 - a
    return a


def predict(args):
    model, state = load_model(args.checkpoint)
    dataset = state['config']['dataset']
    names = state.get('class_names') or [str(i) for i in range(10)]
    images = np.stack([read_image(path, args.invert) for path in args.images])
    with tg.no_grad():
        probs = model(normalize_images(images, dataset)).softmax(dim=1).numpy()
    for path, p in zip(args.images, probs):
        k = int(p.argmax())
        print(f"{path}: {names[k]} ({p[k]:.1%})")
    return 0


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    command = {'train': train, 'eval': evaluate_checkpoint, 'predict': predict}[args.command]
    try:
        return command(args)
    except FileNotFoundError as err:
        hint = "\nOn the command line, --download fetches them." if 'download=True' in str(err) else ""
        print(f"error: {err}{hint}", file=sys.stderr)
        return 1
