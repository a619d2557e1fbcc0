"""The one eager fast path of the NumPy API: `numpy_outside_transforms`.

With no transform active, a `funcdiff.numpy` function is the NumPy function of the same
name, called with the same arguments: funcdiff adds no work there. The decorator says so
once per function instead of a hand-written `if not _state.stack: return np.f(...)`
repeating NumPy's signature (tests/test_fast_paths.py checks decorated functions
against their transformed path).
"""

from __future__ import annotations

import functools

import numpy as np

from funcdiff._src.core import Tracer, _state, copy_tracer, has_tracer

__all__ = ["numpy_outside_transforms", "returns_new"]


def _numpy_kwargs(kwargs, own):
    """`kwargs` without the funcdiff-only ones (`own`) left at None."""
    if not own:
        return kwargs
    return {k: v for k, v in kwargs.items() if not (k in own and v is None)}


def numpy_outside_transforms(np_fn, *, unless_traced=False, own=()):
    """Decorate a function that mirrors `np_fn`'s signature: called with no transform
    active (with `unless_traced`, also inside one when no argument is or holds a
    tracer), it returns `np_fn(*args, **kwargs)`; otherwise it runs its own body.
    `own`: keyword arguments NumPy does not have (JAX's `size=`): given (not None),
    the body always runs."""

    def decorate(fn):
        if unless_traced:

            def wrapper(*args, **kwargs):
                if (not _state.stack or not has_tracer(*args, *kwargs.values())) and not (
                        own and any(kwargs.get(k) is not None for k in own)):
                    return np_fn(*args, **_numpy_kwargs(kwargs, own))
                return fn(*args, **kwargs)

        else:

            def wrapper(*args, **kwargs):
                if not _state.stack and not (
                        own and any(kwargs.get(k) is not None for k in own)):
                    return np_fn(*args, **_numpy_kwargs(kwargs, own))
                return fn(*args, **kwargs)

        functools.update_wrapper(wrapper, fn)
        wrapper.numpy_function = np_fn
        return wrapper

    return decorate


def returns_new(fn):
    """Decorate a function whose NumPy counterpart returns a new array (`copy`, `tile`,
    `flatten`, ...), where funcdiff's may give one of its arguments back or a view of it
    (a reshape, a broadcast): its result is a new box, so that writing into the result
    later does not change an argument, nor the other way round (as in NumPy)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _fresh(fn(*args, **kwargs), args)

    return wrapper


def _fresh(out, args):
    if isinstance(out, Tracer):
        # a view (its bookkeeping says so) or an argument's box: a new box
        if getattr(out, "_mut", None) is not None or any(out is a for a in _leaves(args)):
            return copy_tracer(out)
        return out
    if type(out) is np.ndarray and any(
            out is a or (type(a) is np.ndarray and np.may_share_memory(out, a))
            for a in _leaves(args)):
        return out.copy()
    if type(out) in (list, tuple):
        return type(out)(_fresh(o, args) for o in out)
    return out


def _leaves(args):
    """The arguments, with lists and tuples of them opened (`concatenate([y])`)."""
    for a in args:
        if type(a) in (list, tuple):
            yield from _leaves(a)
        else:
            yield a
