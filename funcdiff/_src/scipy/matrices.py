"""The special matrices of `funcdiff.scipy.linalg` (toeplitz, hankel, circulant, ...).

`funcdiff.scipy.linalg` re-exports the public names and documents them.
"""

from __future__ import annotations

__all__: list[str] = []
