"""The typed errors funcdiff raises (also re-exported from `funcdiff`)."""

from funcdiff._src.errors import (
    BackendError,
    ConcretizationError,
    DetachError,
    DetachWarning,
    SolveError,
    TracerLeakError,
    UnsupportedPrimitiveError,
)

__all__ = [
    "BackendError",
    "ConcretizationError",
    "DetachError",
    "DetachWarning",
    "SolveError",
    "TracerLeakError",
    "UnsupportedPrimitiveError",
]
