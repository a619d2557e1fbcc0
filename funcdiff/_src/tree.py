"""The implementation of `funcdiff.tree`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- path keys


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """Path entry for the `idx`-th element of a tuple or list; renders as `[idx]`."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx}]"


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """Path entry for a dict value; renders as `[key]` using `repr(key)`, e.g. `['w']`."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Path entry for a namedtuple or dataclass field; renders as `.name`."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Path entry for the `key`-th child of a custom registered node; renders as `[key]`."""

    key: int

    def __str__(self) -> str:
        return f"[{self.key}]"


def keystr(path: Iterable[Any]) -> str:
    """Render a key path (as produced by `tree_flatten_with_path`) as a string.

    Args:
        path: a tuple of key entries (`SequenceKey`, `DictKey`, `GetAttrKey`,
            `FlattenedIndexKey`).

    Returns:
        The concatenated entries, e.g. `"[0]['w'].field"`; `""` for the root.

    Examples:
        >>> keystr((SequenceKey(0), DictKey("w"), GetAttrKey("field")))
        "[0]['w'].field"
    """
    return "".join(str(k) for k in path)


# --------------------------------------------------------------------------- node kinds


class _NodeKind:
    """How to take apart, rebuild, name and print one kind of container.

    `flatten(x) -> (children, aux)`, `unflatten(aux, children) -> x`,
    `keys(aux, n) -> path entries`, `render(aux, child_strs) -> str`,
    `summary(aux, n) -> str` (used in error messages).
    """

    __slots__ = ("flatten", "keys", "render", "summary", "type", "unflatten")

    def __init__(self, type_, flatten, unflatten, keys, render, summary):
        self.type = type_
        self.flatten = flatten
        self.unflatten = unflatten
        self.keys = keys
        self.render = render
        self.summary = summary

    def __repr__(self) -> str:
        return f"<pytree node kind {self.type.__qualname__}>"


def _seq_keys(aux, n):
    return [SequenceKey(i) for i in range(n)]


def _dict_items(keys, child_strs):
    return ", ".join(f"{k!r}: {c}" for k, c in zip(keys, child_strs))


def _sorted_keys(d) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"pytree dict keys must be sortable (comparable with each other), got {list(d)!r}"
        ) from None


def _flatten_dict(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], keys


def _flatten_ordered_dict(d):
    keys = tuple(d)
    return [d[k] for k in keys], keys


def _flatten_defaultdict(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, keys)


def _factory_name(factory) -> str:
    return getattr(factory, "__name__", repr(factory))


def _tuple_render(aux, cs):
    return f"({cs[0]},)" if len(cs) == 1 else f"({', '.join(cs)})"


_TUPLE = _NodeKind(
    tuple,
    lambda t: (t, None),
    lambda aux, ch: tuple(ch),
    _seq_keys,
    _tuple_render,
    lambda aux, n: f"a tuple of length {n}",
)
_LIST = _NodeKind(
    list,
    lambda t: (t, None),
    lambda aux, ch: list(ch),
    _seq_keys,
    lambda aux, cs: f"[{', '.join(cs)}]",
    lambda aux, n: f"a list of length {n}",
)
_DICT = _NodeKind(
    dict,
    _flatten_dict,
    lambda keys, ch: dict(zip(keys, ch)),
    lambda keys, n: [DictKey(k) for k in keys],
    lambda keys, cs: f"{{{_dict_items(keys, cs)}}}",
    lambda keys, n: f"a dict with keys {list(keys)!r}",
)
_NONE = _NodeKind(
    type(None),
    lambda _: ((), None),
    lambda aux, ch: None,
    lambda aux, n: [],
    lambda aux, cs: "None",
    lambda aux, n: "None",
)
_ORDERED_DICT = _NodeKind(
    collections.OrderedDict,
    _flatten_ordered_dict,
    lambda keys, ch: collections.OrderedDict(zip(keys, ch)),
    lambda keys, n: [DictKey(k) for k in keys],
    lambda keys, cs: f"OrderedDict({{{_dict_items(keys, cs)}}})",
    lambda keys, n: f"an OrderedDict with keys {list(keys)!r}",
)
_DEFAULTDICT = _NodeKind(
    collections.defaultdict,
    _flatten_defaultdict,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch)),
    lambda aux, n: [DictKey(k) for k in aux[1]],
    lambda aux, cs: f"defaultdict({_factory_name(aux[0])}, {{{_dict_items(aux[1], cs)}}})",
    lambda aux, n: f"a defaultdict({_factory_name(aux[0])}) with keys {list(aux[1])!r}",
)

# type -> node kind, looked up by exact type. Namedtuple types are added lazily the
# first time one is flattened; `_registered` holds the types that may not be
# registered again.
_kinds: dict[type, _NodeKind] = {
    k.type: k for k in (_TUPLE, _LIST, _DICT, _NONE, _ORDERED_DICT, _DEFAULTDICT)
}
_registered: set[type] = set(_kinds)


def _namedtuple_kind(cls: type) -> _NodeKind:
    fields = cls._fields
    name = cls.__name__
    kind = _NodeKind(
        cls,
        lambda t: (t, None),
        lambda aux, ch: cls(*ch),
        lambda aux, n: [GetAttrKey(f) for f in fields],
        lambda aux, cs: f"{name}({', '.join(f'{f}={c}' for f, c in zip(fields, cs))})",
        lambda aux, n: f"a {name} namedtuple",
    )
    _kinds[cls] = kind
    return kind


def _kind_of(x) -> _NodeKind | None:
    """The node kind of `x`, or None when `x` is a leaf."""
    kind = _kinds.get(type(x))
    if kind is None and isinstance(x, tuple) and hasattr(type(x), "_fields"):
        kind = _namedtuple_kind(type(x))
    return kind


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Hashable]],
    unflatten_func: Callable[[Hashable, Iterable[Any]], Any],
) -> None:
    """Make instances of `nodetype` pytree nodes instead of leaves.

    Args:
        nodetype: the class to register (matched by exact type, not subclasses).
        flatten_func: `flatten_func(x) -> (children, aux_data)`, where `children`
            is an iterable of subtrees and `aux_data` is hashable static data that
            becomes part of the treedef (and of treedef equality).
        unflatten_func: `unflatten_func(aux_data, children) -> x`; `children` is
            passed as a tuple.

    Raises:
        ValueError: if `nodetype` is already registered (or is a built-in node type).

    Examples:
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
        ...                      lambda aux, ch: Pair(*ch))
        >>> tree_leaves([Pair(1, 2), 3])
        [1, 2, 3]
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node expects a class, got {nodetype!r}")
    if nodetype in _registered:
        raise ValueError(f"{nodetype.__qualname__} is already registered as a pytree node")
    name = nodetype.__name__
    _kinds[nodetype] = _NodeKind(
        nodetype,
        flatten_func,
        lambda aux, ch: unflatten_func(aux, tuple(ch)),
        lambda aux, n: [FlattenedIndexKey(i) for i in range(n)],
        lambda aux, cs: f"CustomNode({name}[{aux!r}], [{', '.join(cs)}])",
        lambda aux, n: f"a {name} node with {n} children and aux data {aux!r}",
    )
    _registered.add(nodetype)
    _leaf_types.discard(nodetype)


def register_dataclass(cls: type, data_fields: Iterable[str], meta_fields: Iterable[str]) -> type:
    """Register a (typically frozen) dataclass as a pytree node.

    Args:
        cls: the class; rebuilt by calling `cls(**fields)`.
        data_fields: names of the fields holding children (subtrees).
        meta_fields: names of static fields; their values must be hashable and are
            stored in the treedef, so trees with different meta values have
            different (unequal) treedefs.

    Returns:
        `cls` itself, so the call can wrap a class definition.

    Raises:
        ValueError: if `cls` is already registered, a name is listed twice, or (for
            a dataclass) the two lists do not cover exactly its `__init__` fields.

    Examples:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Dense:
        ...     w: Any
        ...     b: Any
        ...     act: str
        >>> _ = register_dataclass(Dense, data_fields=["w", "b"], meta_fields=["act"])
        >>> tree_flatten(Dense(1.0, 2.0, "relu"))
        ([1.0, 2.0], PyTreeDef(Dense(w=*, b=*, act='relu')))
    """
    if isinstance(data_fields, str) or isinstance(meta_fields, str):
        raise TypeError("register_dataclass: data_fields and meta_fields must be lists of names")
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    names = data_fields + meta_fields
    if len(set(names)) != len(names):
        raise ValueError(f"register_dataclass: a field is listed twice in {names}")
    if dataclasses.is_dataclass(cls):
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        if set(names) != init:
            raise ValueError(
                f"register_dataclass: data_fields + meta_fields must be exactly the init "
                f"fields of {cls.__qualname__} {sorted(init)}, got {sorted(names)}"
            )
    if cls in _registered:
        raise ValueError(f"{cls.__qualname__} is already registered as a pytree node")

    def flatten(x):
        children = [getattr(x, f) for f in data_fields]
        return children, tuple(getattr(x, f) for f in meta_fields)

    def unflatten(meta, children):
        return cls(**dict(zip(data_fields, children)), **dict(zip(meta_fields, meta)))

    def render(meta, cs):
        items = [f"{f}={c}" for f, c in zip(data_fields, cs)]
        items += [f"{f}={m!r}" for f, m in zip(meta_fields, meta)]
        return f"{cls.__name__}({', '.join(items)})"

    def summary(meta, n):
        if not meta_fields:
            return f"a {cls.__name__}"
        meta_str = ", ".join(f"{f}={m!r}" for f, m in zip(meta_fields, meta))
        return f"a {cls.__name__} ({meta_str})"

    _kinds[cls] = _NodeKind(
        cls,
        flatten,
        unflatten,
        lambda meta, n: [GetAttrKey(f) for f in data_fields],
        render,
        summary,
    )
    _registered.add(cls)
    _leaf_types.discard(cls)
    return cls


# --------------------------------------------------------------------------- flattening
#
# A treedef node is `None` for a leaf, else a tuple `(kind, aux, children)` where
# `children` is a tuple of nodes. Plain tuples make equality and hashing cheap.
#
# Trees may be arbitrarily deep, so every walk below uses an explicit stack, never
# Python recursion. Most walks follow one pattern: the open containers' iterators
# wait on a stack while the current one is walked, a container child is descended
# into at once (its parent's iterator pushed), and an exhausted iterator pops back
# to the parent. Tuple `==` and `hash` recurse too (in C), so nodes `_PLAIN_DEPTH`
# or more levels below the root are `_DeepNode`s, which compare and hash with
# explicit stacks.

# Types known to be leaves without a look at `_kinds` or namedtuple fields (a type
# registered as a node later is taken out).
_leaf_types = {np.ndarray, np.float64, float, int, complex, bool, str}

# Nodes at this depth below the root or deeper are built as `_DeepNode`s, so a chain
# of plain tuple nodes, which `==` and `hash` recurse through in C, is never longer.
_PLAIN_DEPTH = 100


class _DeepNode(tuple):
    """A treedef node at least `_PLAIN_DEPTH` levels below the root.

    The same `(kind, aux, children)` tuple, equal to and hashing like a plain one,
    but `==` and `hash` use explicit stacks: tuple's own recurse in C, which raises
    RecursionError (`==`) or overflows the C stack (`hash`) on deep trees. Every node
    below a `_DeepNode` is one too.
    """

    _hash = None  # cached by __hash__ (an instance attribute once computed)

    def __hash__(self):
        if self._hash is None:
            # hash the unhashed nodes below first, children before parents, so that
            # tuple.__hash__ finds every child's hash cached
            order, stack = [], [self]
            while stack:
                node = stack.pop()
                order.append(node)
                stack.extend(c for c in node[2] if c is not None and c._hash is None)
            for node in reversed(order):
                node._hash = tuple.__hash__(node)
        return self._hash

    def __eq__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return len(other) == 3 and _nodes_equal(self, other)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq


def _nodes_equal(a, b) -> bool:
    """`a == b` for two treedef nodes (tuple semantics: `is` before `==`), without recursion."""
    pairs = [(a, b)]
    while pairs:
        a, b = pairs.pop()
        if a is b:
            continue
        if _differ_here(a, b):
            return False
        pairs.extend(zip(a[2], b[2]))
    return True


def _differ_here(a, b) -> bool:
    """Whether two (non-identical) treedef nodes differ at their top: kind, aux or arity."""
    return (
        a is None
        or b is None
        or a[0] is not b[0]
        or not (a[1] is b[1] or a[1] == b[1])
        or len(a[2]) != len(b[2])
    )


def _flatten(tree, is_leaf, leaves):
    """Append the leaves of `tree` to `leaves`; return its treedef node."""
    if type(tree) is tuple and is_leaf is None:  # the common case: a tuple of arrays
        for x in tree:
            if type(x) not in _leaf_types:
                break
        else:
            leaves.extend(tree)
            return (_TUPLE, None, (None,) * len(tree))
    # the open containers above the current one, as (kind, aux, children iterator,
    # child nodes so far); the bottom entry is a pseudo-container around the root,
    # so the root's node ends up alone in its `nodes`
    stack = []
    kind = aux = None
    it = iter((tree,))
    nodes = []
    while True:
        for x in it:
            t = type(x)
            if (is_leaf is None or not is_leaf(x)) and t not in _leaf_types:
                k = _kinds.get(t)
                if k is None and isinstance(x, tuple) and hasattr(t, "_fields"):
                    k = _namedtuple_kind(t)
                if k is not None:
                    children, a = k.flatten(x)
                    stack.append((kind, aux, it, nodes))
                    kind, aux, it, nodes = k, a, iter(children), []
                    break
            leaves.append(x)
            nodes.append(None)
        else:
            if not stack:
                return nodes[0]
            node = (kind, aux, tuple(nodes))
            if len(stack) > _PLAIN_DEPTH:
                node = _DeepNode(node)
            kind, aux, it, nodes = stack.pop()
            nodes.append(node)


def _build(node, leaves):
    """Rebuild the tree of the container node `node`, its leaves taken from the
    iterator `leaves`."""
    kind, aux, children = node
    if not any(children):  # every child a leaf (nodes are non-empty tuples)
        return kind.unflatten(aux, list(itertools.islice(leaves, len(children))))
    stack = []
    it = iter(children)
    built = []
    while True:
        for c in it:
            if c is None:
                built.append(next(leaves))
            else:
                stack.append((kind, aux, it, built))
                kind, aux, children = c
                it = iter(children)
                built = []
                break
        else:
            x = kind.unflatten(aux, built)
            if not stack:
                return x
            kind, aux, it, built = stack.pop()
            built.append(x)


def _count(node) -> tuple[int, int]:
    """(number of leaves, number of nodes) below and including `node`."""
    leaves = nodes = 0
    stack = [node]
    while stack:
        node = stack.pop()
        nodes += 1
        if node is None:
            leaves += 1
        else:
            stack.extend(node[2])
    return leaves, nodes


def _render(node) -> str:
    if node is None:
        return "*"
    stack = []
    kind, aux, children = node
    it = iter(children)
    strs = []
    while True:
        for c in it:
            if c is None:
                strs.append("*")
            else:
                stack.append((kind, aux, it, strs))
                kind, aux, children = c
                it = iter(children)
                strs = []
                break
        else:
            s = kind.render(aux, strs)
            if not stack:
                return s
            kind, aux, it, strs = stack.pop()
            strs.append(s)


def _summary(node) -> str:
    if node is None:
        return "a leaf"
    kind, aux, children = node
    return kind.summary(aux, len(children))


def _where(path) -> str:
    return f"at path {keystr(path)}" if path else "at the root"


def _keyed(node, *more):
    """zip(path keys, children of `node`, *more) for a container node."""
    kind, aux, children = node
    return zip(kind.keys(aux, len(children)), children, *more)


def _paths(node) -> list[tuple]:
    """The key path of every leaf below `node`, in flattening order."""
    if node is None:
        return [()]
    out = []
    prefix = []  # the keys down to the current container
    stack = []  # the iterators of the containers above it
    it = _keyed(node)
    while True:
        for key, child in it:
            if child is None:
                out.append((*prefix, key))
            else:
                stack.append(it)
                prefix.append(key)
                it = _keyed(child)
                break
        else:
            if not stack:
                return out
            it = stack.pop()
            prefix.pop()


def _first_difference(a, b):
    """(path, node_a, node_b) of the first place (in flattening order) where two
    unequal treedef nodes differ."""
    if _differ_here(a, b):
        return (), a, b
    prefix, stack = [], []
    it = _keyed(a, b[2])
    while True:
        for key, x, y in it:
            if x is y:
                continue
            if _differ_here(x, y):
                return (*prefix, key), x, y
            stack.append(it)
            prefix.append(key)
            it = _keyed(x, y[2])
            break
        else:
            if not stack:
                return (), a, b  # unreachable unless aux equality is inconsistent
            it = stack.pop()
            prefix.pop()


def structure_difference(expected, got):
    """Where and how treedef `got` first differs from `expected`, for an error message:
    "at <path>: expected <node>, got <node>"."""
    path, want, have = _first_difference(expected._node, got._node)
    return f"{_where(path)}: expected {_summary(want)}, got {_summary(have)}"


def _shallow_node(tree):
    """The treedef node of `tree`'s top level only (children shown as leaves)."""
    kind = _kind_of(tree)
    if kind is None:
        return None
    children, aux = kind.flatten(tree)
    return (kind, aux, (None,) * len(list(children)))


def _match(node, tree, path):
    """zip(path keys, child nodes, child subtrees) of `tree`, which must have the top
    level of the container node `node`; ValueError naming `path` if it has not."""
    kind, aux, nodes = node
    if _kind_of(tree) is not kind:
        found = _summary(_shallow_node(tree))
        if found == "a leaf":
            found = f"a leaf of type {type(tree).__name__}"
        raise ValueError(f"{_where(path)}: expected {_summary(node)}, got {found}")
    children, tree_aux = kind.flatten(tree)
    children = list(children)
    if tree_aux != aux or len(children) != len(nodes):
        got = kind.summary(tree_aux, len(children))
        raise ValueError(f"{_where(path)}: expected {_summary(node)}, got {got}")
    return _keyed(node, children)


def _flatten_up_to(node, tree, out):
    """Append to `out` the subtree of `tree` at each leaf of `node`."""
    if node is None:
        out.append(tree)
        return
    prefix, stack = [], []
    it = _match(node, tree, prefix)
    while True:
        for key, child_node, child in it:
            if child_node is None:
                out.append(child)
            else:
                stack.append(it)
                prefix.append(key)
                it = _match(child_node, child, prefix)
                break
        else:
            if not stack:
                return
            it = stack.pop()
            prefix.pop()


class PyTreeDef:
    """The structure of a pytree: its containers, with the leaves left out.

    Hashable and comparable with `==`; two treedefs are equal when the container
    types, dict keys and aux data all match. Obtain one from `tree_flatten` or
    `tree_structure`; do not construct it directly.

    Examples:
        >>> treedef = tree_structure((1.0, {"a": 2.0, "b": None}))
        >>> treedef
        PyTreeDef((*, {'a': *, 'b': None}))
        >>> treedef.num_leaves, treedef.num_nodes
        (2, 5)
        >>> treedef.unflatten(["x", "y"])
        ('x', {'a': 'y', 'b': None})
    """

    __slots__ = ("_counts", "_node", "_num_leaves")

    def __init__(self, node, num_leaves=None):
        self._node = node
        self._num_leaves = num_leaves  # known when made by flattening

    def _leaf_and_node_counts(self) -> tuple[int, int]:
        try:
            return self._counts
        except AttributeError:
            self._counts = _count(self._node)
            return self._counts

    @property
    def num_leaves(self) -> int:
        """Number of leaves in trees of this structure.

        Examples:
            >>> tree_structure([1, (2, 3), None]).num_leaves
            3
        """
        n = self._num_leaves
        return self._leaf_and_node_counts()[0] if n is None else n

    @property
    def num_nodes(self) -> int:
        """Number of nodes, counting leaves, containers and `None` (as in JAX).

        Examples:
            >>> tree_structure([1, (2, 3), None]).num_nodes
            6
        """
        return self._leaf_and_node_counts()[1]

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Build a tree of this structure from `leaves` (in flattening order).

        Args:
            leaves: an iterable of exactly `num_leaves` values.

        Returns:
            The rebuilt tree.

        Raises:
            ValueError: if the number of leaves is wrong.

        Examples:
            >>> tree_structure({"a": 0, "b": (0, 0)}).unflatten([1, 2, 3])
            {'a': 1, 'b': (2, 3)}
        """
        leaves = list(leaves)
        n = self._num_leaves
        if len(leaves) != (self.num_leaves if n is None else n):
            raise ValueError(
                f"tree_unflatten: {self} expects {self.num_leaves} leaves, got {len(leaves)}"
            )
        if self._node is None:
            return leaves[0]
        return _build(self._node, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list:
        """Flatten `tree` only as deep as this treedef's leaves.

        This treedef must be a prefix of `tree`'s structure: at each of its leaves,
        the whole corresponding subtree of `tree` is returned as one element.

        Args:
            tree: a tree whose structure extends this one.

        Returns:
            A list with one subtree of `tree` per leaf of this treedef.

        Raises:
            ValueError: naming the path where `tree` does not match.

        Examples:
            >>> tree_structure((0, {"a": 0})).flatten_up_to(([1, 2], {"a": (3, 4)}))
            [[1, 2], (3, 4)]
        """
        out: list = []
        try:
            _flatten_up_to(self._node, tree, out)
        except ValueError as e:
            raise ValueError(f"tree does not match the structure {self}: {e}") from None
        return out

    def paths(self) -> list[tuple]:
        """The key path of every leaf, in flattening order.

        Examples:
            >>> [keystr(p) for p in tree_structure({"w": [0, 0]}).paths()]
            ["['w'][0]", "['w'][1]"]
        """
        return _paths(self._node)

    def __eq__(self, other) -> bool:
        return isinstance(other, PyTreeDef) and self._node == other._node

    def __hash__(self) -> int:
        return hash(self._node)

    def __repr__(self) -> str:
        return f"PyTreeDef({_render(self._node)})"


# --------------------------------------------------------------------------- public API


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Split a pytree into its list of leaves and its structure.

    Args:
        tree: the pytree.
        is_leaf: optional predicate; a subtree for which it returns True is taken
            as a leaf without looking inside it.

    Returns:
        `(leaves, treedef)`: the leaves in order (dict children by sorted key) and
        a `PyTreeDef` to rebuild the tree with `tree_unflatten`.

    Examples:
        >>> tree_flatten([1, {"b": 2, "a": 3}, None])
        ([1, 3, 2], PyTreeDef([*, {'a': *, 'b': *}, None]))
        >>> tree_flatten([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple))
        ([1, (2, 3)], PyTreeDef([*, *]))
    """
    leaves: list = []
    node = _flatten(tree, is_leaf, leaves)
    return leaves, PyTreeDef(node, len(leaves))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and its leaves (inverse of `tree_flatten`).

    Args:
        treedef: the structure, from `tree_flatten` or `tree_structure`.
        leaves: exactly `treedef.num_leaves` values.

    Returns:
        The tree (dicts are rebuilt with sorted keys).

    Examples:
        >>> leaves, treedef = tree_flatten((1, [2, 3]))
        >>> tree_unflatten(treedef, [x * 10 for x in leaves])
        (10, [20, 30])
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of a pytree, in flattening order.

    Examples:
        >>> tree_leaves({"x": (1, 2), "y": None, "z": 3})
        [1, 2, 3]
    """
    leaves: list = []
    _flatten(tree, is_leaf, leaves)
    return leaves


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The `PyTreeDef` of a pytree.

    Examples:
        >>> tree_structure((1.0, {"a": 2.0, "b": None}))
        PyTreeDef((*, {'a': *, 'b': None}))
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_flatten_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Like `tree_flatten`, but pairs every leaf with its key path.

    Args:
        tree: the pytree.
        is_leaf: optional predicate marking subtrees to treat as leaves.

    Returns:
        `([(path, leaf), ...], treedef)`, where each path is a tuple of key
        entries; render one with `keystr`.

    Examples:
        >>> pairs, _ = tree_flatten_with_path([{"w": 1.0}, (2.0,)])
        >>> [(keystr(p), x) for p, x in pairs]
        [("[0]['w']", 1.0), ('[1][0]', 2.0)]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    return list(zip(treedef.paths(), leaves)), treedef


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf=None) -> Any:
    """Apply `f` leaf-wise to one or more pytrees of the same structure.

    Args:
        f: called as `f(leaf, *rest_leaves)` for every leaf position.
        tree: the first pytree; gives the output structure.
        *rest: more pytrees, each with exactly the structure of `tree`.
        is_leaf: optional predicate marking subtrees to treat as leaves (applied
            to every tree).

    Returns:
        A tree with `tree`'s structure holding the results of `f`.

    Raises:
        ValueError: if a tree in `rest` has a different structure, naming the path
            where it first differs.

    Examples:
        >>> tree_map(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)})
        {'a': 11, 'b': (22, 33)}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves = [leaves]
    for i, other in enumerate(rest, start=1):
        other_leaves, other_def = tree_flatten(other, is_leaf)
        if other_def != treedef:
            raise ValueError(
                f"tree_map: tree argument {i} does not have the structure of the first tree "
                f"{structure_difference(treedef, other_def)}. "
                f"First tree: {treedef}; tree {i}: {other_def}"
            )
        all_leaves.append(other_leaves)
    return treedef.unflatten([f(*xs) for xs in zip(*all_leaves)])


def broadcast_prefix(prefix_tree: Any, full_tree: Any, is_leaf=None) -> list:
    """Repeat each leaf of a prefix tree over the leaves of the matching subtree.

    Used to expand a per-argument spec such as vmap's `in_axes`. `None` in
    `prefix_tree` counts as a leaf value (not an empty subtree).

    Args:
        prefix_tree: a tree whose structure is a prefix of `full_tree`'s.
        full_tree: the full tree.
        is_leaf: optional predicate marking subtrees to treat as leaves; applied to
            both trees, so the result lines up with `tree_leaves(full_tree, is_leaf)`.

    Returns:
        A list with one prefix leaf per leaf of `full_tree`.

    Raises:
        ValueError: naming the path where `prefix_tree` is not a prefix of `full_tree`.

    Examples:
        >>> broadcast_prefix((0, None), ([1, 2], {"a": 3}))
        [0, 0, None]
    """

    def prefix_leaf(x):
        return x is None or (is_leaf is not None and is_leaf(x))

    prefix_leaves, prefix_def = tree_flatten(prefix_tree, prefix_leaf)
    try:
        subtrees = []
        _flatten_up_to(prefix_def._node, full_tree, subtrees)
    except ValueError as e:
        raise ValueError(
            f"broadcast_prefix: prefix tree {prefix_def} is not a prefix of the full tree: {e}"
        ) from None
    out: list = []
    for leaf, subtree in zip(prefix_leaves, subtrees):
        out.extend([leaf] * len(tree_leaves(subtree, is_leaf)))
    return out
