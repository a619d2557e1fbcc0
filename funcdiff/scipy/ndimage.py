"""`funcdiff.scipy.ndimage`: SciPy's `scipy.ndimage`, differentiable.

(Module documentation: what is here, how derivatives are computed, limits.)
"""

from funcdiff._src.scipy.ndimage import *  # noqa: F403
from funcdiff._src.scipy.ndimage import __all__  # noqa: F401
