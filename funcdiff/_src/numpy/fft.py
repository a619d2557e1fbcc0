"""The implementation of `funcdiff.numpy.fft`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.lax import fft as pf
from funcdiff._src.lax import shape as sp
from funcdiff._src.lax.elementwise import conj, convert_element_type
from funcdiff._src.numpy.shape import _arr, roll
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]


# -- argument handling (NumPy's rules and errors) ---------------------------------------------
def _no_out(out, name):
    if out is not None:
        raise TypeError(
            f"funcdiff.numpy.fft.{name}(..., out=...) cannot write into an array inside a "
            "funcdiff transform; drop `out=` and use the returned value."
        )


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or "forward".')
    return norm


def _prepare(a, kind, out, name):
    """The input as a float or complex tracer/array (integers computed in float64)."""
    _no_out(out, name)
    x = _arr(a)
    kind_char = dtype_of(x).kind
    if kind == "rfft" and kind_char == "c":
        raise TypeError(f"{name}: the input must be real, got dtype {dtype_of(x)}")
    if kind_char not in "fc":
        x = convert_element_type(x, np.float64)
    return x


def _cook(shape, s, axes, irfft):
    """NumPy's defaults for `s` and `axes` of the n-dimensional transforms."""
    shapeless = s is None
    if s is None:
        s = [shape[a] for a in range(len(shape))] if axes is None else [shape[a] for a in axes]
    s = list(s)
    if axes is None:
        if not shapeless:
            warnings.warn(
                "`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy 2.0). "
                "Pass a sequence [0, ..., k-1] to `axes` for an array of dimension k.",
                DeprecationWarning,
                stacklevel=4,
            )
        axes = list(range(-len(s), 0))
    axes = list(axes)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if irfft and shapeless:
        s[-1] = (shape[axes[-1]] - 1) * 2
    if None in s:
        warnings.warn(
            "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0; "
            "pass the default length instead.",
            DeprecationWarning,
            stacklevel=4,
        )
        last = len(s) - 1
        s = [
            ((shape[a] - 1) * 2 if irfft and i == last else shape[a]) if n is None else n
            for i, (n, a) in enumerate(zip(s, axes))
        ]
    return [shape[a] if n == -1 else n for n, a in zip(s, axes)], axes


def _resize(x, axes, lengths):
    """Truncate or zero-pad `x` along `axes` to `lengths` (slice primitives: linear)."""
    shape = shape_of(x)
    target = list(shape)
    for ax, n in zip(axes, lengths):
        target[ax] = n
    if any(t < n for t, n in zip(target, shape)):
        x = sp.static_slice(x, None, [min(t, n) for t, n in zip(target, shape)], None)
    cur = shape_of(x)
    if tuple(target) != cur:
        nd = len(cur)
        x = sp.slice_transpose(x, tuple(target), (0,) * nd, cur, (1,) * nd)
    return x


def _transform(x, kind, s, axes, norm):
    """The `kind` transform of a prepared `x` over `axes` with lengths `s` (NumPy's order)."""
    nd = len(shape_of(x))
    axes = [normalize_axis_index(operator.index(a), nd) for a in axes]
    s = [operator.index(n) for n in s]
    for n in s:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    if not axes:
        if kind in ("rfft", "irfft"):
            raise IndexError("list index out of range")
        return x
    if len(set(axes)) < len(axes):  # an axis repeated: NumPy's sequence of 1-d transforms
        last = len(axes) - 1
        if kind in ("fft", "ifft"):
            for i in reversed(range(len(axes))):
                x = _transform(x, kind, [s[i]], [axes[i]], norm)
        elif kind == "rfft":
            x = _transform(x, "rfft", [s[last]], [axes[last]], norm)
            for i in reversed(range(last)):
                x = _transform(x, "fft", [s[i]], [axes[i]], norm)
        else:
            for i in range(last):
                x = _transform(x, "ifft", [s[i]], [axes[i]], norm)
            x = _transform(x, "irfft", [s[last]], [axes[last]], norm)
        return x
    lengths = s[:-1] + [s[-1] // 2 + 1] if kind == "irfft" else s
    return pf.fft(_resize(x, axes, lengths), kind, axes, s, norm)


def _one(a, kind, n, axis, norm, out, name):
    """A 1-d transform inside a transform (NumPy's default `n`)."""
    x = _prepare(a, kind, out, name)
    if n is None:
        m = shape_of(x)[axis]
        n = (m - 1) * 2 if kind == "irfft" else m
    return _transform(x, kind, [n], [axis], _norm(norm))


def _nd(a, kind, s, axes, norm, out, name):
    x = _prepare(a, kind, out, name)
    s, axes = _cook(shape_of(x), s, axes, kind == "irfft")
    return _transform(x, kind, s, axes, _norm(norm))


# -- complex transforms -----------------------------------------------------------------------
@numpy_outside_transforms(np.fft.fft, unless_traced=True)
def fft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.fft`: the 1-d discrete Fourier transform, differentiable.

    `n` zero-pads or truncates the input along `axis`; `norm` is "backward"
    (default, no scaling), "ortho" (1/sqrt(n)) or "forward" (1/n).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.fft([1.0, 0.0, 0.0, 0.0]).tolist()
        [(1+0j), (1+0j), (1+0j), (1+0j)]

        ```
    """
    return _one(a, "fft", n, axis, norm, out, "fft")


@numpy_outside_transforms(np.fft.ifft, unless_traced=True)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.ifft`: the 1-d inverse transform (scaled by 1/n by default).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.ifft([4.0, 0.0, 0.0, 0.0]).real.tolist()
        [1.0, 1.0, 1.0, 1.0]

        ```
    """
    return _one(a, "ifft", n, axis, norm, out, "ifft")


@numpy_outside_transforms(np.fft.fftn, unless_traced=True)
def fftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.fftn`: the n-d transform over `axes` (default all), lengths `s`.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.fftn(np.ones((2, 3)))[0, 0]
        np.complex128(6+0j)

        ```
    """
    return _nd(a, "fft", s, axes, norm, out, "fftn")


@numpy_outside_transforms(np.fft.ifftn, unless_traced=True)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.ifftn`: the n-d inverse transform over `axes` (default all).

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.ifftn(ffft.fftn(np.eye(2))).real.tolist()
        [[1.0, 0.0], [0.0, 1.0]]

        ```
    """
    return _nd(a, "ifft", s, axes, norm, out, "ifftn")


@numpy_outside_transforms(np.fft.fft2, unless_traced=True)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.fft2`: `fftn` over the last two axes.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.fft2(np.ones((2, 2))).real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]

        ```
    """
    return _nd(a, "fft", s, axes, norm, out, "fft2")


@numpy_outside_transforms(np.fft.ifft2, unless_traced=True)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.ifft2`: `ifftn` over the last two axes.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.ifft2(np.full((2, 2), 4.0)).real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]

        ```
    """
    return _nd(a, "ifft", s, axes, norm, out, "ifft2")


# -- real transforms ----------------------------------------------------------------------------
@numpy_outside_transforms(np.fft.rfft, unless_traced=True)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.rfft`: the transform of real input, `n // 2 + 1` nonnegative frequencies.

    Its vjp maps a complex cotangent to a real one (the input is real).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.rfft([1.0, 1.0, 1.0, 1.0]).tolist()
        [(4+0j), 0j, 0j]

        ```
    """
    return _one(a, "rfft", n, axis, norm, out, "rfft")


@numpy_outside_transforms(np.fft.irfft, unless_traced=True)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.irfft`: the inverse of `rfft`, a real output of length `n`.

    `n` defaults to `2 * (m - 1)` for `m` input bins; the imaginary parts of the
    DC bin (and of the Nyquist bin for even `n`) are ignored, so their
    derivatives are zero.

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.irfft([4.0, 0.0, 0.0]).tolist()
        [1.0, 1.0, 1.0, 1.0]

        ```
    """
    return _one(a, "irfft", n, axis, norm, out, "irfft")


@numpy_outside_transforms(np.fft.rfftn, unless_traced=True)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.rfftn`: `rfft` over the last of `axes`, then `fft` over the others.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.rfftn(np.ones((2, 4))).shape
        (2, 3)

        ```
    """
    return _nd(a, "rfft", s, axes, norm, out, "rfftn")


@numpy_outside_transforms(np.fft.irfftn, unless_traced=True)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.irfftn`: the inverse of `rfftn` (`s[-1]` is the real output length).

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> x = np.arange(6.0).reshape(2, 3)
        >>> bool(np.allclose(ffft.irfftn(ffft.rfftn(x), x.shape, axes=(0, 1)), x))
        True

        ```
    """
    return _nd(a, "irfft", s, axes, norm, out, "irfftn")


@numpy_outside_transforms(np.fft.rfft2, unless_traced=True)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.rfft2`: `rfftn` over the last two axes.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.rfft2(np.ones((3, 4))).shape
        (3, 3)

        ```
    """
    return _nd(a, "rfft", s, axes, norm, out, "rfft2")


@numpy_outside_transforms(np.fft.irfft2, unless_traced=True)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.irfft2`: `irfftn` over the last two axes.

    Example:
        ```python
        >>> import numpy as np, funcdiff.numpy.fft as ffft
        >>> ffft.irfft2(np.ones((3, 3))).shape
        (3, 4)

        ```
    """
    return _nd(a, "irfft", s, axes, norm, out, "irfft2")


@numpy_outside_transforms(np.fft.hfft, unless_traced=True)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.hfft`: the transform of a Hermitian-symmetric signal (a real spectrum).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.hfft([1.0, 0.0, 0.0]).tolist()
        [1.0, 1.0, 1.0, 1.0]

        ```
    """
    _no_out(out, "hfft")
    return irfft(conj(_arr(a)), n, axis, pf.swap_norm(_norm(norm)))


@numpy_outside_transforms(np.fft.ihfft, unless_traced=True)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.ihfft`: the inverse of `hfft` (real input, half spectrum).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.ihfft([1.0, 1.0, 1.0, 1.0]).tolist()
        [(1-0j), -0j, -0j]

        ```
    """
    _no_out(out, "ihfft")
    return conj(rfft(a, n, axis, pf.swap_norm(_norm(norm))))


# -- helpers: shifts and frequencies --------------------------------------------------------------
def _shifts(x, axes, sign):
    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        return sign * (shape[axes] // 2), axes
    return [sign * (shape[ax] // 2) for ax in axes], tuple(axes)


@numpy_outside_transforms(np.fft.fftshift, unless_traced=True)
def fftshift(x, axes=None):
    """`numpy.fft.fftshift`: move the zero frequency to the center (a `roll`, linear).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.fftshift(ffft.fftfreq(4)).tolist()
        [-0.5, -0.25, 0.0, 0.25]

        ```
    """
    x = _arr(x)
    shift, axes = _shifts(x, axes, 1)
    return roll(x, shift, axes) if axes != () else x


@numpy_outside_transforms(np.fft.ifftshift, unless_traced=True)
def ifftshift(x, axes=None):
    """`numpy.fft.ifftshift`: the inverse of `fftshift` (they differ for odd lengths).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.ifftshift([-1.0, 0.0, 1.0]).tolist()
        [0.0, 1.0, -1.0]

        ```
    """
    x = _arr(x)
    shift, axes = _shifts(x, axes, -1)
    return roll(x, shift, axes) if axes != () else x


def _freq_ints(n, real):
    if not isinstance(n, (int, np.integer)):
        raise ValueError("n should be an integer")
    if real:
        return np.arange(0, n // 2 + 1, dtype=int)
    return np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)]).astype(int)


def _check_device(device):
    if device not in (None, "cpu"):
        raise ValueError(f'Unsupported device {device!r}; only "cpu" is supported')


@numpy_outside_transforms(np.fft.fftfreq, unless_traced=True)
def fftfreq(n, d=1.0, device=None):
    """`numpy.fft.fftfreq`: the sample frequencies of `fft` (a constant; linear in 1/`d`).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.fftfreq(4, d=0.5).tolist()
        [0.0, 0.5, -1.0, -0.5]

        ```
    """
    _check_device(device)
    return _freq_ints(n, False) * (1.0 / (n * d))


@numpy_outside_transforms(np.fft.rfftfreq, unless_traced=True)
def rfftfreq(n, d=1.0, device=None):
    """`numpy.fft.rfftfreq`: the sample frequencies of `rfft` (the Nyquist one positive).

    Example:
        ```python
        >>> import funcdiff.numpy.fft as ffft
        >>> ffft.rfftfreq(4).tolist()
        [0.0, 0.25, 0.5]

        ```
    """
    _check_device(device)
    return _freq_ints(n, True) * (1.0 / (n * d))
