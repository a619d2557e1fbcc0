"""`funcdiff.scipy.fft`: the discrete cosine transforms `dct`, `idct`, `dctn`, `idctn`.

SciPy's signatures and values: types 1-4, `n` (zero-padding or truncation),
`axis`, `norm` (`None`/`'backward'`, `'ortho'`, `'forward'`) and
`orthogonalize`; `dctn`/`idctn` take `s` and `axes` and transform one axis after
the other. Outside transforms each function is SciPy's own.

Inside a transform a DCT along an axis of length m is computed in one of two
ways, both compositions of funcdiff operations:

- axes of up to 256 points: the product with the transform's (n, m) matrix,
  SciPy's own transform applied to the identity (computed once per size and
  options, cached), so every option's values are SciPy's;
- longer axes: FFTs (`funcdiff.numpy.fft.fft`) of the input zero-interleaved
  into a sequence of length 2(m-1), 4m or 8m (types 1, 2/3, 4), real parts,
  and SciPy's scalings for `norm` and `orthogonalize` (O(n log n)).

The transforms are linear, so the JVP is the same transform of the tangent and
the VJP the transposed one: exact, `<vjp(u), v> == <u, jvp(v)>` to rounding.
Complex inputs transform their real and imaginary parts; float32 stays
float32, integers become float64, as in SciPy.

Limits: `overwrite_x` and `workers` are accepted and ignored inside transforms.
"""

from funcdiff._src.scipy.fft import dct, dctn, idct, idctn

__all__ = ["dct", "idct", "dctn", "idctn"]
