"""`scipy.stats.betabinom`, differentiable in `a` and `b`.

`logpmf = -log(n + 1) - betaln(n - k + 1, k + 1) + betaln(k + a, n - k + b) - betaln(a, b)`
on `k = 0..n` (`-inf` off the integers or outside, NaN for a non-integer or negative `n`);
`n` and `k` are counts (not differentiated: derivative 0, as for `loc`, which shifts
`k`). JAX's set of methods: no closed-form cdf.
"""

from funcdiff._src.scipy.stats.betabinom import logpmf, pmf, rvs

__all__ = ["logpmf", "pmf", "rvs"]
