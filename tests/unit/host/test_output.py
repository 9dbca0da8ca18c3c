"""The console never passes a control character from a request, a function or a worker through
to the terminal: each becomes a visible escape; only the host's own colours are sent."""

from __future__ import annotations

import io

import pytest

from quickfunc.host.output import Console, FunctionLine, printable

HOSTILE = "a\x1b]0;owned\x07b\x1b[2J\rc\x9b31m\x7f\udcff"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plain text", "plain text"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("bell\x07 cr\r del\x7f", "bell\\x07 cr\\r del\\x7f"),
        ("csi\x9b", "csi\\x9b"),  # C1 controls too
        ("tab\tstays", "tab\tstays"),
        ("bad byte \udcff", "bad byte \\udcff"),  # undecodable bytes never break the stream
    ],
)
def test_printable_makes_control_characters_visible(text, expected):
    assert printable(text) == expected


def test_printable_keeps_newlines_only_when_asked():
    assert printable("a\nb") == "a\nb"
    assert printable("a\nb", newlines=False) == "a\\nb"


def _console(color: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(stream, color=color), stream


def _everything(console: Console) -> None:
    console.request("GET", f"/api/{HOSTILE}\nforged", 404, 0.001, f"note {HOSTILE}")
    console.function_log(f"fn{HOSTILE}", "0123456789", 2, f"log {HOSTILE}\nsecond {HOSTILE}")
    console.worker_line("worker 1", 4, f"stderr {HOSTILE}")
    console.failure(f"fn{HOSTILE}", "0123456789", f"boom {HOSTILE}", f"stack {HOSTILE}")
    console.output_binding(f"fn{HOSTILE}", "0123456789", "queue", "q", f"value {HOSTILE}")
    console.executed(f"fn{HOSTILE}", "0123456789", False, 0.1, HOSTILE)
    console.error(f"error {HOSTILE}")
    console.banner(
        "/app",
        "v2",
        "python",
        "3.11",
        [1],
        [FunctionLine(f"fn{HOSTILE}", "http", f"[GET] /api/{HOSTILE}", HOSTILE)],
        {},
        "http://127.0.0.1:1",
    )
    assert console.close()  # lines are written by the console's thread: wait for all of them


def test_no_untrusted_control_character_reaches_the_terminal():
    console, stream = _console(color=False)
    _everything(console)
    out = stream.getvalue()
    for char in "\x1b\x07\r\x9b\x7f\udcff":
        assert char not in out
    assert "\\x1b]0;owned\\x07b\\x1b[2J\\rc\\x9b31m\\x7f\\udcff" in out
    request_line = out.splitlines()[0]
    assert request_line.endswith("\\nforged 404 1.0ms  note a\\x1b]0;owned\\x07b\\x1b[2J\\rc\\x9b31m\\x7f\\udcff")


def test_with_colours_only_the_hosts_own_sequences_are_sent():
    console, stream = _console(color=True)
    _everything(console)
    out = stream.getvalue()
    own = ("\x1b[0m", "\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[2m")
    for code in own:
        out = out.replace(code, "")
    assert "\x1b" not in out and "\x07" not in out
