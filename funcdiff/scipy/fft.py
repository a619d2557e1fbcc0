"""`funcdiff.scipy.fft`: SciPy's `scipy.fft`, differentiable.

(Module documentation: what is here, how derivatives are computed, limits.)
"""

from funcdiff._src.scipy.fft import *  # noqa: F403
from funcdiff._src.scipy.fft import __all__  # noqa: F401
