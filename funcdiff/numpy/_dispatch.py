"""NumPy's own functions on tracers: `numpy.sin(t)` and `numpy.sum(t)` run funcdiff's.

`Tracer.__array_ufunc__` and `Tracer.__array_function__` land here and look
the NumPy function up by name in `funcdiff.numpy` (and its `linalg`/`fft`
submodules).
"""

from __future__ import annotations

import importlib

_UFUNC_ALIASES = {"absolute": "abs", "conjugate": "conj", "true_divide": "divide"}


_FOUND = {}


def _lookup(module_name, name):
    key = (module_name, name)
    if key not in _FOUND:
        _FOUND[key] = _find(module_name, name)
    return _FOUND[key]


def _find(module_name, name):
    mod = "funcdiff.numpy"
    if module_name.startswith("numpy.") and module_name.split(".")[1] in ("linalg", "fft"):
        mod = "funcdiff.numpy." + module_name.split(".")[1]
    try:
        return getattr(importlib.import_module(mod), name)
    except (AttributeError, ImportError):
        return None


_BY_UFUNC = {}  # ufunc -> its funcdiff.numpy function, for plain calls


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    if method == "__call__" and not kwargs:
        fn = _BY_UFUNC.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    name = ufunc.__name__
    if kwargs.get("out") is not None:
        raise TypeError(
            f"numpy.{name}(..., out=...) cannot write into an array inside a funcdiff "
            "transform; drop `out=` and use the returned value."
        )
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if method == "__call__":
        fn = _lookup("numpy", name) or _lookup("numpy", _UFUNC_ALIASES.get(name, ""))
        if fn is not None:
            if not kwargs:
                _BY_UFUNC[ufunc] = fn
            return fn(*inputs, **kwargs)
    elif method == "reduce" and name in ("add", "multiply", "maximum", "minimum"):
        red = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}[name]
        kwargs.setdefault("axis", 0)  # ufunc.reduce's default, unlike numpy.sum's
        return _lookup("numpy", red)(*inputs, **kwargs)
    elif method == "accumulate" and name in ("add", "multiply"):
        kwargs.setdefault("axis", 0)
        return _lookup("numpy", {"add": "cumsum", "multiply": "cumprod"}[name])(*inputs, **kwargs)
    raise TypeError(
        f"numpy.{name}{'' if method == '__call__' else '.' + method} is not supported on "
        "funcdiff traced values yet; use the funcdiff.numpy function instead "
        f"(`import funcdiff.numpy as fnp`)."
    )


def dispatch_function(func, args, kwargs):
    fn = _lookup(getattr(func, "__module__", "numpy") or "numpy", func.__name__)
    if fn is None or fn is func:
        raise TypeError(
            f"numpy.{func.__name__} is not supported on funcdiff traced values yet; use the "
            "funcdiff.numpy equivalent (`import funcdiff.numpy as fnp`) or compute it "
            "outside the transform."
        )
    return fn(*args, **kwargs)
