"""Defers werkzeug's package ``__init__`` until a name defined there is used.

azure.functions needs only werkzeug's submodules (datastructures, http, formparser), but importing
any of them first runs ``werkzeug/__init__.py``, which loads the development server, the test
client and the request/response wrappers: about 10 ms of every cold start and 2 MiB of memory.
With `install()`, ``import werkzeug`` gives the package with its path set and its own
``__init__`` not yet run; the first lookup of a name that is not a submodule (``werkzeug.Request``,
``from werkzeug import run_simple``) runs it, so user code sees the same module it always did.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

PACKAGE = "werkzeug"


def install(package: str = PACKAGE) -> bool:
    """Arrange for ``package``'s ``__init__`` to run on first use; False if it is already imported."""
    if package in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _Finder(package))
    return True


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``package`` once, through the other finders, and wraps its loader."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.package:
            return None
        sys.meta_path.remove(self)  # one import only: from here on the package is in sys.modules
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return spec
        if not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _DeferredInit(spec.loader)
        return spec


class _DeferredInit(importlib.abc.Loader):
    """Creates the package module but runs its ``__init__`` only when a name from it is asked for."""

    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real
        self.lock = threading.RLock()
        self.done = False
        self.hook: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        def __getattr__(name: str) -> Any:
            return self.lookup(module, name)

        self.hook = module.__getattr__ = __getattr__  # type: ignore[method-assign]

    def lookup(self, module: types.ModuleType, name: str) -> Any:
        """A submodule is imported by itself; any other name first runs the package ``__init__``.

        Other threads asking meanwhile wait for it to finish; the thread running it sees the
        half-made module, as it would during a plain import.
        """
        if not name.startswith("__") and _has_submodule(module, name):
            return importlib.import_module(f"{module.__name__}.{name}")
        with self.lock:
            if not self.done:
                self.done = True
                self.run_init(module)
        try:
            return module.__dict__[name]
        except KeyError:
            hook = module.__dict__.get("__getattr__")  # the package's own, if its __init__ has one
            if hook is not None and hook is not self.hook:
                return hook(name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None

    def run_init(self, module: types.ModuleType) -> None:
        module.__loader__ = self.real
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        try:
            self.real.exec_module(module)
        finally:
            if module.__dict__.get("__getattr__") is self.hook:
                del module.__dict__["__getattr__"]


def _has_submodule(module: types.ModuleType, name: str) -> bool:
    if f"{module.__name__}.{name}" in sys.modules:
        return True
    try:
        return importlib.util.find_spec(f"{module.__name__}.{name}") is not None
    except (ImportError, ValueError):
        return False
