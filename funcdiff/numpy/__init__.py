"""NumPy's API, differentiable: `import funcdiff.numpy as fnp`.

Outside transforms every function returns what NumPy returns (plain
`numpy.ndarray`s and scalars), at NumPy's speed; inside transforms they work
on tracers. The checklist of names is shared/coverage.md.
"""

from funcdiff.numpy import (
    _contraction,
    _creation,
    _elementwise,
    _extras,
    _indexing,
    _methods,
    _reductions,
    _shape,
)
from funcdiff.numpy._contraction import *  # noqa: F403
from funcdiff.numpy._creation import *  # noqa: F403
from funcdiff.numpy._elementwise import *  # noqa: F403
from funcdiff.numpy._extras import *  # noqa: F403
from funcdiff.numpy._indexing import *  # noqa: F403
from funcdiff.numpy._reductions import *  # noqa: F403
from funcdiff.numpy._shape import *  # noqa: F403

# the public names are the families' `__all__` (each private module lists its own)
__all__ = [
    *_creation.__all__,
    *_elementwise.__all__,
    *_reductions.__all__,
    *_shape.__all__,
    *_indexing.__all__,
    *_contraction.__all__,
    *_extras.__all__,
]

_methods.attach()

from funcdiff.numpy import fft, linalg  # noqa: E402, F401  (fnp.fft, fnp.linalg)
