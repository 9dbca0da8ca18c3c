"""Read a v1 app's function.json folders into load-request metadata, as the host does."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

from quickfunc.host.jsonfile import without_comments
from quickfunc.protos import pb

__all__ = ["FunctionJsonError", "v1_metadata_from_folder", "discover_v1_functions"]


class FunctionJsonError(ValueError):
    """A function.json file that the host could not turn into function metadata."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        where = f" (key {key!r})" if key else ""
        super().__init__(f"{path}{where}: {problem}")


_DIRECTIONS = {
    "in": pb.BindingInfo.Direction.Value("in"),
    "out": pb.BindingInfo.Direction.Value("out"),
    "inout": pb.BindingInfo.Direction.Value("inout"),
}
_DATA_TYPES = {
    "string": pb.BindingInfo.DataType.Value("string"),
    "binary": pb.BindingInfo.DataType.Value("binary"),
    "stream": pb.BindingInfo.DataType.Value("stream"),
}


def _read_function_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise FunctionJsonError(path, "", f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise FunctionJsonError(path, "", f"not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from exc
    try:
        config = json.loads(without_comments(text))  # the host's reader takes // and /* */ comments
    except json.JSONDecodeError as exc:
        raise FunctionJsonError(path, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(config, dict):
        raise FunctionJsonError(path, "", "the top level must be a JSON object")
    return config


def _optional_str(config: Mapping[str, Any], path: str, key: str) -> str:
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FunctionJsonError(path, key, f"must be a string, got {type(value).__name__}")
    return value


def _binding_field(binding: Mapping[str, Any], path: str, where: str, key: str, required: bool = True) -> str:
    """Binding keys are matched case-insensitively, as the host does."""
    for k, v in binding.items():
        if k.lower() == key.lower():
            if not isinstance(v, str) or (required and not v):
                raise FunctionJsonError(path, f"{where}.{key}", "must be a non-empty string")
            return v
    if required:
        raise FunctionJsonError(path, f"{where}.{key}", "missing")
    return ""


def _binding_info(binding: Any, path: str, index: int) -> tuple[str, pb.BindingInfo]:
    where = f"bindings[{index}]"
    if not isinstance(binding, dict):
        raise FunctionJsonError(path, where, "each binding must be a JSON object")
    name = _binding_field(binding, path, where, "name")
    type_ = _binding_field(binding, path, where, "type")
    direction = _binding_field(binding, path, where, "direction")
    data_type = _binding_field(binding, path, where, "dataType", required=False)
    if direction.lower() not in _DIRECTIONS:
        raise FunctionJsonError(path, f"{where}.direction", f"invalid value {direction!r} (expected in, out or inout)")
    info = pb.BindingInfo(type=type_, direction=_DIRECTIONS[direction.lower()])
    if data_type:
        if data_type.lower() not in _DATA_TYPES:
            raise FunctionJsonError(
                path,
                f"{where}.dataType",
                f"invalid value {data_type!r} (expected string, binary or stream)",
            )
        info.data_type = _DATA_TYPES[data_type.lower()]
    return name, info


def v1_metadata_from_folder(function_dir: str) -> pb.RpcFunctionMetadata:
    """Read ``<function_dir>/function.json`` into load-request metadata, as the host does."""
    folder = os.path.abspath(function_dir)
    path = os.path.join(folder, "function.json")
    config = _read_function_json(path)
    script = _optional_str(config, path, "scriptFile") or "__init__.py"
    metadata = pb.RpcFunctionMetadata(
        name=os.path.basename(folder),
        directory=folder,
        script_file=os.path.normpath(os.path.join(folder, script)),
        entry_point=_optional_str(config, path, "entryPoint"),
        is_proxy=False,
        language="python",
    )
    if "retry" in config:
        from quickfunc.host.retries import RetrySettingError, v1_retry_options

        try:
            metadata.retry_options.CopyFrom(v1_retry_options(config["retry"]))
        except RetrySettingError as exc:
            raise FunctionJsonError(path, "retry", str(exc)) from None
    if "bindings" not in config:
        raise FunctionJsonError(path, "bindings", "missing")
    bindings = config["bindings"]
    if not isinstance(bindings, list):
        raise FunctionJsonError(path, "bindings", "must be a list")
    for index, binding in enumerate(bindings):
        name, info = _binding_info(binding, path, index)
        if name in metadata.bindings:
            raise FunctionJsonError(path, f"bindings[{index}].name", f"duplicate name {name!r}")
        metadata.bindings[name].CopyFrom(info)
    return metadata


def discover_v1_functions(app_dir: str) -> list[tuple[str, pb.RpcFunctionMetadata]]:
    """Every subfolder of the app holding a function.json, with a fresh function id each."""
    found = []
    root = os.path.abspath(app_dir)
    for entry in sorted(os.listdir(root)):
        folder = os.path.join(root, entry)
        if os.path.isfile(os.path.join(folder, "function.json")):
            function_id = str(uuid.uuid4())
            metadata = v1_metadata_from_folder(folder)
            metadata.properties["FunctionId"] = function_id
            found.append((function_id, metadata))
    return found
