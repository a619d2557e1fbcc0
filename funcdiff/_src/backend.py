"""Array backends: which library an argument's arrays come from, and how a primitive runs
on it.

NumPy is the default and has no `Backend` object: with NumPy arrays (and Python or NumPy
scalars) funcdiff runs as it always did. An array of another library (Dask, CuPy,
`array-api-strict`, anything with `__array_namespace__`) makes a transform's arguments
belong to a `Backend`: the library's array-API namespace (through `array-api-compat`),
its device, and whether NumPy's own functions dispatch to it (`__array_function__`, as
Dask's and CuPy's arrays do). Under a backend, the transform runs staged, as `jit`
does (the rules then only ever see abstract values), and each equation of the program is
evaluated by `Backend.apply`: the primitive's `xp_impl(xp, *args)` (its implementation
in array-API terms) where it has one, else its NumPy `impl` where NumPy dispatches to
the library, else a `BackendError` naming the primitive and the library. Constants the
program holds (NumPy arrays, NumPy scalars) move to the backend's device there; nothing
moves the other way.

What the array API standard lacks and reverse mode needs (scatter-add, einsum, take
along an axis) is written here once, with a native path per library.
"""

from __future__ import annotations

import math

import numpy as np

from funcdiff._src.errors import BackendError

__all__ = [
    "Backend", "backend_of", "library_of", "to_numpy_dtype", "elementwise_xp_impl", "xp_dtype",
    "zeros", "broadcast_to", "einsum", "gather", "scatter_add", "scatter_set", "device_of",
    "OneTask", "not_chunked", "dask_one_task",
]

_NUMPY_TYPES = (np.ndarray, np.generic, float, int, complex, bool)


def library_of(x):
    """The library name of a foreign array (`"dask"`, `"cupy"`, `"array_api_strict"`, ...),
    or None for NumPy arrays, scalars and anything that is no array."""
    if isinstance(x, _NUMPY_TYPES):
        return None
    t = type(x)
    if hasattr(t, "__array_namespace__") or (
        hasattr(t, "__array_function__") and hasattr(x, "shape") and hasattr(x, "dtype")
    ):
        return t.__module__.split(".")[0]
    return None


def _namespace(x):
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - installed with the `backends` extra
        raise ImportError(
            f"funcdiff: running on {library_of(x)} arrays needs the `array-api-compat` "
            'package: pip install "funcdiff[backends]" (from a checkout: '
            'pip install ".[backends]").'
        ) from None
    try:
        return array_api_compat.array_namespace(x), array_api_compat.device(x)
    except (TypeError, AttributeError, ValueError):
        t = type(x)
        raise BackendError(
            f"{t.__module__.split('.')[0]}'s {t.__qualname__} is an array of another library "
            "that funcdiff cannot run on (it has no array-API namespace that "
            "array-api-compat knows). Convert it first: `numpy.asarray(x)` (a Dask array: "
            "`x.compute()`; a CuPy array: `x.get()`)."
        ) from None


class Backend:
    """The arrays of one library on one device that a transform's arguments hold."""

    __slots__ = ("library", "xp", "device", "nep18")

    def __init__(self, x):
        self.library = library_of(x)
        self.xp, self.device = _namespace(x)
        self.nep18 = hasattr(type(x), "__array_function__")

    def same(self, other):
        return self.library == other.library and _same_device(self.device, other.device)

    def describe(self):
        dev = str(self.device)
        return f"{self.library} (device {dev})" if dev not in ("cpu", "None") else self.library

    # -- values --------------------------------------------------------------------

    def convert(self, v, ref):
        """A constant of the program (a NumPy array or scalar, a Python number) as an array
        of this backend, on its device; a Python number takes the dtype of `ref` (an
        operand of the backend) where NumPy would (weakly typed), else the default one."""
        if isinstance(v, np.ndarray) or isinstance(v, np.generic):
            return self.asarray(v)
        if isinstance(v, (bool, int, float, complex)):
            if self.library == "dask" and ref is not None:
                return v  # (Dask takes Python numbers as NumPy does: weakly typed)
            if ref is not None:
                k = to_numpy_dtype(ref).kind
                t = type(v)
                if (t is bool and k == "b") or (t is int and k in "iuf") or (
                        t is float and k in "fc") or (t is complex and k == "c"):
                    return self.asarray(np.asarray(v, to_numpy_dtype(ref)))
            return self.asarray(np.asarray(v))
        return v

    def asarray(self, v):
        v = np.asarray(v)
        if any(st == 0 and n > 1 for st, n in zip(v.strides, v.shape)):
            # a broadcast constant: move its data, broadcast there
            core = v[tuple(slice(0, 1) if st == 0 else slice(None) for st in v.strides)]
            return broadcast_to(self.xp, self.asarray(np.array(core)), v.shape)
        narrow = _NARROW.get(v.dtype.name)
        if narrow is not None and v.dtype.name not in _dtype_names(self.xp, self.device):
            v = v.astype(narrow)  # (a device without float64: float32 instead)
        if self.library == "dask":
            import dask.array as da

            return da.from_array(v, chunks=v.shape or ())
        return self.xp.asarray(v, device=self.device)

    def output(self, v):
        """An output of a transform: constants (a derivative that does not depend on the
        inputs is a NumPy zero) become this backend's arrays, so that array type in is
        array type out."""
        if isinstance(v, np.ndarray) or isinstance(v, np.generic):
            return self.asarray(v)
        return v

    def fresh(self, outs, inputs):
        """The outputs, none sharing memory with an input or another output (funcdiff's
        promise on NumPy, kept here): an output that is an input, a view (`.base`), or
        repeated is copied; on libraries that do not tell views apart (no `.base`) every
        output is copied. Dask's arrays are immutable: nothing to do."""
        if self.library == "dask":
            return outs
        ids = {id(x) for x in inputs}
        seen, result = set(), []
        for o in outs:
            if library_of(o) is not None and (
                    id(o) in ids or id(o) in seen or getattr(o, "base", True) is not None):
                o = self.xp.asarray(o, copy=True)
            seen.add(id(o))
            result.append(o)
        return result

    # -- primitives ----------------------------------------------------------------

    def apply(self, prim, args, params):
        """`prim` on these arguments, in this backend."""
        ref = next((a for a in args if library_of(a) is not None), None)
        args = [self.convert(a, ref) for a in args]
        f = prim.xp_impl
        if f is None and self.library == "dask":
            raise OneTask
        if f is not None:
            try:
                return f(self.xp, *args, **params)
            except AttributeError as e:  # (a function the library's namespace lacks)
                if self.library == "dask":
                    raise OneTask from e
                raise BackendError(
                    f"primitive `{prim.name}` needs a function that {self.describe()} does "
                    f"not have ({e}); convert its arguments to NumPy for it."
                ) from e
        if self.nep18:  # (CuPy: NumPy's functions dispatch to it)
            try:
                out = prim.impl(*args, **params)
            except (TypeError, ValueError, RuntimeError, NotImplementedError) as e:
                raise BackendError(
                    f"primitive `{prim.name}` has no implementation for {self.describe()} "
                    f"arrays and its NumPy one failed on them ({type(e).__name__}: {e}). "
                    "Convert the arguments to NumPy for it; please report it."
                ) from e
            if any(type(o) is np.ndarray for o in (out if prim.multiple_results else [out])):
                raise BackendError(
                    f"primitive `{prim.name}` turned {self.describe()} arrays into NumPy "
                    "ones (its NumPy implementation converts its inputs, which for Dask "
                    "computes them); it needs an implementation for this library: please "
                    "report it."
                )
            return out
        raise BackendError(
            f"primitive `{prim.name}` has no implementation for {self.describe()} arrays "
            "(it is written with NumPy functions that this library's arrays do not "
            "dispatch). Convert the arguments to NumPy (`numpy.asarray(x)`, for a device "
            "array its library's copy to the host) or, for a library with NumPy's "
            "dispatch protocols, use Dask or CuPy; please report it."
        )


class OneTask(Exception):
    """Raised by a primitive's implementation that Dask runs as one task on whole arrays
    (`dask_one_task`): no Dask-native implementation, or linear algebra on matrices."""


def not_chunked(fn):
    """An `xp_impl` that Dask arrays do not take chunk by chunk (linear algebra: Dask's
    wants square chunks and lacks `det`, `eigh`, ...): on Dask it runs as one task."""

    def impl(xp, *args, **params):
        if any(library_of(a) == "dask" for a in args):
            raise OneTask
        return fn(xp, *args, **params)

    return impl


def dask_one_task(prim, args, params, out_avals):
    """`prim` on Dask arrays as one task of the graph: its NumPy implementation on the
    whole arrays, computed when the graph is (nothing now). Exact NumPy semantics, no
    parallelism within the primitive: meant for parameter-sized arrays (a d x d
    matrix); on an array larger than one worker's memory it fails there."""
    import dask
    import dask.array as da

    n = len(out_avals)
    task = dask.delayed(prim.impl, nout=n if prim.multiple_results else None, pure=True)
    out = task(*args, **params)
    if prim.multiple_results:
        return [da.from_delayed(o, shape, dtype=dtype) for o, (shape, dtype) in
                zip(out, out_avals)]
    (shape, dtype), = out_avals
    return da.from_delayed(out, shape, dtype=dtype)


def _same_device(a, b):
    try:
        return a == b
    except Exception:  # pragma: no cover - devices that do not compare
        return a is b


def backend_of(x):
    """A `Backend` for a foreign array `x`, or None for NumPy values."""
    return Backend(x) if library_of(x) is not None else None


def to_numpy_dtype(x):
    """The NumPy dtype of a foreign array's dtype."""
    dt = x.dtype
    try:
        return np.dtype(dt)
    except TypeError:
        pass
    name = str(dt).rsplit(".", 1)[-1]
    return np.dtype(name)


# -- array-API spellings of NumPy's ufuncs ----------------------------------------------

_RENAMED = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "power": "pow",
    "conjugate": "conj", "invert": "bitwise_invert", "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift", "rint": "round", "mod": "remainder",
    "absolute": "abs", "bitwise_and": "bitwise_and", "true_divide": "divide",
}




def _promoted(xp, name, args):
    """The operands cast to NumPy's common dtype where their kinds differ (NumPy promotes
    an int and a float operand; the array API refuses to mix kinds)."""
    dts = [to_numpy_dtype(a) for a in args]
    if all(d == dts[0] for d in dts):
        if name not in ("divide", "true_divide") or dts[0].kind in "fc":
            return args
    target = np.result_type(*dts)
    if name in ("divide", "true_divide") and target.kind in "iub":
        target = np.dtype(np.float64)
    out = []
    for a, d in zip(args, dts):
        if d != target:
            a = xp.astype(a, xp_dtype(xp, target, a))
        out.append(a)
    return out


def _logical(xp, fn, args):
    return fn(*[a if xp.isdtype(a.dtype, "bool") else a != 0 for a in args])


def elementwise_xp_impl(np_impl, name, composed=None):
    """The implementation of an elementwise primitive on other libraries' arrays: on Dask,
    its NumPy implementation block by block (`dask.array.core.elemwise`: NumPy's dtypes and
    broadcasting, nothing computed); elsewhere `composed(xp, *args)` where the primitive
    gives one (a composition of standard functions, written beside the primitive), else
    the namespace's function of the same meaning (NumPy's ufunc names map to the
    standard's), else a `BackendError`."""
    std = _RENAMED.get(name, name)

    def impl(xp, *args, **params):
        if any(library_of(a) == "dask" for a in args):
            from dask.array.core import elemwise

            return elemwise(np_impl, *args, **params)
        if composed is not None:
            return composed(xp, *args)
        if len(args) > 1 and name != "ldexp":
            args = _promoted(xp, name, args)
        fn = getattr(xp, std, None)
        if fn is None:
            raise BackendError(
                f"`{name}` is not in the array API standard and {xp.__name__} has no "
                f"`{std}`: convert its arguments to NumPy for it."
            )
        if name.startswith("logical_"):
            return _logical(xp, fn, args)
        return fn(*args)

    impl.__name__ = f"xp_{std}"
    return impl


# -- what the array API standard lacks, once per library ----------------------------------

_NARROW = {"float64": "float32", "complex128": "complex64"}
_SUPPORTED = {}  # (namespace, device) -> the dtype names it supports


def xp_dtype(xp, dtype, like=None):
    """The namespace's dtype for a NumPy dtype; on the device of the array `like`, when
    that has no float64 (a float32-only device), float32 instead (complex64 for
    complex128): float32 backends keep their dtypes."""
    name = np.dtype(dtype).name
    if like is not None and name in _NARROW and name not in _dtype_names(xp, _device(like)):
        name = _NARROW[name]
    return getattr(xp, name)


def _dtype_names(xp, device):
    """The names of the dtypes `xp` supports on `device` (all the usual ones where the
    namespace cannot say)."""
    key = (xp.__name__, str(device))
    names = _SUPPORTED.get(key)
    if names is None:
        try:
            names = set(xp.__array_namespace_info__().dtypes(device=device))
        except (AttributeError, TypeError, ValueError):
            names = set(_NARROW)
        _SUPPORTED[key] = names
    return names


def device_of(x):
    """The device of an array of any library."""
    import array_api_compat

    return array_api_compat.device(x)


_device = device_of


def _library_module(x):
    """The module of a NumPy-like library with the functions the standard lacks
    (dask.array, cupy: the module that defines the array type), or None."""
    lib = library_of(x)
    if lib == "dask":
        import dask.array

        return dask.array
    if lib == "cupy":
        import cupy

        return cupy
    return None


def zeros(xp, shape, dtype, like):
    """Zeros of `shape` and the NumPy `dtype`, on the device of the array `like`."""
    if library_of(like) == "dask":
        import dask.array

        return dask.array.zeros(shape, dtype=np.dtype(dtype))
    return xp.zeros(shape, dtype=xp_dtype(xp, dtype, like), device=_device(like))


def broadcast_to(xp, x, shape):
    """`x` broadcast to `shape`. On Dask, in chunks of at most 16 MiB (Dask's own
    keeps the source's chunks: a scalar broadcast to a million rows would be one chunk that
    Dask counts, spills and sends at its full size, though it is a view of one number)."""
    if library_of(x) == "dask" and math.prod(shape) > math.prod(x.shape) and shape:
        from dask.array.core import normalize_chunks

        new = len(shape) - x.ndim
        spec = tuple(
            "auto" if i < new or (x.shape[i - new] == 1 and n != 1) else x.chunks[i - new]
            for i, n in enumerate(shape))
        chunks = normalize_chunks(spec, tuple(shape), limit=2**24, dtype=to_numpy_dtype(x))
        return xp.broadcast_to(x, tuple(shape), chunks=chunks)
    return xp.broadcast_to(x, tuple(shape))


def einsum(xp, subscripts, *ops):
    """`numpy.einsum(subscripts, *ops)` (explicit output, no repeated index within one
    operand): the library's own einsum where it has one, else a broadcast product
    summed over the contracted indices."""
    ins, out = subscripts.replace(" ", "").split("->")
    ins = ins.split(",")
    if len(ins) == 2 and _tensordot_form(ins, out):  # a matrix product (BLAS; Dask's own)
        a, b = ins
        summed = [c for c in a if c in b and c not in out]
        return xp.tensordot(ops[0], ops[1], axes=([a.index(c) for c in summed],
                                                  [b.index(c) for c in summed]))
    mod = _library_module(ops[0])
    if mod is not None:
        return mod.einsum(subscripts, *ops)
    letters = "".join(dict.fromkeys("".join(ins) + out))
    if any(len(set(t)) != len(t) for t in ins):
        raise BackendError(
            f"einsum {subscripts!r} repeats an index within one operand (a diagonal), which "
            f"{xp.__name__} arrays cannot take here; convert the operands to NumPy for it."
        )
    prod = None
    for t, x in zip(ins, ops):
        order = sorted(range(len(t)), key=lambda i, t=t: letters.index(t[i]))
        x = xp.permute_dims(x, tuple(order))
        ts = "".join(t[i] for i in order)
        shape = [x.shape[ts.index(c)] if c in ts else 1 for c in letters]
        x = xp.reshape(x, tuple(shape))
        prod = x if prod is None else prod * x
    summed = tuple(i for i, c in enumerate(letters) if c not in out)
    if summed:
        prod = xp.sum(prod, axis=summed)
    rest = [c for c in letters if c in out]
    return xp.permute_dims(prod, tuple(rest.index(c) for c in out)) if rest else prod


def _tensordot_form(ins, out):
    """Whether the two-operand einsum `ins -> out` is a tensordot: no index repeated
    within an operand, every shared index summed, the output the first operand's other
    indices then the second's, in order."""
    a, b = ins
    if len(set(a)) != len(a) or len(set(b)) != len(b):
        return False
    shared = set(a) & set(b)
    if shared & set(out):
        return False
    return out == "".join(c for c in a if c not in shared) + "".join(
        c for c in b if c not in shared)


def _is_basic(e):
    return e is None or e is Ellipsis or isinstance(e, slice) or (
        isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_)))


def _full(idx):
    """A basic index with a trailing Ellipsis (the array API wants every axis named)."""
    return idx if any(e is Ellipsis for e in idx) else tuple(idx) + (Ellipsis,)


def _newaxes(idx, ndim):
    """A basic index without its None entries (new axes), and for each axis of the full
    result whether it is a new one: `x[idx]` is `x[stripped]` reshaped with those axes."""
    used = sum(1 for e in idx if e is not None and e is not Ellipsis)
    new = []
    for e in idx:
        if e is None:
            new.append(True)
        elif e is Ellipsis:
            new.extend([False] * (ndim - used))
        elif isinstance(e, slice):
            new.append(False)
    if not any(e is Ellipsis for e in idx):
        new.extend([False] * (ndim - used))
    return _full(tuple(e for e in idx if e is not None)), new


def _with_new(shape, new):
    """`shape` (the stripped result's) with 1 at the new axes."""
    it = iter(shape)
    return tuple(1 if n else next(it) for n in new)


def _basic_get(xp, x, idx):
    """`x[idx]` for a basic index (None entries by a reshape: the standard's indexing
    takes None only alone)."""
    if not any(e is None for e in idx):
        return x[_full(idx)]
    stripped, new = _newaxes(idx, x.ndim)
    r = x[stripped]
    return xp.reshape(r, _with_new(tuple(r.shape), new))


def _basic_set(xp, out, idx, u):
    """`out[idx] = u` for a basic index (None entries: those axes of u dropped)."""
    if any(e is None for e in idx):
        stripped, new = _newaxes(idx, out.ndim)
        shape = tuple(out[stripped].shape)
        u = xp.reshape(xp.broadcast_to(u, _with_new(shape, new)), shape)
        idx = stripped
    out[_full(idx)] = u


def _array_block(idx):
    """(p, k) when `idx` is p full slices, then integer arrays (or ints) on k >= 1 axes,
    at least one an array, then full slices: adjacent advanced indices, whose result NumPy
    puts in their place (the first p axes, the broadcast shape, the rest). Else None."""
    entries = [e for e in idx if e is not Ellipsis]
    if any(e is None for e in entries):
        return None
    kinds = ["s" if isinstance(e, slice) else "a" for e in entries]
    if "a" not in kinds or any(isinstance(e, slice) and e != slice(None) for e in entries):
        return None
    p = kinds.index("a")
    k = kinds[p:].index("s") if "s" in kinds[p:] else len(kinds) - p
    if "a" in kinds[p + k:] or all(_is_basic(e) for e in entries[p:p + k]):
        return None
    return p, k


def _index_array(xp, i, like, n):
    """An integer index as an array of the backend (negative entries wrapped)."""
    if isinstance(i, (int, np.integer, np.ndarray)):
        i = np.asarray(i)
        i = np.where(i < 0, i + n, i)
        if library_of(like) == "dask":
            import dask.array

            return dask.array.from_array(i, chunks=i.shape)
        return xp.asarray(i, device=_device(like))
    if library_of(i) != "dask" and bool(xp.any((i < -n) | (i >= n))):
        # (NumPy raises; the standard leaves `take` out of bounds unspecified, and a GPU
        # library may wrap: a plausible wrong value. Dask's chunks raise when computed.)
        raise IndexError(f"an index is out of bounds for an axis of size {n}")
    return xp.where(i < 0, i + n, i)


def _linear_index(xp, x, arrays):
    """The broadcast integer index `arrays` into the first len(arrays) axes of `x`, as one
    index into those axes flattened (negative entries wrapped)."""
    lin = None
    for a, e in enumerate(arrays):
        i = _index_array(xp, e, x, x.shape[a])
        lin = i if lin is None else lin * x.shape[a] + i
    return lin


def _unsupported_index(x, idx):
    if library_of(x) == "dask":
        return OneTask()  # (Dask: the NumPy implementation, as one task)
    return BackendError(
        "indexing with index arrays that are not adjacent, or beside slices with bounds or "
        f"steps or None, is not supported on {library_of(x)} arrays; index in two steps "
        "(`x[i][:, j]`) or use `fnp.take`."
    )


def _split(xp, x, idx):
    """(x with the indexed axes first, p, k, their linear index) for `_array_block`."""
    block = _array_block(idx)
    if block is None:
        raise _unsupported_index(x, idx)
    p, k = block
    entries = [e for e in idx if e is not Ellipsis]
    if p:
        x = xp.permute_dims(x, tuple(range(p, p + k)) + tuple(range(p)) + tuple(
            range(p + k, x.ndim)))
    return x, p, k, _linear_index(xp, x, entries[p:p + k])


def gather(xp, x, idx):
    """`x[idx]` for a NumPy index tuple (its arrays NumPy's or the backend's): basic
    indices directly, adjacent integer arrays by `take` on those axes flattened; others
    raise `BackendError` (on Dask: one task, `OneTask`)."""
    if all(_is_basic(e) for e in idx):
        return _basic_get(xp, x, idx)
    y, p, k, lin = _split(xp, x, idx)
    shape = tuple(y.shape)
    flat = xp.reshape(y, (math.prod(shape[:k]),) + shape[k:])
    out = xp.reshape(xp.take(flat, xp.reshape(lin, (-1,)), axis=0),
                     tuple(lin.shape) + shape[k:])
    if p:  # the p leading axes back in front of the broadcast shape
        b = lin.ndim
        out = xp.permute_dims(out, tuple(range(b, b + p)) + tuple(range(b)) + tuple(
            range(b + p, out.ndim)))
    return out


def scatter_add(xp, x, idx, u, dtype):
    """`x` with `u` added at `idx` (repeated entries accumulate), a new array: a basic
    index by an update of zeros, adjacent integer arrays by a one-hot product (no
    scatter-add in the standard; Dask's arrays have no `numpy.add.at`)."""
    if all(_is_basic(e) for e in idx):
        z = zeros(xp, tuple(x.shape), dtype, x)
        _basic_set(xp, z, idx, u)
        return x + z
    y, p, k, lin = _split(xp, x, idx)
    shape = tuple(y.shape)
    n, rest, bshape = math.prod(shape[:k]), shape[k:], tuple(lin.shape)
    b = len(bshape)
    u = xp.broadcast_to(u, tuple(x.shape[:p]) + bshape + tuple(x.shape[p + k:]))
    if p:  # u's layout like y's: the broadcast shape first
        u = xp.permute_dims(u, tuple(range(p, p + b)) + tuple(range(p)) + tuple(
            range(p + b, u.ndim)))
    lin = xp.reshape(lin, (-1, 1))
    m = lin.shape[0]
    ar = xp.arange(n) if library_of(x) == "dask" else xp.arange(n, device=_device(x))
    onehot = xp.astype(lin == xp.reshape(ar, (1, n)), xp_dtype(xp, dtype, x))  # (m, n)
    contrib = xp.matmul(xp.matrix_transpose(onehot), xp.reshape(u, (m, math.prod(rest))))
    contrib = xp.reshape(contrib, shape)
    if p:
        contrib = xp.permute_dims(contrib, tuple(range(k, k + p)) + tuple(range(k)) + tuple(
            range(k + p, contrib.ndim)))
    return x + contrib


def scatter_set(xp, x, idx, u, dtype):
    """`x` with `x[idx] = u`, a new array: basic indices only (with index arrays, NumPy's
    last-write-wins on repeated entries has no standard spelling; on Dask: one task)."""
    if not all(_is_basic(e) for e in idx):
        raise _unsupported_index(x, idx)
    out = xp.astype(x, xp_dtype(xp, dtype, x), copy=True)
    _basic_set(xp, out, idx, u)
    return out
