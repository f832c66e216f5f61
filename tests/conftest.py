"""Shared test configuration: a reproducible hypothesis profile and a seeded random generator."""
import os

import numpy as np
import pytest
from hypothesis import settings

# "ci" (the default) derandomizes hypothesis so every run, locally and in CI, tries the same
# examples; no deadline, since the first call of an op can be slow on a loaded 2-core machine.
# HYPOTHESIS_PROFILE=explore makes it search new random examples (and remember failures).
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    """A fresh numpy Generator with a fixed seed, so test data is the same on every run."""
    return np.random.default_rng(0)
