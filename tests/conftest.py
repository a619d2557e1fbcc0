"""Test configuration: one hypothesis profile, fast and reproducible."""

from hypothesis import settings

settings.register_profile("funcdiff", deadline=None, max_examples=20, derandomize=True)
settings.load_profile("funcdiff")
