"""FunctionEnvironmentReloadRequest: new environment, new app folder, settings read again."""
from __future__ import annotations

import logging
import os

from .. import logs, messages
from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..settings import Settings
from ..state import WorkerState
from . import init, metadata

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    request = message.function_environment_reload_request
    try:
        _apply(request, state)
        result = messages.success()
    except Exception as exc:
        log.exception("environment reload failed")
        result = messages.failure(f"{type(exc).__name__}: {exc}", exc_type=type(exc).__name__)
    state.reply(
        function_environment_reload_response=pb.FunctionEnvironmentReloadResponse(
            worker_metadata=messages.worker_metadata(), result=result
        )
    )


def _apply(request: pb.FunctionEnvironmentReloadRequest, state: WorkerState) -> None:
    os.environ.clear()
    os.environ.update(request.environment_variables)
    state.settings = Settings.from_env()
    for problem in state.settings.warnings:
        log.warning("%s", problem)
    logs.set_root_level(state.settings.debug_logging)
    state.replace_executor()
    app_dir = request.function_app_directory
    if app_dir:
        init.add_app_dir(state, app_dir)
        if not state.settings.rollback_cwd:
            os.chdir(app_dir)
    log.info("Environment reloaded: %d variables, app %s", len(request.environment_variables), app_dir or "?")
    metadata.index_early(state)
