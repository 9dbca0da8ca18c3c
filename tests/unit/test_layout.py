"""House rules of the package, checked: small modules with a docstring, the host side speaking only
the protocol, and imports that point one way (no cycles)."""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "worker" / "quickfunc"
MAX_LINES = 400


def _modules() -> dict[str, pathlib.Path]:
    """{dotted name: path} of every hand-written module (generated protobuf code left out)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_pb2.py") or "deploy" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """The quickfunc modules `name` imports anywhere in its file (lazy imports included)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.split(".")[0] == "quickfunc")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "quickfunc":
                continue
            targets.add(module)
            targets.update(f"{module}.{a.name}" for a in node.names)
    known = _modules()
    return {t for t in targets if t in known and t != name}


def test_every_module_is_small_and_says_what_it_holds():
    too_long = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in _modules().items()}
    too_long = {n: lines for n, lines in too_long.items() if lines > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
    bare = [n for n, p in _modules().items() if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not bare, f"modules without a docstring: {bare}"


def test_the_host_side_imports_nothing_of_the_worker_but_the_protos():
    wrong = {}
    for name, path in _modules().items():
        if name.startswith("quickfunc.host"):
            # `quickfunc` itself holds only the version, which the host's status reports
            outside = {
                t
                for t in _imports(name, path)
                if t != "quickfunc" and not t.startswith(("quickfunc.host", "quickfunc.protos"))
            }
            if outside:
                wrong[name] = sorted(outside)
    assert not wrong, f"host modules importing worker internals: {wrong}"


def test_worker_modules_import_each_other_one_way():
    graph = {name: _imports(name, path) for name, path in _modules().items()}
    # a package's __init__ importing its own submodules is not a cycle of jobs
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_cycle(tmp_path, monkeypatch):
    """The checks can fail: two modules importing each other are reported."""
    pkg = tmp_path / "quickfunc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""p"""\n')
    (pkg / "a.py").write_text('"""a"""\nfrom . import b\n')
    (pkg / "b.py").write_text('"""b"""\ndef f():\n    from .a import x\n')
    monkeypatch.setattr(__import__(__name__, fromlist=["_"]), "PACKAGE", pkg)
    try:
        test_worker_modules_import_each_other_one_way()
    except AssertionError as exc:
        assert "quickfunc.a -> quickfunc.b -> quickfunc.a" in str(exc)
    else:
        raise AssertionError("the cycle a <-> b was not reported")
