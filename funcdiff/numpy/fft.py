"""`funcdiff.numpy.fft`: NumPy's discrete Fourier transforms, differentiable.

Outside transforms every function is `numpy.fft`'s own. Inside transforms the
transforms bind the one linear primitive of `funcdiff._src.lax.fft` (over
all requested axes at once), after zero padding or truncating the input to
the lengths `n`/`s` with the slice primitives; `fftshift`/`ifftshift` are
`roll`s and `fftfreq`/`rfftfreq` are constants (differentiable in a traced
sample spacing `d`). Values, shapes and dtypes are NumPy's: integer inputs
are computed in double precision, float32/complex64 stay single precision.

Derivatives follow JAX's convention (vjp is linear, not conjugate-linear):
the transpose of `fft` is `fft` and of `ifft` is `ifft`; `rfft`'s cotangent is
real, and `irfft`'s cotangent has real DC and Nyquist bins (the parts of the
input that `irfft` reads). So for a real `f(x) = sum(abs(fft(x))**2)`,
`grad(f)(x) == 2 * n * x`.

Example:
    ```python
    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> import funcdiff.numpy.fft as ffft
    >>> x = fnp.array([1.0, 2.0, 3.0, 4.0])
    >>> fd.grad(lambda x: fnp.sum(fnp.abs(ffft.fft(x)) ** 2))(x).tolist()
    [8.0, 16.0, 24.0, 32.0]

    ```
"""

from funcdiff._src.numpy.fft import *  # noqa: F403
from funcdiff._src.numpy.fft import __all__  # noqa: F401
