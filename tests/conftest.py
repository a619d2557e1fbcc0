"""Test configuration: one hypothesis profile, fast and reproducible."""

import os

# One BLAS thread (before NumPy is first imported, here): the tests' matrices are small, so
# threads only add start-up and, on a busy machine, oversubscription (the checkpoint memory
# tests took 10-20 s instead of 1 s with OpenBLAS's default threads on two loaded cores);
# one thread also sums in one fixed order. An explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from hypothesis import settings  # noqa: E402

settings.register_profile("funcdiff", deadline=None, max_examples=20, derandomize=True)
settings.load_profile("funcdiff")

# Every VJP rule's cotangents are checked against its inputs' shapes (a wrong shape
# would otherwise be broadcast by NumPy into a plausible wrong gradient).
import funcdiff  # noqa: E402

funcdiff.config.update("check_rules", True)
