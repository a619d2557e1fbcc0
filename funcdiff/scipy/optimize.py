"""`funcdiff.scipy.optimize`: SciPy's `scipy.optimize`, differentiable.

(Module documentation: what is here, how derivatives are computed, limits.)
"""

from funcdiff._src.scipy.optimize import *  # noqa: F403
from funcdiff._src.scipy.optimize import __all__  # noqa: F401
