"""`scipy.stats.multinomial`, differentiable in `p`.

The last axis of `x` (and of `p`) holds the categories; leading axes broadcast. As in SciPy
the counts `x` and `n` are cast to integers (`-inf` where `x` is not an integer, negative, or
does not sum to `n`; NaN for negative `n` or a `p` outside `[0, 1]`), and the last component
of `p` is replaced by `1 - sum(p[..., :-1])` (so its derivative is 0).
"""

from funcdiff._src.scipy.stats.multinomial import logpmf, pmf, rvs

__all__ = ["logpmf", "pmf", "rvs"]
