"""funcdiff's global settings: `funcdiff.config`.

Read a setting as an attribute (`fd.config.detach`) and change it with
`fd.config.update(name, value)` (JAX's spelling) or by assigning the
attribute; both check the value.

- `detach`: `"raise"` (default), `"warn"` or `"allow"`: what `float(x)`,
  `numpy.asarray(x)`, ... do on a value being differentiated (see
  `funcdiff.DetachError`);
- `log_compiles`: bool (default False, or env `FUNCDIFF_LOG_COMPILES=1`):
  `jit` logs each new trace;
- `cache_size`: int >= 1 (default 64, or env `FUNCDIFF_JIT_CACHE_SIZE`):
  Programs `jit` keeps per function;
- `check_rules`: bool (default False, or env `FUNCDIFF_CHECK_RULES=1`): reverse
  mode checks that every derivative rule returns cotangents of its inputs'
  shapes (slower; funcdiff's own tests turn it on).
- `debug_nans`, `debug_infs`: bool (default False): raise `FloatingPointError` at the
  first primitive, or derivative rule, that makes a NaN (an infinity) from values that
  had none, naming it and the user's line (see `funcdiff.debug_nans`). Switch them
  outside transforms; they apply to the thread that switches them
  (`Config.debug_switch`, set by funcdiff._src.nans, installs the checking level).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["Config", "config"]


def _detach(value):
    if value not in ("raise", "warn", "allow"):
        raise ValueError(
            f"config 'detach' must be 'raise', 'warn' or 'allow', got {value!r}"
        )
    return value


def _flag(value):
    if not isinstance(value, (bool, int)):
        raise TypeError(f"this config setting must be True or False, got {value!r}")
    return bool(value)


def _size(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"config 'cache_size' must be an int >= 1, got {value!r}")
    return value


_CHECKS = {"detach": _detach, "log_compiles": _flag, "cache_size": _size,
           "check_rules": _flag, "debug_nans": _flag, "debug_infs": _flag}
_DEBUG = ("debug_nans", "debug_infs")


class Config:
    """The settings object `funcdiff.config` (one per process)."""

    __slots__ = tuple(_CHECKS)
    debug_switch = None  # called after debug_nans/debug_infs change (funcdiff._src.nans)

    def __init__(self):
        self.detach = "raise"
        self.log_compiles = os.environ.get("FUNCDIFF_LOG_COMPILES", "") not in ("", "0")
        self.cache_size = int(os.environ.get("FUNCDIFF_JIT_CACHE_SIZE", "64"))
        self.check_rules = os.environ.get("FUNCDIFF_CHECK_RULES", "") not in ("", "0")
        self.debug_nans = self.debug_infs = False

    def __setattr__(self, name, value):
        check = _CHECKS.get(name)
        if check is None:
            raise AttributeError(
                f"funcdiff.config has no setting {name!r}; the settings are {sorted(_CHECKS)}"
            )
        value = check(value)
        if name in _DEBUG and Config.debug_switch is not None:
            Config.debug_switch(self, name, value)  # may refuse (inside a transform)
        object.__setattr__(self, name, value)

    def update(self, name, value):
        """Set `name` to `value` (e.g. `fd.config.update("detach", "warn")`)."""
        setattr(self, name, value)

    @contextmanager
    def override(self, name, value):
        """A context manager setting `name` to `value` for the duration of the block."""
        old = getattr(self, name)
        setattr(self, name, value)
        try:
            yield
        finally:
            setattr(self, name, old)

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in _CHECKS) + ")"


config = Config()
