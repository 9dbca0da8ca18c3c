"""Worker error lines while the app starts: held, then dropped when the banner (or the start-up
error) already says them, the others shown once each and in order."""

from __future__ import annotations

import functools

from quickfunc.host.errors_once import ErrorsOnce


def _offer(errors: ErrorsOnce, shown: list[str], *texts: str) -> None:
    for text in texts:
        errors.offer(text, functools.partial(shown.append, text))


def test_lines_repeating_a_known_error_are_dropped_and_the_rest_shown_once_in_order():
    errors, shown = ErrorsOnce(), list[str]()
    load_error = "cannot load the Broken function (Broken/__init__.py): boom"
    _offer(errors, shown, load_error, "first other problem here", f"worker 2 could not load Broken: {load_error}")
    _offer(errors, shown, load_error, "first other problem here", "second other problem here")
    assert shown == []  # held while the app starts
    errors.release([load_error, ""])
    assert shown == ["first other problem here", "second other problem here"]


def test_after_start_a_known_error_stays_quiet_and_new_lines_show_at_once():
    errors, shown = ErrorsOnce(), list[str]()
    errors.release(["the worker could not index the app: function_app.py raised ValueError\n  File ..."])
    _offer(errors, shown, "function_app.py raised ValueError", "a new problem", "a new problem")
    assert shown == ["a new problem", "a new problem"]  # after start-up only known errors are dropped


def test_a_short_line_is_not_taken_for_part_of_a_known_error():
    errors, shown = ErrorsOnce(), list[str]()
    _offer(errors, shown, "boom")
    errors.release(["cannot load the Broken function: boom at import"])
    assert shown == ["boom"]
