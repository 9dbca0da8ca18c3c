"""Small builders for the protocol records every handler answers with."""
from __future__ import annotations

import functools
import platform
import sys

from . import __version__
from .protos import pb

SUCCESS = pb.StatusResult.Status.Value("Success")
FAILURE = pb.StatusResult.Status.Value("Failure")


def success() -> pb.StatusResult:
    return pb.StatusResult(status=SUCCESS)


def failure(message: str, stack_trace: str = "", exc_type: str = "") -> pb.StatusResult:
    return pb.StatusResult(
        status=FAILURE,
        exception=pb.RpcException(message=message, stack_trace=stack_trace, type=exc_type),
    )


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
