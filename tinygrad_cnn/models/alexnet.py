"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), torchvision's single-GPU variant.

torchvision follows the "one weird trick" version (Krizhevsky, 2014): 64, 192,
384, 256, 256 filters, no local response normalisation, an adaptive 6x6
average pool before the classifier; 61,100,840 parameters. The 2012 paper's
two-GPU net (96, 256, 384, 384, 256 filters, the lectures' table) has
62,378,344. Parameter names equal torchvision's (``features.0.weight``,
``classifier.6.bias``), so its weights load unchanged.
"""
from .. import nn
from ._utils import _check_weights

__all__ = ['AlexNet', 'alexnet']


class AlexNet(nn.Module):
    """Input ``(N, 3, H, W)`` with H, W >= 63 (224 as trained); output ``(N, num_classes)``."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet as ``torchvision.models.alexnet()`` (61,100,840 parameters for 1000 classes).

    ``kwargs`` go to :class:`AlexNet` (``num_classes``, ``dropout``); ``weights``
    must be ``None`` (nothing is downloaded), ``progress`` is ignored.
    """
    _check_weights(weights, 'alexnet')
    return AlexNet(**kwargs)
