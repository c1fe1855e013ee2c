"""The type stubs ship with the package and describe exactly what it defines."""

import ast
import inspect
import pathlib

import rgdb


def stub():
    path = pathlib.Path(rgdb.__file__).with_name("__init__.pyi")
    return ast.parse(path.read_text())


def public(names):
    return {n for n in names if not n.startswith("_") or n == "__version__"}


def test_the_stub_and_py_typed_are_installed():
    package = pathlib.Path(rgdb.__file__).parent
    assert (package / "__init__.pyi").is_file()
    assert (package / "py.typed").is_file()


def test_the_stub_names_what_the_module_defines():
    tree = stub()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    aliases = {"Param", "Params", "Row", "Description"}  # type aliases exist only in the stub
    assert public(names) - aliases == set(rgdb.__all__)
    assert set(rgdb.__all__) == public(n for n in dir(rgdb) if not inspect.ismodule(getattr(rgdb, n)))


def test_the_stub_methods_match_the_classes():
    tree = stub()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in ("Database", "ArrowResult", "Cursor"):
            continue
        in_stub = public(n.name for n in node.body if isinstance(n, ast.FunctionDef))
        cls = getattr(rgdb, node.name)
        in_class = public(n for n in dir(cls) if not n.startswith("__"))
        in_stub |= public(
            t.id for n in node.body if isinstance(n, ast.AnnAssign) for t in [n.target]
        )
        dunders = {"__enter__", "__exit__", "__len__", "__arrow_c_stream__", "__iter__", "__next__"}
        assert in_stub - dunders == in_class, node.name


def test_everything_public_has_a_docstring():
    for name in rgdb.__all__:
        obj = getattr(rgdb, name)
        if callable(obj):
            assert obj.__doc__, name
    for cls in (rgdb.Database, rgdb.ArrowResult, rgdb.Cursor):
        for name, member in vars(cls).items():
            if not name.startswith("_"):
                assert member.__doc__, f"{cls.__name__}.{name}"
