"""The typed errors funcdiff raises (public as `funcdiff.errors`, and from `funcdiff`).

Each class names its public module as its `__module__`, so tracebacks and
`repr` show `funcdiff.errors.ConcretizationError`, where users import it from.
"""

__all__ = [
    "BackendError",
    "ConcretizationError",
    "DetachError",
    "DetachWarning",
    "TracerLeakError",
    "UnsupportedPrimitiveError",
]


class ConcretizationError(TypeError):
    """An abstract traced value (inside `vmap` or `jit`) was converted to a Python value.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.numpy as fnp
        >>> xs = np.array([-1.0, 2.0])
        >>> fd.vmap(lambda x: 1.0 if x > 0 else 0.0)(xs)
        Traceback (most recent call last):
            ...
        funcdiff.errors.ConcretizationError: bool() (an `if` or `while` on a traced value) ...
        >>> fd.vmap(lambda x: fnp.where(x > 0, 1.0, 0.0))(xs).tolist()  # works
        [0.0, 1.0]

        ```
    """

    __module__ = "funcdiff.errors"  # where users import it from (tracebacks show it)


class DetachError(TypeError):
    """A conversion would hand a traced value on without its derivative.

    `float(x)`, `complex(x)`, `x.item()`, `x.tolist()` and `numpy.asarray(x)` /
    `numpy.array(x)` (and so every NumPy or SciPy function that converts its
    input internally, `math.sin(x)`, `numpy.array([x, y])`) on a value that
    `grad`, `vjp` or `jvp` is differentiating would return a plain number or
    array that the transform cannot follow: the derivative through it would
    silently be zero. The message names the line and the fix: the
    `funcdiff.numpy` / `funcdiff.scipy` function to call instead, `fnp.stack` /
    `fnp.array` for lists, or `funcdiff.stop_gradient(x)` to detach on purpose
    (its result converts freely). `funcdiff.config.update("detach", "warn")` or
    `"allow"` relaxes the check globally.

    Example:
        ```python
        >>> import math, funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: math.sin(x))(1.0)
        Traceback (most recent call last):
            ...
        funcdiff.errors.DetachError: float() would drop the derivative of a value that ...
        >>> float(fd.grad(lambda x: fnp.sin(x))(1.0))  # works: cos(1.0)
        0.5403023058...
        >>> float(fd.grad(lambda x: x * float(fd.stop_gradient(x)))(3.0))  # works
        3.0

        ```
    """

    __module__ = "funcdiff.errors"  # where users import it from (tracebacks show it)


class DetachWarning(UserWarning):
    """Issued instead of `DetachError` when `config.update("detach", "warn")`."""

    __module__ = "funcdiff.errors"  # where users import it from (tracebacks show it)


class TracerLeakError(RuntimeError):
    """A tracer was used in a computation after the transform that made it returned.

    Typical cause: a traced value stored in a global, a closure or an object
    attribute and used in a later call. Return it from the transformed
    function instead. Reading a dead tracer's value (`float`, `print`,
    `numpy.asarray`) still works.
    """

    __module__ = "funcdiff.errors"  # where users import it from (tracebacks show it)


class UnsupportedPrimitiveError(NotImplementedError):
    """A primitive has no rule for the transform being applied to it."""

    __module__ = "funcdiff.errors"  # where users import it from (tracebacks show it)



class BackendError(TypeError):
    """Arrays of two libraries or devices met in one call, or a primitive has no
    implementation for the array library its arguments come from.

    The message names the arguments (by pytree path) or the primitive, the libraries and
    devices, and the conversion that fixes it.
    """


class SolveError(ArithmeticError):
    """A linear system of an implicit derivative (`custom_root`, `fixed_point`,
    `linear_solve`) was not solved: the Jacobian at the solution is singular (the solution
    has no derivative there) or the tangent solver did not converge. Raised instead of
    returning a derivative that would be wrong.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> def cube_root(a):  # x**3 = a: at a = 0 the root 0 has no derivative
        ...     return fd.custom_root(lambda x: x ** 3 - a, 0.0, lambda f, x: x * 0.0)
        >>> fd.grad(cube_root)(0.0)
        Traceback (most recent call last):
            ...
        funcdiff.errors.SolveError: dense_solve: the linear system of the derivative is singular ...

        ```
    """

    __module__ = "funcdiff.errors"
