"""The batching interpreter (vmap): `BatchTrace`, and `batch_flat` to run a function on it.

A `BatchTracer` holds an array with one extra axis (its batch dimension
`bdim`, or None when the value is the same for every example). A primitive's
batching rule maps (values, batch dims) to (output, output batch dim) with
one NumPy call for the whole batch. Batched values are abstract: each stands
for many values, so converting one to a Python value raises
`ConcretizationError`.
"""

from __future__ import annotations

import warnings

from funcdiff._src import nans
from funcdiff._src.core import (
    Trace,
    Tracer,
    _shaped,
    constant_result,
    dtype_of,
    mark_argument,
    pop_main,
    push_main,
    shape_of,
)
from funcdiff._src.lax.shape import moveaxis_to
from funcdiff._src.messages import concretization_error
from funcdiff.numpy import stack

__all__ = ["BatchTrace", "BatchTracer", "batch_flat"]


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim", "_aval")

    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim
        self._aval = None

    def all_values(self):
        v = self.val  # every example at once
        return v.all_values() if isinstance(v, Tracer) else v

    @property
    def aval(self):
        aval = self._aval
        if aval is None:  # computed once: rules ask for shapes many times
            shape = shape_of(self.val)
            if self.bdim is not None:
                shape = shape[: self.bdim] + shape[self.bdim + 1 :]
            aval = self._aval = _shaped(shape, dtype_of(self.val))
        return aval

    @property
    def shape(self):
        aval = self._aval
        return (aval if aval is not None else self.aval).shape

    @property
    def dtype(self):
        aval = self._aval
        return (aval if aval is not None else self.aval).dtype

    def concrete(self):
        if self.bdim is None:
            v = self.val
            return v.concrete() if isinstance(v, Tracer) else v
        raise concretization_error(self._trace.main, "converting a batched value to a Python value")

    def _lower(self):
        return self.val if self.bdim is None else None


class BatchTrace(Trace):
    __slots__ = ("axis_size", "axis_name")

    def pure(self, val):
        return BatchTracer(self, val, None)

    def process_primitive(self, prim, args, params):
        vals, dims = [], []
        batched = False
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                vals.append(a.val)
                d = a.bdim
                dims.append(d)
                if d is not None:
                    batched = True
            else:
                vals.append(a)
                dims.append(None)
        if prim.collective:
            return _process_collective(self, prim, vals, dims, params)
        if not batched:
            return constant_result(self, vals, prim.bind(*vals, **params))
        rule = prim.batch or _fallback_rule(prim)
        if nans.ON and not nans.silenced():  # debug_nans: the rule as a whole is checked
            with nans.rules_checked():
                out, out_dim = rule(vals, dims, **params)
            nans.check_forward(prim, vals, out)
        else:
            out, out_dim = rule(vals, dims, **params)
        if prim.multiple_results:
            if not isinstance(out_dim, (list, tuple)):
                out_dim = [out_dim] * len(out)
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return BatchTracer(self, out, out_dim)


# -- the generic fallback: a loop, with a warning ---------------------------

FALLBACK_USED = set()


def _fallback_rule(prim):
    """Batch by looping over the examples: correct but slow, so it warns once."""

    def rule(vals, dims, **params):
        if prim.name not in FALLBACK_USED:
            FALLBACK_USED.add(prim.name)
            warnings.warn(
                f"vmap: primitive `{prim.name}` has no batching rule; funcdiff falls back to a "
                "Python loop over the batch (slow). Please report this.",
                stacklevel=4,
            )

        size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
        outs = []
        for i in range(size):
            args = [v if d is None else _index_axis(v, d, i) for v, d in zip(vals, dims)]
            outs.append(prim.bind(*args, **params))
        if prim.multiple_results:
            return [stack([o[k] for o in outs]) for k in range(len(outs[0]))], 0
        return stack(outs), 0

    return rule


def _index_axis(v, d, i):
    idx = (slice(None),) * d + (i,)
    return v[idx]


# -- collectives (psum, ...: funcdiff._src.api.collectives) map over a named axis ----


def _process_collective(trace, prim, vals, dims, params):
    if params["axis_name"] != trace.axis_name:
        # not ours: apply the collective lane by lane (it commutes with this map)
        out = prim.bind(*vals, **params)
        return BatchTracer(trace, out, dims[0])
    return BatchTracer(trace, prim.reduce(trace, vals, dims), prim.out_dim)


def batch_flat(fun, args, in_axes, axis_size):
    """Run `fun` (flat list in, flat list out) batched; report which outputs are batched.

    Returns `(outs, out_dims)`: batched outputs have their batch axis at 0
    (`out_dims` 0), outputs that do not depend on the mapped axis are returned
    as they are (`out_dims` None). Rules of loop primitives use this to find
    which parts of a loop state become batched.
    """
    main = push_main(BatchTrace, "vmap", fun)
    try:
        trace = main.trace
        trace.axis_size = axis_size
        trace.axis_name = None
        boxed = [x if a is None else mark_argument(BatchTracer(trace, x, a))
                 for x, a in zip(args, in_axes)]
        outs, dims = [], []
        for o in fun(*boxed):
            if isinstance(o, BatchTracer) and o._trace is trace:
                if o.bdim is None:
                    outs.append(o.val)
                    dims.append(None)
                else:
                    outs.append(moveaxis_to(o.val, o.bdim, 0))
                    dims.append(0)
            else:
                outs.append(o)
                dims.append(None)
    finally:
        pop_main(main)
    return outs, dims
