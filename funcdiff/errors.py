"""The typed errors funcdiff raises (also re-exported from `funcdiff`)."""

__all__ = ["ConcretizationError", "TracerLeakError", "UnsupportedPrimitiveError"]


class ConcretizationError(TypeError):
    """An abstract traced value (inside `vmap` or `jit`) was converted to a Python value.

    Example:
        ```python
        fd.vmap(lambda x: 1.0 if x > 0 else 0.0)(xs)   # raises ConcretizationError
        fd.vmap(lambda x: fnp.where(x > 0, 1.0, 0.0))(xs)  # works
        ```
    """


class TracerLeakError(RuntimeError):
    """A tracer was used in a computation after the transform that made it returned.

    Typical cause: a traced value stored in a global, a closure or an object
    attribute and used in a later call. Return it from the transformed
    function instead. Reading a dead tracer's value (`float`, `print`,
    `numpy.asarray`) still works.
    """


class UnsupportedPrimitiveError(NotImplementedError):
    """A primitive has no rule for the transform being applied to it."""
