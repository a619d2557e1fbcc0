"""Test configuration: one hypothesis profile, fast and reproducible."""

from hypothesis import settings

settings.register_profile("funcdiff", deadline=None, max_examples=20, derandomize=True)
settings.load_profile("funcdiff")

# Every VJP rule's cotangents are checked against its inputs' shapes (a wrong shape
# would otherwise be broadcast by NumPy into a plausible wrong gradient).
import funcdiff  # noqa: E402

funcdiff.config.update("check_rules", True)
