"""Pytrees: nested containers whose non-container elements are leaves (JAX semantics).

A *pytree* is built from container *nodes*: `tuple`, `list`, `dict` (children in
sorted key order), namedtuples, `collections.OrderedDict` (its own key order),
`collections.defaultdict`, `None` (a node with no children) and any class
registered with `register_pytree_node` or `register_dataclass`. Everything else
(arrays, scalars, strings, tracers, arbitrary objects) is a *leaf*.

Flattening a tree gives its leaves in a fixed order plus a `PyTreeDef` that
records the containers, so the tree can be rebuilt around new leaves:

>>> leaves, treedef = tree_flatten({"b": 2, "a": (1, None)})
>>> leaves
[1, 2]
>>> treedef
PyTreeDef({'a': (*, None), 'b': *})
>>> tree_unflatten(treedef, [10, 20])
{'a': (10, None), 'b': 20}
"""

from funcdiff._src.ravel import ravel_pytree
from funcdiff._src.tree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    broadcast_prefix,
    keystr,
    register_dataclass,
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "PyTreeDef",
    "SequenceKey",
    "broadcast_prefix",
    "keystr",
    "ravel_pytree",
    "register_dataclass",
    "register_pytree_node",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]
