"""NumPy's API, differentiable: `import funcdiff.numpy as fnp`.

Outside transforms every function returns what NumPy returns (plain
`numpy.ndarray`s and scalars), at NumPy's speed; inside transforms they work
on tracers. The list of names, with what each supports, is docs/coverage.md.
"""

from funcdiff._src.numpy import methods as _methods  # noqa: F401  (Tracer's operators: see Tracer)
from funcdiff._src.numpy.contraction import *  # noqa: F403
from funcdiff._src.numpy.creation import *  # noqa: F403
from funcdiff._src.numpy.dispatch import NUMPY_FAMILIES as _FAMILIES
from funcdiff._src.numpy.elementwise import *  # noqa: F403
from funcdiff._src.numpy.extras import *  # noqa: F403
from funcdiff._src.numpy.indexing import *  # noqa: F403
from funcdiff._src.numpy.reductions import *  # noqa: F403
from funcdiff._src.numpy.scalars import *  # noqa: F403
from funcdiff._src.numpy.shape import *  # noqa: F403
from funcdiff.numpy import fft, linalg  # noqa: F401  (fnp.fft, fnp.linalg)

# the public names: the families' `__all__` (each implementation module lists its own)
__all__ = [name for family in _FAMILIES for name in family.__all__]

# vectorize maps with vmap, a layer above the families: imported last, when they are all here
from funcdiff._src.api.vectorize import vectorize  # noqa: E402

__all__ += ["vectorize"]

# NumPy's abstract scalar types and constants of these names, re-exported
from numpy import (  # noqa: E402
    character,
    euler_gamma,
    flexible,
    generic,
    object_,
    signedinteger,
    ufunc,
    unsignedinteger,
)

__all__ += ["character", "flexible", "generic", "object_", "signedinteger",
            "unsignedinteger", "ufunc", "euler_gamma"]
