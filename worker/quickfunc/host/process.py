"""Start, watch and stop one worker process, with the command line and environment the host uses.

Output is read line by line; ``LanguageWorkerConsoleLog`` lines are the worker's system lines.
"""

from __future__ import annotations

import asyncio
import collections
import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "CONSOLE_LOG_PREFIX",
    "WorkerCommand",
    "OutputLine",
    "WorkerProcess",
    "worker_environment",
    "module_argv",
]

MAX_MESSAGE_LENGTH = 2147483647
CONSOLE_LOG_PREFIX = "LanguageWorkerConsoleLog"
_LINE_LIMIT = 1 << 20  # longest line read in one piece; longer ones arrive in chunks


def module_argv(module: str) -> list[str]:
    """Interpreter arguments that run ``module`` like ``-m`` does, without searching the working
    directory (the user's app) first: an app with its own ``worker.py`` or ``worker/`` folder must
    not be started in our place. The worker puts the app folder on ``sys.path`` itself."""
    code = (
        "import runpy, sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return ["-c", code]


@dataclass
class WorkerCommand:
    """How to run the worker: ``<executable> <interpreter_args> -m <module> | <script> <extra_args>``."""

    executable: str = field(default_factory=lambda: sys.executable)
    module: str | None = "quickfunc"
    #: run this script path instead of ``-m module`` when set
    script: str | None = None
    interpreter_args: list[str] = field(default_factory=list)
    #: worker arguments, placed before the host's flags (like ``workerArguments``)
    extra_args: list[str] = field(default_factory=list)

    def build_argv(
        self,
        host: str,
        port: int,
        worker_id: str,
        request_id: str,
        max_len: int = MAX_MESSAGE_LENGTH,
    ) -> list[str]:
        """The full command line, with both flag styles exactly as the host passes them."""
        if self.script:
            target = [self.script]
        elif self.module:
            target = module_argv(self.module)
        else:
            raise ValueError("WorkerCommand needs a module or a script")
        return [
            self.executable,
            *self.interpreter_args,
            *target,
            *self.extra_args,
            "--host",
            host,
            "--port",
            str(port),
            "--workerId",
            worker_id,
            "--requestId",
            request_id,
            "--grpcMaxMessageLength",
            str(max_len),
            "--functions-uri",
            f"http://{host}:{port}/",
            "--functions-worker-id",
            worker_id,
            "--functions-request-id",
            request_id,
            "--functions-grpc-max-message-length",
            str(max_len),
        ]

    def worker_directory(self) -> str:
        """Directory of the worker (script folder, or the module's package folder)."""
        if self.script:
            return os.path.dirname(os.path.abspath(self.script))
        top = (self.module or "").split(".")[0]
        spec = importlib.util.find_spec(top) if top else None
        if spec is not None and spec.submodule_search_locations:
            return os.path.abspath(list(spec.submodule_search_locations)[0])
        if spec is not None and spec.origin:
            return os.path.dirname(os.path.abspath(spec.origin))
        return os.getcwd()


def worker_environment(base: Mapping[str, str], app_dir: str, worker_dir: str) -> dict[str, str]:
    """The environment the host gives the worker: base plus the host's own variables."""
    env = dict(base)
    env["FUNCTIONS_WORKER_DIRECTORY"] = worker_dir
    env["FUNCTIONS_APPLICATION_DIRECTORY"] = app_dir
    env["AzureWebJobsScriptRoot"] = app_dir
    env["FUNCTIONS_WORKER_RUNTIME"] = "python"
    env.setdefault("PYTHON_THREADPOOL_THREAD_COUNT", "1000")
    return env


class _GroupOptions(TypedDict, total=False):
    creationflags: int
    start_new_session: bool


def _group_options(own_group: bool) -> _GroupOptions:
    """subprocess options that start the child in a process group of its own."""
    if not own_group:
        return {}
    if sys.platform == "win32":
        import subprocess

        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


@dataclass
class OutputLine:
    """One line the worker wrote to stdout or stderr."""

    stream: str  # "stdout" | "stderr"
    text: str

    @property
    def system(self) -> bool:
        """A worker system line (``LanguageWorkerConsoleLog`` prefix, any case)."""
        return self.text[: len(CONSOLE_LOG_PREFIX)].lower() == CONSOLE_LOG_PREFIX.lower()

    @property
    def message(self) -> str:
        """The text without the system-line prefix (as the host logs it)."""
        return self.text[len(CONSOLE_LOG_PREFIX) :].lstrip() if self.system else self.text


class WorkerProcess:
    """One worker process: launched with the host's argv and environment, output kept."""

    def __init__(
        self,
        command: WorkerCommand | None = None,
        *,
        worker_id: str | None = None,
        request_id: str | None = None,
        on_output: Callable[[OutputLine], object] | None = None,
        keep_lines: int = 200,
        max_message_length: int = MAX_MESSAGE_LENGTH,
    ) -> None:
        self.command = command or WorkerCommand()
        self.worker_id = worker_id or str(uuid.uuid4())
        self.request_id = request_id or str(uuid.uuid4())
        self.on_output = on_output
        self.max_message_length = max_message_length
        self.output: collections.deque[OutputLine] = collections.deque(maxlen=keep_lines)
        self.argv: list[str] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._pumps: list[asyncio.Task] = []

    def __repr__(self) -> str:
        return f"<WorkerProcess {self.worker_id} pid={self.pid} rc={self.returncode}>"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    async def start(
        self,
        server_host: str,
        server_port: int,
        app_dir: str,
        env: Mapping[str, str] | None = None,
        *,
        inherit_env: bool = True,
        own_process_group: bool = False,
    ) -> None:
        """Launch the worker in ``app_dir``, pointed at the gRPC server.

        ``own_process_group``: keep the terminal's Ctrl-C (sent to the whole foreground group)
        away from the worker, so the host decides when it stops.
        """
        if self._proc is not None:
            raise RuntimeError(f"worker process {self.worker_id} already started")
        app_dir = os.path.abspath(app_dir)
        base = dict(os.environ) if inherit_env else {}
        base.update(env or {})
        self.argv = self.command.build_argv(
            server_host, server_port, self.worker_id, self.request_id, self.max_message_length
        )
        self._proc = proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=app_dir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=worker_environment(base, app_dir, self.command.worker_directory()),
            limit=_LINE_LIMIT,
            **_group_options(own_process_group),
        )
        assert proc.stdout is not None and proc.stderr is not None  # both are pipes
        self._pumps = [
            asyncio.create_task(self._pump(proc.stdout, "stdout")),
            asyncio.create_task(self._pump(proc.stderr, "stderr")),
        ]

    async def _pump(self, stream: asyncio.StreamReader, name: str) -> None:
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than the limit: take what is buffered
                raw = await stream.read(_LINE_LIMIT)
            if not raw:
                return
            self._emit(OutputLine(name, raw.decode("utf-8", "replace").rstrip("\r\n")))

    def _emit(self, line: OutputLine) -> None:
        self.output.append(line)
        if self.on_output is not None:
            try:
                self.on_output(line)
            except Exception as exc:  # a broken callback must not stop the pump
                self.output.append(OutputLine("stderr", f"[on_output failed: {exc!r}]"))

    def tail(self, n: int = 20, stream: str | None = None) -> str:
        """The last n kept lines (of one stream, or both), for error messages."""
        lines = [line.text for line in self.output if stream is None or line.stream == stream]
        return "\n".join(lines[-n:])

    async def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit (and its output to drain); return the exit code."""
        proc = self._require()
        try:
            code = await asyncio.wait_for(proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(
                f"worker process {proc.pid} ({self.worker_id}) did not exit within {timeout}s"
            ) from None
        # a grandchild may keep the pipes open: do not wait for it for long
        await asyncio.wait(self._pumps, timeout=2.0)
        return code

    async def terminate(self) -> None:
        """Ask the process to stop (SIGTERM)."""
        self._signal("terminate")

    async def kill(self) -> None:
        """Kill the process (SIGKILL)."""
        self._signal("kill")

    async def stop(self, grace: float = 5.0) -> int:
        """Terminate, wait up to ``grace`` seconds, then kill; return the exit code."""
        if self.returncode is None:
            await self.terminate()
            try:
                return await self.wait(grace)
            except asyncio.TimeoutError:
                await self.kill()
        return await self.wait(grace)

    def _signal(self, how: str) -> None:
        proc = self._require()
        if proc.returncode is None:
            try:
                getattr(proc, how)()
            except ProcessLookupError:
                pass

    def _require(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            raise RuntimeError(f"worker process {self.worker_id} was not started")
        return self._proc
