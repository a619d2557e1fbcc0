"""Tests for funcdiff.tree (pytrees)."""

import collections
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcdiff._src.tree as tree_impl
import funcdiff.tree as tree_module
from funcdiff.tree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    broadcast_prefix,
    keystr,
    ravel_pytree,
    register_dataclass,
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same_tree(a, b):
    """Same container types (recursively), same dict keys, identical leaves."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        if isinstance(a, collections.defaultdict):
            assert a.default_factory is b.default_factory
        for k in a:
            assert_same_tree(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y)
    elif a is not None:
        assert a is b


# --------------------------------------------------------------------------- round trips

leaf_st = st.one_of(
    st.floats(allow_nan=False, width=32),
    st.integers(-5, 5).map(lambda n: np.full((abs(n) % 3,), float(n))),
    st.just("a string leaf"),
)


def _containers(children):
    keys = st.text(alphabet="abcdef", min_size=1, max_size=3)
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
        st.builds(Point, children, children),
        st.just(None),
    )


tree_st = st.recursive(leaf_st, _containers, max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(tree_st)
def test_round_trip_random_trees(tree):
    leaves, treedef = tree_flatten(tree)
    assert treedef.num_leaves == len(leaves)
    rebuilt = tree_unflatten(treedef, leaves)
    # dicts are rebuilt with sorted keys; compare against a sorted copy of the input
    assert_same_tree(_sort_dicts(tree), rebuilt)
    assert tree_structure(rebuilt) == treedef
    assert hash(tree_structure(rebuilt)) == hash(treedef)
    rebuilt_leaves = tree_leaves(rebuilt)
    assert len(rebuilt_leaves) == len(leaves)
    assert all(x is y for x, y in zip(rebuilt_leaves, leaves))


def _sort_dicts(tree):
    if type(tree) is dict:
        return {k: _sort_dicts(tree[k]) for k in sorted(tree)}
    if type(tree) is Point:
        return Point(*map(_sort_dicts, tree))
    if type(tree) in (list, tuple):
        return type(tree)(map(_sort_dicts, tree))
    return tree


@settings(max_examples=100, deadline=None)
@given(tree_st)
def test_tree_map_identity_preserves_leaves(tree):
    out = tree_map(lambda x: x, tree)
    assert tree_structure(out) == tree_structure(tree)
    assert all(x is y for x, y in zip(tree_leaves(out), tree_leaves(tree)))


@pytest.mark.parametrize(
    "tree",
    [
        (1.0, 2.0),
        (3.0,),
        (),
        [1, [2, 3]],
        [],
        {"b": 1, "a": 2},
        {},
        None,
        Point(1, (2, 3)),
        collections.OrderedDict([("z", 1), ("a", 2)]),
        collections.defaultdict(list, {"y": 1, "x": [2]}),
        np.arange(3.0),
        "leaf",
    ],
)
def test_round_trip_each_node_kind(tree):
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    expected = _sort_dicts(tree)
    if type(tree) is collections.defaultdict:
        expected = collections.defaultdict(list, sorted(tree.items()))
    assert_same_tree(expected, rebuilt)
    assert tree_structure(rebuilt) == treedef


def test_leaf_counts():
    assert tree_leaves((1.0, [2.0, None], {"a": np.ones(2)}))[:2] == [1.0, 2.0]
    assert tree_structure((1.0, [2.0, None], {"a": 3})).num_leaves == 3
    # nodes: tuple, 1.0, list, 2.0, None, dict, 3  -> 7 (leaves and None count, as in JAX)
    assert tree_structure((1.0, [2.0, None], {"a": 3})).num_nodes == 7
    assert tree_structure(5.0).num_leaves == 1
    assert tree_structure(5.0).num_nodes == 1


def test_a_leaf_at_the_root():
    leaves, treedef = tree_flatten(np.float32(2.0))
    assert leaves == [np.float32(2.0)]
    assert repr(treedef) == "PyTreeDef(*)"
    assert tree_unflatten(treedef, ["new"]) == "new"


def test_dict_children_in_sorted_key_order_and_rebuilt_sorted():
    leaves, treedef = tree_flatten({"b": 1, "c": 2, "a": 3})
    assert leaves == [3, 1, 2]
    rebuilt = tree_unflatten(treedef, leaves)
    assert list(rebuilt) == ["a", "b", "c"]
    assert rebuilt == {"a": 3, "b": 1, "c": 2}
    # insertion order does not matter for equality of structures
    assert tree_structure({"x": 0, "y": 0}) == tree_structure({"y": 0, "x": 0})


def test_ordered_dict_keeps_its_order():
    tree = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1, 2]
    rebuilt = tree_unflatten(treedef, leaves)
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt) == ["b", "a"]
    assert treedef != tree_structure({"b": 1, "a": 2})


def test_defaultdict_keeps_factory():
    tree = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, treedef = tree_flatten(tree)
    assert leaves == [2, 1]
    rebuilt = tree_unflatten(treedef, [10, 20])
    assert type(rebuilt) is collections.defaultdict
    assert rebuilt.default_factory is list
    assert dict(rebuilt) == {"a": 10, "b": 20}
    assert treedef != tree_structure(collections.defaultdict(int, {"b": 1, "a": 2}))


def test_different_dict_keys_give_unequal_treedefs():
    assert tree_structure({"a": 1}) != tree_structure({"b": 1})
    assert tree_structure([1, 2]) != tree_structure((1, 2))
    assert tree_structure([1, 2]) != tree_structure([1, 2, 3])
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))


def test_unsortable_dict_keys_raise():
    with pytest.raises(TypeError, match="sortable"):
        tree_flatten({1: "a", "x": "b"})


def test_none_is_an_empty_subtree():
    assert tree_leaves(None) == []
    assert tree_leaves([None, 1, (None,)]) == [1]
    leaves, treedef = tree_flatten(None)
    assert leaves == []
    assert treedef.num_leaves == 0
    assert tree_unflatten(treedef, []) is None
    assert tree_structure(None) != tree_structure(1)
    assert tree_map(lambda x: x + 1, {"a": None, "b": 1}) == {"a": None, "b": 2}


def test_namedtuple_rebuilt_as_same_type():
    leaves, treedef = tree_flatten(Point(x=1, y=[2, 3]))
    assert leaves == [1, 2, 3]
    rebuilt = tree_unflatten(treedef, [4, 5, 6])
    assert type(rebuilt) is Point
    assert rebuilt == Point(4, [5, 6])
    assert repr(treedef) == "PyTreeDef(Point(x=*, y=[*, *]))"


def test_objects_and_strings_are_leaves():
    obj = object()
    leaves = tree_leaves([obj, "abc", b"xy", np.ones(2), 3j])
    assert len(leaves) == 5 and leaves[:3] == [obj, "abc", b"xy"] and leaves[4] == 3j

    # dict subclasses that are not registered are leaves
    class MyDict(dict):
        pass

    d = MyDict(a=1)
    assert tree_leaves([d]) == [d]


def test_unflatten_wrong_number_of_leaves():
    treedef = tree_structure((1, 2))
    with pytest.raises(ValueError, match="expects 2 leaves, got 3"):
        tree_unflatten(treedef, [1, 2, 3])
    with pytest.raises(ValueError, match="expects 2 leaves, got 1"):
        treedef.unflatten([1])


def test_treedef_repr():
    assert repr(tree_structure((1, {"a": 2, "b": None}))) == "PyTreeDef((*, {'a': *, 'b': None}))"
    assert repr(tree_structure([(1,), ()])) == "PyTreeDef([(*,), ()])"
    assert (
        repr(tree_structure(collections.OrderedDict(b=1, a=2)))
        == "PyTreeDef(OrderedDict({'b': *, 'a': *}))"
    )
    assert (
        repr(tree_structure(collections.defaultdict(list, {"k": 1})))
        == "PyTreeDef(defaultdict(list, {'k': *}))"
    )


def test_treedef_is_hashable_and_usable_as_dict_key():
    cache = {tree_structure((1.0, [2.0])): "hit"}
    assert cache[tree_structure((5, [6]))] == "hit"
    assert tree_structure((1.0, [2.0])) not in {tree_structure((1.0, (2.0,)))}
    assert tree_structure(1) != "not a treedef"
    assert isinstance(tree_structure(1), PyTreeDef)


# --------------------------------------------------------------------------- is_leaf


def test_is_leaf_stops_recursion():
    tree = [(1, 2), {"a": (3, 4)}, 5]
    leaves = tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), (3, 4), 5]
    leaves, treedef = tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert treedef.num_leaves == 3
    assert tree_unflatten(treedef, leaves) == tree


def test_is_leaf_can_make_none_a_leaf():
    leaves = tree_leaves([None, 1], is_leaf=lambda x: x is None)
    assert leaves == [None, 1]


def test_tree_map_with_is_leaf():
    out = tree_map(lambda t: sum(t), [(1, 2), (3, 4)], is_leaf=lambda x: isinstance(x, tuple))
    assert out == [3, 7]


# --------------------------------------------------------------------------- tree_map


def test_tree_map_multiple_trees():
    a = {"w": np.ones(2), "b": (1.0, None)}
    b = {"w": np.full(2, 2.0), "b": (3.0, None)}
    c = {"b": (10.0, None), "w": np.zeros(2)}
    out = tree_map(lambda x, y, z: x * y + z, a, b, c)
    np.testing.assert_array_equal(out["w"], [2.0, 2.0])
    assert out["b"] == (13.0, None)


def test_tree_map_structure_mismatch_names_the_path():
    a = {"layers": [(1.0, 2.0), (3.0, 4.0)]}
    b = {"layers": [(1.0, 2.0), (3.0, [4.0])]}
    with pytest.raises(ValueError, match=r"tree argument 1.*\['layers'\]\[1\]\[1\]"):
        tree_map(lambda x, y: x, a, b)


def test_tree_map_mismatch_messages():
    with pytest.raises(ValueError, match=r"dict with keys \['a'\].*dict with keys \['b'\]"):
        tree_map(lambda x, y: x, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="at the root: expected a tuple of length 2, got a list"):
        tree_map(lambda x, y: x, (1, 2), [1, 2])
    with pytest.raises(ValueError, match=r"tree argument 2 .*at path \[0\]"):
        tree_map(lambda x, y, z: x, [1], [2], [None])


# --------------------------------------------------------------------------- registration


class Box:
    """A custom container used by the registration tests."""

    def __init__(self, items, label):
        self.items = list(items)
        self.label = label


register_pytree_node(
    Box,
    lambda b: (b.items, b.label),
    lambda label, children: Box(children, label),
)


def test_register_pytree_node_round_trip():
    tree = {"box": Box([1.0, (2.0, 3.0)], label="L")}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1.0, 2.0, 3.0]
    rebuilt = tree_unflatten(treedef, [4.0, 5.0, 6.0])
    assert isinstance(rebuilt["box"], Box)
    assert rebuilt["box"].items == [4.0, (5.0, 6.0)]
    assert rebuilt["box"].label == "L"


def test_register_pytree_node_aux_data_affects_equality():
    assert tree_structure(Box([1], "a")) == tree_structure(Box([2], "a"))
    assert tree_structure(Box([1], "a")) != tree_structure(Box([1], "b"))
    assert "CustomNode(Box['a'], [*])" in repr(tree_structure(Box([1], "a")))


def test_register_twice_raises():
    with pytest.raises(ValueError, match="already registered"):
        register_pytree_node(Box, lambda b: ((), None), lambda a, c: Box([], None))
    with pytest.raises(ValueError, match="already registered"):
        register_pytree_node(dict, lambda d: ((), None), lambda a, c: {})


@dataclasses.dataclass(frozen=True)
class Layer:
    w: object
    b: object
    name: str
    activation: str = "relu"


register_dataclass(Layer, data_fields=["w", "b"], meta_fields=["name", "activation"])


def test_register_dataclass_round_trip():
    layer = Layer(np.ones(2), 0.5, name="dense")
    leaves, treedef = tree_flatten([layer])
    assert len(leaves) == 2 and leaves[1] == 0.5
    rebuilt = tree_unflatten(treedef, [1.0, 2.0])[0]
    assert rebuilt == Layer(1.0, 2.0, name="dense", activation="relu")
    assert repr(treedef) == "PyTreeDef([Layer(w=*, b=*, name='dense', activation='relu')])"


def test_register_dataclass_meta_fields_affect_equality():
    a = tree_structure(Layer(1.0, 2.0, name="a"))
    assert a == tree_structure(Layer(3.0, 4.0, name="a"))
    assert a != tree_structure(Layer(1.0, 2.0, name="b"))
    assert a != tree_structure(Layer(1.0, 2.0, name="a", activation="tanh"))
    out = tree_map(lambda x: x * 2, Layer(1.0, 2.0, name="a"))
    assert out == Layer(2.0, 4.0, name="a")


def test_register_dataclass_returns_class_and_checks_fields():
    @dataclasses.dataclass
    class P:
        x: float
        k: int

    assert register_dataclass(P, ["x"], ["k"]) is P
    assert tree_leaves(P(1.0, 2)) == [1.0]

    @dataclasses.dataclass
    class Q:
        x: float
        y: float

    with pytest.raises(ValueError, match="init fields"):
        register_dataclass(Q, ["x"], [])
    with pytest.raises(ValueError, match="already registered"):
        register_dataclass(P, ["x"], ["k"])


# --------------------------------------------------------------------------- paths


def test_paths_and_keystr():
    tree = [{"w": Point(1.0, 2.0), "b": (3.0,)}, Box([4.0], "x"), Layer(5.0, 6.0, name="n")]
    pairs, treedef = tree_flatten_with_path(tree)
    assert [x for _, x in pairs] == tree_leaves(tree)
    assert [keystr(p) for p, _ in pairs] == [
        "[0]['b'][0]",
        "[0]['w'].x",
        "[0]['w'].y",
        "[1][0]",
        "[2].w",
        "[2].b",
    ]
    assert pairs[0][0] == (SequenceKey(0), DictKey("b"), SequenceKey(0))
    assert pairs[3][0] == (SequenceKey(1), FlattenedIndexKey(0))
    assert pairs[4][0] == (SequenceKey(2), GetAttrKey("w"))
    assert treedef == tree_structure(tree)


def test_keystr_uses_repr_of_dict_keys():
    pairs, _ = tree_flatten_with_path({1: "a", 2: {"k": "b"}})
    assert [keystr(p) for p, _ in pairs] == ["[1]", "[2]['k']"]
    assert keystr(()) == ""
    assert tree_flatten_with_path(5.0)[0] == [((), 5.0)]


# --------------------------------------------------------------------------- prefixes


def test_flatten_up_to():
    treedef = tree_structure((0, {"a": 0, "b": None}))
    subtrees = treedef.flatten_up_to(([1, 2], {"a": (3, {"x": 4}), "b": None}))
    assert subtrees == [[1, 2], (3, {"x": 4})]


def test_flatten_up_to_mismatch_names_the_path():
    treedef = tree_structure({"a": (0, 0), "b": 0})
    with pytest.raises(ValueError, match=r"\['a'\]: expected a tuple of length 2, got a tuple"):
        treedef.flatten_up_to({"a": (1, 2, 3), "b": 4})
    with pytest.raises(ValueError, match=r"at the root: expected a dict with keys \['a', 'b'\]"):
        treedef.flatten_up_to({"a": (1, 2)})
    with pytest.raises(ValueError, match=r"\['a'\]: expected a tuple of length 2, got a leaf"):
        treedef.flatten_up_to({"a": np.ones(2), "b": 4})


def test_broadcast_prefix_basic():
    full = ({"x": np.ones(2), "y": (1.0, 2.0)}, [3.0, 4.0])
    assert broadcast_prefix(0, full) == [0] * 5
    assert broadcast_prefix((1, 0), full) == [1, 1, 1, 0, 0]
    assert broadcast_prefix(({"x": 0, "y": 1}, [2, 3]), full) == [0, 1, 1, 2, 3]


def test_broadcast_prefix_none_is_a_leaf():
    full = (np.ones(3), {"a": 1.0, "b": 2.0}, 5.0)
    assert broadcast_prefix((0, None, None), full) == [0, None, None, None]
    assert broadcast_prefix(None, full) == [None] * 4
    # a None prefix leaf over an empty subtree contributes nothing
    assert broadcast_prefix((None, 0), (None, [1.0, 2.0])) == [0, 0]


def test_broadcast_prefix_mismatch_names_the_path():
    with pytest.raises(ValueError, match=r"broadcast_prefix.*\[1\]: expected a tuple of length 2"):
        broadcast_prefix((0, (1, 2)), (1.0, (2.0, 3.0, 4.0)))
    with pytest.raises(ValueError, match="at the root: expected a tuple of length 2, got a list"):
        broadcast_prefix((0, 0), [1.0, 2.0])


# --------------------------------------------------------------------------- ravel_pytree
# These need funcdiff.numpy (fnp.ravel/concatenate/reshape/asarray).


def test_ravel_pytree_round_trip_mixed_dtypes():
    tree = {
        "w": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": (np.float64(1.5), None, np.array([7.0, 8.0])),
    }
    flat, unravel = ravel_pytree(tree)
    assert flat.ndim == 1 and flat.shape == (9,)
    assert flat.dtype == np.float64
    # order: 'b' subtree before 'w' (sorted keys)
    np.testing.assert_array_equal(np.asarray(flat), [1.5, 7.0, 8.0, 0, 1, 2, 3, 4, 5])
    back = unravel(flat)
    assert tree_structure(back) == tree_structure(tree)
    assert back["w"].dtype == np.float32 and back["w"].shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(back["w"]), tree["w"])
    assert back["b"][0].dtype == np.float64 and back["b"][0].shape == ()
    assert float(back["b"][0]) == 1.5
    new = unravel(np.asarray(flat) * 2)
    np.testing.assert_array_equal(np.asarray(new["b"][2]), [14.0, 16.0])


def test_ravel_pytree_single_dtype_keeps_it():
    flat, unravel = ravel_pytree([np.ones(2, np.float32), np.zeros((1, 1), np.float32)])
    assert flat.dtype == np.float32 and flat.shape == (3,)
    back = unravel(flat)
    assert back[1].shape == (1, 1)


def test_ravel_pytree_empty_tree():
    flat, unravel = ravel_pytree({"a": None, "b": []})
    assert flat.shape == (0,)
    assert unravel(flat) == {"a": None, "b": []}


def test_ravel_pytree_wrong_length():
    _, unravel = ravel_pytree((np.ones(2), np.ones(3)))
    with pytest.raises(ValueError, match="length 5"):
        unravel(np.ones(4))


# --------------------------------------------------------------------------- deep trees
# Every walk over a tree uses an explicit stack, so depth is bounded by memory only
# (Python recursion would stop near 500 levels: RecursionError).

DEEP = 5_000


def _nest(depth, wrap, leaf=1.0):
    """`leaf` wrapped `depth` times: `wrap(subtree, level)` builds one level."""
    tree = leaf
    for level in range(depth):
        tree = wrap(tree, level)
    return tree


def _mixed_level(t, i):
    return [
        lambda: [t],
        lambda: (t, 2.0),
        lambda: {"a": t, "b": None},
        lambda: Point(t, 3.0),
        lambda: collections.OrderedDict([("z", t), ("y", 4.0)]),
    ][i % 5]()


# (builder, path key of the child at each level, extra leaves per level)
DEEP_KINDS = {
    "lists": (lambda t, i: [t], SequenceKey(0), 0),
    "tuples": (lambda t, i: (t, 2.0), SequenceKey(0), 1),
    "dicts": (lambda t, i: {"a": t, "b": None}, DictKey("a"), 0),
}


def _deep(kind, depth=DEEP, leaf=1.0):
    if kind == "mixed":
        return _nest(depth, _mixed_level, leaf)
    return _nest(depth, DEEP_KINDS[kind][0], leaf)


def _same_containers(a, b):
    """Iterative `assert_same_tree` for deep trees (leaves compared with `is`)."""
    todo = [(a, b)]
    while todo:
        a, b = todo.pop()
        assert type(a) is type(b)
        if isinstance(a, dict):
            assert list(a) == list(b)
            todo.extend((a[k], b[k]) for k in a)
        elif isinstance(a, (tuple, list)):
            assert len(a) == len(b)
            todo.extend(zip(a, b))
        elif a is not None:
            assert a is b


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts", "mixed"])
def test_deep_round_trip(kind):
    tree = _deep(kind)
    leaves, treedef = tree_flatten(tree)
    assert leaves[0] == 1.0 and treedef.num_leaves == len(leaves)
    assert tree_leaves(tree) == leaves
    rebuilt = tree_unflatten(treedef, leaves)
    _same_containers(tree, rebuilt)
    assert treedef.unflatten(leaves) is not tree
    assert tree_structure(rebuilt) == treedef


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts", "mixed"])
def test_deep_treedefs_compare_and_hash(kind):
    a, b = tree_structure(_deep(kind)), tree_structure(_deep(kind, leaf="other"))
    assert a == b and not (a != b)
    assert hash(a) == hash(b)
    assert {a: "hit"}[b] == "hit"
    # one difference at the very bottom makes them unequal
    bottom = tree_structure(_deep(kind, leaf=[1.0]))
    assert bottom != a and not (bottom == a)
    assert hash(bottom) != hash(a)
    assert tree_structure(_deep(kind, depth=DEEP - 1)) != a


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts"])
def test_deep_counts_paths_and_repr(kind):
    _, key, extra = DEEP_KINDS[kind]
    tree = _deep(kind)
    treedef = tree_structure(tree)
    assert treedef.num_leaves == 1 + extra * DEEP
    # every level: the container, plus a None child (dicts) or a leaf (tuples)
    assert treedef.num_nodes == 1 + DEEP * (1 + extra + (kind == "dicts"))
    paths = treedef.paths()
    assert len(paths) == treedef.num_leaves
    assert paths[0] == (key,) * DEEP
    pairs, treedef2 = tree_flatten_with_path(tree)
    assert treedef2 == treedef
    assert len(pairs) == len(paths) and pairs[0] == (paths[0], 1.0)
    assert [len(p) for p, _ in pairs] == [len(p) for p in paths]
    if extra:  # the sibling leaf at each level, outermost last
        assert pairs[-1] == ((SequenceKey(1),), 2.0)
        assert pairs[1] == ((key,) * (DEEP - 1) + (SequenceKey(1),), 2.0)
    assert keystr(paths[0]) == str(key) * DEEP
    text = repr(treedef)
    assert text.startswith("PyTreeDef(") and text.count("*") == treedef.num_leaves
    if kind == "lists":
        assert text == "PyTreeDef(" + "[" * DEEP + "*" + "]" * DEEP + ")"


def test_deep_repr_mixed():
    text = repr(tree_structure(_deep("mixed", depth=5)))
    assert text == "PyTreeDef(OrderedDict({'z': Point(x={'a': ([*], *), 'b': None}, y=*), 'y': *}))"
    assert repr(tree_structure(_deep("mixed"))).count("Point(x=") == DEEP // 5


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts", "mixed"])
def test_deep_tree_map_over_two_trees(kind):
    a, b = _deep(kind), _deep(kind, leaf=10.0)
    out = tree_map(lambda x, y: x + y, a, b)
    assert tree_structure(out) == tree_structure(a)
    assert tree_leaves(out) == [x + y for x, y in zip(tree_leaves(a), tree_leaves(b))]
    assert tree_leaves(out)[0] == 11.0


def test_deep_tree_map_mismatch_names_the_deep_path():
    a, b = _deep("lists"), _deep("lists", leaf=(1.0,))
    with pytest.raises(ValueError, match=r"at path (\[0\]){5000}: expected a leaf, got a tuple"):
        tree_map(lambda x, y: x, a, b)


def test_deep_is_leaf():
    tree = _deep("lists", leaf=(1.0, 2.0))
    leaves, treedef = tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1.0, 2.0)]
    assert tree_structure(tree) != treedef
    _same_containers(tree_unflatten(treedef, leaves), tree)


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts", "mixed"])
def test_deep_flatten_up_to_and_broadcast_prefix(kind):
    full = _deep(kind, leaf={"w": np.ones(2), "b": (1.0, 2.0)})
    prefix = _deep(kind, leaf=0)
    n_full, n_prefix = len(tree_leaves(full)), len(tree_leaves(prefix))
    subtrees = tree_structure(prefix).flatten_up_to(full)
    assert len(subtrees) == n_prefix
    assert subtrees[0] == {"w": subtrees[0]["w"], "b": (1.0, 2.0)}
    assert tree_structure(full).flatten_up_to(full) == tree_leaves(full)
    assert broadcast_prefix(7, full) == [7] * n_full
    axes = broadcast_prefix(prefix, full)
    assert axes == [0] * 3 + tree_leaves(prefix)[1:]
    assert len(axes) == n_full == n_prefix + 2


def test_deep_flatten_up_to_mismatch_names_the_deep_path():
    treedef = tree_structure(_deep("lists", leaf=(0, 0)))
    with pytest.raises(ValueError, match=r"at path (\[0\]){5000}: expected a tuple of length 2"):
        treedef.flatten_up_to(_deep("lists", leaf=(1, 2, 3)))
    with pytest.raises(ValueError, match=r"broadcast_prefix.*at path (\[0\]){5000}: expected"):
        broadcast_prefix(_deep("lists", leaf=(0, 0)), _deep("lists", leaf=[1.0, 2.0]))


def test_deep_ravel_pytree():
    tree = _deep("mixed", leaf=np.arange(3.0))
    flat, unravel = ravel_pytree(tree)
    n = len(tree_leaves(tree))
    assert flat.shape == (n + 2,)
    back = unravel(flat * 2)
    assert tree_structure(back) == tree_structure(tree)
    np.testing.assert_array_equal(np.asarray(tree_leaves(back)[0]), [0.0, 2.0, 4.0])


def test_very_deep_tree():
    depth = 100_000
    tree = _deep("lists", depth=depth)
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1.0] and treedef.num_leaves == 1
    assert treedef == tree_structure(tree_unflatten(treedef, [2.0]))
    assert hash(treedef) == hash(tree_structure(_deep("lists", depth=depth)))


def test_deep_nodes_hash_and_compare_like_plain_tuples():
    # the nodes deep in a treedef are tuple subclasses that hash and compare without
    # recursion; they must agree with plain tuples (here 300 levels, which tuple's own
    # hash and == still manage)
    depth = 300
    plain = None
    for _ in range(depth):
        plain = (tree_impl._LIST, None, (plain,))
    treedef = tree_structure(_deep("lists", depth=depth))
    types, node = set(), treedef._node
    while node is not None:
        types.add(type(node))
        node = node[2][0]
    assert tuple in types and len(types) == 2  # plain near the root, the subclass below
    assert hash(treedef) == hash(tree_module.PyTreeDef(plain)) == hash(plain)
    assert treedef == tree_module.PyTreeDef(plain)
    assert tree_module.PyTreeDef(plain) == treedef


def _deep_args_fn(x, t):
    import funcdiff.numpy as fnp

    return fnp.sum(x) * tree_leaves(t)[0]


@pytest.mark.parametrize("kind", ["lists", "tuples", "dicts", "mixed"])
def test_deep_tree_arguments_to_transforms(kind):
    import funcdiff as fd

    x, t = np.arange(3.0), _deep(kind, leaf=2.0)
    np.testing.assert_allclose(fd.grad(_deep_args_fn)(x, t), [2.0, 2.0, 2.0])
    g_t = fd.grad(_deep_args_fn, argnums=1)(x, t)
    assert tree_structure(g_t) == tree_structure(t) and tree_leaves(g_t)[0] == 3.0
    jitted = fd.jit(_deep_args_fn)
    assert float(jitted(x, t)) == 6.0
    assert float(jitted(x + 1, _deep(kind, leaf=3.0))) == 18.0  # a second, equal structure
    assert jitted.cache_info()["misses"] == 1
    out = fd.vmap(_deep_args_fn, in_axes=(0, None))(np.ones((4, 3)), t)
    np.testing.assert_allclose(out, [6.0] * 4)
