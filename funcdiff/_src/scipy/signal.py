"""The implementation of `funcdiff.scipy.signal`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import scipy.signal as ss

from funcdiff import numpy as fnp
from funcdiff._src.core import Primitive, ShapedArray, Tracer, _state, dtype_of, shape_of
from funcdiff._src.lax.elementwise import add
from funcdiff._src.lax.shape import moveaxis_to, reshape, static_slice, unbroadcast
from funcdiff._src.numpy.creation import asarray as _asarray
from funcdiff._src.numpy.indexing import at
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "detrend", "stft",
    "istft", "welch", "csd",
]

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


def _tensor_convolve(in1, in2, mode, method, axes, dot_axes):
    """autograd's generalized convolve: convolution over the paired `axes`, a tensor
    contraction over the paired `dot_axes`; the other axes of `in1`, then of `in2`, lead
    the result (an outer product), the convolved axes follow (each `mode`'s size)."""
    a, b = _asarray(in1), _asarray(in2)
    na, nb = len(shape_of(a)), len(shape_of(b))
    conv = ([*range(na)], [*range(nb)]) if axes is None else tuple(map(list, axes))
    dot = ([], []) if dot_axes is None else tuple(map(list, dot_axes))
    if len(conv[0]) != len(conv[1]) or len(dot[0]) != len(dot[1]):
        raise ValueError(f"convolve: axes {axes} and dot_axes {dot_axes} must pair as many "
                         "axes of in1 as of in2")
    for i, j in zip(*dot):
        if shape_of(a)[i] != shape_of(b)[j]:
            raise ValueError(f"convolve: dot_axes pair in1's axis {i} (length "
                             f"{shape_of(a)[i]}) with in2's axis {j} (length {shape_of(b)[j]})")
    ign_a = [i for i in range(na) if i not in conv[0] + dot[0]]
    ign_b = [i for i in range(nb) if i not in conv[1] + dot[1]]
    a = fnp.transpose(a, ign_a + dot[0] + conv[0])
    b = fnp.transpose(b, ign_b + dot[1] + conv[1])
    # in1's ignored axes, then in2's (size-1 placeholders for the other's), then dot, conv
    sa, sb = shape_of(a), shape_of(b)
    k, m, d = len(ign_a), len(ign_b), len(dot[0])
    a = reshape(a, sa[:k] + (1,) * m + sa[k:])
    b = reshape(b, (1,) * k + sb)
    full = convolve_full(a, b, k + m + d, method)
    if d:
        full = fnp.sum(full, axis=tuple(range(k + m, k + m + d)))
    return _mode_slice(full, sa[k + d:], sb[m + d:], mode, lead=k + m)


def _mode_slice(full, s1, s2, mode, lead=0):
    """The `mode` part of a full convolution of sizes `s1` and `s2` over its trailing axes
    (after `lead` axes kept whole): 'valid' |n1 - n2| + 1 from min(n1, n2) - 1, 'same' n1
    centred as SciPy centres it."""
    if mode == "full":
        return full
    if mode == "valid":
        starts = tuple(min(x, y) - 1 for x, y in zip(s1, s2))
        lengths = tuple(abs(x - y) + 1 for x, y in zip(s1, s2))
    else:
        starts = tuple((y - 1) // 2 for y in s2)
        lengths = s1
    return static_slice(full, (0,) * lead + starts, tuple(shape_of(full)[:lead]) + tuple(
        x + n for x, n in zip(starts, lengths)))


@numpy_outside_transforms(ss.convolve, unless_traced=True, own=("axes", "dot_axes"))
def convolve(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=None):
    """`scipy.signal.convolve`: n-dimensional convolution, differentiable in both inputs.

    Beyond SciPy, autograd's generalization: `axes=(axes1, axes2)` pairs the axes of
    `in1` and `in2` to convolve and `dot_axes=(axes1, axes2)` pairs axes to contract
    (summed products, as `tensordot`); the remaining axes of `in1`, then of `in2`, lead
    the result, then the convolved ones (`'valid'` per axis: |n1 - n2| + 1).

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
    if method not in _METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if axes is not None or dot_axes is not None:
        return _tensor_convolve(in1, in2, mode, method, axes, dot_axes)
    in1, in2 = _asarray(in1), _asarray(in2)
    s1, s2 = shape_of(in1), shape_of(in2)
    if len(s1) == len(s2) == 0:
        return in1 * in2
    if len(s1) != len(s2):
        raise ValueError("volume and kernel should have the same dimensionality")
    if 0 in s1 or 0 in s2:  # no elements: SciPy's (empty) answer, constant
        zeros = (np.zeros(s1, dtype_of(in1)), np.zeros(s2, dtype_of(in2)))
        return ss.convolve(*zeros, mode=mode, method=method)
    if mode == "valid":
        _swap_needed(s1, s2)  # (SciPy's error where neither input contains the other)
    return _mode_slice(convolve_full(in1, in2, 0, method), s1, s2, mode)


# -- correlation and 2-D convolution -------------------------------------------------------------
def _reverse_conj(x):
    nd = len(shape_of(x))
    return fnp.conj(static_slice(x, None, None, (-1,) * nd)) if nd else fnp.conj(x)


def _swap_needed(s1, s2, axes=None):
    """SciPy's `_inputs_swap_needed` for 'valid' mode (raises its error)."""
    axes = range(len(s1)) if axes is None else axes
    ok1 = all(s1[i] >= s2[i] for i in axes)
    ok2 = all(s2[i] >= s1[i] for i in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                         "every dimension")
    return not ok1


@numpy_outside_transforms(ss.correlate, unless_traced=True)
def correlate(in1, in2, mode="full", method="auto"):
    """`scipy.signal.correlate`: n-dimensional cross-correlation, differentiable in both
    inputs: the convolution of `in1` with `in2` reversed and conjugated (the
    `convolve_full` primitive, see `convolve`).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import correlate
        >>> x, k = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0])
        >>> correlate(x, k).tolist()
        [1.0, 2.5, 4.0, 1.5]
        >>> fd.grad(lambda k: correlate(x, k, "valid").sum())(k).tolist()
        [3.0, 5.0]

        ```
    """
    in1, in2 = _asarray(in1), _asarray(in2)
    if method not in _METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if len(shape_of(in1)) == len(shape_of(in2)) == 0:
        return in1 * fnp.conj(in2)
    return convolve(in1, _reverse_conj(in2), mode, method)


_BOUNDARIES = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap",
               "symm": "symm", "symmetric": "symm"}


def _check_2d(in1, in2, mode, boundary, fillvalue, name):
    if len(shape_of(in1)) != 2 or len(shape_of(in2)) != 2:
        raise ValueError(f"{name} inputs must both be 2-D arrays")
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if boundary not in _BOUNDARIES:
        raise ValueError("Acceptable boundary flags are 'fill', 'circular' (or 'wrap'), and "
                         "'symmetric' (or 'symm').")
    if np.size(fillvalue) != 1:
        raise ValueError("fillvalue must be scalar or an array with one element.")
    return _BOUNDARIES[boundary]


def _conv2d(in1, in2, mode, boundary, fillvalue, flipped=False):
    """The 2-D convolution with `in1` extended beyond its edges by `boundary`: the
    extension (pad) followed by a 'valid' convolution, then the mode's slice (centered
    as SciPy's correlation when `in2` is a `flipped` kernel)."""
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        return convolve(in1, in2, "valid")
    pads = ((s2[0] - 1, s2[0] - 1), (s2[1] - 1, s2[1] - 1))
    if boundary == "fill":
        fill = fillvalue if isinstance(fillvalue, Tracer) else np.asarray(fillvalue).reshape(())
        ext = fnp.pad(in1, pads, constant_values=fill)
    else:
        ext = fnp.pad(in1, pads, mode="wrap" if boundary == "wrap" else "symmetric")
    full = convolve(ext, in2, "valid")
    if mode == "full":
        return full
    starts = tuple(b // 2 if flipped else (b - 1) // 2 for b in s2)
    return static_slice(full, starts, tuple(a + n for a, n in zip(starts, s1)))


@numpy_outside_transforms(ss.convolve2d, unless_traced=True)
def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """`scipy.signal.convolve2d`: 2-D convolution with the boundary conditions `'fill'`
    (`fillvalue`), `'wrap'` and `'symm'`, differentiable in both inputs (and a traced
    `fillvalue`): `in1` is extended by padding, then convolved ('valid') with the
    `convolve_full` primitive.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import convolve2d
        >>> x, k = np.arange(4.0).reshape(2, 2), np.ones((2, 1))
        >>> convolve2d(x, k, boundary="wrap").tolist()
        [[2.0, 4.0], [2.0, 4.0], [2.0, 4.0]]
        >>> fd.grad(lambda x: convolve2d(x, k, "same").sum())(x).tolist()
        [[2.0, 2.0], [1.0, 1.0]]

        ```
    """
    in1, in2 = _asarray(in1), _asarray(in2)
    boundary = _check_2d(in1, in2, mode, boundary, fillvalue, "convolve2d")
    if 0 in shape_of(in1) or 0 in shape_of(in2):
        zeros = (np.zeros(shape_of(in1), dtype_of(in1)), np.zeros(shape_of(in2), dtype_of(in2)))
        return ss.convolve2d(*zeros, mode=mode)
    return _conv2d(in1, in2, mode, boundary, fillvalue)


@numpy_outside_transforms(ss.correlate2d, unless_traced=True)
def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """`scipy.signal.correlate2d`: 2-D cross-correlation with SciPy's boundary conditions,
    differentiable in both inputs: `convolve2d` with `in2` reversed and conjugated (in
    'valid' mode with `in2` the larger input, SciPy's swapped and reversed result)."""
    in1, in2 = _asarray(in1), _asarray(in2)
    boundary = _check_2d(in1, in2, mode, boundary, fillvalue, "correlate2d")
    if 0 in shape_of(in1) or 0 in shape_of(in2):
        zeros = (np.zeros(shape_of(in1), dtype_of(in1)), np.zeros(shape_of(in2), dtype_of(in2)))
        return ss.correlate2d(*zeros, mode=mode)
    swapped = mode == "valid" and _swap_needed(shape_of(in1), shape_of(in2))
    if swapped:
        in1, in2 = in2, in1
    out = _conv2d(in1, _reverse_conj(in2), mode, boundary, fillvalue, flipped=True)
    return static_slice(out, None, None, (-1, -1)) if swapped else out


@numpy_outside_transforms(ss.fftconvolve, unless_traced=True)
def fftconvolve(in1, in2, mode="full", axes=None):
    """`scipy.signal.fftconvolve`: convolution over `axes` (the other axes broadcast),
    differentiable in both inputs: the `convolve_full` primitive with the other axes as
    its batch axes (computed by SciPy's FFT convolution), then the mode's slice."""
    in1, in2 = _asarray(in1), _asarray(in2)
    s1, s2 = tuple(shape_of(in1)), tuple(shape_of(in2))
    if len(s1) == len(s2) == 0:
        return in1 * in2
    if len(s1) != len(s2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if 0 in s1 or 0 in s2:
        return np.asarray([])
    nd = len(s1)
    given = axes is not None
    if axes is None:
        axes = list(range(nd))
    else:
        axes = [int(a) for a in np.atleast_1d(axes)]
        if any(not -nd <= a < nd for a in axes):
            raise ValueError("axes exceeds dimensionality of input")
        axes = [a % nd for a in axes]
        if len(set(axes)) != len(axes):
            raise ValueError("all axes must be unique")
    if given and not axes:
        raise ValueError("when provided, axes cannot be empty")
    axes = [a for a in axes if s1[a] != 1 and s2[a] != 1]
    if not all(s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1 for a in range(nd) if a not in axes):
        raise ValueError(f"incompatible shapes for in1 and in2: {s1} and {s2}")
    if mode not in _MODES:
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    if mode == "valid" and _swap_needed(s1, s2, axes):
        in1, in2, s1, s2 = in2, in1, s2, s1
    if axes:
        rest = [a for a in range(nd) if a not in axes]
        order = rest + axes
        full = convolve_full(fnp.transpose(in1, order), fnp.transpose(in2, order), len(rest),
                             "fft")
        full = fnp.transpose(full, list(np.argsort(order)))
    else:
        full = in1 * in2
    fshape = shape_of(full)
    if mode == "full":
        return full
    if mode == "same":
        new = s1
    else:
        new = tuple(fshape[a] if a not in axes else s1[a] - s2[a] + 1 for a in range(nd))
    starts = tuple((f - k) // 2 for f, k in zip(fshape, new))
    return static_slice(full, starts, tuple(a + k for a, k in zip(starts, new)))


# -- detrend -------------------------------------------------------------------------------------
_DETREND_MATRIX_MAX = 256  # longer axes: the O(n) segment-by-segment fit


@functools.lru_cache(maxsize=64)
def _detrend_matrix(n, type, bp):  # noqa: A002  (SciPy's name)
    """The (n, n) projection P with detrend(x) = P @ x: SciPy's detrend of the identity."""
    mat = ss.detrend(np.eye(n), axis=0, type=type, bp=np.asarray(bp, dtype=int))
    mat.setflags(write=False)
    return mat


def _detrend_last(x, type, bp):  # noqa: A002
    x = _asarray(x)
    if dtype_of(x).kind not in "fc" or dtype_of(x).itemsize < 4:
        x = fnp.astype(x, np.float64)
    n = shape_of(x)[-1]
    if type in ("constant", "c"):
        return x - fnp.mean(x, axis=-1, keepdims=True)
    bp_key = tuple(int(b) for b in np.atleast_1d(np.asarray(bp)))
    if any(b > n for b in bp_key):
        raise ValueError("Breakpoints must be less than length of data along given axis.")
    real = np.dtype(dtype_of(x)).type(0).real.dtype
    if n <= _DETREND_MATRIX_MAX or any(b < 0 for b in bp_key):
        mat = _detrend_matrix(n, type, bp_key)
        return fnp.matmul(x, mat.T.astype(real))
    # long axes: per segment, the residual of the least-squares line (SciPy's design
    # matrix A = [t/L, 1]; the fit is A pinv(A) x), O(n)
    edges = np.unique(np.concatenate([[0], bp_key, [n]]))
    parts = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        length = int(hi - lo)
        a = np.ones((length, 2))
        a[:, 0] = np.arange(1, length + 1) / length
        seg = x[..., int(lo):int(hi)]
        coef = fnp.matmul(seg, np.linalg.pinv(a).T.astype(real))
        parts.append(seg - fnp.matmul(coef, a.T.astype(real)))
    return fnp.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]


@numpy_outside_transforms(ss.detrend, unless_traced=True)
def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=False):  # noqa: A002
    """`scipy.signal.detrend`: remove the least-squares line (per segment between the
    breakpoints `bp`) or the mean along `axis`. It is a linear projection: the mean's
    removal, or the product with its constant matrix (SciPy's detrend of the identity;
    axes longer than 256: the residual of each segment's least-squares line, with
    constant pseudo-inverses), so it is differentiable (exactly) in `data`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import detrend
        >>> x = np.array([1.0, 3.0, 4.0, 9.0])
        >>> np.allclose(fd.jvp(detrend, (x,), (x,))[1], detrend(x))
        True

        ```
    """
    if type not in ("linear", "l", "constant", "c"):
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    data = _asarray(data)
    nd = len(shape_of(data))
    if nd == 0:
        raise ValueError("detrend: data must have at least one dimension")
    axis = np.lib.array_utils.normalize_axis_index(int(axis), nd)
    out = _detrend_last(fnp.moveaxis(data, axis, -1), type, bp)
    return fnp.moveaxis(out, -1, axis)


# -- short-time Fourier transforms and spectral densities ----------------------------------------
def _window(window, nperseg, n, check_length):
    """SciPy's `_triage_segments`: (window as a constant array, nperseg)."""
    if isinstance(window, (str, tuple)):
        nperseg = 256 if nperseg is None else int(nperseg)
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
        if nperseg > n:
            warnings.warn(f"nperseg = {nperseg:d} is greater than input length  = {n:d}, "
                          f"using nperseg = {n:d}", stacklevel=4)
            nperseg = n
        return ss.get_window(window, nperseg), nperseg
    if isinstance(window, Tracer):
        raise NotImplementedError(
            "funcdiff.scipy.signal: a traced `window` is not supported (the window is a "
            "constant); pass a NumPy array or a window name")
    win = np.asarray(window)
    if win.ndim != 1:
        raise ValueError("window must be 1-D")
    if check_length and n < win.shape[0]:
        raise ValueError("window is longer than input signal")
    if nperseg is None:
        nperseg = win.shape[0]
    elif int(nperseg) != win.shape[0]:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, int(nperseg)


def _extension(x, n, boundary):
    """SciPy's boundary extensions (`even_ext`, `odd_ext`, `const_ext`, `zero_ext`) of
    width `n` at both ends of the last axis."""
    if boundary is None or n < 1:
        return x
    m = shape_of(x)[-1]
    pads = ((0, 0),) * (len(shape_of(x)) - 1) + ((n, n),)
    if boundary in ("even", "odd") and n > m - 1:
        raise ValueError(f"The extension length n ({n}) is too big. It must not exceed "
                         f"x.shape[axis]-1, which is {m - 1}.")
    if boundary == "even":
        return fnp.pad(x, pads, mode="reflect")
    if boundary == "constant":
        return fnp.pad(x, pads, mode="edge")
    if boundary == "zeros":
        return fnp.pad(x, pads)
    left = 2 * fnp.take(x, [0], axis=-1) - fnp.take(x, np.arange(n, 0, -1), axis=-1)
    right = 2 * fnp.take(x, [m - 1], axis=-1) - fnp.take(x, np.arange(m - 2, m - 2 - n, -1),
                                                          axis=-1)
    return fnp.concatenate([left, x, right], axis=-1)


def _pad_end(x, k):
    if k <= 0:
        return x
    return fnp.pad(x, ((0, 0),) * (len(shape_of(x)) - 1) + ((0, k),))


def _segments_fft(x, win, detrend_fn, nperseg, nstep, nfft, sides):
    """The windowed FFTs of the segments of the last axis: (..., nseg, nfreq)."""
    m = shape_of(x)[-1]
    nseg = (m - nperseg) // nstep + 1
    idx = np.arange(nseg)[:, None] * nstep + np.arange(nperseg)
    segs = fnp.take(x, idx, axis=-1)
    segs = detrend_fn(segs)
    segs = segs * win
    if sides == "twosided":
        return fnp.fft.fft(segs, n=nfft)
    return fnp.fft.rfft(fnp.real(segs), n=nfft)


def _detrend_fn(detrend, axis):
    if detrend is False or detrend is None:
        return lambda d: d
    if not callable(detrend):
        if detrend not in ("linear", "l", "constant", "c"):
            raise ValueError("Trend type must be 'linear' or 'constant'.")
        return lambda d: _detrend_last(d, detrend, 0)
    if axis != -1:
        return lambda d: fnp.moveaxis(detrend(fnp.moveaxis(d, -1, axis)), axis, -1)
    return detrend


def _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
              axis, mode, boundary, padded):
    """SciPy's legacy `_spectral_helper` with funcdiff operations: (freqs, time, result),
    the result's frequency axis at `axis` and the segments on the last axis."""
    same = y is None
    x = _asarray(x)
    axis = int(axis)
    if not same:
        y = _asarray(y)
        xs, ys = list(shape_of(x)), list(shape_of(y))
        xs.pop(axis)
        ys.pop(axis)
        try:
            np.broadcast_shapes(tuple(xs), tuple(ys))
        except ValueError as e:
            raise ValueError("x and y cannot be broadcast together.") from e
        outdtype = np.result_type(dtype_of(x), dtype_of(y), np.complex64)
    else:
        outdtype = np.result_type(dtype_of(x), np.complex64)
    x = fnp.moveaxis(x, axis, -1)
    if not same:
        y = fnp.moveaxis(y, axis, -1)
        nx, ny = shape_of(x)[-1], shape_of(y)[-1]
        x, y = _pad_end(x, ny - nx), _pad_end(y, nx - ny)
    if nperseg is not None:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    win, nperseg = _window(window, nperseg, shape_of(x)[-1], True)
    if nfft is None:
        nfft = nperseg
    elif nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    nfft = int(nfft)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg - noverlap
    if boundary not in (None, "even", "odd", "constant", "zeros"):
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: "
                         "['even', 'odd', 'constant', 'zeros', None]")
    x = _extension(x, nperseg // 2, boundary)
    if not same:
        y = _extension(y, nperseg // 2, boundary)
    if padded:
        nadd = (-(shape_of(x)[-1] - nperseg) % nstep) % nperseg
        x = _pad_end(x, nadd)
        if not same:
            y = _pad_end(y, nadd)
    detrend_fn = _detrend_fn(detrend, axis)
    real = np.dtype(outdtype).type(0).real.dtype
    win = np.asarray(win).astype(real)
    if scaling == "density":
        scale = 1.0 / (fs * (win * win).sum())
    elif scaling == "spectrum":
        scale = 1.0 / win.sum() ** 2
    else:
        raise ValueError(f"Unknown scaling: {scaling!r}")
    if mode == "stft":
        scale = np.sqrt(scale)
    complex_in = dtype_of(x).kind == "c" or (not same and dtype_of(y).kind == "c")
    sides = "twosided"
    if return_onesided:
        if complex_in:
            if mode == "stft":  # (SciPy's csd/welch switch silently)
                warnings.warn("Input data is complex, switching to return_onesided=False",
                              stacklevel=4)
        else:
            sides = "onesided"
    freqs = np.fft.fftfreq(nfft, 1 / fs) if sides == "twosided" else np.fft.rfftfreq(nfft,
                                                                                     1 / fs)
    result = _segments_fft(x, win, detrend_fn, nperseg, nstep, nfft, sides)
    if not same:
        result = fnp.conj(result) * _segments_fft(y, win, detrend_fn, nperseg, nstep, nfft,
                                                  sides)
    elif mode == "psd":
        result = fnp.conj(result) * result
    result = result * np.asarray(scale, real)
    if sides == "onesided" and mode == "psd":
        factor = np.full(shape_of(result)[-1], 2.0, real)
        factor[0] = 1.0
        if nfft % 2 == 0:
            factor[-1] = 1.0
        result = result * factor
    time = np.arange(nperseg / 2, shape_of(x)[-1] - nperseg / 2 + 1, nperseg - noverlap) / fs
    if boundary is not None:
        time -= (nperseg / 2) / fs
    result = fnp.astype(result, outdtype)
    if same and mode != "stft":
        result = fnp.real(result)
    out_axis = axis - 1 if axis < 0 else axis
    result = fnp.moveaxis(result, -1, out_axis)
    return freqs, time, result


@numpy_outside_transforms(ss.stft, unless_traced=True)
def stft(x, fs=1.0, window="hann_periodic", nperseg=256, noverlap=None, nfft=None,
         detrend=False, return_onesided=True, boundary="zeros", padded=True, axis=-1,
         scaling="spectrum"):
    """`scipy.signal.stft` (the legacy function): the short-time Fourier transform
    `(f, t, Zxx)`, linear and differentiable in `x`: boundary extension and padding,
    segments gathered with constant indices, detrending (a constant projection),
    the constant window and `funcdiff.numpy.fft.rfft`/`fft`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import stft
        >>> x = np.sin(np.arange(32.0))
        >>> f, t, Z = stft(x, nperseg=8)
        >>> Z.shape
        (5, 9)
        >>> g = fd.grad(lambda x: (abs(stft(x, nperseg=8)[2]) ** 2).sum())(x)
        >>> g.shape
        (32,)

        ```
    """
    if scaling == "psd":
        scaling = "density"
    elif scaling != "spectrum":
        raise ValueError(f"Parameter {scaling=} not in ['spectrum', 'psd']!")
    x = _asarray(x)
    if 0 in shape_of(x):  # SciPy's empty answer (constant)
        return ss.stft(np.zeros(shape_of(x), dtype_of(x)), fs, window, nperseg, noverlap, nfft,
                       detrend, return_onesided, boundary, padded, axis, scaling)
    return _spectral(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                     scaling, axis, "stft", boundary, padded)


def _median_bias(n):
    ii_2 = 2 * np.arange(1.0, (n - 1) // 2 + 1)
    return 1 + np.sum(1.0 / (ii_2 + 1) - 1.0 / ii_2)


def _csd(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling, axis,
         average):
    same = y is None
    x = _asarray(x)
    if not same:
        y = _asarray(y)
    if 0 in shape_of(x) or (not same and 0 in shape_of(y)):
        zx = np.zeros(shape_of(x), dtype_of(x))
        zy = zx if same else np.zeros(shape_of(y), dtype_of(y))
        return ss.csd(zx, zy, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                      scaling, axis, average)
    if scaling not in ("spectrum", "density"):
        raise ValueError(f"Parameter {scaling=} not in {{'spectrum': 'magnitude', "
                         "'density': 'psd'}!")
    if average not in ("mean", "median"):
        raise ValueError(f"Parameter {average=} must be 'median' or 'mean'!")
    freqs, _, pxy = _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend,
                              return_onesided, scaling, axis, "psd", None, False)
    nseg = shape_of(pxy)[-1]
    if nseg > 1:
        if average == "median":
            bias = _median_bias(nseg)
            if dtype_of(pxy).kind == "c":
                pxy = (fnp.median(fnp.real(pxy), axis=-1)
                       + fnp.median(fnp.imag(pxy), axis=-1) * 1j)
            else:
                pxy = fnp.median(pxy, axis=-1)
            pxy = pxy / np.asarray(bias, np.dtype(dtype_of(pxy)).type(0).real.dtype)
        else:
            pxy = fnp.mean(pxy, axis=-1)
    else:
        pxy = fnp.reshape(pxy, shape_of(pxy)[:-1])
    return freqs, pxy


@numpy_outside_transforms(ss.csd, unless_traced=True)
def csd(x, y, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided=True, scaling="density", axis=-1, average="mean"):
    """`scipy.signal.csd`: the cross power spectral density by Welch's method,
    `(f, Pxy)`, differentiable in `x` and `y` (`conj(X) * Y` of the windowed segment
    FFTs, averaged; `average='median'` takes the derivative of the median, which is
    defined where the median is a single element or the mean of two)."""
    same = y is x
    return _csd(x, None if same else y, fs, window, nperseg, noverlap, nfft, detrend,
                return_onesided, scaling, axis, average)


@numpy_outside_transforms(ss.welch, unless_traced=True)
def welch(x, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided=True, scaling="density", axis=-1,
          average="mean"):
    """`scipy.signal.welch`: the power spectral density by Welch's method, `(f, Pxx)`,
    differentiable in `x` (`|X|^2` of the windowed segment FFTs, averaged by mean or
    median).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.signal import welch
        >>> x = np.cos(np.arange(64.0))
        >>> g = fd.grad(lambda x: welch(x, nperseg=16)[1].sum())(x)
        >>> g.shape
        (64,)

        ```
    """
    f, pxx = _csd(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                  scaling, axis, average)
    return f, fnp.real(pxx)


@numpy_outside_transforms(ss.istft, unless_traced=True)
def istft(Zxx, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,  # noqa: N803
          input_onesided=True, boundary=True, time_axis=-1, freq_axis=-2, scaling="spectrum"):
    """`scipy.signal.istft` (the legacy function): the inverse STFT `(t, x)` by weighted
    overlap-add, linear and differentiable in `Zxx`: `funcdiff.numpy.fft.irfft`/`ifft`
    of the segments, the constant window, a scatter-add of the segments, and the
    division by the (constant) sum of squared windows."""
    z = _asarray(Zxx)
    z = z + np.zeros((), np.result_type(dtype_of(z), np.complex64))
    freq_axis, time_axis = int(freq_axis), int(time_axis)
    nd = len(shape_of(z))
    if nd < 2:
        raise ValueError("Input stft must be at least 2d!")
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    nseg = shape_of(z)[time_axis]
    n_default = 2 * (shape_of(z)[freq_axis] - 1) if input_onesided else shape_of(z)[freq_axis]
    if nperseg is None:
        nperseg = n_default
    else:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft = nperseg if input_onesided and nperseg == n_default + 1 else n_default
    elif nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    else:
        nfft = int(nfft)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg - noverlap
    if time_axis != nd - 1 or freq_axis != nd - 2:
        freq_axis %= nd
        time_axis %= nd
        outer = [a for a in range(nd) if a not in (freq_axis, time_axis)]
        z = fnp.transpose(z, outer + [freq_axis, time_axis])
    if isinstance(window, str) or type(window) is tuple:
        win = ss.get_window(window, nperseg)
    else:
        if isinstance(window, Tracer):
            raise NotImplementedError(
                "funcdiff.scipy.signal.istft: a traced `window` is not supported (the window "
                "is a constant); pass a NumPy array or a window name")
        win = np.asarray(window)
        if win.ndim != 1:
            raise ValueError("window must be 1-D")
        if win.shape[0] != nperseg:
            raise ValueError(f"window must have length of {nperseg}")
    ifunc = fnp.fft.irfft if input_onesided else fnp.fft.ifft
    xsubs = ifunc(z, axis=-2, n=nfft)
    xsubs = static_slice(xsubs, (0,) * (nd - 2) + (0, 0),
                         tuple(shape_of(xsubs)[:-2]) + (nperseg, nseg))
    xdtype = np.dtype(dtype_of(xsubs))
    if np.result_type(win, xdtype) != xdtype:
        win = win.astype(xdtype)
    if scaling == "spectrum":
        factor = win.sum()
    elif scaling == "psd":
        factor = np.sqrt(fs * sum(win**2))
    else:
        raise ValueError(f"Parameter {scaling=} not in ['spectrum', 'psd']!")
    frames = fnp.swapaxes(xsubs, -1, -2) * (win * factor)  # (..., nseg, nperseg)
    length = nperseg + (nseg - 1) * nstep
    idx = np.arange(nseg)[:, None] * nstep + np.arange(nperseg)
    norm = np.zeros(length, xdtype)
    np.add.at(norm, idx, np.broadcast_to(win**2, idx.shape))
    x = fnp.zeros(tuple(shape_of(frames)[:-2]) + (length,), xdtype)
    x = at(x)[..., idx].add(frames)
    if boundary:
        lo, hi = nperseg // 2, length - nperseg // 2
        x = static_slice(x, (0,) * (nd - 2) + (lo,), tuple(shape_of(x)[:-1]) + (hi,))
        norm = norm[lo:hi]
    if np.sum(norm > 1e-10) != len(norm):
        warnings.warn("NOLA condition failed, STFT may not be invertible."
                      + (" Possibly due to missing boundary" if not boundary else ""),
                      stacklevel=2)
    x = x / np.where(norm > 1e-10, norm, 1.0)
    if input_onesided:
        x = fnp.real(x)
    if len(shape_of(x)) > 1 and time_axis != nd - 1:
        if freq_axis < time_axis:
            time_axis -= 1
        x = fnp.moveaxis(x, -1, time_axis)
    time = np.arange(shape_of(x)[0]) / float(fs)
    return time, x
