"""NumPy's own functions on tracers: `numpy.sin(t)` and `numpy.sum(t)` run funcdiff's.

`Tracer.__array_ufunc__` and `Tracer.__array_function__` land here. Dispatch
is keyed by the NumPy (or SciPy) function *object*, never by its name:
`numpy.emath.sqrt` is not `numpy.sqrt`. The table pairs each public name of
`funcdiff.numpy` (and its `linalg`/`fft`, and of `funcdiff.scipy.special`
for SciPy's ufuncs) with the object of the same name in NumPy (SciPy). A
function that is not in the table raises a `TypeError` naming what to call
instead, or saying that funcdiff has no equivalent yet.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from funcdiff._src.core import Tracer
from funcdiff._src.numpy import (
    contraction,
    creation,
    elementwise,
    extras,
    fft,
    indexing,
    inplace,
    linalg,
    reductions,
    scalars,
    shape,
)

# The modules whose `__all__` together make `funcdiff.numpy`'s namespace.
NUMPY_FAMILIES = (creation, elementwise, reductions, shape, indexing, contraction, extras,
                  scalars)

# (NumPy/SciPy module name, the funcdiff modules implementing it, their public name)
_PAIRS = (
    ("numpy", NUMPY_FAMILIES, "funcdiff.numpy"),
    ("numpy.linalg", (linalg,), "funcdiff.numpy.linalg"),
    ("numpy.fft", (fft,), "funcdiff.numpy.fft"),
)
# SciPy is optional: its functions are paired once `scipy.special` is in use (imported
# by name then, like SciPy itself)
_SCIPY_PAIRS = (("scipy.special", ("funcdiff._src.scipy.special",), "funcdiff.scipy.special"),)

# ufunc methods other than __call__: (ufunc, method) -> funcdiff function name
_METHODS = {
    (np.add, "reduce"): "sum",
    (np.multiply, "reduce"): "prod",
    (np.maximum, "reduce"): "max",
    (np.minimum, "reduce"): "min",
    (np.logical_and, "reduce"): "all",
    (np.logical_or, "reduce"): "any",
    (np.add, "accumulate"): "cumsum",
    (np.multiply, "accumulate"): "cumprod",
}

# NumPy functions that write into their argument in place and return None, where funcdiff
# has no function of the name (copyto, putmask) or its function returns the updated copy
# (put_along_axis, JAX's spelling): not paired by name, `_WRITERS` writes them.
_IN_PLACE = {"copyto", "putmask", "put_along_axis"}

# private SciPy ufuncs that SciPy's public Python wrappers call: (module, name) -> funcdiff name
# (`scipy.special.zeta(x, q)` calls `_ufuncs._zeta(x, q)`, `zeta(x)` `_ufuncs._riemann_zeta(x)`)
_SCIPY_PRIVATE = {
    ("scipy.special._ufuncs", "_zeta"): "zeta",
    ("scipy.special._ufuncs", "_riemann_zeta"): "zeta",
}

# ufunc.at on a traced array: the `x.at[idx]` method that does it
_AT = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply", np.minimum: "min",
       np.maximum: "max"}

_table = {}  # NumPy/SciPy callable -> funcdiff function
_loaded = set()  # the pairs already in _table


_public = {}  # funcdiff function -> its public dotted name (for messages)


def _load(pairs):
    for np_name, fd_mods, public in pairs:
        if np_name in _loaded:
            continue
        _loaded.add(np_name)
        np_mod = importlib.import_module(np_name)
        fd_mods = [importlib.import_module(m) if isinstance(m, str) else m for m in fd_mods]
        names = {name: getattr(m, name) for m in fd_mods for name in m.__all__}
        for name, fn in names.items():
            _public.setdefault(fn, f"{public}.{name}")
            obj = getattr(np_mod, name, None)
            if obj is None or isinstance(obj, type) or not callable(obj) or name in _IN_PLACE:
                continue
            if fn is not obj:  # funcdiff re-exports some NumPy functions (constants)
                _table.setdefault(obj, fn)
        if np_name == "scipy.special":
            for (mod_name, name), fd_fn in _SCIPY_PRIVATE.items():
                obj = getattr(sys.modules.get(mod_name) or importlib.import_module(mod_name),
                              name, None)
                if obj is not None:
                    _table.setdefault(obj, names[fd_fn])


def implementation(func):
    """The funcdiff function that implements the NumPy/SciPy callable `func`, or None."""
    fn = _table.get(func)
    if fn is None and not _loaded:
        _load(_PAIRS)
        fn = _table.get(func)
    if fn is None and "scipy.special" in sys.modules and "scipy.special" not in _loaded:
        _load(_SCIPY_PAIRS)  # SciPy's ufuncs (expit, erf, ...), once SciPy is in use
        fn = _table.get(func)
    return fn


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        # `out=`: computed, then written into the out array (funcdiff._src.numpy.inplace)
        call = _name(ufunc) + ("" if method == "__call__" else f".{method}")
        if method != "__call__":  # (a reduction: its out= has the result's shape, any cast)
            result = dispatch_ufunc(ufunc, method, inputs, kwargs)
            return inplace.write_out(out, result, f"{call}(..., out=y)", casting="unsafe",
                                     broadcast=False)
        where = kwargs.pop("where", True)
        casting = kwargs.pop("casting", "same_kind")
        result = dispatch_ufunc(ufunc, method, inputs, kwargs)
        return inplace.write_out(out, result, f"{call}(..., out=y)", where=where, casting=casting)
    if method == "__call__":
        fn = implementation(ufunc)
        if fn is not None:
            if not kwargs:
                return fn(*inputs)
            dtype = kwargs.pop("dtype", None)
            if not kwargs:
                if dtype is not None:
                    inputs = [creation.asarray(x, dtype) for x in inputs]
                return fn(*inputs)
            raise TypeError(
                f"{_name(ufunc)}: the keyword argument(s) {sorted(kwargs)} are not supported "
                f"on funcdiff traced values; call `{_fd_name(fn)}` without them (use "
                "`funcdiff.numpy.where` for `where=`)."
            )
    elif method == "outer":
        fn = implementation(ufunc)
        if fn is not None and not kwargs:
            a, b = (creation.asarray(x) for x in inputs)
            return fn(shape.reshape(a, tuple(a.shape) + (1,) * len(b.shape)), b)
    elif (ufunc, method) in _METHODS:
        kwargs.setdefault("axis", 0)  # the ufunc methods' default, unlike numpy.sum's
        return getattr(reductions, _METHODS[ufunc, method])(*inputs, **kwargs)
    if method == "at":
        kind = _AT.get(ufunc)
        if kind is not None and len(inputs) == 3 and isinstance(inputs[0], Tracer):
            a, idx, v = inputs  # into a traced array: as `a[idx] += v` with repeats
            inplace.write(a, getattr(a.at[idx], kind)(v), f"{_name(ufunc)}.at")
            return None
        raise TypeError(
            f"{_name(ufunc)}.at writes into its first argument in place, which funcdiff "
            "can do only for an array made inside the transformed function (`fnp.zeros`, "
            "a computed array) and numpy.add/subtract/multiply/minimum/maximum; use the "
            "functional update `x = fnp.at(x)[idx].add(v)` (or `.multiply`, `.min`, `.max`)."
        )
    call = _name(ufunc) + ("" if method == "__call__" else f".{method}")
    raise TypeError(f"{call} is not supported on funcdiff traced values. {_advice(ufunc)}")


def dispatch_function(func, args, kwargs):
    fn = implementation(func)
    if fn is None:
        writer = _WRITERS.get(getattr(func, "__name__", None))
        if writer is not None and getattr(np, func.__name__, None) is func:
            return writer(*args, **kwargs)
        raise TypeError(
            f"{_name(func)} is not supported on funcdiff traced values. {_advice(func)}"
        )
    if func is np.arange or func is np.asarray:
        # only reached through NumPy's `like=` (which it drops from kwargs): funcdiff's
        # function makes a buffer then (a new array that traced values can be written into)
        kwargs["like"] = True
    out = kwargs.pop("out", None)
    result = fn(*args, **kwargs)
    if out is None:
        return result
    # NumPy's functions with `out=` (sum, mean, cumsum, clip, ...): written into it, cast
    # as NumPy's reductions cast
    return inplace.write_out(out, result, f"{_name(func)}(..., out=y)", casting="unsafe",
                             broadcast=False)


# NumPy's functions that write into their first argument and return None: written into it
# (funcdiff._src.numpy.inplace), which raises for a transform's argument or a NumPy array
# that would take a differentiated value
def _copyto(dst, src, casting="same_kind", where=True):
    inplace.write_out(dst, creation.asarray(src), "numpy.copyto", where=where, casting=casting)


def _putmask(a, mask, values):
    size = int(np.prod(creation.shape(a), dtype=np.int64))
    cycled = shape.reshape(extras.resize(shape.ravel(values), size), creation.shape(a))
    inplace.write_out(a, indexing.where(mask, cycled, a), "numpy.putmask", casting="unsafe")


def _put_along_axis(arr, indices, values, axis):
    inplace.write_out(arr, indexing.put_along_axis(arr, indices, values, axis),
                      "numpy.put_along_axis", casting="unsafe")


# (numpy.put, numpy.place, numpy.fill_diagonal: funcdiff's own, whose default inplace=True
# writes a traced array)
_WRITERS = {"copyto": _copyto, "putmask": _putmask, "put_along_axis": _put_along_axis}


# -- messages --------------------------------------------------------------------

_PUBLIC = ("numpy", "numpy.linalg", "numpy.fft", "numpy.emath", "numpy.random", "numpy.ma",
           "numpy.polynomial", "scipy.special")


def _name(func):
    """The public dotted name of a NumPy/SciPy callable ("numpy.emath.sqrt")."""
    name = getattr(func, "__name__", repr(func))
    for modname in _PUBLIC:
        mod = sys.modules.get(modname.split(".")[0])
        for part in modname.split(".")[1:]:
            mod = getattr(mod, part, None)
        if mod is not None and getattr(mod, name, None) is func:
            return f"{modname}.{name}"
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{name}"


def _fd_name(fn):
    """The public name of a funcdiff function of the table ("funcdiff.scipy.special.erf")."""
    return _public.get(fn) or f"funcdiff.numpy.{getattr(fn, '__name__', fn)}"


def _advice(func):
    name = getattr(func, "__name__", "")
    if name in _IN_PLACE:
        if name == "put_along_axis":
            return (
                "It writes into its argument in place; funcdiff values are immutable: use "
                "`x = funcdiff.numpy.put_along_axis(x, indices, values, axis)`, which returns "
                "the updated copy."
            )
        return (
            "It writes into its argument in place; funcdiff values are immutable: use "
            "`x = x.at[idx].set(v)` (or `fnp.where(mask, v, x)`) and the returned value."
        )
    return (
        "funcdiff has no equivalent of it yet: write the computation with "
        "`funcdiff.numpy` functions (`import funcdiff.numpy as fnp`), or give it a "
        "derivative rule with `funcdiff.custom_jvp` / `custom_vjp`."
    )
