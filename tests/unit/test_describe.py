"""Describing an exception for the host never raises, and what it makes a protobuf string takes."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from quickfunc import describe
from quickfunc.protos import pb

#: any text, lone surrogates included (hypothesis leaves them out by default)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=200)


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def _settable(text: str) -> bool:
    pb.RpcException(message=text)  # raises on what protobuf refuses
    return True


# ---- text ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_becomes_a_protobuf_string_and_text_without_surrogates_is_kept(text):
    wire = describe.wire_text(text)
    assert _settable(wire)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        assert wire == text.encode("utf-8", "backslashreplace").decode("utf-8")
    else:
        assert wire == text


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT, st.integers(min_value=1, max_value=50))
def test_text_over_the_limit_is_cut_to_it_and_says_how_much_was_cut(text, limit):
    wire = describe.wire_text(text, limit)
    assert _settable(wire)
    if len(text) > limit:
        assert wire.endswith(f" ... [{len(text) - limit} more characters cut]")
        assert len(wire) <= limit * len("\\udcff") + len(f" ... [{len(text)} more characters cut]")


def test_a_lone_surrogate_is_written_as_its_escape():
    assert describe.wire_text("user \ud800 and \udcff") == "user \\ud800 and \\udcff"


def test_what_is_no_text_at_all_becomes_a_placeholder():
    assert describe.wire_text(None) == "<text that could not be shown>"  # type: ignore[arg-type]


# ---- the message -----------------------------------------------------------------------------------


class StrRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


class StrRaisesBase(Exception):
    def __str__(self) -> str:
        raise KeyboardInterrupt


class StrNotAString(Exception):
    def __str__(self):
        return 5


class SneakyStr(str):
    def __str__(self) -> str:
        raise ValueError("a str subclass whose own __str__ raises")


class StrReturnsSubclass(Exception):
    def __str__(self) -> str:
        return SneakyStr("sneaky \udcff")


def test_message_is_type_and_text_with_surrogates_escaped():
    assert describe.exception_message(ValueError("unknown user \ud800")) == "ValueError: unknown user \\ud800"


def test_message_of_an_exception_whose_str_raises_says_so():
    assert describe.exception_message(StrRaises()) == "StrRaises: <StrRaises whose str() failed with RuntimeError>"
    assert describe.exception_message(StrRaisesBase()) == (
        "StrRaisesBase: <StrRaisesBase whose str() failed with KeyboardInterrupt>"
    )
    assert describe.exception_message(StrNotAString()) == (
        "StrNotAString: <StrNotAString whose str() failed with TypeError>"
    )


def test_message_of_an_exception_whose_str_is_a_str_subclass_is_a_plain_str():
    message = describe.exception_message(StrReturnsSubclass())
    assert message == "StrReturnsSubclass: sneaky \\udcff" and type(message) is str


def test_huge_message_is_cut():
    message = describe.exception_message(ValueError("x" * (describe.MAX_MESSAGE * 3)))
    cut = len("ValueError: ") + describe.MAX_MESSAGE * 3 - describe.MAX_MESSAGE
    assert message.endswith(f" ... [{cut} more characters cut]")
    assert len(message) < describe.MAX_MESSAGE + 100


def test_qualified_type_name_leaves_builtins_bare():
    assert describe.qualified_type_name(ValueError()) == "ValueError"
    assert describe.qualified_type_name(StrRaises()) == f"{__name__}.StrRaises"


# ---- the stack trace -----------------------------------------------------------------------------------


def _looping_pair() -> BaseException:
    first, second = _raised(ValueError("first")), _raised(KeyError("second"))
    first.__cause__, second.__cause__ = second, first
    return first


def test_cause_chain_that_loops_shows_each_exception_once():
    trace = describe.stack_trace(_looping_pair())
    assert trace.count("KeyError: 'second'") == 1
    assert trace.count("ValueError: first") == 0  # the final exception's own line is not part of it
    assert trace.count("The above exception led to the following one") == 1


def test_exception_that_is_its_own_cause_and_context_is_shown_once():
    exc = _raised(ValueError("me"))
    exc.__cause__ = exc
    exc.__context__ = exc
    assert describe.stack_trace(exc).count("File ") == 1


def test_long_cause_chain_is_cut_at_the_most_shown():
    exc = _raised(ValueError("0"))
    for i in range(1, 200):
        newer = _raised(ValueError(str(i)))
        newer.__cause__ = exc
        exc = newer
    trace = describe.stack_trace(exc)
    assert trace.count("The above exception led to the following one") == describe.MAX_CHAIN - 1


def test_trace_of_a_deep_recursion_is_bounded():
    def down(n: int) -> int:
        return down(n + 1)

    limit = sys.getrecursionlimit()
    try:
        down(0)
    except RecursionError as exc:
        trace = describe.stack_trace(exc)
    assert "Previous line repeated" in trace
    assert len(trace) <= describe.MAX_STACK_TRACE + 100
    assert sys.getrecursionlimit() == limit


def test_trace_frames_with_undecodable_file_names_are_escaped():
    code = compile("raise ValueError('x')", "/app/report-\udcff.py", "exec")
    try:
        exec(code)
    except ValueError as exc:
        trace = describe.stack_trace(exc)
    assert "report-\\udcff.py" in trace and _settable(trace)


# ---- any exception, any chain ------------------------------------------------------------------------------

KINDS = [
    ValueError,
    KeyError,
    StrRaises,
    StrRaisesBase,
    StrNotAString,
    StrReturnsSubclass,
    SystemExit,
    KeyboardInterrupt,
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), ANY_TEXT, st.booleans()), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()), max_size=10),
)
def test_any_exception_with_any_cause_graph_is_described_without_raising(specs, links):
    excs = [(_raised(kind(text)) if raised else kind(text)) for kind, text, raised in specs]
    for a, b, as_cause in links:
        if a < len(excs) and b < len(excs):
            setattr(excs[a], "__cause__" if as_cause else "__context__", excs[b])
    target = pb.RpcException()
    describe.fill(target, excs[0], user_code=True)
    assert target.message.startswith(type(excs[0]).__name__ + ": ")
    assert target.is_user_exception
