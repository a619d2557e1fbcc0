"""`debug_nans` / `debug_infs`: find the primitive, or derivative rule, that made a NaN.

With `fd.config.update("debug_nans", True)` (or `with fd.debug_nans():`), every
primitive's output is checked as it is computed: the first one with a NaN that none of
its inputs had raises `FloatingPointError`, naming the primitive, its inputs' shapes and
the user's file, line and source text. Derivative rules are checked as a whole (the
operations inside a rule are funcdiff's, not the user's): a JVP rule that makes a
non-finite tangent from finite tangents, or a VJP rule that makes a non-finite
cotangent from a finite one, raises naming the primitive, the rule and the line where
the primitive was called in the forward pass, with a summary of the values.
`debug_infs` does the same for infinities.

How: switching a flag on puts a `NaNCheckTrace` at the bottom of the calling thread's
interpreter stack. It boxes nothing; it `observes_eager`, so `bind` hands it the
primitives bound on plain values (the eager path, and everything transforms bind one
level down), and the eager fast paths, which test for an empty stack, step aside. The
reverse and forward interpreters check their own rules (`check_forward`,
`check_rule`, with `rules_checked` silencing the operations inside a rule), and `jit`
checks its outputs and re-runs the function eagerly to find the culprit. When the flags
are off nothing of this runs: the cost is the `observes_eager` test in `bind` for
primitives on constants under a transform.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

from funcdiff._src import source as _source
from funcdiff._src.config import Config, config
from funcdiff._src.core import Trace, Tracer, _state, pop_main, push_main

__all__ = ["debug_nans", "debug_infs", "check_forward", "check_rule", "rules_checked",
           "enabled", "user_line", "user_location", "has_bad", "silenced", "quiet"]


ON = False  # either flag on (read by jit's dispatch; `enabled()` reads the config)


class _Local(threading.local):
    def __init__(self):
        self.silent = 0  # > 0 inside a derivative rule: its operations are not checked
        self.main = None  # this thread's NaNCheckTrace level


_local = _Local()


def enabled():
    """Whether NaN (or Inf) checks are on."""
    return config.debug_nans or config.debug_infs


class NaNCheckTrace(Trace):
    """The bottom level while `debug_nans`/`debug_infs` is on: checks each primitive
    bound on plain values (see the module docstring)."""

    __slots__ = ()
    observes_eager = True
    boxes = False

    def pure(self, val):
        return val

    def process_primitive(self, prim, args, params):
        if _local.silent:
            return prim.impl(*args, **params)
        with quiet():
            out = prim.impl(*args, **params)
        check_forward(prim, args, out)
        return out


def _switch(cfg, name, value):
    """`Config.debug_switch`: install or remove this thread's checking level."""
    other = cfg.debug_infs if name == "debug_nans" else cfg.debug_nans
    on = bool(value or other)
    stack = _state.stack
    if on == (_local.main is not None):
        return
    if stack and not (len(stack) == 1 and stack[0] is _local.main):
        raise RuntimeError(
            f"funcdiff.config {name!r} can only be switched outside transforms (here "
            f"inside `{stack[-1].name}`): switch it before calling grad/jit/vmap, or use "
            "`with funcdiff.debug_nans():` around the whole call."
        )
    global ON
    ON = on
    if on:
        _local.main = push_main(NaNCheckTrace, "debug_nans")
    else:
        main, _local.main = _local.main, None
        pop_main(main)


Config.debug_switch = staticmethod(_switch)


@contextmanager
def debug_nans(enabled=True):
    """Check for NaNs in the block: the first primitive, or derivative rule, that makes a
    NaN from inputs that had none raises `FloatingPointError` naming it and your line.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.numpy as fnp
        >>> with fd.debug_nans():
        ...     fd.grad(lambda x: fnp.sum(fnp.log(x)))(np.array([-1.0, 1.0]))
        Traceback (most recent call last):
            ...
        FloatingPointError: `log` made a NaN from inputs without one, at ...

        ```
    """
    with config.override("debug_nans", enabled):
        yield


@contextmanager
def debug_infs(enabled=True):
    """As `debug_nans`, for infinities (overflow, division by zero, log of 0)."""
    with config.override("debug_infs", enabled):
        yield


def quiet():
    """NumPy's warnings for what the checks report (invalid values for NaNs, division by
    zero and overflow for infinities) off: the check's error says more."""
    return np.errstate(**({"invalid": "ignore"} if config.debug_nans else {}),
                       **({"divide": "ignore", "over": "ignore"} if config.debug_infs else {}))


@contextmanager
def rules_checked():
    """Run a derivative rule: the operations inside it are not checked one by one (the
    caller checks what the rule returns with `check_rule`)."""
    _local.silent += 1
    try:
        with quiet():
            yield
    finally:
        _local.silent -= 1


def silenced():
    return _local.silent > 0


def user_line():
    """`file:line in function: text` of the user's code running now ('' if none)."""
    return _source.where(_source.user_frame(2))


def user_location():
    """`file:line` of the user's code running now (None if none)."""
    frame = _source.user_frame(2)
    return None if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


# -- the checks ------------------------------------------------------------------------------


def _value(x):
    """The concrete value of `x` as an array, or None (abstract, or not numeric)."""
    if isinstance(x, Tracer):
        x = x.all_values()
    if x is None:
        return None
    try:
        v = np.asarray(x)
    except Exception:  # noqa: BLE001  (anything that is not an array: nothing to check)
        return None
    return v if v.dtype.kind in "fc" else None


def _bad(v):
    """The mask of the entries of array `v` that the switched-on checks look for."""
    if config.debug_nans and config.debug_infs:
        return ~np.isfinite(v)
    return np.isnan(v) if config.debug_nans else np.isinf(v)


def has_bad(x):
    for leaf in x if isinstance(x, (list, tuple)) else (x,):
        v = _value(leaf)
        if v is not None and _bad(v).any():
            return True
    return False


def _what():
    if config.debug_nans and config.debug_infs:
        return "a non-finite value (NaN or inf)"
    return "a NaN" if config.debug_nans else "an infinity"


def summary(x):
    """`float64[3] in [min, max], non-finite at [i, j]` for a value (for reports)."""
    v = _value(x)
    if v is None:
        return repr(x) if not isinstance(x, Tracer) else type(x).__name__
    text = f"{v.dtype}{list(v.shape)}"
    finite = v[np.isfinite(v)]
    if finite.size:
        lo, hi = (finite.real.min(), finite.real.max()) if v.dtype.kind == "c" else (
            finite.min(), finite.max())
        text += f" finite in [{lo:.4g}, {hi:.4g}]"
    bad = np.argwhere(~np.isfinite(v)) if v.ndim else np.zeros((0, 0))
    if v.ndim == 0 and not np.isfinite(v):
        text += f" = {v}"
    elif len(bad):
        where = ", ".join(str(tuple(int(i) for i in b)) for b in bad[:4])
        text += f", non-finite at {where}" + (" ..." if len(bad) > 4 else "")
    return text


def check_forward(prim, args, out, line=None):
    """Raise when `out` has a NaN (inf) that no argument had."""
    if has_bad(out) and not has_bad(list(args)):
        shapes = ", ".join(summary(a) for a in args)
        line = user_line() if line is None else line
        raise FloatingPointError(
            f"`{prim.name}` made {_what()} from inputs without one"
            + (f", at {line}" if line else "")
            + f".\n  inputs: {shapes}\n  output: "
            + ", ".join(summary(o) for o in (out if isinstance(out, (list, tuple)) else [out]))
        )


def check_rule(prim, rule, ins, outs, primals, line, out=None):
    """Raise when derivative rule `rule` of `prim` made a NaN (inf) in `outs` from `ins`
    (tangents or cotangents) without one, at inputs (`primals`) and output `out` without
    one; `line` is where `prim` was called."""
    if has_bad(outs) and not has_bad(ins) and not has_bad(list(primals)) and not (
        out is not None and has_bad(out)
    ):
        mode = "forward mode" if rule == "JVP" else "reverse mode"
        kind = "tangent" if rule == "JVP" else "cotangent"
        raise FloatingPointError(
            f"the {rule} rule of `{prim.name}` ({mode}) made a non-finite {kind} from "
            f"finite ones; `{prim.name}` was called at {line or '(unknown)'}.\n"
            + (f"  primal inputs: {', '.join(summary(p) for p in primals)}\n"
               if any(p is not None for p in primals) else "")
            + (f"  primal output: {summary(out)}\n" if out is not None else "")
            + f"  incoming {kind}s: {', '.join(summary(c) for c in ins if c is not None)}\n"
            f"  outgoing {kind}s: {', '.join(summary(c) for c in outs if c is not None)}"
        )
