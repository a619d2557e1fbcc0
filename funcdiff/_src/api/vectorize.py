"""`funcdiff.numpy.vectorize`: NumPy's `vectorize` with JAX's semantics, built on `vmap`.

`vectorize(f)` maps `f`, written for scalars, over the broadcast shape of its array
arguments; with `signature="(n),(n)->()"` `f` takes core arrays of those dimensions
and the map runs over the remaining (loop) dimensions. Unlike `numpy.vectorize` there is
no Python loop: `f` runs once, on batched values, so it must be written with funcdiff
functions (Python `if` on a value raises `ConcretizationError`; use `fnp.where`), and
the result is differentiable and composes with every transform. Where `f` needs the
values (a Python `if` on them) and they are known (under `grad`, `jvp`, `vjp`), `f` runs
once per element instead, as NumPy's `vectorize` does, and the results are stacked.

`numpy.vectorize` itself, called on traced values, dispatches here (its `pyfunc`,
`excluded` and `signature`): importing funcdiff wraps `numpy.vectorize.__call__` once
(below), which otherwise calls NumPy's own, unchanged. NumPy's vectorize has no dispatch
hook of its own: it converts its arguments with `numpy.asarray`.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from funcdiff._src.api.vmap import vmap
from funcdiff._src.core import has_tracer, shape_of
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.shape import broadcast_to, reshape, stack

__all__ = ["vectorize"]

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*->\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*$")


def _parse(signature):
    if not _SIGNATURE.match(signature):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    ins, outs = signature.split("->")

    def dims(part):
        return [tuple(d.strip() for d in grp.split(",") if d.strip())
                for grp in re.findall(r"\(([^()]*)\)", part)]

    return dims(ins), dims(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """`numpy.vectorize` with JAX's semantics: `pyfunc` is mapped with `vmap` over the
    broadcast loop dimensions of its arguments (all of them, or those outside the core
    dimensions of `signature`); arguments in `excluded` (positions or names) are passed
    as they are.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> dot = fnp.vectorize(lambda a, b: fnp.sum(a * b), signature="(n),(n)->()")
        >>> dot(fnp.ones((4, 3)), fnp.ones(3)).tolist()
        [3.0, 3.0, 3.0, 3.0]
        >>> fd.grad(lambda x: fnp.sum(fnp.vectorize(lambda v: v * v)(x)))(fnp.ones(2)).tolist()
        [2.0, 2.0]

        ```
    """
    in_dims, out_dims = _parse(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        excluded_pos = {i for i in excluded if isinstance(i, int)}
        fixed_kwargs = {k: v for k, v in kwargs.items() if k in excluded}
        mapped_kwargs = {k: v for k, v in kwargs.items() if k not in excluded}
        if mapped_kwargs:
            raise TypeError(
                "vectorize: keyword arguments are mapped only when excluded; pass them "
                f"positionally or list them in excluded= ({sorted(mapped_kwargs)})")
        positions = [i for i in range(len(args)) if i not in excluded_pos]
        arrays = [asarray(args[i]) for i in positions]
        if in_dims is not None and len(in_dims) != len(arrays):
            raise TypeError(f"vectorize: the signature {signature!r} takes {len(in_dims)} "
                            f"argument(s), got {len(arrays)}")
        cores = [len(d) for d in in_dims] if in_dims is not None else [0] * len(arrays)
        sizes = {}
        loops = []
        for k, (a, c) in enumerate(zip(arrays, cores)):
            shape = shape_of(a)
            if len(shape) < c:
                raise ValueError(f"vectorize: argument {positions[k]} has {len(shape)} "
                                 f"dimension(s), fewer than its core dimensions {in_dims[k]}")
            for name, n in zip(in_dims[k] if in_dims is not None else (), shape[len(shape) - c:]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: inconsistent size for core dimension "
                                     f"{name!r}: {sizes[name]} and {n}")
            loops.append(shape[:len(shape) - c])
        loop = np.broadcast_shapes(*loops) if loops else ()
        flat = [reshape(broadcast_to(a, loop + shape_of(a)[len(shape_of(a)) - c:]),
                        (int(np.prod(loop, dtype=np.int64)),) + shape_of(a)[len(shape_of(a)) - c:])
                for a, c in zip(arrays, cores)]

        def call(*mapped):
            full = list(args)
            for i, v in zip(positions, mapped):
                full[i] = v
            return pyfunc(*full, **fixed_kwargs)

        if not loop:  # nothing to map: one call on the core arrays
            return call(*[reshape(f, shape_of(f)[1:]) for f in flat])
        try:
            out = vmap(call)(*flat)
        except ConcretizationError:  # `pyfunc` reads the values: one call per element
            out = _per_element(call, flat)

        def unflatten(o):
            return reshape(o, loop + shape_of(o)[1:])

        if isinstance(out, tuple):
            return tuple(unflatten(o) for o in out)
        return unflatten(out)

    return wrapped


def _per_element(call, flat):
    """NumPy's own way: `call` once per element of the loop dimension (Python control
    flow on the values works where they are known), the results stacked."""
    outs = [call(*[f[i] for f in flat]) for i in range(shape_of(flat[0])[0])]
    if isinstance(outs[0], tuple):
        return tuple(stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return stack(outs)


_numpy_call = np.vectorize.__call__


def _numpy_vectorize_call(self, *args, **kwargs):
    """`numpy.vectorize(f)(...)`: NumPy's own call, or on traced values funcdiff's."""
    if not has_tracer(*args, *kwargs.values()):
        return _numpy_call(self, *args, **kwargs)
    return vectorize(self.pyfunc, excluded=self.excluded, signature=self.signature)(
        *args, **kwargs)


np.vectorize.__call__ = _numpy_vectorize_call
