"""Describe an exception for the host (RpcException message, type, stack trace) without ever raising.

Texts with lone surrogates, `__str__` that raises, cause chains that loop and huge texts all
become text a protobuf string field takes, so a failure can always be reported.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from collections.abc import Callable

from .protos import pb

#: the longest exception message sent, in characters; longer ones are cut, saying so
MAX_MESSAGE = 64 * 1024
#: the longest stack trace sent, in characters
MAX_STACK_TRACE = 256 * 1024
#: the most exceptions of one cause chain shown
MAX_CHAIN = 16

Frames = list[traceback.FrameSummary]

_WORKER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: the standard library (concurrent.futures, asyncio): the call machinery above a sync function
_STDLIB_DIRS = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")})


def wire_text(text: str, limit: int = 0) -> str:
    """`text` as a protobuf string field takes it: lone surrogates written as `\\udcff`, and at
    most `limit` characters (0: no limit) plus a note saying how many were cut."""
    try:
        text = str.__str__(text)  # a plain str, whatever subclass came in
        if limit and len(text) > limit:
            text = f"{text[:limit]} ... [{len(text) - limit} more characters cut]"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return text
    except BaseException:  # not a str at all: nothing is better than a failure that cannot be sent
        return "<text that could not be shown>"


def type_name(exc: BaseException) -> str:
    """The exception's class name, e.g. `ValueError`."""
    try:
        return wire_text(type(exc).__name__)
    except BaseException:
        return "<exception>"


def qualified_type_name(exc: BaseException) -> str:
    """`module.Class`, or just `Class` for builtins (the `type` the host shows in App Insights)."""
    try:
        cls = type(exc)
        module = cls.__module__
        name = cls.__qualname__
        return wire_text(name if module in ("builtins", "__main__") else f"{module}.{name}")
    except BaseException:
        return type_name(exc)


def exception_text(exc: BaseException) -> str:
    """`str(exc)`, or a note saying it failed."""
    return wire_text(_str(exc), MAX_MESSAGE)


def exception_message(exc: BaseException) -> str:
    """`Type: text`, as the host shows an invocation's error."""
    return wire_text(f"{type_name(exc)}: {_str(exc)}", MAX_MESSAGE)


def _str(exc: BaseException) -> str:
    try:
        return str.__str__(str(exc))
    except BaseException as failure:  # KeyboardInterrupt from a __str__ too: it is the user's
        return f"<{type_name(exc)} whose str() failed with {type_name(failure)}>"


def user_frames(frames: Frames) -> Frames:
    """The frames of user code: the call machinery above the first user frame (the worker, the
    thread pool's `concurrent.futures`) and the worker's own frames left out."""
    first_user = next((i for i, f in enumerate(frames) if not _is_machinery(f.filename)), 0)
    return [f for f in frames[first_user:] if not f.filename.startswith(_WORKER_DIR)]


def all_frames(frames: Frames) -> Frames:
    return frames


def stack_trace(exc: BaseException, keep: Callable[[Frames], Frames] = all_frames) -> str:
    """The frames of `exc`, after those of its causes (each shown once, however the chain
    loops), without the final `Type: text` line of `exc` itself."""
    try:
        chain = _chain(exc)
        parts = []
        for position, link in enumerate(reversed(chain)):
            parts.append(_frames_text(link, keep))
            if position < len(chain) - 1:
                parts.append(f"{exception_message(link)}\n\nThe above exception led to the following one:\n\n")
        return wire_text("".join(parts), MAX_STACK_TRACE)
    except BaseException as failure:
        return f"<the stack trace could not be formatted: {type_name(failure)}>"


def fill(
    target: pb.RpcException,
    exc: BaseException,
    *,
    user_code: bool,
    with_trace: bool = True,
    keep: Callable[[Frames], Frames] = all_frames,
) -> None:
    """Describe `exc` in `target`: `Type: text`, qualified type, frames. Never raises."""
    target.message = exception_message(exc)
    target.type = qualified_type_name(exc)
    target.is_user_exception = user_code
    if with_trace:
        target.stack_trace = stack_trace(exc, keep)


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the causes shown with it, newest first; stops where the chain loops."""
    chain: list[BaseException] = [exc]
    seen = {id(exc)}
    while len(chain) < MAX_CHAIN:
        link = chain[-1]
        cause = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
        if cause is None or cause.__traceback__ is None or id(cause) in seen:
            break
        seen.add(id(cause))
        chain.append(cause)
    return chain


def _frames_text(exc: BaseException, keep: Callable[[Frames], Frames]) -> str:
    if exc.__traceback__ is None:
        return ""
    frames = keep(list(traceback.extract_tb(exc.__traceback__)))
    return "".join(traceback.format_list(frames))


def _is_machinery(filename: str) -> bool:
    return filename.startswith(_WORKER_DIR) or filename.startswith(_STDLIB_DIRS)
