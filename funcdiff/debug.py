"""Debugging tools: print values and stop in pdb under every transform.

`funcdiff.debug.print(fmt, *args)` and `funcdiff.debug.breakpoint()` work eagerly and
under grad, jvp, vmap and jit; `funcdiff.debug_nans` and `funcdiff.debug_infs` find
where a NaN or an infinity was made. See docs/debugging.md.
"""

from funcdiff._src.debugging import breakpoint, print  # noqa: A004

__all__ = ["print", "breakpoint"]
