"""FunctionEnvironmentReloadRequest: new environment, new app folder, settings read again.

All or nothing: the request is checked before anything changes, and a failure while applying
it puts the previous environment, working directory, sys.path and app folder back.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from .. import app_index, logs, messages, shared_memory
from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..settings import Settings
from ..state import WorkerState
from . import init
from .reload_checks import check_app_folder, check_variables, describe

log = logging.getLogger(SYSTEM_LOGGER)


@dataclass
class _Before:
    """What a reload changes, as it was, to be put back if applying fails."""

    environ: dict[str, str]
    cwd: str | None
    sys_path: list[str]
    app_dir: str | None
    app_index: Any
    settings: Settings
    root_level: int
    system_level: int


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.FunctionEnvironmentReloadResponse:
    request = message.function_environment_reload_request
    problems = check_variables(request.environment_variables)
    if request.function_app_directory:
        problems += check_app_folder(request.function_app_directory)
    if problems:
        text = describe(problems)
        log.error("%s", text)
        result = messages.failure(text, exc_type=problems[0].exc_type)
        capabilities: dict[str, str] = {}
    else:
        result, capabilities = _apply_or_restore(request, state)
        if result.status == messages.success().status:
            capabilities = {**capabilities, **init.streaming_capabilities(state)}
    # only the capabilities the new settings add: the host merges them with the init set
    return pb.FunctionEnvironmentReloadResponse(
        worker_metadata=messages.worker_metadata(), result=result, capabilities=capabilities
    )


def _apply_or_restore(
    request: pb.FunctionEnvironmentReloadRequest, state: WorkerState
) -> tuple[pb.StatusResult, dict[str, str]]:
    before = _snapshot(state)
    try:
        capabilities = _apply(request, state)
    except Exception as exc:
        log.exception("environment reload failed; restoring the previous environment")
        _restore(before, state)
        return messages.failure(
            f"environment reload failed while being applied ({type(exc).__name__}: {exc}); the previous "
            f"environment variables, working directory, sys.path and app folder were restored",
            exc_type=type(exc).__name__,
        ), {}
    return messages.success(), capabilities


def _apply(request: pb.FunctionEnvironmentReloadRequest, state: WorkerState) -> dict[str, str]:
    settings = Settings.from_env(request.environment_variables)
    os.environ.clear()
    os.environ.update(request.environment_variables)
    state.settings = settings
    shared_memory.configure(settings, state.host_capabilities)
    logs.set_root_level(settings.debug_logging)
    app_dir = request.function_app_directory
    if app_dir:
        init.add_app_dir(state, app_dir)
        if not settings.rollback_cwd:
            os.chdir(app_dir)
    capabilities = init.telemetry_capabilities(state)  # before the app is imported again
    app_index.index_early(state)
    state.replace_executor()  # last: the old pool cannot be brought back
    for problem in settings.warnings:
        log.warning("%s", problem)
    log.info(
        "Environment reloaded: %d variables, app %s",
        len(request.environment_variables),
        app_dir or "?",
    )
    return capabilities


def _snapshot(state: WorkerState) -> _Before:
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was removed under us
        cwd = None
    return _Before(
        environ=dict(os.environ),
        cwd=cwd,
        sys_path=list(sys.path),
        app_dir=state.app_dir,
        app_index=state.app_index,
        settings=state.settings,
        root_level=logging.getLogger().level,
        system_level=log.level,
    )


def _restore(before: _Before, state: WorkerState) -> None:
    os.environ.clear()
    os.environ.update(before.environ)
    sys.path[:] = before.sys_path
    state.app_dir, state.app_index, state.settings = (
        before.app_dir,
        before.app_index,
        before.settings,
    )
    logging.getLogger().setLevel(before.root_level)
    log.setLevel(before.system_level)
    if before.cwd is not None:
        try:
            os.chdir(before.cwd)
        except OSError as exc:
            log.error("could not return to the previous working directory %s: %s", before.cwd, exc)
