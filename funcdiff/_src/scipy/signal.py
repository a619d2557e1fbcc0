"""The implementation of `funcdiff.scipy.signal`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.signal as ss

from funcdiff._src.core import Primitive, ShapedArray, _state, dtype_of, shape_of
from funcdiff._src.lax.elementwise import add
from funcdiff._src.lax.shape import moveaxis_to, reshape, static_slice, unbroadcast
from funcdiff._src.numpy.creation import asarray as _asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")


def _full_shape(s1, s2, nbatch):
    batch = np.broadcast_shapes(s1[:nbatch], s2[:nbatch])
    return batch + tuple(a + b - 1 for a, b in zip(s1[nbatch:], s2[nbatch:]))


def _convolve_impl(x, y, nbatch, method):
    x, y = np.asarray(x), np.asarray(y)
    if nbatch == 0:
        return ss.convolve(x, y, mode="full", method=method)
    batch = np.broadcast_shapes(x.shape[:nbatch], y.shape[:nbatch])
    xb = np.broadcast_to(x, batch + x.shape[nbatch:])
    yb = np.broadcast_to(y, batch + y.shape[nbatch:])
    results = [ss.convolve(xb[i], yb[i], mode="full", method=method) for i in np.ndindex(batch)]
    dtype = results[0].dtype if results else np.result_type(x, y)
    out = np.empty(_full_shape(x.shape, y.shape, nbatch), dtype)
    for i, r in zip(np.ndindex(batch), results):
        out[i] = r
    return out


convolve_full_p = Primitive("convolve_full", _convolve_impl, linear="each")


def convolve_full(x, y, nbatch=0, method="auto"):
    """Full convolution over the axes after the first `nbatch` (which broadcast)."""
    if _state.stack:
        return convolve_full_p.bind(x, y, nbatch=nbatch, method=method)
    return _convolve_impl(x, y, nbatch, method)


def _convolve_jvp(primals, tangents, nbatch, method):
    (x, y), (tx, ty) = primals, tangents
    out = convolve_full(x, y, nbatch, method)
    t = None if tx is None else convolve_full(tx, y, nbatch, method)
    if ty is not None:
        ty = convolve_full(x, ty, nbatch, method)
        t = ty if t is None else add(t, ty)
    return out, t


def _flip(x, nbatch):
    nd = len(shape_of(x))
    return static_slice(x, None, None, (None,) * nbatch + (-1,) * (nd - nbatch))


def _convolve_vjp(g, out, primals, argnums, nbatch, method):
    cts = []
    for i in argnums:
        mine, other = primals[i], primals[1 - i]
        full = convolve_full(g, _flip(other, nbatch), nbatch, method)
        m, o = shape_of(mine), shape_of(other)
        starts = (0,) * nbatch + tuple(k - 1 for k in o[nbatch:])
        stops = (None,) * nbatch + tuple(k - 1 + n for k, n in zip(o[nbatch:], m[nbatch:]))
        cts.append(unbroadcast(static_slice(full, starts, stops), m))
    return cts


def _convolve_batch(args, dims, nbatch, method):
    moved = []
    for a, d in zip(args, dims):
        moved.append(reshape(a, (1,) + shape_of(a)) if d is None else moveaxis_to(a, d, 0))
    return convolve_full(moved[0], moved[1], nbatch + 1, method), 0


def _convolve_abstract_eval(x, y, nbatch, method):
    return ShapedArray(_full_shape(x.shape, y.shape, nbatch), np.result_type(x.dtype, y.dtype))


convolve_full_p.jvp = _convolve_jvp
convolve_full_p.vjp = _convolve_vjp
convolve_full_p.batch = _convolve_batch
convolve_full_p.abstract_eval = _convolve_abstract_eval


@numpy_outside_transforms(ss.convolve, unless_traced=True)
def convolve(in1, in2, mode="full", method="auto"):
    """`scipy.signal.convolve`: n-dimensional convolution, differentiable in both inputs.

    Args:
        in1: first input.
        in2: second input, with the same number of dimensions.
        mode: `'full'` (default), `'valid'` (only where the inputs overlap
            completely; one input must be at least as large as the other in
            every dimension) or `'same'` (the size of `in1`, centered).
        method: `'auto'`, `'direct'` or `'fft'`, passed to SciPy.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import convolve
        >>> x, k = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0])
        >>> convolve(x, k).tolist()
        [0.5, 2.0, 3.5, 3.0]
        >>> fd.grad(lambda k: convolve(x, k, "valid").sum())(k).tolist()
        [5.0, 3.0]

        ```
    """
    in1, in2 = _asarray(in1), _asarray(in2)
    s1, s2 = shape_of(in1), shape_of(in2)
    if method not in _METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if len(s1) == len(s2) == 0:
        return in1 * in2
    if len(s1) != len(s2):
        raise ValueError("volume and kernel should have the same dimensionality")
    if 0 in s1 or 0 in s2:  # no elements: SciPy's (empty) answer, constant
        zeros = (np.zeros(s1, dtype_of(in1)), np.zeros(s2, dtype_of(in2)))
        return ss.convolve(*zeros, mode=mode, method=method)
    if mode == "valid":
        ok1 = all(a >= b for a, b in zip(s1, s2))
        ok2 = all(b >= a for a, b in zip(s1, s2))
        if not (ok1 or ok2):
            raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                             "every dimension")
    full = convolve_full(in1, in2, 0, method)
    if mode == "full":
        return full
    if mode == "valid":
        starts = tuple(min(a, b) - 1 for a, b in zip(s1, s2))
        lengths = tuple(abs(a - b) + 1 for a, b in zip(s1, s2))
    else:
        starts = tuple((b - 1) // 2 for b in s2)
        lengths = s1
    return static_slice(full, starts, tuple(a + n for a, n in zip(starts, lengths)))
