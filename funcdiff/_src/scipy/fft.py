"""The implementation of `funcdiff.scipy.fft`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft as _sf

from funcdiff import numpy as fnp
from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = ["dct", "idct", "dctn", "idctn"]


@functools.lru_cache(maxsize=64)
def _matrix(inverse, type, m, n, norm, orthogonalize):  # noqa: A002  (SciPy's name)
    """The (n_out, m) matrix of SciPy's (i)dct of a length-m axis: SciPy applied to the
    identity, so the values (padding, truncation, norm, orthogonalize) are SciPy's own."""
    fn = _sf.idct if inverse else _sf.dct
    mat = fn(np.eye(m), type=type, n=n, axis=0, norm=norm, orthogonalize=orthogonalize)
    mat.setflags(write=False)
    return mat


def _out_dtype(x, inverse, type):  # noqa: A002
    """SciPy's result dtype for an input of `x`'s dtype."""
    fn = _sf.idct if inverse else _sf.dct
    return fn(np.zeros(2, dtype_of(x)), type=type if type in (1, 2, 3, 4) else 2).dtype


# Axes longer than this use the FFT (O(n log n)) instead of the cached matrix (O(n^2)).
_MATRIX_MAX = 256
_FORWARD_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}  # idct of type t is the dct of this type


def _pad_or_cut(x, n):
    m = shape_of(x)[-1]
    if n == m:
        return x
    if n < m:
        return x[..., :n]
    return fnp.pad(x, ((0, 0),) * (len(shape_of(x)) - 1) + ((0, n - m),))


def _raw_dct(x, t):
    """The unnormalized DCT of type t (SciPy's 'backward' definitions) of the real
    last axis, by FFTs of zero-interleaved extensions (funcdiff operations)."""
    n = shape_of(x)[-1]
    lead = tuple(shape_of(x)[:-1])
    if t == 1:
        if n < 2:
            raise ValueError("Invalid number of DCT data points (1) specified.")
        y = 2 * fnp.real(fnp.fft.fft(x, n=2 * (n - 1)))[..., :n]
        sign = (-1.0) ** np.arange(n)
        return y - x[..., :1] - x[..., n - 1:] * sign
    if t == 3:
        y = 2 * fnp.real(fnp.fft.fft(x, n=4 * n))[..., 1:2 * n:2]
        return y - x[..., :1]
    # types 2 and 4: x at the odd positions of a zero sequence of length 4n (8n)
    size = 4 * n if t == 2 else 8 * n
    u = fnp.reshape(fnp.stack([fnp.zeros(lead + (n,), dtype_of(x)), x], axis=-1), lead + (2 * n,))
    y = 2 * fnp.real(fnp.fft.fft(u, n=size))
    return y[..., :n] if t == 2 else y[..., 1:2 * n:2]


def _fft_transform(x, inverse, t, n, norm, orthogonalize):
    """SciPy's (i)dct along the last axis of a real x by `_raw_dct` and SciPy's scalings."""
    if n is not None:
        if n < 1:
            raise ValueError(f"invalid number of data points ({n}) specified")
        x = _pad_or_cut(x, n)
    size = shape_of(x)[-1]
    norm = "backward" if norm is None else norm
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm!r}, should be "backward", "ortho" or '
                         '"forward"')
    orth = norm == "ortho" if orthogonalize is None else bool(orthogonalize)
    ft = _FORWARD_TYPE[t] if inverse else t
    period = 2.0 * (size - 1) if t == 1 else 2.0 * size
    if norm == "ortho":
        scale = 1 / np.sqrt(period)
    elif (norm == "forward") != inverse:
        scale = 1 / period
    else:
        scale = 1.0
    root2 = np.sqrt(2.0)
    ends = [0, size - 1] if ft == 1 else [0]
    if orth and ft in (1, 3):  # the first (and for type 1 last) input scaled by sqrt(2)
        w = np.ones(size)
        w[ends] = root2
        x = x * w
    y = _raw_dct(x, ft) * scale
    if orth and ft in (1, 2):  # the first (and for type 1 last) output divided by sqrt(2)
        w = np.ones(size)
        w[ends] = 1 / root2
        y = y * w
    return y


def _transform(x, inverse, type, n, axis, norm, orthogonalize):  # noqa: A002
    x = asarray(x)
    shape = shape_of(x)
    if not shape:
        raise ValueError("dct/idct: the input must have at least one dimension")
    axis = int(axis)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {len(shape)}")
    n = None if n is None else int(n)
    dtype = _out_dtype(x, inverse, type)
    real = np.dtype(dtype).type(0).real.dtype
    x = convert_element_type(x, dtype)
    moved = fnp.moveaxis(x, axis, -1)
    if max(shape[axis], n or 0) <= _MATRIX_MAX or type not in (1, 2, 3, 4):
        mat = _matrix(inverse, int(type), shape[axis], n, norm, orthogonalize)
        out = fnp.matmul(moved, mat.T.astype(real))
    else:
        def one(part):
            out = _fft_transform(part, inverse, int(type), n, norm, orthogonalize)
            return convert_element_type(out, real)

        if np.dtype(dtype).kind == "c":
            out = one(fnp.real(moved)) + 1j * one(fnp.imag(moved))
            out = convert_element_type(out, dtype)
        else:
            out = one(moved)
    return fnp.moveaxis(out, -1, axis)


def _axes_and_sizes(shape, s, axes):
    """SciPy's rules for `s` and `axes` of dctn/idctn."""
    nd = len(shape)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    elif np.ndim(axes) == 0:
        axes = [int(axes)]
    else:
        axes = [int(a) for a in axes]
    if s is None:
        s = [None] * len(axes)
    elif np.ndim(s) == 0:
        s = [int(s)]
    else:
        s = [int(k) for k in s]
    if len(s) != len(axes):
        raise ValueError("when given, axes and shape arguments have to be of the same length")
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(f"axes exceeds dimensionality of input (axis {a}, ndim {nd})")
    if len({a % nd for a in axes}) != len(axes):
        raise ValueError("all axes must be unique")
    return axes, s


def _n_transform(x, inverse, type, s, axes, norm, orthogonalize):  # noqa: A002
    x = asarray(x)
    axes, s = _axes_and_sizes(shape_of(x), s, axes)
    for a, n in zip(axes, s):
        x = _transform(x, inverse, type, n, a, norm, orthogonalize)
    if not axes:
        x = convert_element_type(x, _out_dtype(x, inverse, type))
    return x


@numpy_outside_transforms(_sf.dct, unless_traced=True)
def dct(x, type=2, n=None, axis=-1, norm=None, overwrite_x=False, workers=None,  # noqa: A002
        orthogonalize=None):
    """`scipy.fft.dct`: the discrete cosine transform (types 1-4), linear, so its JVP is
    the same transform and its VJP the transposed one (exact).

    Inside a transform the DCT is the product with the transform's matrix (SciPy's own
    DCT applied to the identity, cached per size and options) for axes of up to 256
    points, and FFTs of a zero-interleaved extension with SciPy's scalings beyond, so
    every `norm` and `orthogonalize` option and the padding/truncation of `n` match
    SciPy.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.fft import dct
        >>> x = np.array([1.0, 2.0, 0.5])
        >>> np.allclose(fd.jvp(lambda x: dct(x, norm="ortho"), (x,), (x,))[1],
        ...             dct(x, norm="ortho"))
        True

        ```
    """
    return _transform(x, False, type, n, axis, norm, orthogonalize)


@numpy_outside_transforms(_sf.idct, unless_traced=True)
def idct(x, type=2, n=None, axis=-1, norm=None, overwrite_x=False, workers=None,  # noqa: A002
         orthogonalize=None):
    """`scipy.fft.idct`: the inverse discrete cosine transform (types 1-4), linear (exact
    JVP/VJP, as for `dct`)."""
    return _transform(x, True, type, n, axis, norm, orthogonalize)


@numpy_outside_transforms(_sf.dctn, unless_traced=True)
def dctn(x, type=2, s=None, axes=None, norm=None, overwrite_x=False,  # noqa: A002
         workers=None, *, orthogonalize=None):
    """`scipy.fft.dctn`: the n-dimensional DCT, one `dct` per axis in `axes` (linear:
    exact JVP/VJP).

    Example:
        ```python
        >>> import numpy as np
        >>> from funcdiff.scipy.fft import dctn, idctn
        >>> x = np.arange(6.0).reshape(2, 3)
        >>> np.allclose(idctn(dctn(x, norm="ortho"), norm="ortho"), x)
        True

        ```
    """
    return _n_transform(x, False, type, s, axes, norm, orthogonalize)


@numpy_outside_transforms(_sf.idctn, unless_traced=True)
def idctn(x, type=2, s=None, axes=None, norm=None, overwrite_x=False,  # noqa: A002
          workers=None, orthogonalize=None):
    """`scipy.fft.idctn`: the n-dimensional inverse DCT, one `idct` per axis (linear:
    exact JVP/VJP)."""
    return _n_transform(x, True, type, s, axes, norm, orthogonalize)
