"""One value of every kind a function may give an HTTP output, by name (the tests use it too)."""

import azure.functions as func


class Custom:
    """An object of the app's own type."""

    def __str__(self) -> str:
        return "custom"


class Text(str):
    """A str subclass."""


class Response(func.HttpResponse):
    """An HttpResponse subclass."""


VALUES = {
    "str": lambda: "plain text",
    "str_subclass": lambda: Text("sub text"),
    "bytes": lambda: b"raw bytes",
    "bytearray": lambda: bytearray(b"raw bytearray"),
    "none": lambda: None,
    "dict": lambda: {"a": 1},
    "list": lambda: [1, "two"],
    "int": lambda: 7,
    "float": lambda: 2.5,
    "bool": lambda: True,
    "response": lambda: func.HttpResponse("made", status_code=201, headers={"X-Made": "yes"}),
    "response_subclass": lambda: Response(b"sub made", status_code=202, mimetype="application/octet-stream"),
    "custom": Custom,
}
