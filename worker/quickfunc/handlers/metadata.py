"""FunctionsMetadataRequest: index the v2 app and describe its functions to the host.

The import runs off the loop (quickfunc.load_runner): while it takes long, the watchdog reports what
is being imported and where; at the load timeout the request fails naming the line it is stuck at.
"""

from __future__ import annotations

import logging
import os

from google.protobuf.duration_pb2 import Duration

from .. import messages
from ..app_index import app_index
from ..console import SYSTEM_LOGGER
from ..functions.app_folder import app_folder, not_the_app_folder, same_folder
from ..functions.indexer import AppIndex, IndexedFunction, RetryPolicy
from ..http_stream import streaming_refusal
from ..load_runner import LoadJob, runner_for, timed_out
from ..protos import pb
from ..stacks import Where
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)
_DIRECTIONS = {name: pb.BindingInfo.Direction.Value(name) for name in ("in", "out", "inout")}
_FIXED_DELAY = pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")
_EXPONENTIAL = pb.RpcRetryOptions.RetryStrategy.Value("exponential_backoff")


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    """Answered later, when the indexing (off the loop) is done or timed out."""
    app_dir = message.functions_metadata_request.function_app_directory or state.app_dir or os.getcwd()
    folder = app_folder(state.app_dir)

    def answer(response: pb.FunctionMetadataResponse) -> None:
        state.send(pb.StreamingMessage(request_id=message.request_id, function_metadata_response=response))

    if not same_folder(app_dir, folder):  # never import code from a folder the host did not name
        text = not_the_app_folder(app_dir, folder)
        log.error("%s", text)
        failure = messages.failure(text, exc_type="FunctionIndexError")
        answer(pb.FunctionMetadataResponse(result=failure))
        return
    timeout = state.settings.function_load_timeout

    def done(index: AppIndex | None, error: BaseException | None) -> None:
        if error is None and index is not None:
            answer(_respond(index, state))
            return
        # a bug of ours: still answer, or the host waits for its timeout
        log.error("internal error while indexing %s", app_dir, exc_info=error)
        answer(
            pb.FunctionMetadataResponse(
                result=messages.failure(
                    f"the worker failed to index {app_dir}: {type(error).__name__}: {error}",
                    exc_type=type(error).__name__,
                )
            )
        )

    def expired(where: Where | None, seconds: float) -> None:
        script = state.settings.script_file_name
        text = f"cannot index the function app {script}: {timed_out(where, timeout)}"
        log.error("%s", text)
        answer(pb.FunctionMetadataResponse(result=messages.failure(text, where.stack if where else "", "TimeoutError")))

    note = "the host waits for the list of functions"
    if timeout > 0:
        note += f"; it fails after {timeout:g} s (PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS)"
    job = LoadJob(
        label="indexing the app",
        work=lambda: app_index(state, app_dir),
        done=done,
        expired=expired,
        timeout=timeout,
        note=note,
    )
    runner_for(state).submit(job)


def _respond(index: AppIndex, state: WorkerState) -> pb.FunctionMetadataResponse:
    response = pb.FunctionMetadataResponse()
    for warning in index.warnings:
        log.warning("%s", warning)
    refusal = streaming_refusal(index, state)
    if refusal:  # as the platform's worker: the indexing fails, naming the setting
        log.error("cannot index the function app %s: %s", index.script_path, refusal)
        response.result.CopyFrom(messages.failure(refusal, exc_type="AppSettingDisabledError"))
    elif not index.found:
        response.use_default_metadata_indexing = True
        response.result.CopyFrom(messages.success())
    elif index.error:
        log.error("cannot index the function app %s: %s", index.script_path, index.error)
        response.result.CopyFrom(messages.failure(index.error, index.stack_trace, "FunctionIndexError"))
    elif not index.functions:
        log.warning("%s defines a function app with no functions", index.script_path)
        response.use_default_metadata_indexing = True
        response.result.CopyFrom(messages.success())
    else:
        response.result.CopyFrom(messages.success())
        for function in index.functions:
            response.function_metadata_results.append(describe(function, index.app_dir))
        _log_summary(index)
    return response


def describe(function: IndexedFunction, app_dir: str) -> pb.RpcFunctionMetadata:
    metadata = pb.RpcFunctionMetadata(
        name=function.name,
        function_id=function.function_id,
        directory=app_dir,
        script_file="function_app.py",
        entry_point=function.name,
        language="python",
        raw_bindings=function.raw_bindings,
        properties={"worker_indexed": "True"},
    )
    for name, spec in function.bindings.items():
        metadata.bindings[name].CopyFrom(
            pb.BindingInfo(
                type=spec.type,
                direction=_DIRECTIONS[spec.direction],
                data_type=pb.BindingInfo.DataType.ValueType(spec.data_type),
            )
        )
    if function.retry:
        metadata.retry_options.CopyFrom(retry_options(function.retry))
    if function.error:
        log.error("%s", function.error)
        metadata.status.CopyFrom(messages.failure(function.error, exc_type="FunctionLoadError"))
    else:
        metadata.status.CopyFrom(messages.success())
    return metadata


def retry_options(policy: RetryPolicy) -> pb.RpcRetryOptions:
    options = pb.RpcRetryOptions(max_retry_count=policy.max_retry_count)
    if policy.strategy == "fixed_delay":
        options.retry_strategy = _FIXED_DELAY
        options.delay_interval.CopyFrom(_duration(policy.delay_interval))
    else:
        options.retry_strategy = _EXPONENTIAL
        options.minimum_interval.CopyFrom(_duration(policy.minimum_interval))
        options.maximum_interval.CopyFrom(_duration(policy.maximum_interval))
    return options


def _duration(seconds: float) -> Duration:
    whole = int(seconds)
    return Duration(seconds=whole, nanos=int(round((seconds - whole) * 1e9)))


def _log_summary(index: AppIndex) -> None:
    ok = [f for f in index.functions if not f.error]
    log.info(
        "Indexed %s: %d function(s), %d with errors",
        index.script_path,
        len(ok),
        len(index.functions) - len(ok),
    )
    for f in ok:
        log.info(
            "  %s: %s",
            f.name,
            ", ".join(f"{b.name} ({b.type}, {b.direction})" for b in f.bindings.values()),
        )
