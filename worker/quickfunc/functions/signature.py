"""Match a function's parameters to its bindings (protocol §7.2) and build its FunctionInfo."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ..bindings import codecs, convert, deferred
from ..bindings.convert import BindingSpec
from .registry import FunctionInfo, FunctionLoadError, ParamBinding
from .signature_stream import bind_streaming, is_streaming

RETURN = "$return"
CONTEXT = "context"
_DATA_TYPE_NAMES = {1: "string", 2: "binary", 3: "stream"}


def build_function_info(
    *,
    function_id: str,
    name: str,
    directory: str,
    script_file: str,
    func_obj: Callable[..., Any],
    bindings: Mapping[str, BindingSpec],
    where: str = "",
    programming_model: str = "v1",
) -> FunctionInfo:
    """Check `func_obj` against `bindings`; raise FunctionLoadError naming the fault."""

    def fail(detail: str) -> FunctionLoadError:
        return FunctionLoadError(name, where, detail)

    for binding in bindings.values():
        if binding.direction == "inout":
            raise fail(f"binding '{binding.name}' has direction 'inout', which is not supported")
    explicit_return = bindings.get(RETURN)
    if explicit_return is not None and explicit_return.direction != "out":
        raise fail(f"the '{RETURN}' binding must have direction 'out', not '{explicit_return.direction}'")

    try:
        signature = inspect.signature(func_obj)
    except (TypeError, ValueError) as exc:
        raise fail(f"cannot read the parameters of {_callable_name(func_obj)}: {exc}") from None
    hints = _type_hints(func_obj, fail)
    params = signature.parameters
    bound = {n: b for n, b in bindings.items() if n != RETURN}

    wants_context = CONTEXT in params and CONTEXT not in bound
    if wants_context:
        _check_context_annotation(hints.get(CONTEXT), fail)
    param_names = {n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    param_names.discard(CONTEXT if wants_context else "")
    extra = sorted(param_names - bound.keys())
    if extra:
        raise fail(
            f"parameters declared in Python but not in the bindings: {', '.join(extra)} "
            f"(bindings are: {', '.join(sorted(bound)) or 'none'})"
        )
    missing = sorted(bound.keys() - param_names)
    if missing:
        raise fail(f"bindings declared but not parameters of {_callable_name(func_obj)}(): {', '.join(missing)}")

    inputs: dict[str, ParamBinding] = {}
    outputs: list[ParamBinding] = []
    implicit_return: ParamBinding | None = None
    for pname, binding in bound.items():
        annotation = hints.get(pname)
        param = _bind_parameter(pname, binding, annotation, fail, name)
        if binding.direction == "out":
            outputs.append(param)
        else:
            inputs[pname] = param
            # by binding type, not the converter in use: a str/bytes annotation switches
            # durableClient or queueTrigger to the generic converter, not to an implicit output
            if implicit_return is None and convert.has_implicit_output(convert.converter_for(binding.type)):
                implicit_return = param

    returns = _implicit_return(implicit_return) if implicit_return is not None else None
    if explicit_return is not None:
        returns = _return_binding(explicit_return, hints.get("return", _UNSET), fail)

    trigger = next((b for b in bound.values() if b.type.lower().endswith("trigger")), None)
    return FunctionInfo(
        function_id=function_id,
        name=name,
        directory=directory,
        script_file=script_file,
        func=func_obj,
        is_async=_is_async_callable(func_obj),
        inputs=inputs,
        outputs=tuple(outputs),
        returns=returns,
        wants_context=wants_context,
        trigger_type=trigger.type if trigger else None,
        is_http=bool(trigger and trigger.type == "httpTrigger"),
        http_stream=bool(trigger and is_streaming(trigger)),
        needs_metadata=any(p.wants_metadata for p in inputs.values()),
        programming_model=programming_model,
        bindings=dict(bindings),
    )


_UNSET = object()


def _callable_name(func_obj: Callable[..., Any]) -> str:
    return getattr(func_obj, "__name__", type(func_obj).__name__)


def _type_hints(func_obj: Callable[..., Any], fail: Callable[[str], FunctionLoadError]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func_obj)
    except Exception as exc:  # NameError for unresolvable string annotations, and worse
        raise fail(
            f"the type annotations of {_callable_name(func_obj)}() cannot be resolved: {type(exc).__name__}: {exc}"
        ) from None


def _check_context_annotation(annotation: Any, fail: Callable[[str], FunctionLoadError]) -> None:
    if annotation is None:
        return
    if not (isinstance(annotation, type) and annotation.__name__ == "Context"):
        raise fail(
            f"the context parameter is expected to be of type azure.functions.Context, got {_describe(annotation)}"
        )


def _is_out(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and origin.__name__ == "Out"


def _bind_parameter(
    pname: str, binding: BindingSpec, annotation: Any, fail: Callable[[str], FunctionLoadError], function_name: str = ""
) -> ParamBinding:
    is_output = binding.direction == "out"
    pytype = None
    if annotation is not None:
        if _is_out(annotation):
            if not is_output:
                raise fail(
                    f"binding '{pname}' is declared 'in', but its annotation is azure.functions.Out; "
                    f"use Out[...] only for output bindings"
                )
            args = typing.get_args(annotation)
            if len(args) != 1:
                raise fail(f"the annotation of '{pname}' must be azure.functions.Out[T] with one type")
            pytype = args[0]
        elif is_output:
            raise fail(
                f"binding '{pname}' is declared 'out', but its annotation {_describe(annotation)} "
                f"is not azure.functions.Out[...]"
            )
        else:
            pytype = annotation
        if not (isinstance(pytype, type) or typing.get_origin(pytype) is not None):
            raise fail(f"the annotation of '{pname}' ({_describe(pytype)}) is not a type")
    if not is_output and deferred.is_sdk_type(pytype):  # protocol §15
        converter, decoder, wants_metadata = deferred.bind_sdk_parameter(function_name, pname, binding, pytype, fail)
        return ParamBinding(pname, binding, converter, pytype, wants_metadata, decoder)
    streaming = bind_streaming(pname, binding, pytype, fail)
    if streaming is not None:
        return streaming
    converter = convert.choose_converter(binding, pytype)
    if pytype is not None and not convert.check_annotation(binding, converter, pytype, is_output):
        raise fail(_mismatch(pname, binding, pytype))
    if is_output:
        return ParamBinding(
            pname,
            binding,
            converter,
            pytype,
            False,
            codecs.output_encoder(binding, converter, pytype),
        )
    decoder, wants_metadata = codecs.input_decoder(binding, converter, pytype)
    return ParamBinding(pname, binding, converter, pytype, wants_metadata, decoder)


def _implicit_return(trigger: ParamBinding) -> ParamBinding:
    """The return value goes back through the trigger's own converter (e.g. durable, generic)."""
    encoder = codecs.output_encoder(trigger.binding, trigger.converter, trigger.pytype)
    return ParamBinding(trigger.name, trigger.binding, trigger.converter, trigger.pytype, False, encoder)


def _return_binding(binding: BindingSpec, annotation: Any, fail: Callable[[str], FunctionLoadError]) -> ParamBinding:
    pytype = None
    if annotation is not _UNSET:
        if annotation is type(None):
            annotation = None.__class__
        if _is_out(annotation):
            raise fail("the return annotation must not be azure.functions.Out[...]")
        if not (isinstance(annotation, type) or typing.get_origin(annotation) is not None):
            raise fail(f"the return annotation {_describe(annotation)} is not a type")
        pytype = annotation
    streaming = bind_streaming(RETURN, binding, pytype, fail)
    if streaming is not None:
        return streaming
    converter = convert.choose_converter(binding, None)
    if pytype is not None and not convert.check_annotation(binding, converter, pytype, True):
        mismatch = f"the return annotation {_describe(pytype)} does not match the '{RETURN}' binding"
        raise fail(_unknown_type("the return value", binding, pytype, True) or f"{mismatch} of type '{binding.type}'")
    return ParamBinding(RETURN, binding, converter, pytype, False, codecs.output_encoder(binding, converter, pytype))


def _unknown_type(subject: str, binding: BindingSpec, pytype: Any, is_output: bool) -> str:
    """The message when the annotation fails only because the binding type is unknown."""
    note = convert.unknown_type_note(binding.type)
    if not note:
        return ""
    takes = "str, bytes or bytearray" if is_output else "str or bytes"
    return f"{note}; {subject} is annotated {_describe(pytype)}, but a binding of an unknown type takes only {takes}"


def _mismatch(pname: str, binding: BindingSpec, pytype: Any) -> str:
    unknown = _unknown_type(f"parameter '{pname}'", binding, pytype, binding.direction == "out")
    if unknown:
        return unknown
    data_type = _DATA_TYPE_NAMES.get(binding.data_type)
    kind = f"binding type '{binding.type}'" + (f" with dataType '{data_type}'" if data_type else "")
    return f"parameter '{pname}' is annotated {_describe(pytype)}, which does not match its {kind}" + _accepted_hint(
        binding
    )


def _accepted_hint(binding: BindingSpec) -> str:
    hints = {
        "httpTrigger": "azure.functions.HttpRequest",
        "http": "azure.functions.HttpResponse or str",
        "queueTrigger": "azure.functions.QueueMessage, str or bytes",
        "queue": "str, bytes or azure.functions.QueueMessage",
        "blobTrigger": "azure.functions.InputStream, str or bytes",
        "blob": "azure.functions.InputStream, str or bytes",
        "timerTrigger": "azure.functions.TimerRequest",
        "eventHubTrigger": "azure.functions.EventHubEvent or List[EventHubEvent]",
        "serviceBusTrigger": "azure.functions.ServiceBusMessage",
        "eventGridTrigger": "azure.functions.EventGridEvent",
        "cosmosDBTrigger": "azure.functions.DocumentList",
    }
    accepted = hints.get(binding.type)
    return f" (expected {accepted})" if accepted else ""


def _describe(annotation: Any) -> str:
    if isinstance(annotation, type):
        module = annotation.__module__
        if module.startswith("azure.functions"):
            module = "azure.functions"
        return annotation.__name__ if module == "builtins" else f"{module}.{annotation.__qualname__}"
    return repr(annotation)


__all__ = ["build_function_info", "RETURN", "CONTEXT"]


def _is_async_callable(obj: object) -> bool:
    """An `async def` function, or an object whose class defines `async def __call__`."""
    if inspect.iscoroutinefunction(obj):
        return True
    return not inspect.isroutine(obj) and inspect.iscoroutinefunction(
        inspect.getattr_static(type(obj), "__call__", None)
    )
