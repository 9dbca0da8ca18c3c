"""print() while an invocation runs becomes RpcLogs with its id once the host asks for it;
outside an invocation, output goes to the process stream untouched."""

from __future__ import annotations

import io

from quickfunc import logs
from quickfunc.print_capture import _MAX_PARTIAL, InvocationOutput
from quickfunc.protos import pb


def _capture(max_message_length: int = -1) -> tuple[InvocationOutput, io.StringIO, list[pb.RpcLog]]:
    sent: list[pb.RpcLog] = []
    stream = io.StringIO()
    out = InvocationOutput(stream, "stdout", lambda m: sent.append(m.rpc_log), "req", max_message_length)
    return out, stream, sent


def test_whole_lines_of_an_invocation_are_sent_with_its_id_and_pieces_joined():
    out, stream, sent = _capture()
    token = logs.set_invocation("inv-1")
    try:
        print("a", "b", file=out)
        print("in", end=" ", file=out)
        print("pieces", file=out)
        print("unfinished", end="", file=out)
    finally:
        logs.reset_invocation(token)
    assert [(log.invocation_id, log.category, log.message) for log in sent] == [
        ("inv-1", "stdout", "a b"),
        ("inv-1", "stdout", "in pieces"),
    ]
    out.finish("inv-1")  # the invocation answers: its unfinished line goes too
    assert sent[-1].message == "unfinished" and stream.getvalue() == ""


def test_outside_an_invocation_output_goes_to_the_stream():
    out, stream, sent = _capture()
    print("not in an invocation", file=out)
    assert stream.getvalue() == "not in an invocation\n" and sent == []


def test_a_line_that_never_ends_is_sent_in_bounded_pieces():
    out, _stream, sent = _capture(max_message_length=4096)
    token = logs.set_invocation("inv-2")
    try:
        for _ in range(3):
            out.write("x" * (_MAX_PARTIAL // 2))
        out.write("y" * 5000 + "\n")
    finally:
        logs.reset_invocation(token)
    assert sent and all(len(log.message) <= 4096 // 4 for log in sent)
    assert "".join(log.message for log in sent) == "x" * (_MAX_PARTIAL // 2 * 3) + "y" * 5000


def test_text_protobuf_cannot_carry_is_escaped_not_lost():
    out, _stream, sent = _capture()
    token = logs.set_invocation("inv-3")
    try:
        print("undecodable \udcff byte", file=out)
    finally:
        logs.reset_invocation(token)
    assert [log.message for log in sent] == ["undecodable \\udcff byte"]
