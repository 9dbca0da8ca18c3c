"""Small builders for the protocol records every handler answers with."""

from __future__ import annotations

import functools
import platform
import sys

from . import __version__
from .describe import MAX_MESSAGE, MAX_STACK_TRACE, fill, wire_text
from .protos import pb

SUCCESS = pb.StatusResult.Status.Value("Success")
FAILURE = pb.StatusResult.Status.Value("Failure")


def success() -> pb.StatusResult:
    return pb.StatusResult(status=SUCCESS)


def failure(message: str, stack_trace: str = "", exc_type: str = "") -> pb.StatusResult:
    """A Failure; the texts are made fit for protobuf (lone surrogates escaped, huge texts cut)."""
    return pb.StatusResult(
        status=FAILURE,
        exception=pb.RpcException(
            message=wire_text(message, MAX_MESSAGE),
            stack_trace=wire_text(stack_trace, MAX_STACK_TRACE),
            type=wire_text(exc_type),
        ),
    )


def failure_for(exc: BaseException, context: str = "") -> pb.StatusResult:
    """A Failure describing `exc` (a fault of the worker's, not the user's), prefixed by `context`."""
    result = pb.StatusResult(status=FAILURE)
    fill(result.exception, exc, user_code=False)
    if context:
        result.exception.message = wire_text(f"{context}: {result.exception.message}", MAX_MESSAGE)
    return result


@functools.lru_cache(maxsize=1)
def worker_metadata() -> pb.WorkerMetadata:
    return pb.WorkerMetadata(
        runtime_name="python",
        runtime_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        worker_version=__version__,
        worker_bitness=platform.machine(),
        custom_properties={"worker": "quickfunc"},
    )


DIRECTIONS = {0: "in", 1: "out", 2: "inout"}
