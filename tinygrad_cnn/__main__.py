"""``python -m tinygrad_cnn train | eval | predict``: see :mod:`tinygrad_cnn.cli`."""
import sys

from tinygrad_cnn.cli import main

sys.exit(main())
