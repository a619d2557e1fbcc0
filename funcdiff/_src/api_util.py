"""Helpers shared by the transforms: flattening functions, checks, zeros."""

from __future__ import annotations

import numpy as np

from funcdiff._src.backend import Backend, OneTask, dask_one_task, library_of
from funcdiff._src.core import Trace, Tracer, get_aval, pop_main, push_main
from funcdiff._src.errors import BackendError
from funcdiff._src.tree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten

float0 = np.dtype([("float0", np.void, 0)])
"""dtype of the (empty) tangents and gradients of integer and boolean values."""


def is_float(dtype):
    kind = getattr(dtype, "kind", None)  # a dtype: a field read, not numpy.issubdtype
    return kind in ("f", "c") if kind is not None else np.issubdtype(dtype, np.inexact)


def zeros_like_aval(aval):
    """A zero tangent/cotangent for a value with abstract value `aval`."""
    if is_float(aval.dtype):
        return np.zeros(aval.shape, aval.dtype)
    return np.zeros(aval.shape, float0)


def flatten_fun_args(fun, in_tree, has_aux=False, name=None):
    """Wrap `fun` (pytree in, pytree out) as a function of flat leaves.

    Returns `(flat_fun, store)`; after a call, `store["tree"]` is the output
    treedef and `store["aux"]` the auxiliary output when `has_aux`. With `name`
    (the transform's), the output must be a pytree of arrays (`check_output`).
    """
    store = {}

    def flat_fun(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            out, store["aux"] = split_aux(out, fun, name or "the transform")
        flat, store["tree"] = tree_flatten(out)
        if name is not None:
            check_output(out, flat, fun, name)
        return flat

    return flat_fun, store


# -- no aliasing: arrays a transform returns are the caller's own -------------------------


def _root(x):
    """The object owning the memory of the ndarray `x` (the end of its `.base` chain)."""
    base = x.base
    while base is not None:
        x = base
        base = getattr(x, "base", None)
    return x


def fresh_outputs(outs, inputs):
    """The list `outs` with every ndarray that is read-only, or shares memory with an
    ndarray of `inputs` (the caller's arrays) or with an earlier output, copied.

    A new array (no `.base`, not one of the inputs) passes after a few tests; a view
    is checked by the owner of its memory (two views of one array count as sharing)."""
    given = {id(y) for y in inputs}
    seen = set()  # ids of the outputs' memory owners so far
    taken = None  # the same with the inputs' memory owners (made when a view needs it)
    result = []
    for x in outs:
        if isinstance(x, np.ndarray):
            i = id(x)
            if (type(x) is np.ndarray and x.base is None and x.flags.writeable
                    and i not in given and i not in seen):
                seen.add(i)  # a new array owns its memory
                if taken is not None:
                    taken.add(i)
            else:
                if taken is None:
                    taken = {id(_root(y)) for y in inputs if isinstance(y, np.ndarray)} | seen
                root = _root(x)
                if not x.flags.writeable or id(root) in taken:
                    x = root = x.copy()
                seen.add(id(root))
                taken.add(id(root))
        result.append(x)
    return result


# -- checks of what the user passes and returns -------------------------------------------
# They run once per call on the arguments and outputs (a type test per leaf); the
# messages, built only on failure, say what was passed and how to write it.

_ARRAY_LEAVES = (np.ndarray, np.generic, float, int, complex, bool, Tracer)
_PLAIN_LEAVES = frozenset({  # exact types that pass `check_leaves` at once (the common ones)
    np.ndarray, float, int, complex, bool, np.float64, np.float32, np.complex128, np.int64,
    np.bool_,
})


def _fun_name(fun):
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _what(x):
    """A short description of a returned value for messages."""
    if x is None:
        return "None"
    if isinstance(x, tuple):
        return f"a tuple of {len(x)} values"
    if isinstance(x, list):
        return f"a list of {len(x)} values"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))}"
    return f"a {type(x).__name__} ({x!r:.60})" if isinstance(x, str) else f"a {type(x).__name__}"


def check_fun(fun, name):
    """`fun` passed to a transform must be callable (`fd.grad(x)` is a slip)."""
    if not callable(fun):
        raise TypeError(
            f"{name}(fun, ...) takes the function to transform first, got {_what(fun)}. "
            f"A transform returns a new function: write `fd.{name}(f)(x)`."
        )


def check_argnums(argnums, name):
    """`argnums` must be an int or a sequence of ints (`fd.grad(f, x)` is a slip)."""
    ok = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    if isinstance(argnums, (tuple, list)):
        ok = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums)
    if not ok:
        raise TypeError(
            f"{name}(fun, argnums): argnums must be an int or a tuple of ints, got "
            f"{_what(argnums)}. `fd.{name}(f)` returns the {name} function; call it on the "
            f"arguments: `fd.{name}(f)(x)` (JAX's spelling; not PyTorch's `grad(f, x)`)."
        )


def check_flag(value, what, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: {what} must be True or False, got {_what(value)}")


def split_aux(out, fun, name):
    """`(out, aux)` from a function with `has_aux=True`."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"{name} with has_aux=True needs the function ({_fun_name(fun)}) to return a pair "
            f"(output, aux), but it returned {_what(out)}."
        )
    return out


def check_output(out, leaves, fun, name):
    """The output of a function given to `vjp`, `jvp`, `jacrev`, ...: a pytree of arrays."""
    if out is None:
        raise TypeError(
            f"{name}: the function {_fun_name(fun)} returned None, so there is nothing to "
            "differentiate; is a `return` statement missing?"
        )
    for x in leaves:
        if not isinstance(x, _ARRAY_LEAVES):
            path = _leaf_path(out, x)
            raise TypeError(
                f"{name}: the output of {_fun_name(fun)} must be arrays (or a pytree of arrays), "
                f"but output{path} is {_what(x)}. Return arrays, or return non-array data as "
                "the aux of `has_aux=True`."
            )


def check_grad_output(out, fun, name, has_aux):
    """`grad`'s function returns one array (a pair with `has_aux`)."""
    if isinstance(out, Tracer) or isinstance(out, _ARRAY_LEAVES):  # a tracer: the usual
        return
    if out is None:
        why = "Is a `return` statement missing?"
    elif isinstance(out, (tuple, list)) and len(out) == 2 and not has_aux:
        why = (
            "If it is (value, aux), pass has_aux=True: `fd.grad(f, has_aux=True)` returns "
            "(gradient, aux)."
        )
    elif isinstance(out, (tuple, list, dict)):
        why = (
            "grad differentiates one scalar: return `fnp.sum(...)` (or the entry you mean); for "
            "pytree outputs use `fd.jacrev` or `fd.vjp`."
        )
    else:
        why = "Return a scalar array (e.g. `fnp.sum(...)`)."
    raise TypeError(
        f"{name} needs the function {_fun_name(fun)} to return a scalar array, but it returned "
        f"{_what(out)}. {why}"
    )


def check_leaves(leaves, tree_of, name, what="argument"):
    """Every leaf a transform receives must be an array or a number. Returns None for
    NumPy values, or the `Backend` of another library's arrays (all of one library on one
    device: else a `BackendError` naming two of them)."""
    for x in leaves:
        if type(x) not in _PLAIN_LEAVES and (
            not isinstance(x, _ARRAY_LEAVES) or (type(x) is not np.ndarray and _odd_array(x))
        ):
            break
    else:
        return None
    foreign = []
    for path, x in tree_flatten_with_path(tree_of)[0]:
        if _odd_array(x):
            raise TypeError(
                f"{name}: {what} {_argpath(path)} is a {type(x).__module__}.{type(x).__name__}, "
                "whose operators and derivatives differ from numpy.ndarray's (matrix `*` is "
                "a matrix product; masked entries are skipped). Pass `numpy.asarray(x)` (and "
                "handle a mask with `fnp.where`)."
            )
        if library_of(x) is not None:
            foreign.append((path, x))
        elif not isinstance(x, _ARRAY_LEAVES):
            raise TypeError(
                f"{name}: {what} {_argpath(path)} is a {type(x).__qualname__}, which is not an "
                "array and not a pytree node. Register its class with "
                "`funcdiff.tree.register_pytree_node` or `funcdiff.tree.register_dataclass` "
                "so its arrays become leaves"
                + (", or mark it static (`static_argnums`)" if name == "jit" else "")
                + "; pass non-array settings through a closure or functools.partial."
            )
    if not foreign:
        return None
    path0, x0 = foreign[0]
    be = Backend(x0)
    for path, x in foreign[1:]:
        other = Backend(x)
        if not be.same(other):
            raise _mismatch(name, what, path0, be, path, other)
    for path, x in tree_flatten_with_path(tree_of)[0]:
        if isinstance(x, np.ndarray) and x.ndim:
            raise BackendError(
                f"{name}: {what} {_argpath(path0)} is a {be.describe()} array but {what} "
                f"{_argpath(path)} is a numpy.ndarray of shape {x.shape}: one call takes "
                f"the arrays of one library. Convert it: {_to(be, 'x')} (or the other to "
                "NumPy). Python and NumPy scalars, and NumPy constants inside the function, "
                "are fine."
            )
    return be


def _to(be, v):
    """How to make `v` an array of backend `be`."""
    if be.library == "dask":
        return f"`dask.array.from_array({v})`"
    if be.library == "cupy":
        return f"`cupy.asarray({v})` (under `with cupy.cuda.Device({be.device.id}):`)" if (
            hasattr(be.device, "id")) else f"`cupy.asarray({v})`"
    return f"`{be.xp.__name__}.asarray({v}, device={be.device!r})`"


def _mismatch(name, what, path0, be0, path1, be1):
    if be0.library == be1.library:
        fix = (f"move one to the other's device: `x.to_device({be0.device!r})` or "
               f"{_to(be0, 'x')}")
        kind = "devices"
    else:
        fix = f"convert one: {_to(be0, 'x')}, or to NumPy first (`x.compute()` for Dask, " \
              "`x.get()` for CuPy, `numpy.asarray(x)`)"
        kind = "libraries"
    return BackendError(
        f"{name}: {what} {_argpath(path0)} is a {be0.describe()} array and {what} "
        f"{_argpath(path1)} is a {be1.describe()} array: one call takes the arrays of one "
        f"library on one device (these are of two {kind}). To use them together, {fix}."
    )


def foreign_backend(args, kwargs, name, what="argument"):
    """The `Backend` of a transform's arguments (all of them, differentiated or not) when
    they are another library's arrays, else None (at once for plain NumPy arguments)."""
    for a in args:
        if type(a) not in _PLAIN_LEAVES:
            break
    else:
        if not kwargs:
            return None
    tree_of = args if not kwargs else (args, kwargs)
    leaves = tree_flatten(tree_of)[0]
    for x in leaves:
        if type(x) not in _PLAIN_LEAVES and library_of(x) is not None:
            break
    else:
        return None
    return check_leaves(leaves, tree_of, name, what)


def same_backend(name, be_a, what_a, be_b, what_b):
    """The one backend of two groups of arguments (primals and tangents), or a
    `BackendError` when they differ (None stands for NumPy)."""
    if be_a is None and be_b is None:
        return None
    if be_a is not None and be_b is not None and be_a.same(be_b):
        return be_a
    a = be_a.describe() if be_a is not None else "NumPy"
    b = be_b.describe() if be_b is not None else "NumPy"
    fix = _to(be_a or be_b, "t")
    raise BackendError(
        f"{name}: the {what_a} are {a} arrays but the {what_b} are {b} arrays: one call "
        f"takes the arrays of one library on one device. Convert them: {fix}."
    )


class BackendTrace(Trace):
    """The bottom level of the interpreter stack while a program runs on another
    library's arrays: it receives every primitive bound on plain values (`observes_eager`)
    and runs it with `Backend.apply`."""

    __slots__ = ("backend",)
    observes_eager = True
    boxes = False

    def process_primitive(self, prim, args, params):
        try:
            return self.backend.apply(prim, args, params)
        except OneTask:
            out = prim.abstract_eval(*[get_aval(a) for a in args], **params)
            avals = out if prim.multiple_results else [out]
            return dask_one_task(prim, args, params, [(a.shape, a.dtype) for a in avals])


def run_on(be, program, leaves):
    """Evaluate `program` on the arrays of backend `be`: each equation by `be.apply`;
    outputs that are constants become the backend's arrays."""
    main = push_main(BackendTrace, "backend")
    main.trace.backend = be
    try:
        outs = program(*leaves)
    finally:
        pop_main(main)
    return be.fresh([be.output(o) for o in outs], leaves)


def _odd_array(x):
    return isinstance(x, np.ndarray) and (
        isinstance(x, np.matrix) or isinstance(x, np.ma.MaskedArray)
    )


def _argpath(path):
    """"0['w']" for the path [0]['w'] into the tuple of arguments."""
    s = keystr(path)
    head, _, rest = s[1:].partition("]")
    return f"{head}{rest}" if s.startswith("[") and head.isdigit() else s


def _leaf_path(tree, leaf):
    for path, x in tree_flatten_with_path(tree)[0]:
        if x is leaf:
            return keystr(path)
    return ""


def unflatten_out(tree, leaves):
    return tree_unflatten(tree, leaves)


def strip_tracers(tree, trace):
    """Replace tracers of `trace` in `tree` by their primal values (for aux outputs)."""

    def strip(x):
        while isinstance(x, Tracer) and x._trace is trace:
            x = x.primal
        return x

    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [strip(x) for x in leaves])


def check_tangents(flat_p, tree_p, flat_t, tree_t, primals, tangents):
    """Tangents must match the primals' structure, shapes and dtypes."""
    if tree_p != tree_t:
        raise TypeError(
            "jvp: primal and tangent arguments must have the same tree structure; "
            + structure_difference(primals, tangents, "primals", "tangents")
            + f" (structures {tree_p} and {tree_t})."
        )
    paths = None
    for i, (p, t) in enumerate(zip(flat_p, flat_t)):
        pa, ta = get_aval(p), get_aval(t)
        if pa.shape == ta.shape and (pa.dtype == ta.dtype or _tangent_dtype_ok(pa, ta)):
            continue
        if paths is None:
            paths = [keystr(path) for path, _ in tree_flatten_with_path(primals)[0]]
        where = f"primals{paths[i]}"
        if pa.shape != ta.shape:
            raise ValueError(
                f"jvp: the tangent for {where} has shape {ta.shape}, but the primal has shape "
                f"{pa.shape}; tangents must have the primals' shapes."
            )
        want = pa.dtype if is_float(pa.dtype) else float0
        raise TypeError(
            f"jvp: the tangent for {where} has dtype {ta.dtype}, but the primal has dtype "
            f"{pa.dtype}, so the tangent must have dtype {want}. Cast it, e.g. "
            f"`t.astype({want.name if want is not float0 else 'funcdiff.float0'})`."
        )


def structure_difference(a, b, name_a, name_b):
    """Where two pytrees first differ, by path: `tangents['w'][1] is missing (primals have
    an array there)`."""
    pa = [keystr(path) for path, _ in tree_flatten_with_path(a)[0]]
    pb = [keystr(path) for path, _ in tree_flatten_with_path(b)[0]]
    for x, y in zip(pa, pb):
        if x != y:
            return f"{name_a}{x} has no counterpart in {name_b} (which has {name_b}{y} there)"
    if len(pa) > len(pb):
        return f"{name_a}{pa[len(pb)]} has no counterpart in {name_b}"
    if len(pb) > len(pa):
        return f"{name_b}{pb[len(pa)]} has no counterpart in {name_a}"
    return f"{name_a} and {name_b} differ in their containers"


def _tangent_dtype_ok(pa, ta):
    # Python floats come in as float64; integer primals take float0 tangents.
    if not is_float(pa.dtype):
        return ta.dtype == float0
    return False


def argnums_tuple(argnums, nargs, name):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} refers to a positional argument that does not "
                f"exist; the function was called with {nargs} positional argument(s)."
            )
    return single, tuple(a % nargs for a in nums)


def check_diff_input(leaf, where, name, holomorphic, allow_int):
    dtype = np.result_type(leaf)
    if holomorphic:
        if not np.issubdtype(dtype, np.complexfloating):
            raise TypeError(
                f"{name} with holomorphic=True needs complex inputs, but {where} has dtype "
                f"{dtype}. Cast it with `.astype(complex)` or drop holomorphic=True."
            )
        return True
    if np.issubdtype(dtype, np.inexact):
        return True
    if allow_int:
        return False
    raise TypeError(
        f"{name} requires real- or complex-valued inputs (float dtype), but {where} has "
        f"dtype {dtype}. Pass a float (e.g. `2.0` instead of `2`, or `x.astype(float)`), "
        f"or use {name}(..., allow_int=True) to get a zero (float0) gradient for it."
    )
