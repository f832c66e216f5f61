"""``FakeData``: random images for testing pipelines (``torchvision.datasets.FakeData``)."""
import numpy as np

from .dataset import VisionDataset


class FakeData(VisionDataset):
    """``size`` random images with random labels, the same ones on every access.

    Sample ``i`` is drawn from a generator seeded with ``i + random_offset``, so it
    does not depend on the order of access or the global seed. Images are uint8
    numpy arrays ``(H, W, C)`` (torchvision: PIL images of the same size) for
    ``image_size = (C, H, W)``; labels are ints in ``[0, num_classes)``.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.size, self.image_size, self.num_classes = size, tuple(image_size), num_classes
        self.transform, self.target_transform, self.random_offset = transform, target_transform, random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        rng = np.random.default_rng(int(index) + self.random_offset)
        c, h, w = self.image_size
        img = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        img = img[:, :, 0] if c == 1 else img          # one channel: (H, W), as an 'L' image
        target = int(rng.integers(0, self.num_classes))
        return self._transformed(img, target)

    def __len__(self):
        return self.size
