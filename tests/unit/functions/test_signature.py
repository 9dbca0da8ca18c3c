"""Parameters are matched to bindings as protocol §7.2 says, with errors that name the fault."""

import typing
from typing import Any

import azure.functions as func
import pytest

from quickfunc.bindings.convert import BindingSpec
from quickfunc.functions.registry import FunctionLoadError
from quickfunc.functions.signature import build_function_info


def spec(name, type_, direction="in", data_type=0):
    return BindingSpec(name=name, type=type_, direction=direction, data_type=data_type)


# the library's annotation checks take typing.List and list[...] differently; these tests use typing's
List = typing.List  # noqa: UP006

HTTP = {"req": spec("req", "httpTrigger"), "$return": spec("$return", "http", "out")}


def build(fn, bindings):
    return build_function_info(
        function_id="id",
        name="Fn",
        directory="/app/Fn",
        script_file="/app/Fn/__init__.py",
        func_obj=fn,
        bindings=bindings,
        where="Fn/__init__.py",
    )


def test_http_function_with_return():
    def main(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError  # only the signature is read

    info = build(main, HTTP)
    assert info.is_http and not info.is_async
    assert info.returns is not None and info.returns.binding.type == "http"
    assert info.inputs["req"].wants_metadata is False  # the direct RpcHttp decoder needs no trigger metadata


def test_async_function_is_detected():
    async def main(req: func.HttpRequest) -> str:
        raise NotImplementedError  # only the signature is read

    assert build(main, HTTP).is_async


def test_out_parameter_and_context():
    def main(req: func.HttpRequest, msg: func.Out[str], context: func.Context) -> str:
        raise NotImplementedError  # only the signature is read

    info = build(main, {**HTTP, "msg": spec("msg", "queue", "out")})
    assert [p.name for p in info.outputs] == ["msg"] and info.outputs[0].pytype is str
    assert info.wants_context


def test_out_of_generic_list_is_kept():
    def main(req: func.HttpRequest, msgs: func.Out[List[str]]) -> str:
        raise NotImplementedError  # only the signature is read

    info = build(main, {**HTTP, "msgs": spec("msgs", "queue", "out")})
    assert info.outputs[0].pytype == List[str]


def test_unannotated_out_binding_still_gets_a_holder():
    def main(req, msg): ...

    info = build(main, {"req": spec("req", "httpTrigger"), "msg": spec("msg", "queue", "out")})
    assert [p.name for p in info.outputs] == ["msg"]


def test_str_annotation_on_trigger_uses_generic_converter():
    def main(msg: str) -> None: ...

    info = build(main, {"msg": spec("msg", "queueTrigger")})
    assert info.inputs["msg"].converter.__name__ == "GenericConverter"
    # the implicit output is the binding type's (none for queueTrigger), not the generic converter's
    assert info.returns is None


def test_durable_client_annotated_str_gives_no_implicit_return():
    def main(req, starter: str) -> None: ...

    info = build(main, {"req": spec("req", "httpTrigger"), "starter": spec("starter", "durableClient")})
    assert info.inputs["starter"].converter.__name__ == "GenericConverter"
    assert info.returns is None


def test_unknown_binding_type_goes_generic_with_implicit_return():
    def main(item):
        return "x"

    info = build(main, {"item": spec("item", "someCustomTrigger")})
    assert info.returns is not None and info.returns.name == "item"


@pytest.mark.parametrize(
    "bindings, fn_src, fragment",
    [
        ({**HTTP, "extra": spec("extra", "queue", "out")}, "def main(req): ...", "not parameters of main(): extra"),
        (HTTP, "def main(req, other): ...", "declared in Python but not in the bindings: other"),
        ({"req": spec("req", "httpTrigger", "inout")}, "def main(req): ...", "inout"),
        (
            {"req": spec("req", "httpTrigger"), "$return": spec("$return", "http", "in")},
            "def main(req): ...",
            "'$return' binding must have direction 'out'",
        ),
    ],
)
def test_binding_parameter_mismatches(bindings, fn_src, fragment):
    namespace: dict[str, Any] = {}
    exec(fn_src, namespace)
    with pytest.raises(FunctionLoadError) as err:
        build(namespace["main"], bindings)
    assert fragment in str(err.value)
    assert "Fn" in str(err.value) and "Fn/__init__.py" in str(err.value)


def test_wrong_annotation_names_parameter_and_binding_type():
    def main(req: func.QueueMessage) -> str:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(
        FunctionLoadError, match=r"parameter 'req' is annotated azure.functions.QueueMessage.*httpTrigger"
    ):
        build(main, HTTP)


def test_out_annotation_on_input_binding():
    def main(req: func.Out[str]) -> str:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError, match="declared 'in', but its annotation is azure.functions.Out"):
        build(main, HTTP)


def test_output_binding_without_out_annotation():
    def main(req: func.HttpRequest, msg: str) -> str:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError, match="'msg' is declared 'out'.*not azure.functions.Out"):
        build(main, {**HTTP, "msg": spec("msg", "queue", "out")})


def test_bad_context_annotation():
    def main(req: func.HttpRequest, context: str) -> str:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError, match="context parameter is expected to be of type azure.functions.Context"):
        build(main, HTTP)


def test_bad_return_annotation():
    def main(req: func.HttpRequest) -> int:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(
        FunctionLoadError, match=r"return annotation int does not match the '\$return' binding of type 'http'"
    ):
        build(main, HTTP)


def test_unresolvable_string_annotation_is_reported():
    # the annotation names no type on purpose: loading must report it
    def main(req: "NoSuchType") -> str:  # type: ignore[name-defined]  # noqa: F821
        raise NotImplementedError

    with pytest.raises(FunctionLoadError, match="cannot be resolved: NameError"):
        build(main, HTTP)


@pytest.mark.parametrize(
    "typo, nearest",
    [("httpTriger", "httpTrigger"), ("HttpTrigger", "httpTrigger"), ("queueTriggr", "queueTrigger")],
)
def test_a_misspelt_binding_type_is_named_with_the_nearest_known_one(typo, nearest):
    def main(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError) as err:
        build(main, {"req": spec("req", typo), "$return": spec("$return", "http", "out")})
    message = str(err.value)
    assert f"'{typo}' is not a binding type the azure.functions library knows (did you mean '{nearest}'?)" in message
    assert "parameter 'req' is annotated azure.functions.HttpRequest" in message


def test_a_misspelt_return_binding_type_is_named_too():
    def main(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError, match=r"'htp' is not a binding type .* \(did you mean 'http'\?\)"):
        build(main, {"req": spec("req", "httpTrigger"), "$return": spec("$return", "htp", "out")})


def test_an_unknown_type_far_from_any_known_one_gets_no_guess():
    def main(req: func.HttpRequest) -> None:
        raise NotImplementedError  # only the signature is read

    with pytest.raises(FunctionLoadError) as err:
        build(main, {"req": spec("req", "zzzzzzzz")})
    assert "'zzzzzzzz' is not a binding type" in str(err.value) and "did you mean" not in str(err.value)
