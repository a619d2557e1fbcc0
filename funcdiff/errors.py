"""The typed errors funcdiff raises (also re-exported from `funcdiff`)."""

from funcdiff._src.errors import (
    ConcretizationError,
    DetachError,
    DetachWarning,
    TracerLeakError,
    UnsupportedPrimitiveError,
)

__all__ = [
    "ConcretizationError",
    "DetachError",
    "DetachWarning",
    "TracerLeakError",
    "UnsupportedPrimitiveError",
]
