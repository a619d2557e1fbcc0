"""The discrete Fourier transform as one linear primitive, `fft`.

`fft_p` computes an n-dimensional transform over static, distinct, non-negative
`axes` with transform lengths `s`, normalization `norm` ("backward", "ortho"
or "forward") and `fft_type`:

- "fft" / "ifft": complex -> complex (real inputs are promoted), `s` equals the
  input's lengths along `axes`;
- "rfft": real -> complex, the last axis shrinks to `s[-1] // 2 + 1`;
- "irfft": complex -> real, the last axis of the input has `s[-1] // 2 + 1`
  entries (a half spectrum) and the output `s[-1]`.

Padding and truncation (NumPy's `n`/`s`) are done by the callers with the
slice primitives, so the primitive itself never changes lengths except for the
half spectrum. The implementation is `numpy.fft`'s n-dimensional function, so
values and dtypes are NumPy's (float32/complex64 stay single precision).

Transposes (JAX's convention: linear, not conjugate-linear). The unnormalized
DFT matrix is symmetric, so `fft` and `ifft` are their own transposes (same
norm). With `w` the weights of the half spectrum along the last axis
(1 for the DC bin and, for even `n`, the Nyquist bin; 2 for the others),
`irfft(c)[t] = f * sum_k w_k Re(c_k e^{+2 pi i k t / n})`, which gives

    rfft^T(g)  = irfft(conj(g) / w, norm=swap(norm))     (a real cotangent)
    irfft^T(u) = w * conj(rfft(u, norm=swap(norm)))      (DC/Nyquist real)

where `swap` exchanges "backward" and "forward" (the scale `f` is the same).
The n-dimensional forms follow because `conj(fft(conj(z), swap(norm))) ==
ifft(z, norm)` along the other axes. Each rule is built from `fft_p`, `conj`
and multiplication by a constant, so derivatives of any order stay inside it.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src import backend
from funcdiff._src.core import ShapedArray, _state, dtype_of, shape_of
from funcdiff._src.lax.elementwise import conj, convert_element_type, real
from funcdiff._src.lax.shape import linear_primitive

__all__ = ["fft_p", "fft", "swap_norm", "half_weights"]

_NUMPY_FN = {
    "fft": np.fft.fftn,
    "ifft": np.fft.ifftn,
    "rfft": np.fft.rfftn,
    "irfft": np.fft.irfftn,
}
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def swap_norm(norm):
    """The normalization of the opposite direction with the same scale factor."""
    return _SWAP[norm]


def half_weights(n, dtype):
    """Weights of the `n // 2 + 1` half-spectrum bins: 1 at DC (and even-`n` Nyquist), else 2."""
    w = np.full(n // 2 + 1, 2.0, dtype)
    w[0] = 1
    if n % 2 == 0:
        w[-1] = 1
    return w


def _real_dtype(x):
    return np.finfo(dtype_of(x)).dtype


def _along(w, axis, ndim):
    """The 1-d constant `w` shaped to broadcast along `axis` of an `ndim`-d array."""
    return w.reshape(w.shape + (1,) * (ndim - 1 - axis))


def _as_primal(ct, x):
    """`ct` with the primal's dtype (a real primal gets the real part)."""
    return ct if dtype_of(ct) == dtype_of(x) else convert_element_type(ct, dtype_of(x))


# -- the primitive ---------------------------------------------------------------------------
def _fft_impl(x, fft_type, axes, s, norm):
    return _NUMPY_FN[fft_type](x, s=s, axes=axes, norm=norm)


def _fft_transpose(g, primals, argnums, fft_type, axes, s, norm):
    (x,) = primals
    last, nd = axes[-1], len(shape_of(g))
    if fft_type in ("fft", "ifft"):
        ct = fft(g, fft_type, axes, s, norm)
    elif fft_type == "rfft":
        inv_w = _along(1 / half_weights(s[-1], _real_dtype(g)), last, nd)
        ct = fft(conj(g) * inv_w, "irfft", axes, s, swap_norm(norm))
    else:  # irfft: the output (and its cotangent) is real
        if dtype_of(g).kind == "c":
            g = real(g)
        spec = fft(g, "rfft", axes, s, swap_norm(norm))
        ct = conj(spec) * _along(half_weights(s[-1], _real_dtype(spec)), last, nd)
    return [_as_primal(ct, x)]


fft_p = linear_primitive("fft", _fft_impl, _fft_transpose)


def _fft_abstract_eval(a, fft_type, axes, s, norm):
    shape = list(a.shape)
    for ax, n in zip(axes, s):
        shape[ax] = n
    dtype = a.dtype
    if fft_type == "irfft":
        if len(axes) > 1:  # NumPy runs ifft over the other axes first
            dtype = np.result_type(dtype, 1j)
        dtype = np.result_type(np.finfo(dtype).dtype if dtype.kind == "c" else dtype, 1.0)
    else:
        dtype = np.result_type(dtype, 1j)
        if fft_type == "rfft":
            shape[axes[-1]] = s[-1] // 2 + 1
    return ShapedArray(shape, dtype)


def _fft_batch(args, dims, fft_type, axes, s, norm):
    (x,), (d,) = args, dims
    return fft(x, fft_type, tuple(a + (a >= d) for a in axes), s, norm), d


fft_p.abstract_eval = _fft_abstract_eval


def _fft_xp(xp, x, fft_type, axes, s, norm):
    if backend.library_of(x) == "dask":  # (Dask transforms along axes of one chunk)
        x = x.rechunk({a: -1 for a in axes})
    if fft_type in ("fft", "ifft") and not xp.isdtype(x.dtype, "complex floating"):
        x = xp.astype(x, xp.complex64 if x.dtype == xp.float32 else xp.complex128)
    return getattr(xp.fft, fft_type + "n")(x, s=s, axes=axes, norm=norm)


fft_p.xp_impl = _fft_xp
fft_p.batch = _fft_batch


def fft(x, fft_type, axes, s, norm):
    """Bind `fft_p` (no transform active: call NumPy). Lengths must already match `s`.

    Example:
        ```python
        x = np.arange(24.0).reshape(4, 6)
        y = fft(x, "rfft", axes=(0, 1), s=x.shape, norm="ortho")
        assert np.allclose(y, np.fft.rfft2(x, norm="ortho"))
        ```
    """
    params = dict(fft_type=fft_type, axes=tuple(axes), s=tuple(s), norm=norm)
    if _state.stack:
        return fft_p.bind(x, **params)
    return _fft_impl(x, **params)
