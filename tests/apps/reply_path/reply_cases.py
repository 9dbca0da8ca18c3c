"""Reply path: exceptions that are hard to describe, and outputs of a chosen size.

Shared by the sync and async functions of the app (the app folder is on sys.path).
"""
import json

import azure.functions as func


class StrRaises(Exception):
    """An exception whose text cannot be had: its __str__ and __repr__ raise."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ of StrRaises failed")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ of StrRaises failed")


class StrRaisesBase(BaseException):
    """As StrRaises, but what its __str__ raises is no Exception either."""

    def __str__(self) -> str:
        raise KeyboardInterrupt("from __str__")


def cyclic() -> Exception:
    """An exception whose __cause__ chain loops back to itself."""
    first, second = ValueError("first of a loop"), KeyError("second of a loop")
    try:
        raise first
    except ValueError:
        pass
    try:
        raise second
    except KeyError:
        pass
    first.__cause__, second.__cause__ = second, first
    return first


def run(req: func.HttpRequest):
    """What the request asks for: raise one of the odd exceptions, or return `size` bytes."""
    case = req.params.get("case", "")
    if case == "surrogate":  # input into an exception, as a function might do
        name = json.loads(req.get_body())["name"]
        raise ValueError("unknown user " + name)
    if case == "cycle":
        raise cyclic()
    if case == "str":
        raise StrRaises()
    if case == "strbase":
        raise StrRaisesBase()
    if case == "huge":
        raise ValueError("x" * int(req.params["size"]))
    if case == "bytes":
        return func.HttpResponse(b"x" * int(req.params["size"]))
    return func.HttpResponse("ok")
