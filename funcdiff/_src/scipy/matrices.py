"""The special matrices of `funcdiff.scipy.linalg` (toeplitz, hankel, circulant, ...).

`funcdiff.scipy.linalg` re-exports the public names and documents them.

The matrices built from arrays are gathers: the entries are taken, by a constant
integer index matrix, from one vector that holds a zero, the inputs (or, for the
companion matrices, the normalized coefficients) and a one. The index matrix is
computed once from SciPy's own function applied to integer labels (or written
out where SciPy divides), so the layout is SciPy's by construction, and the
gather (`funcdiff.numpy.take`) carries every derivative rule, batching and jit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg as _sl

from funcdiff import numpy as fnp
from funcdiff._src.core import ConcretizationError, Tracer, concrete_value, dtype_of, shape_of
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "circulant",
    "companion",
    "convolution_matrix",
    "dft",
    "fiedler",
    "fiedler_companion",
    "hadamard",
    "hankel",
    "helmert",
    "hilbert",
    "invhilbert",
    "invpascal",
    "leslie",
    "pascal",
    "toeplitz",
]

# -- the matrices of integer sizes only: SciPy's own functions (nothing to differentiate)
dft = _sl.dft
hadamard = _sl.hadamard
helmert = _sl.helmert
hilbert = _sl.hilbert
invhilbert = _sl.invhilbert
invpascal = _sl.invpascal
pascal = _sl.pascal


# -- helpers -------------------------------------------------------------------------------
def _arr(x):
    return x if isinstance(x, Tracer) else np.asarray(x)


def _atleast_1d(x):
    x = _arr(x)
    return fnp.reshape(x, (1,)) if len(shape_of(x)) == 0 else x


def _stand_in(x):
    """A harmless concrete array of `x`'s shape and dtype (ones), for SciPy's checks."""
    return np.ones(tuple(shape_of(x)), dtype_of(x))


def _concrete_or_none(x):
    """`x`'s concrete value, or None where it is abstract (under jit)."""
    try:
        return concrete_value(x)
    except ConcretizationError:
        return None


def _gather(parts, index, dtype=None):
    """`take(concat([0, *parts, 1]), index, axis=-1)` over the broadcast leading axes of
    `parts`: label 0 reads a zero, labels 1.. read the parts' last axes in order, and the
    label after them reads a one."""
    parts = [_arr(p) for p in parts]
    dtype = np.result_type(*[dtype_of(p) for p in parts]) if dtype is None else dtype
    batch = np.broadcast_shapes(*[tuple(shape_of(p))[:-1] for p in parts])
    parts = [fnp.broadcast_to(p, batch + (shape_of(p)[-1],)) for p in parts]
    zero, one = np.zeros(batch + (1,), dtype), np.ones(batch + (1,), dtype)
    vals = fnp.concatenate([zero, *parts, one], axis=-1)
    return fnp.take(vals, np.asarray(index, dtype=np.intp), axis=-1)


def _labels(start, n):
    return np.arange(start, start + n, dtype=np.int64)


# -- the matrices built from arrays -------------------------------------------------------
@numpy_outside_transforms(_sl.circulant, unless_traced=True)
def circulant(c):
    """`scipy.linalg.circulant`: a gather of `c`, so derivatives are gathers and scatters.

    Batched `c` (..., N) gives (..., N, N), as in SciPy.

    ```python
    >>> import numpy as np, funcdiff as fd
    >>> from funcdiff.scipy import linalg as fsl
    >>> fd.grad(lambda c: fsl.circulant(c)[:, 0].sum())(np.array([1.0, 2.0, 3.0])).tolist()
    [1.0, 1.0, 1.0]

    ```
    """
    c = _atleast_1d(c)
    n = shape_of(c)[-1]
    return _gather([c], _sl.circulant(_labels(1, n)))


@numpy_outside_transforms(_sl.toeplitz, unless_traced=True)
def toeplitz(c, r=None):
    """`scipy.linalg.toeplitz`: a gather of `c` and `r` (r[0] is ignored, so its
    derivative is zero); with `r=None` the first row is `conj(c)`, as in SciPy.

    Batched `c`, `r` (..., M), (..., N) broadcast their leading axes, as in SciPy.

    ```python
    >>> import numpy as np, funcdiff as fd
    >>> from funcdiff.scipy import linalg as fsl
    >>> c, r = np.array([1.0, 2.0, 3.0]), np.array([0.0, 4.0])
    >>> fd.grad(lambda c, r: fsl.toeplitz(c, r).sum(), argnums=(0, 1))(c, r)[1].tolist()
    [0.0, 1.0]

    ```
    """
    c = _atleast_1d(c)
    r = fnp.conj(c) if r is None else _atleast_1d(r)
    _sl.toeplitz(_stand_in(c), _stand_in(r))  # SciPy's errors for shapes that do not fit
    m, n = shape_of(c)[-1], shape_of(r)[-1]
    return _gather([c, r], _sl.toeplitz(_labels(1, m), _labels(m + 1, n)))


@numpy_outside_transforms(_sl.hankel, unless_traced=True)
def hankel(c, r=None):
    """`scipy.linalg.hankel`: a gather of `c` and `r` (r[0] is ignored, so its derivative
    is zero; `r=None` means zeros).

    N-D inputs are raveled with SciPy 1.17's FutureWarning (SciPy 1.19 will batch them).
    """
    c = _arr(c)
    r = fnp.zeros_like(c) if r is None else _arr(r)
    if len(shape_of(c)) > 1 or len(shape_of(r)) > 1:
        msg = ("Beginning in SciPy 1.19, multidimensional input will be treated as a "
               "batch, not `ravel`ed. To preserve the existing behavior and silence "
               "this warning, `ravel` arguments before passing them to `hankel`.")
        warnings.warn(msg, FutureWarning, stacklevel=3)
    if 0 in (len(shape_of(c)), len(shape_of(r)), math.prod(shape_of(c)), math.prod(shape_of(r))):
        return _sl.hankel(_stand_in(c), _stand_in(r))  # SciPy's errors and empty results
    c, r = fnp.ravel(c), fnp.ravel(r)
    m, n = shape_of(c)[0], shape_of(r)[0]
    return _gather([c, r], _sl.hankel(_labels(1, m), _labels(m + 1, n)))


@numpy_outside_transforms(_sl.convolution_matrix, unless_traced=True)
def convolution_matrix(a, n, mode="full"):
    """`scipy.linalg.convolution_matrix`: a gather of `a` (a Toeplitz matrix of `a` and
    zeros). Batched `a` (..., K) gives (..., rows, n), as in SciPy."""
    a = _arr(a)
    _sl.convolution_matrix(_stand_in(a), n, mode)  # SciPy's errors (n, mode, empty a)
    k = shape_of(a)[-1] if len(shape_of(a)) else 1
    return _gather([_atleast_1d(a)], _sl.convolution_matrix(_labels(1, k), n, mode))


@numpy_outside_transforms(_sl.leslie, unless_traced=True)
def leslie(f, s):
    """`scipy.linalg.leslie`: a gather of the fecundities `f` (first row) and the
    survival rates `s` (subdiagonal). Batched inputs broadcast their leading axes."""
    f, s = _atleast_1d(f), _atleast_1d(s)
    _sl.leslie(_stand_in(f), _stand_in(s))  # SciPy's errors for lengths that do not fit
    n = shape_of(f)[-1]
    return _gather([f, s], _sl.leslie(_labels(1, n), _labels(n + 1, n - 1)))


def _check_leading(a, message):
    lead = _concrete_or_none(a[..., 0])
    if lead is not None and np.any(lead == 0):
        raise ValueError(message)


@numpy_outside_transforms(_sl.companion, unless_traced=True)
def companion(a):
    """`scipy.linalg.companion`: the first row is `-a[..., 1:] / a[..., :1]` (its
    derivative is the quotient rule's), the subdiagonal ones are constants.

    Batched `a` (..., N) gives (..., N-1, N-1), as in SciPy. Under `jit` a zero leading
    coefficient is not detected (SciPy raises ValueError; concrete inputs do too).
    """
    a = _atleast_1d(a)
    _sl.companion(_stand_in(a))  # SciPy's error for a length under 2
    _check_leading(a, "The first coefficient(s) of `a` (i.e. elements "
                           "of `a[..., 0]`) must not be zero.")
    n = shape_of(a)[-1]
    first_row = -a[..., 1:] / (1.0 * a[..., 0:1])
    index = np.zeros((n - 1, n - 1), np.intp)
    index[0] = _labels(1, n - 1)
    index[np.arange(1, n - 1), np.arange(0, n - 2)] = n  # the one
    return _gather([first_row], index)


@numpy_outside_transforms(_sl.fiedler_companion, unless_traced=True)
def fiedler_companion(a):
    """`scipy.linalg.fiedler_companion`: a gather of `-a / a[0]` (quotient rule) and
    constant ones, laid out as SciPy's. Batched `a` gives (..., N-1, N-1)."""
    a = _atleast_1d(a)
    size = shape_of(a)[-1]
    if size <= 1:  # SciPy's empty results: no entries, nothing to differentiate
        return _sl.fiedler_companion(_stand_in(a))
    if size >= 3:
        _check_leading(a, "Leading coefficient is zero.")
    b = -a / a[..., 0:1]  # labels 1..size; the zero is 0, the one is size + 1
    n = size - 1
    one = size + 1
    if size == 2:
        index = np.array([[2]])
    else:
        index = np.zeros((n, n), np.intp)
        index[range(3, n, 2), range(1, n - 2, 2)] = one
        index[range(2, n, 2), range(1, n - 1, 2)] = np.arange(3, n + 1, 2) + 1
        index[range(0, n - 2, 2), range(2, n, 2)] = one
        index[range(0, n - 1, 2), range(1, n, 2)] = np.arange(2, n + 1, 2) + 1
        index[[0, 1], 0] = [2, one]
    return _gather([b], index)


@numpy_outside_transforms(_sl.fiedler, unless_traced=True)
def fiedler(a):
    """`scipy.linalg.fiedler`: `abs(a[..., :, None] - a[..., None, :])`, differentiated
    as `abs` (the diagonal is identically zero, so its derivative is zero; off the
    diagonal, ties `a[i] == a[j]` are kinks). Batched `a` gives (..., N, N)."""
    a = _atleast_1d(a)
    size = math.prod(shape_of(a))
    if size <= 1:  # SciPy's constant results ([] and [[0.]])
        return _sl.fiedler(_stand_in(a))
    return fnp.abs(a[..., :, None] - a[..., None, :])
