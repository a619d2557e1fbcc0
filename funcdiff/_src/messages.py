"""The messages of the core's errors: where in the user's code, what went wrong, the fix.

Kept apart from `core` so that the core reads as the algorithm; each function takes
the transform's `MainTrace` (its `name` and `where()`) and returns the exception or
message.
"""

from __future__ import annotations

import re
import sys
import warnings

from funcdiff._src import source as _source
from funcdiff._src.errors import ConcretizationError, DetachWarning, TracerLeakError

try:  # NumPy's error state (a context variable since NumPy 1.25)
    from numpy._core import _ufunc_config as _uc

    _EXTOBJ, _make_extobj, _extobj_dict = (
        _uc._extobj_contextvar, _uc._make_extobj, _uc._get_extobj_dict)
except (ImportError, AttributeError):  # (then NumPy's warnings stay where NumPy puts them)
    _EXTOBJ = None


def user_frame_text():
    """', used at file:line in function: text' of the user's code, for error messages."""
    text = _source.where(_source.user_frame(2))
    return f", used at {text}" if text else ""


def leak_error(main):
    """A tracer of `main` used after its transform returned."""
    return TracerLeakError(
        f"A tracer of the `{main.name}` transform of {main.where()} was used in a "
        f"computation after `{main.name}` returned. It was probably stored in a global, "
        "a closure or an attribute during that call. Return the value from the "
        f"transformed function instead, or apply `{main.name}` to the function that uses "
        "it. (Reading its value with print(), float() or numpy.asarray() is fine.)"
    )


def thread_error(main):
    """A tracer of `main` used in another thread."""
    return RuntimeError(
        f"A tracer of the `{main.name}` transform of {main.where()} was used in another "
        f"thread than the one running `{main.name}`{user_frame_text()}. funcdiff's transforms "
        "are per thread: compute with traced values in the thread that called the "
        f"transform, or apply `{main.name}` to the function the worker thread runs."
    )


def concretization_error(main, what):
    """`what` (a conversion, an `if`) asked an abstract tracer of `main` for a value."""
    staged = main.name in ("jit", "make_program")
    if what.startswith("bool"):
        advice = (
            "Use `funcdiff.numpy.where(pred, a, b)` instead of an `if`, or "
            "`funcdiff.cond(pred, true_fun, false_fun, *operands)` for branches."
        )
    elif what.startswith(("int", "an index")):
        advice = (
            "Sizes and indices must be known while tracing: compute them from "
            "`.shape`, or pass them as Python ints."
        )
    else:
        advice = (
            "Keep the computation in funcdiff: call `funcdiff.numpy` (or "
            "`funcdiff.scipy`) functions on the traced value instead of converting "
            "it (`fnp.sin(x)`, not `math.sin(x)`; `fnp.stack([...])`, not "
            "`numpy.array([...])`)."
        )
    if staged:
        advice += (
            " If the value is a Python setting (a flag, a size), mark its argument "
            "static: `jit(f, static_argnums=...)`."
        )
    return ConcretizationError(
        f"{what} needs a concrete value, but this is an abstract traced value of "
        f"`{main.name}` (of {main.where()}), which stands for many values at once"
        f"{user_frame_text()}. {advice}"
    )


def detach_message(main, what):
    """`what` would drop the derivative that `main` is taking."""
    frame = _source.user_frame(3)
    call = _source.library_call(3)
    lines = [
        f"{what} would drop the derivative of a value that `{main.name}` (of "
        f"{main.where()}) is differentiating: the result would be a plain "
        f"{'array' if 'array' in what else 'number'} that `{main.name}` cannot follow, so "
        "the derivative through it would silently be zero."
    ]
    if frame is not None:
        lines.append(f"  at {_source.where(frame)}")
    if call is not None:
        equivalent = _source.funcdiff_equivalent(call)
        lines.append(f"It was called inside `{call}`, which converts its input to a NumPy array.")
        if equivalent is not None:
            lines.append(f"Fix: call `{equivalent}` instead; funcdiff can differentiate it.")
        else:
            lines.append(
                f"funcdiff has no `{call}` yet: write it with `funcdiff.numpy` functions, "
                "or give it a derivative rule with `funcdiff.custom_jvp` / `custom_vjp`."
            )
    elif "out=" in what or (frame is not None and _ITEM_ASSIGNMENT.search(_source.where(frame))):
        lines.append(
            "Writing a traced value into a NumPy array (`y[i] = x` or `out=y`, `y` made by "
            "`np.zeros`, or made outside the transformed function) cannot be followed. Fix: "
            "make `y` inside the function with `fnp.zeros(...)` / `fnp.zeros_like(x)` / "
            "`fnp.array(...)` / `np.zeros(..., like=x)` (there a traced buffer that in-place "
            "writes follow), or the "
            "functional update `y = fnp.at(y)[i].set(x)`, or drop `out=` and use the "
            "returned value."
        )
    else:
        lines.append(
            "Fix: keep the value traced: use `funcdiff.numpy` functions on it "
            "(`fnp.sin(x)`, not `math.sin(x)`); to build an array from traced values use "
            "`fnp.stack([...])` or `fnp.array([...])`, not `numpy.array([...])`."
        )
    lines.append(
        "To detach on purpose, convert `funcdiff.stop_gradient(x)` instead (its result "
        "converts freely); `funcdiff.config.update(\"detach\", \"warn\")` or `\"allow\"` "
        "relaxes this check everywhere."
    )
    return "\n".join(lines)


_ITEM_ASSIGNMENT = re.compile(r"\w\s*\[[^\]]*\]\s*=(?!=)")  # `y[...] = ...` in a source line


def warn_detach(message):
    frame = _source.user_frame(3)
    if frame is None:
        warnings.warn(message, DetachWarning, stacklevel=4)
    else:
        module = frame.f_globals.get("__name__")  # (a None module would drop the warning)
        warnings.warn_explicit(
            message, DetachWarning, frame.f_code.co_filename, frame.f_lineno,
            **({} if module is None else {"module": module}),
        )


# -- NumPy's floating-point warnings, at the user's line ---------------------------------------
# NumPy warns from C at the Python frame that called the ufunc: inside a transform that is
# funcdiff's code (a rule, the backward pass). While a transform runs, the categories NumPy
# would warn about ("divide by zero", "invalid value", "overflow") call `_fp_warning`
# instead, which warns at the user's line and names the primitive. Outside transforms the
# NumPy API is NumPy's own functions, untouched.


_last = (None, None)  # the last NumPy error state seen, and ours derived from it


def fp_warnings_switch():
    """Called by the outermost transform (and the backward pass outside any): NumPy's
    warnings go to `_fp_warning` until `fp_warnings_restore(token)`; None: nothing to do."""
    global _last
    if _EXTOBJ is None:
        return None
    cur = _EXTOBJ.get()
    last = _last  # (one read: another thread may replace the pair)
    if cur is last[1]:  # switched already (a transform inside a backward pass)
        return None
    if cur is last[0]:
        new = last[1]
    else:
        new = _derive(cur)
        _last = (cur, new)
    return None if new is cur else _EXTOBJ.set(new)


def fp_warnings_restore(token):
    if token is not None:
        try:
            _EXTOBJ.reset(token)
        except ValueError:  # (restored in another context than switched: leave it)
            pass


def _derive(cur):
    """The error state `cur` with each "warn" as "call" (the user's other choices kept;
    unchanged when the user has a handler of their own)."""
    settings = _extobj_dict()
    if settings["call"] is not None:
        return cur
    modes = {k: ("call" if settings[k] == "warn" else settings[k])
             for k in ("divide", "over", "under", "invalid")}
    if all(settings[k] == m for k, m in modes.items()):
        return cur
    return _make_extobj(call=_fp_warning, bufsize=settings["bufsize"], **modes)


def _fp_warning(err, flag):
    """NumPy's floating-point warning, at the user's line, naming the primitive."""
    frame, name = sys._getframe(1), None
    while frame is not None and _source._is_library(frame):
        if name is None:
            prim = frame.f_locals.get("prim")
            if prim is not None and hasattr(prim, "impl") and hasattr(prim, "name"):
                name = prim.name
        frame = frame.f_back
    text = f"{err} encountered in {name}" if name else f"{err} encountered"
    if frame is None:
        warnings.warn(text, RuntimeWarning, stacklevel=2)
        return
    warnings.warn_explicit(
        text, RuntimeWarning, frame.f_code.co_filename, frame.f_lineno,
        module=frame.f_globals.get("__name__") or "<unknown>",
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )


READ_ONLY = "funcdiff: while `"  # how `read_only_note` begins


def read_only_note(main):
    """The note on NumPy's "assignment destination is read-only" raised inside `main`."""
    return (
        f"{READ_ONLY}{main.name}` (of {main.where()}) runs, the NumPy arrays that it "
        "keeps for a derivative (operands of traced computations, and the arrays they are "
        "views of) are read-only: a later write into one would change that derivative "
        "silently. Fix: make the array inside the function with `fnp.zeros(...)` (a buffer: "
        "each write makes a new version), or use a copy (`b.copy()`) in the computation, or "
        "write before using it. They are writable again when the transform returns."
    )
