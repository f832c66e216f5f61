"""Datasets of image files sorted into one folder per class
(``torchvision.datasets.DatasetFolder`` and ``ImageFolder``)::

    root/dog/xxx.png
    root/dog/nested/xxy.png
    root/cat/123.png

Classes are the sub-folder names, sorted; ``class_to_idx`` numbers them in
that order; ``samples`` lists ``(path, class_index)`` in sorted order, walking
each class folder recursively.
"""
import os

from .dataset import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """True if ``filename`` ends with one of ``extensions`` (a string or a tuple; case-insensitive)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename):
    """True if ``filename`` has one of the :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """``(classes, class_to_idx)``: the sorted sub-folder names of ``directory`` and their indices."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """The ``(path, class_index)`` samples under ``directory``.

    Exactly one of ``extensions`` (files with those endings) and ``is_valid_file``
    (a predicate on the path) selects the files. A class without any file is a
    FileNotFoundError unless ``allow_empty``.
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path):
    """Open ``path`` with Pillow as an RGB image."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ImageFolder's default loader needs Pillow: pip install 'tinygrad_cnn[data]'") from None
    with open(path, 'rb') as f:
        return Image.open(f).convert('RGB')


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """Samples ``(loader(path), class_index)`` of the files under ``root/<class>/``.

    Args:
        root: the folder of class folders.
        loader: turns a path into a sample.
        extensions: allowed file endings (or give ``is_valid_file``).
        transform, target_transform: applied to each sample and each class index.
        is_valid_file: a predicate on paths selecting the files.
        allow_empty: allow class folders without valid files.

    Attributes: ``classes``, ``class_to_idx``, ``samples`` (``(path, index)`` pairs),
    ``targets`` (the indices).
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions, is_valid_file, allow_empty)
        self.loader, self.extensions = loader, extensions
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        """See :func:`make_dataset`; override to change how files are found."""
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        """See :func:`find_classes`; override to change how classes are found."""
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        return self._transformed(sample, target)

    def __len__(self):
        return len(self.samples)



class ImageFolder(DatasetFolder):
    """A :class:`DatasetFolder` of images (:data:`IMG_EXTENSIONS`), loaded as RGB PIL images.

    ``imgs`` is an alias of ``samples``, as in torchvision.
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform,
                         target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
