"""The host's Executed line for a triggered function follows host.json logging.logLevel: hidden
(and not formatted) when Function.<name> is above Information, shown for failures all the same."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.invocations import Inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.output import Console
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, run


class _Pool:
    def __init__(self, statuses: list[Any]) -> None:
        self.statuses = statuses

    async def invoke(self, request, timeout, chosen=None):
        status = self.statuses.pop(0)
        return pb.InvocationResponse(result=pb.StatusResult(status=status)), SimpleNamespace(pid=1, label="w1")


def _lines(levels: dict[str, str]) -> str:
    out = io.StringIO()
    console = Console(out, color=False)
    config = HostConfig(app_dir=".", settings={}, worker_env={}, log_levels=levels)
    invoker = Invoker(_Pool([SUCCESS, FAILURE]), console, config)  # type: ignore[arg-type]
    trigger = Binding("item", "queueTrigger", "in", {"queueName": "work"})
    spec = FunctionSpec("Work", "fn-1", pb.RpcFunctionMetadata(name="Work"), [trigger])

    async def body() -> None:
        for _ in range(2):
            await invoker.run_reported(spec, Inputs({"item": pb.TypedData(string="x")}, {}), "(queue 'work')")

    run(body())
    assert console.close(5)
    return out.getvalue()


def test_executed_lines_are_shown_at_the_default_level():
    text = _lines({})
    assert "Executed 'Work' (Succeeded" in text and "Executed 'Work' (Failed" in text


def test_a_function_level_above_information_hides_successes_but_not_failures():
    text = _lines({"function.work": "Warning"})
    assert "Executed 'Work' (Succeeded" not in text
    assert "Executed 'Work' (Failed" in text


def test_the_user_log_category_leaves_the_hosts_lines_alone():
    assert "Executed 'Work' (Succeeded" in _lines({"function.work.user": "Warning"})
