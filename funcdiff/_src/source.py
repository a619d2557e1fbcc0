"""Where in the user's code something happened, for error messages.

Nothing here is on a hot path: these helpers run only when an error message
or a warning is built. They walk the Python stack to find the innermost
frame of user code (outside funcdiff, NumPy, SciPy and the standard library),
the library function the user called there, and the funcdiff function that
does the same thing.
"""

from __future__ import annotations

import importlib
import linecache
import os
import sys
import sysconfig
import types

__all__ = ["user_frame", "where", "library_call", "funcdiff_equivalent"]

_PKG = os.path.dirname(os.path.abspath(__file__))
_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"])
_LIBRARIES = ("funcdiff", "numpy", "scipy")


def _is_library(frame):
    module = frame.f_globals.get("__name__", "") or ""
    if module.split(".")[0] in _LIBRARIES:
        return True
    fname = frame.f_code.co_filename
    if fname.startswith(("<frozen", "<funcdiff")) or "importlib" in fname:
        return True
    path = os.path.abspath(fname)
    if path.startswith(_PKG):
        return True
    return path.startswith(_STDLIB) and "site-packages" not in path


def user_frame(depth=1):
    """The innermost frame outside funcdiff, NumPy, SciPy and the standard library."""
    f = sys._getframe(depth + 1)
    while f is not None and _is_library(f):
        f = f.f_back
    return f


def where(frame):
    """`file:line in function: source text` of a frame ('' for None)."""
    if frame is None:
        return ""
    code = frame.f_code
    text = linecache.getline(code.co_filename, frame.f_lineno).strip()
    loc = f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
    return f"{loc}: {text}" if text else loc


# Library functions known by the objects they run in (name -> public name).
_METHOD_NAMES = {"vectorize": "numpy.vectorize", "RClass": "numpy.r_", "CClass": "numpy.c_"}


def library_call(depth=1):
    """The public name of the NumPy/SciPy function the user's code called, which is
    now running (e.g. "scipy.special.logsumexp"), or None when the user's own line
    is the innermost frame (a direct `float(x)`, `numpy.asarray(x)`, ...)."""
    f = sys._getframe(depth + 1)
    library = []  # the NumPy/SciPy frames, innermost first
    while f is not None and _is_library(f):
        module = f.f_globals.get("__name__", "") or ""
        if module.split(".")[0] in ("numpy", "scipy"):
            library.append(f)
        elif library and module.split(".")[0] == "funcdiff":
            break  # funcdiff called NumPy: the user called funcdiff, not NumPy
        f = f.f_back
    if not library:
        return None
    # the outermost frame that is a public function; decorators' wrappers (SciPy's
    # batching `wrapper`, a multi-ufunc's `__call__`) give way to the function they wrap
    for frame in reversed(library):
        name = _public_name(frame, exported_only=True)
        if name is not None:
            return name
    return _public_name(library[-1])


def _public_name(frame, exported_only=False):
    code = frame.f_code
    module = frame.f_globals.get("__name__", "")
    self = frame.f_locals.get("self")
    if self is not None:
        cls = type(self).__name__
        if cls in _METHOD_NAMES:
            return _METHOD_NAMES[cls]
        dist = getattr(self, "name", None)  # scipy.stats distributions: norm.logpdf
        if module.startswith("scipy.stats") and isinstance(dist, str):
            return f"scipy.stats.{dist}.{code.co_name}"
        name = getattr(self, "__name__", None)  # SciPy's multi-ufuncs (sph_harm_y)
        if code.co_name == "__call__" and isinstance(name, str) and module.startswith(
                "scipy.special"):
            return f"scipy.special.{name}"
    parts = module.split(".")
    public = []
    for p in parts:
        if p.startswith("_"):
            break
        public.append(p)
    for n in range(1, len(public) + 1):  # the shortest public module exporting it
        modname = ".".join(public[:n])
        try:
            obj = getattr(importlib.import_module(modname), code.co_name, None)
        except ImportError:
            continue
        if obj is not None and _runs(obj, code):
            return f"{modname}.{code.co_name}"
    wrapped = _wrapped_function(frame)
    if wrapped is not None:
        return wrapped
    if exported_only:
        return None
    return f"{'.'.join(public) or module}.{code.co_name}"


def _wrapped_function(frame):
    """For a decorator's wrapper frame (SciPy's batching `wrapper`, which converts the
    arguments before it calls the function): the public name of the function it wraps,
    found among its local variables."""
    for value in frame.f_locals.values():
        if not isinstance(value, types.FunctionType) or value.__name__.startswith("_"):
            continue
        parts = []
        for p in (value.__module__ or "").split("."):
            if p.startswith("_"):
                break
            parts.append(p)
        for n in range(1, len(parts) + 1):
            modname = ".".join(parts[:n])
            try:
                obj = getattr(importlib.import_module(modname), value.__name__, None)
            except ImportError:
                continue
            if obj is not None and (obj is value or getattr(obj, "__wrapped__", None) is value):
                return f"{modname}.{value.__name__}"
    return None


def _runs(obj, code):
    for o in (obj, getattr(obj, "_implementation", None), getattr(obj, "__wrapped__", None)):
        if getattr(o, "__code__", None) is code:
            return True
    return False


def funcdiff_equivalent(public_name):
    """'funcdiff.numpy.sum' for 'numpy.sum' (where funcdiff has one), else None."""
    if not public_name or public_name.split(".")[0] not in ("numpy", "scipy"):
        return None
    modname, _, name = public_name.rpartition(".")
    try:
        mod = importlib.import_module("funcdiff." + modname)
    except ImportError:
        return None
    return f"funcdiff.{public_name}" if callable(getattr(mod, name, None)) else None
