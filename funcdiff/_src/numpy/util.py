"""The one eager fast path of the NumPy API: `numpy_outside_transforms`.

With no transform active, a `funcdiff.numpy` function is the NumPy function of the same
name, called with the same arguments: funcdiff adds no work there. The decorator says so
once per function instead of a hand-written `if not _state.stack: return np.f(...)`
repeating NumPy's signature (tests/test_fast_paths.py checks decorated functions
against their transformed path).
"""

from __future__ import annotations

import functools

from funcdiff._src.core import _state, has_tracer

__all__ = ["numpy_outside_transforms"]


def numpy_outside_transforms(np_fn, *, unless_traced=False):
    """Decorate a function that mirrors `np_fn`'s signature: called with no transform
    active (with `unless_traced`, also inside one when no argument is or holds a
    tracer), it returns `np_fn(*args, **kwargs)`; otherwise it runs its own body."""

    def decorate(fn):
        if unless_traced:

            def wrapper(*args, **kwargs):
                if not _state.stack or not has_tracer(*args, *kwargs.values()):
                    return np_fn(*args, **kwargs)
                return fn(*args, **kwargs)

        else:

            def wrapper(*args, **kwargs):
                if not _state.stack:
                    return np_fn(*args, **kwargs)
                return fn(*args, **kwargs)

        functools.update_wrapper(wrapper, fn)
        wrapper.numpy_function = np_fn
        return wrapper

    return decorate
