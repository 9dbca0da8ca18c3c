"""Loaded functions by id, with everything an invocation needs decided once at load time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..bindings.convert import BindingSpec


class FunctionLoadError(Exception):
    """A function cannot be loaded; the message is written for its author."""

    def __init__(self, function_name: str, where: str, detail: str, *, message: str | None = None) -> None:
        self.function_name = function_name
        self.where = where
        self.detail = detail
        location = f" ({where})" if where else ""
        super().__init__(message or f"cannot load the {function_name} function{location}: {detail}")


@dataclass(frozen=True, slots=True)
class ParamBinding:
    """One parameter bound to one binding, with its converter chosen at load time."""

    name: str
    binding: BindingSpec
    converter: Any
    pytype: Any = None
    #: the converter reads trigger metadata
    wants_metadata: bool = False
    #: inputs: (TypedData, trigger metadata) → value; outputs: value → TypedData | None
    codec: Any = None


@dataclass(slots=True)
class FunctionInfo:
    """A loaded function, ready to invoke."""

    function_id: str
    name: str
    directory: str
    script_file: str
    func: Callable[..., Any]
    is_async: bool
    #: input parameters by binding name
    inputs: dict[str, ParamBinding]
    #: `func.Out[T]` parameters
    outputs: tuple[ParamBinding, ...]
    #: where the return value goes: explicit `$return`, or an implicit-output trigger
    returns: ParamBinding | None
    wants_context: bool
    trigger_type: str | None
    is_http: bool
    #: any input converter wants trigger metadata
    needs_metadata: bool = False
    programming_model: str = "v1"
    #: an HTTP trigger served through the web extension's server (HTTP streaming)
    http_stream: bool = False
    bindings: dict[str, BindingSpec] = field(default_factory=dict)


class FunctionRegistry:
    """Functions by id; failed loads are remembered so later requests get the same error."""

    def __init__(self) -> None:
        self._functions: dict[str, FunctionInfo] = {}
        self._failures: dict[str, str] = {}

    def add(self, info: FunctionInfo) -> None:
        self._functions[info.function_id] = info
        self._failures.pop(info.function_id, None)

    def add_failure(self, function_id: str, message: str) -> None:
        self._failures[function_id] = message

    def get(self, function_id: str) -> FunctionInfo | None:
        return self._functions.get(function_id)

    def failure(self, function_id: str) -> str | None:
        return self._failures.get(function_id)

    def __contains__(self, function_id: str) -> bool:
        return function_id in self._functions

    def __len__(self) -> int:
        return len(self._functions)

    def functions(self) -> list[FunctionInfo]:
        return list(self._functions.values())
