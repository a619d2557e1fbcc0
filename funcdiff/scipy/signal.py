"""`funcdiff.scipy.signal`: convolution, correlation, detrending, short-time Fourier
transforms and spectral densities, differentiable, with SciPy's signatures and values.

Outside transforms every function is SciPy's own; inside a transform each one is
a composition of funcdiff operations, so jvp, grad, vmap, jit and higher orders
work.

Convolution and correlation (`convolve`, `correlate`, `convolve2d`,
`correlate2d`, `fftconvolve`). One primitive, `convolve_full`, computes the full
convolution over the trailing axes of its operands (leading `nbatch` axes are
batch axes that broadcast, which is how `vmap` maps it). `'valid'` and `'same'`
are static slices of the full result. Convolution is bilinear; the transpose in
each operand is a correlation with the other one, which is again
`convolve_full` with the other operand flipped, sliced to the operand's shape:

    ct_in1 = convolve_full(ct, flip(in2))[n2-1 : n2-1+n1]     (per axis)

so derivatives of every order stay inside this one primitive and the shape
primitives. `correlate` is `convolve` with `in2` reversed and conjugated.
`convolve2d`/`correlate2d` extend `in1` by padding for the boundary
(`'fill'` with `fillvalue`, `'wrap'`, `'symm'`) and take the 'valid'
convolution of the extension. `fftconvolve` uses `convolve_full` with the
non-convolved axes as batch axes (SciPy's FFT method computes it).

`detrend` (type `'linear'` with breakpoints `bp`, or `'constant'`) is a linear
projection: the mean's removal, or for `'linear'` the product with its constant
matrix (SciPy's detrend of the identity) for axes of up to 256 points, and
beyond that each segment minus its least-squares line (constant
pseudo-inverses, O(n)); exact derivatives.

`stft`, `istft`, `welch`, `csd` are SciPy's legacy functions (the
`ShortTimeFFT`-based values of SciPy 1.17): boundary extension and padding by
static pads and gathers, segments gathered with constant indices, detrending,
the window (`scipy.signal.get_window`, a constant), `funcdiff.numpy.fft`'s
`rfft`/`fft`, and scaling; `istft` is `irfft`/`ifft`, the window and an
overlap-add (a scatter-add) divided by the constant sum of squared windows.
`stft`/`istft` are linear in the signal; `welch`/`csd` are `conj(X) * Y`
averaged over segments (`average='median'`: the derivative of the median, which
is that of the middle element, or the mean of the two middle ones).

Limits: a traced `window` raises NotImplementedError (windows are constants);
a callable `detrend` must be written with funcdiff operations.
"""

from funcdiff._src.scipy.signal import (
    convolve,
    convolve2d,
    correlate,
    correlate2d,
    csd,
    detrend,
    fftconvolve,
    istft,
    stft,
    welch,
)

__all__ = [
    "convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "detrend", "stft",
    "istft", "welch", "csd",
]
