"""The console's line writer: order kept, writes off the caller's thread, a bounded backlog whose
overflow is counted and reported in order, bounded flush and close."""

from __future__ import annotations

import io
import threading
import time

from quickfunc.host.console_writer import LineWriter


class _GatedStream(io.StringIO):
    """A stream whose writes block until the gate opens (a terminal that is not read)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        assert self.gate.wait(10)
        return super().write(text)


def _note(count: int) -> str:
    return f"dropped {count}"


def test_lines_are_written_in_order():
    stream = io.StringIO()
    writer = LineWriter(stream, 10000, _note)
    for i in range(200):
        assert writer.write(f"line {i}")
    assert writer.close(5)
    assert stream.getvalue().splitlines() == [f"line {i}" for i in range(200)]


def test_a_blocked_stream_does_not_block_the_caller_and_the_overflow_is_counted_in_order():
    stream = _GatedStream()
    writer = LineWriter(stream, 100, _note)  # about ten lines of ten characters
    assert writer.write("first")
    assert stream.entered.wait(5)  # the writer thread is stuck in write()
    began = time.monotonic()
    accepted = [i for i in range(1000) if writer.write(f"line {i:04}")]
    assert time.monotonic() - began < 1
    assert 0 < len(accepted) < 20 and writer.dropping
    dropped = 1000 - len(accepted)
    assert writer.total_dropped == dropped
    stream.gate.set()
    assert writer.flush(5)
    assert writer.write("after")
    assert writer.close(5)
    assert stream.getvalue().splitlines() == (
        ["first"] + [f"line {i:04}" for i in accepted] + [f"dropped {dropped}", "after"]
    )


def test_flush_and_close_are_bounded_when_the_stream_never_takes_the_text():
    stream = _GatedStream()
    writer = LineWriter(stream, 100, _note)
    writer.write("stuck")
    assert stream.entered.wait(5)
    began = time.monotonic()
    assert not writer.flush(0.2)
    assert not writer.close(0.2)
    assert time.monotonic() - began < 2
    assert not writer.write("after close")
    stream.gate.set()


def test_a_broken_stream_is_ignored():
    stream = io.StringIO()
    stream.close()
    writer = LineWriter(stream, 100, _note)
    assert writer.write("nobody sees this")
    assert writer.close(5)


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_coming_one_by_one_in_a_burst_are_written_together():
    stream = _CountingStream()
    writer = LineWriter(stream, 100_000, _note)
    writer.write("first")  # starts the writer thread, which then waits for work
    assert writer.flush(5)
    written_before = stream.writes
    started = time.monotonic()
    for i in range(40):  # a line every half millisecond: a queue drain's Executed lines
        writer.write(f"line {i}")
        time.sleep(0.0005)
    spent = time.monotonic() - started
    assert writer.close(5)
    burst_writes = stream.writes - written_before
    # without gathering, about one write per line; with it, about one per 10 ms of the burst
    assert burst_writes <= 3 + int(spent / 0.01), (burst_writes, spent)
    assert stream.getvalue().splitlines() == ["first"] + [f"line {i}" for i in range(40)]
