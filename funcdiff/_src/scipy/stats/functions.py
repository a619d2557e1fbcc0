"""The implementation of the functions of `funcdiff.scipy.stats`: `mode`, `rankdata`, `sem` and
the class `gaussian_kde`.

The public module `funcdiff.scipy.stats` re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff import numpy as fnp
from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import concrete, floats, traced
from funcdiff.scipy import special as fsp

_NAN_POLICIES = ("propagate", "omit", "raise")
_RANK_METHODS = ("average", "min", "max", "dense", "ordinal")


def _check_nan_policy(nan_policy):
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {set(_NAN_POLICIES)}")


def _raise_on_nan(a, name):
    """nan_policy='raise': SciPy's error, on the concrete values."""
    values = concrete(a)
    if values is None:
        raise NotImplementedError(
            f"funcdiff.scipy.stats.{name}(nan_policy='raise') needs the values of its input to "
            "look for NaN, which are abstract under jit/vmap: check for NaN outside the "
            "transform, or use nan_policy='propagate' or 'omit'")
    if np.any(np.isnan(values[0])):
        raise ValueError("The input contains nan values")


def _last_axis(a, axis):
    """`a` with `axis` moved last (flattened for None), and the axis it came from."""
    if axis is None:
        return fnp.ravel(a), None
    nd = len(shape_of(a))
    if not -nd <= axis < max(nd, 1):
        raise np.exceptions.AxisError(axis, nd)
    if nd == 0:
        return fnp.reshape(a, (1,)), 0
    return fnp.moveaxis(a, axis, -1), axis % nd


def _restore(x, axis, nd, keepdims):
    """Undo `_last_axis` for a result reduced over the last axis (x has that axis, length 1)."""
    if axis is None:
        return fnp.reshape(x, (1,) * nd) if keepdims else fnp.reshape(x, ())
    x = fnp.moveaxis(x, -1, axis) if nd else fnp.reshape(x, ())
    return x if keepdims else fnp.squeeze(x, axis=axis) if nd else x


# ---------------------------------------------------------------------------------------- sem
@numpy_outside_transforms(st.sem, unless_traced=True)
def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """`scipy.stats.sem`: `std(a, ddof=ddof) / sqrt(n)` along `axis`, differentiable in `a`.

    With `nan_policy='omit'` the NaNs are left out of `n`, the mean and the sum of squares
    (their derivative is 0); `'raise'` needs concrete values (not under jit/vmap).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import stats
        >>> float(fd.grad(stats.sem)(np.array([1.0, 2.0, 4.0]))[2])  # (x - mean) / (sem n (n-1))
        0.31497039...

        ```
    """
    _check_nan_policy(nan_policy)
    (a,) = floats(a)
    nd = len(shape_of(a))
    if nan_policy == "raise":
        _raise_on_nan(a, "sem")
    a, ax = _last_axis(a, axis)
    if nan_policy == "omit":
        keep = fnp.logical_not(fnp.isnan(a))
        n = fnp.sum(keep, axis=-1, keepdims=True)
        mean = fnp.sum(fnp.where(keep, a, 0.0), axis=-1, keepdims=True) / n
        dev = fnp.where(keep, a - mean, 0.0)
        var = fnp.sum(dev * dev, axis=-1, keepdims=True) / (n - ddof)
        out = fnp.sqrt(var) / fnp.sqrt(fnp.astype(n, np.float64))
    else:
        n = shape_of(a)[-1]
        out = fnp.std(a, axis=-1, ddof=ddof, keepdims=True) / np.sqrt(n)
    return _restore(out, ax, nd, keepdims)


# ----------------------------------------------------------------------------------- rankdata
def _pairwise_ranks(a, method):
    """The ranks along the last axis from pairwise comparisons (O(n**2) memory), for abstract
    values (jit/vmap); NaNs compare unequal to everything (the callers mask them)."""
    ai, aj = a[..., :, None], a[..., None, :]
    less = fnp.sum(aj < ai, axis=-1)
    same = aj == ai
    equal = fnp.sum(same, axis=-1)
    if method == "average":
        return less + (equal + 1) / 2.0
    if method == "min":
        return less + 1
    if method == "max":
        return less + equal
    if method == "ordinal":
        n = shape_of(a)[-1]
        before = np.tril(np.ones((n, n), bool), -1)  # j < i
        return less + fnp.sum(fnp.logical_and(same, before), axis=-1) + 1
    # dense: the number of distinct values below, each counted once (1 / its multiplicity)
    share = fnp.where(aj < ai, 1.0 / fnp.maximum(equal, 1)[..., None, :], 0.0)
    return fnp.astype(fnp.rint(fnp.sum(share, axis=-1)), np.int64) + 1


def _rankdata_abstract(a, method, axis, nan_policy):
    nd = len(shape_of(a))
    shape = shape_of(a)
    a, ax = _last_axis(a, axis)
    ranks = _pairwise_ranks(a, method)
    if np.issubdtype(dtype_of(a), np.inexact):  # NaN may be there: float ranks
        ranks = fnp.astype(ranks, np.float64)
        nan = fnp.isnan(a)
        if nan_policy == "omit":
            ranks = fnp.where(nan, np.nan, ranks)
        else:
            ranks = fnp.where(fnp.any(nan, axis=-1, keepdims=True), np.nan, ranks)
    elif method == "average":
        ranks = fnp.astype(ranks, np.float64)
    if ax is None:
        return fnp.reshape(ranks, (-1,)) if nd else fnp.reshape(ranks, shape)
    return fnp.moveaxis(ranks, -1, ax) if nd else fnp.reshape(ranks, ())


@numpy_outside_transforms(st.rankdata, unless_traced=True)
def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """`scipy.stats.rankdata`: the ranks of `a` (ties by `method`). Ranks are piecewise
    constant in `a`, so their derivative is 0 (exactly, not an approximation).

    With concrete values (under grad/jvp) the result is SciPy's, dtype included. Under
    jit/vmap (abstract values) the ranks come from pairwise comparisons (O(n**2) memory per
    slice), and for float input every method returns float64 ranks (SciPy's dtype depends on
    whether the data hold NaN, which abstract values do not tell); the values are SciPy's.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import stats
        >>> r = fd.vmap(lambda x: stats.rankdata(x, method="min"))(np.array([[3.0, 1.0, 1.0]]))
        >>> [float(v) for v in r[0]]
        [3.0, 1.0, 1.0]

        ```
    """
    if method not in _RANK_METHODS:
        raise ValueError(f'unknown method "{method}"')
    _check_nan_policy(nan_policy)
    values = concrete(a)
    if values is not None:
        return st.rankdata(values[0], method, axis=axis, nan_policy=nan_policy)
    if nan_policy == "raise":
        _raise_on_nan(a, "rankdata")
    return _rankdata_abstract(fnp.stop_gradient(a), method, axis, nan_policy)


# --------------------------------------------------------------------------------------- mode
@numpy_outside_transforms(st.mode, unless_traced=True)
def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """`scipy.stats.mode`: `ModeResult(mode, count)`, the smallest most frequent value along
    `axis` and its (integer) count. The mode is gathered from `a`, so its derivative flows to
    that element of `a` (the count has none).

    Counting uses pairwise comparisons of the sorted slice (O(n**2) memory per slice); NaN
    counts as a value with `nan_policy='propagate'` (SciPy's rule) and is left out with
    `'omit'` (an all-NaN slice gives NaN with count 0, an integer here, a float in SciPy).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import stats
        >>> x = np.array([3.0, 1.0, 3.0, 2.0])
        >>> [float(g) for g in fd.grad(lambda x: stats.mode(x).mode)(x)]
        [1.0, 0.0, 0.0, 0.0]

        ```
    """
    _check_nan_policy(nan_policy)
    a = fnp.asarray(a)
    nd = len(shape_of(a))
    if nan_policy == "raise":
        _raise_on_nan(a, "mode")
    a, ax = _last_axis(a, axis)
    s = fnp.sort(a, axis=-1)  # (NaN last)
    si, sj = s[..., :, None], s[..., None, :]
    same = si == sj
    if np.issubdtype(dtype_of(s), np.inexact):
        nan = fnp.isnan(s)
        if nan_policy == "propagate":
            same = fnp.logical_or(same, fnp.logical_and(nan[..., :, None], nan[..., None, :]))
    counts = fnp.sum(same, axis=-1)
    idx = fnp.argmax(counts, axis=-1, keepdims=True)  # the first maximum: the smallest value
    value = fnp.take_along_axis(s, idx, axis=-1)
    count = fnp.astype(fnp.take_along_axis(counts, idx, axis=-1), np.intp)
    if np.issubdtype(dtype_of(s), np.inexact) and nan_policy == "omit":
        value = fnp.where(count == 0, np.nan, value)
    return st._stats_py.ModeResult(_restore(value, ax, nd, keepdims),
                                   _restore(count, ax, nd, keepdims))


# -------------------------------------------------------------------------------- gaussian_kde
class gaussian_kde:  # noqa: N801  (SciPy's name)
    """`scipy.stats.gaussian_kde`: a Gaussian kernel density estimate, differentiable in
    `dataset`, `weights`, a numeric `bw_method` and the evaluation points.

    With no tracer among `dataset`, `weights` and `bw_method`, the estimate is SciPy's own
    (its attributes, errors and, for untraced points, its results); otherwise the bandwidth
    (Scott's or Silverman's factor of the effective sample size, a scalar, or a callable of
    the estimate), the weighted data covariance and its Cholesky factor are funcdiff
    operations, and `evaluate`/`pdf`/`__call__` (a sum of Gaussians), `logpdf` (a
    `logsumexp`, finite far from the data), `integrate_gaussian`, `integrate_kde`,
    `integrate_box_1d` and `resample` are differentiable. `resample(size, seed)` draws the
    same numbers as SciPy for the same seed (the normal deviates first, then the data indices
    from the weights); its derivative flows to the chosen data points and, through the SVD of
    the covariance that NumPy's draw uses, to the bandwidth and the data (the indices
    themselves, piecewise constant in the weights, have derivative 0; drawing them needs
    concrete weights, so `resample` with traced weights is not available under jit/vmap).
    `scotts_factor`, `silverman_factor` and `covariance_factor` are there for callable
    bandwidths, as in SciPy.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import stats
        >>> data = np.array([0.0, 1.0, 3.0])
        >>> float(stats.gaussian_kde(data).pdf(1.0)[0])  # SciPy's value
        0.21489536...
        >>> g = fd.grad(lambda d: stats.gaussian_kde(d).logpdf(1.0)[0])(data)
        >>> g.shape
        (3,)

        ```
    """

    def __init__(self, dataset, bw_method=None, weights=None):
        numeric_bw = bw_method is not None and not isinstance(bw_method, str) and not callable(
            bw_method)
        if not traced(dataset, weights, *((bw_method,) if numeric_bw else ())):
            self._ref = st.gaussian_kde(dataset, bw_method=bw_method, weights=weights)
            ref = self._ref
            self.dataset, self.d, self.n = ref.dataset, ref.d, ref.n
            self.weights, self.neff, self.factor = ref.weights, ref.neff, ref.factor
            self.covariance, self.log_det = ref.covariance, ref.log_det
            self._cho_cov = ref.cho_cov
            return
        self._ref = None
        (dataset,) = floats(dataset)
        dataset = fnp.atleast_2d(dataset)
        if not int(np.prod(shape_of(dataset))) > 1:
            raise ValueError("`dataset` input should have multiple elements.")
        self.dataset = dataset
        self.d, self.n = shape_of(dataset)
        if weights is None:
            w = np.full(self.n, 1.0 / self.n)
        else:
            (w,) = floats(weights)
            w = fnp.atleast_1d(w)
            if len(shape_of(w)) != 1:
                raise ValueError("`weights` input should be one-dimensional.")
            if shape_of(w)[0] != self.n:
                raise ValueError("`weights` input should be of length n")
            w = w / fnp.sum(w)
        self.weights = w
        self.neff = 1.0 / fnp.sum(w * w)
        if self.d > self.n:
            raise ValueError("Number of dimensions is greater than number of samples. This "
                             "results in a singular data covariance matrix, which cannot be "
                             "treated using the algorithms implemented in `gaussian_kde`.")
        if bw_method is None or (isinstance(bw_method, str) and bw_method == "scott"):
            factor = self.scotts_factor()
        elif isinstance(bw_method, str) and bw_method == "silverman":
            factor = self.silverman_factor()
        elif numeric_bw:
            factor = bw_method
        elif callable(bw_method):
            factor = bw_method(self)
        else:
            raise ValueError("`bw_method` should be 'scott', 'silverman', a scalar or a "
                             "callable.")
        self.factor = factor
        mean = fnp.sum(dataset * w, axis=1, keepdims=True)
        dev = dataset - mean
        data_cov = (dev * w) @ fnp.transpose(dev) / (1.0 - fnp.sum(w * w))
        self.covariance = data_cov * factor**2
        self._cho_cov = fnp.linalg.cholesky(data_cov) * factor
        self.log_det = 2.0 * fnp.sum(fnp.log(fnp.diagonal(self._cho_cov) * np.sqrt(2 * np.pi)))

    # ------------------------------------------------------------------ bandwidth
    def scotts_factor(self):
        """`scipy.stats.gaussian_kde.scotts_factor`: `neff**(-1/(d + 4))`."""
        return self.neff ** (-1.0 / (self.d + 4))

    def silverman_factor(self):
        """`scipy.stats.gaussian_kde.silverman_factor`: `(neff (d + 2) / 4)**(-1/(d + 4))`."""
        return (self.neff * (self.d + 2.0) / 4.0) ** (-1.0 / (self.d + 4))

    def covariance_factor(self):
        """`scipy.stats.gaussian_kde.covariance_factor`: the bandwidth factor in use."""
        return self.factor

    # ------------------------------------------------------------------ helpers
    def _points(self, points):
        (points,) = floats(points)
        points = fnp.atleast_2d(points)
        d, m = shape_of(points)
        if d != self.d:
            if d == 1 and m == self.d:
                points = fnp.reshape(points, (self.d, 1))
            else:
                raise ValueError(f"points have dimension {d}, dataset has dimension {self.d}")
        return points

    def _exponents(self, points):
        """(-|L^-1 (x_j - d_i)|**2 / 2 for the (m, n) pairs, log weights)."""
        points = self._points(points)
        white_data = fnp.linalg.solve(self._cho_cov, self.dataset)  # (d, n)
        white_pts = fnp.linalg.solve(self._cho_cov, points)  # (d, m)
        diff = white_pts[:, :, None] - white_data[:, None, :]  # (d, m, n)
        return -0.5 * fnp.sum(diff * diff, axis=0), fnp.log(self.weights)

    def _untraced(self, *args):
        return self._ref is not None and not traced(*args)

    # ------------------------------------------------------------------ methods
    def evaluate(self, points):
        """`scipy.stats.gaussian_kde.evaluate`: the estimated density at `points` (shape
        `(d, m)`, or `(m,)` for 1-d data), a weighted sum of Gaussians."""
        if self._untraced(points):
            return self._ref.evaluate(points)
        expo, log_w = self._exponents(points)
        return fnp.sum(fnp.exp(expo) * self.weights, axis=1) * fnp.exp(-0.5 * self.log_det)

    __call__ = evaluate

    def pdf(self, x):
        """`scipy.stats.gaussian_kde.pdf`: `evaluate(x)`."""
        return self.evaluate(x)

    def logpdf(self, x):
        """`scipy.stats.gaussian_kde.logpdf`: `logsumexp` of the weighted Gaussian log-kernels
        (finite far from the data, where the density underflows)."""
        if self._untraced(x):
            return self._ref.logpdf(x)
        expo, log_w = self._exponents(x)
        return fsp.logsumexp(expo + log_w, axis=1) - 0.5 * self.log_det

    def integrate_gaussian(self, mean, cov):
        """`scipy.stats.gaussian_kde.integrate_gaussian`: the integral of the estimate times
        the Gaussian `N(mean, cov)`, differentiable in `mean` and `cov` too."""
        if self._untraced(mean, cov):
            return self._ref.integrate_gaussian(mean, cov)
        mean, cov = floats(mean, cov)
        mean = fnp.atleast_1d(fnp.squeeze(mean))
        cov = fnp.atleast_2d(cov)
        if shape_of(mean) != (self.d,):
            raise ValueError(f"mean does not have dimension {self.d}")
        if shape_of(cov) != (self.d, self.d):
            raise ValueError(f"covariance does not have dimension {self.d}")
        sum_cov = self.covariance + cov
        chol = fnp.linalg.cholesky(sum_cov)
        diff = self.dataset - mean[:, None]
        tdiff = fnp.linalg.solve(sum_cov, diff)
        norm_const = (2 * np.pi) ** (self.d / 2.0) * fnp.prod(fnp.diagonal(chol))
        energies = fnp.sum(diff * tdiff, axis=0) / 2.0
        return fnp.sum(fnp.exp(-energies) * self.weights) / norm_const

    def integrate_kde(self, other):
        """`scipy.stats.gaussian_kde.integrate_kde`: the integral of the product of two
        estimates (a double sum of Gaussians), differentiable in both."""
        if other.d != self.d:
            raise ValueError("KDEs are not the same dimensionality")
        if self._ref is not None and other._ref is not None:
            return self._ref.integrate_kde(other._ref)
        sum_cov = self.covariance + other.covariance
        chol = fnp.linalg.cholesky(sum_cov)
        diff = other.dataset[:, None, :] - self.dataset[:, :, None]  # (d, n_self, n_other)
        white = fnp.linalg.solve(chol, fnp.reshape(diff, (self.d, -1)))
        energies = fnp.reshape(fnp.sum(white * white, axis=0), shape_of(diff)[1:]) / 2.0
        total = fnp.sum(fnp.exp(-energies) * self.weights[:, None] * other.weights[None, :])
        return total / ((2 * np.pi) ** (self.d / 2.0) * fnp.prod(fnp.diagonal(chol)))

    def integrate_box_1d(self, low, high):
        """`scipy.stats.gaussian_kde.integrate_box_1d`: the estimate's mass on `[low, high]`
        (1-d data only), a weighted sum of `ndtr` differences."""
        if self.d != 1:
            raise ValueError("integrate_box_1d() only handles 1D pdfs")
        if self._untraced(low, high):
            return self._ref.integrate_box_1d(low, high)
        low, high = floats(low, high)
        stdev = fnp.sqrt(self.covariance[0, 0])
        lo = fnp.ravel((low - self.dataset) / stdev)
        hi = fnp.ravel((high - self.dataset) / stdev)
        return fnp.sum(self.weights * (fsp.ndtr(hi) - fsp.ndtr(lo)))

    def resample(self, size=None, seed=None):
        """`scipy.stats.gaussian_kde.resample`: `size` draws from the estimate, shape
        `(d, size)`; the same numbers as SciPy for the same `seed` (an int, None for NumPy's
        global state, a `RandomState` or a `Generator`)."""
        if self._ref is not None:
            return self._ref.resample(size, seed)
        known = concrete(self.weights, self.neff)
        if known is None:
            raise NotImplementedError(
                "funcdiff.scipy.stats.gaussian_kde.resample draws data indices from the "
                "weights, which are abstract under jit/vmap: resample outside jit/vmap (grad "
                "and jvp are fine), or build the estimate from untraced weights")
        w_values, neff = known
        if size is None:
            size = int(neff)
        if seed is None:
            rng = np.random.mtrand._rand
        elif isinstance(seed, (np.random.RandomState, np.random.Generator)):
            rng = seed
        else:
            rng = np.random.RandomState(seed)
        shape = (size,) if np.ndim(size) == 0 else tuple(size)
        z = rng.standard_normal(shape + (self.d,)).reshape(-1, self.d)
        u, s, vh = fnp.linalg.svd(self.covariance)
        if isinstance(rng, np.random.Generator):
            factor = fnp.transpose(u * fnp.sqrt(s))
        else:
            factor = fnp.sqrt(s)[:, None] * vh
        norm = fnp.transpose(fnp.reshape(z @ factor, shape + (self.d,)))  # (as SciPy)
        indices = rng.choice(self.n, size=size, p=np.asarray(w_values))
        return self.dataset[:, indices] + norm
