"""The implementation of `funcdiff.scipy.fft`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

__all__: list[str] = []
