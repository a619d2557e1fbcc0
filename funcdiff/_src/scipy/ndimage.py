"""The implementation of `funcdiff.scipy.ndimage`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

__all__: list[str] = []
