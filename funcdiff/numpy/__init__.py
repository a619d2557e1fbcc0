"""NumPy's API, differentiable: `import funcdiff.numpy as fnp`.

Outside transforms every function returns what NumPy returns (plain
`numpy.ndarray`s and scalars), at NumPy's speed; inside transforms they work
on tracers. The checklist of names is shared/coverage.md.
"""

from funcdiff.numpy import _methods
from funcdiff.numpy._contraction import *  # noqa: F403
from funcdiff.numpy._contraction import __all__ as _contraction_all
from funcdiff.numpy._creation import *  # noqa: F403
from funcdiff.numpy._creation import __all__ as _creation_all
from funcdiff.numpy._elementwise import *  # noqa: F403
from funcdiff.numpy._elementwise import __all__ as _elementwise_all
from funcdiff.numpy._extras import *  # noqa: F403
from funcdiff.numpy._extras import __all__ as _extras_all
from funcdiff.numpy._indexing import *  # noqa: F403
from funcdiff.numpy._indexing import __all__ as _indexing_all
from funcdiff.numpy._reductions import *  # noqa: F403
from funcdiff.numpy._reductions import __all__ as _reductions_all
from funcdiff.numpy._shape import *  # noqa: F403
from funcdiff.numpy._shape import __all__ as _shape_all

__all__ = [
    *_creation_all,
    *_elementwise_all,
    *_reductions_all,
    *_shape_all,
    *_indexing_all,
    *_contraction_all,
    *_extras_all,
]

_methods.attach()

from funcdiff.numpy import fft, linalg  # noqa: E402, F401  (fnp.fft, fnp.linalg)
