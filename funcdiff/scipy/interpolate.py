"""`funcdiff.scipy.interpolate`: SciPy's `scipy.interpolate`, differentiable.

(Module documentation: what is here, how derivatives are computed, limits.)
"""

from funcdiff._src.scipy.interpolate import *  # noqa: F403
from funcdiff._src.scipy.interpolate import __all__  # noqa: F401
