"""The durable benchmark's app (scripts/bench_durable.py): a fan-out of N activities, and a small
orchestration of one activity for the orchestrations-per-second run."""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df  # type: ignore[import-untyped]
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    count = context.get_input()
    results = yield context.task_all([context.call_activity("square", i) for i in range(count)])
    return sum(results)


@app.orchestration_trigger(context_name="context")
def one_step(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    value = yield context.call_activity("square", context.get_input())
    return value


@app.activity_trigger(input_name="n")
def square(n: int) -> int:
    return n * n
