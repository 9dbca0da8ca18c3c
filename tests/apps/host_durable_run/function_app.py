"""Durable Functions patterns run by the local host's engine: chaining (the quickstart), fan-out/
fan-in, human interaction, sub-orchestration with retry, continue-as-new, and a failing one."""

import json
import os
import time
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    payload = req.get_json() if body else None
    instance_id = await client.start_new(req.route_params["functionName"], None, payload)
    return client.create_check_status_response(req, instance_id)


@app.route(route="wait/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start_wait(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"])
    return await client.wait_for_completion_or_create_check_status_response(req, instance_id, 20000, 100)


@app.route(route="manage/{instanceId}/{action}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def manage(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id, action = req.route_params["instanceId"], req.route_params["action"]
    if action == "approve":
        await client.raise_event(instance_id, "Approval", {"approved": True})
    elif action == "terminate":
        await client.terminate(instance_id, "stopped by test")
    elif action == "status":
        status = await client.get_status(instance_id, show_history=True)
        return func.HttpResponse(f"{status.runtime_status.value}|{status.output}", status_code=200)
    elif action == "purge":
        result = await client.purge_instance_history(instance_id)
        return func.HttpResponse(str(result.instances_deleted))
    elif action == "suspend":
        await client.suspend(instance_id, "paused by test")
    elif action == "resume":
        await client.resume(instance_id, "resumed by test")
    elif action in ("restart", "restart_same"):
        new_id = await client.restart(instance_id, action == "restart")
        return func.HttpResponse(json.dumps(new_id))
    elif action == "rewind":
        try:
            await client.rewind(instance_id, "by test")
        except Exception as exc:  # the local host has no rewind: the client says what the API said
            return func.HttpResponse(str(exc), status_code=409)
    return func.HttpResponse("done")


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext):
    result1 = yield context.call_activity("say_hello", "Tokyo")
    result2 = yield context.call_activity("say_hello", "Seattle")
    result3 = yield context.call_activity("say_hello", "London")
    return [result1, result2, result3]


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}"


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input() or 50
    tasks = [context.call_activity("square", i) for i in range(count)]
    results = yield context.task_all(tasks)
    context.set_custom_status({"count": len(results)})
    return sum(results)


@app.activity_trigger(input_name="n")
def square(n: int) -> int:
    delay = float(os.environ.get("SQUARE_DELAY", "0"))
    if delay:
        time.sleep(delay)
        marker = os.environ.get("SQUARE_MARKER")
        if marker:
            with open(marker, "a", encoding="utf-8") as f:
                f.write(f"{n}\n")
    return n * n


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    timeout = context.get_input() or 30
    deadline = context.current_utc_datetime + timedelta(seconds=timeout)
    timer = context.create_timer(deadline)
    event = context.wait_for_external_event("Approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        return {"approved": event.result["approved"]}
    return "timed out"


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3)
    child = yield context.call_sub_orchestrator_with_retry("flaky_child", retry, "x")
    plain = yield context.call_sub_orchestrator("child_ok", 5)
    return [child, plain]


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=3)
    value = yield context.call_activity_with_retry("flaky", retry, context.instance_id)
    if context.instance_id.count(":") < 2:  # the first attempt of the sub-orchestration fails
        raise ValueError("first child attempt fails")
    return value


@app.orchestration_trigger(context_name="context")
def child_ok(context: df.DurableOrchestrationContext):
    value = yield context.call_activity("square", context.get_input())
    return value


_attempts: dict = {}


@app.activity_trigger(input_name="key")
def flaky(key: str) -> str:
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] < 2:
        raise RuntimeError(f"flaky attempt {_attempts[key]}")
    return f"ok after {_attempts[key]}"


@app.orchestration_trigger(context_name="context")
def counter_loop(context: df.DurableOrchestrationContext):
    n = context.get_input() or 0
    if n >= 3:
        return n
    yield context.call_activity("square", n)
    context.continue_as_new(n + 1)


@app.orchestration_trigger(context_name="context")
def broken(context: df.DurableOrchestrationContext):
    yield context.call_activity("say_hello", "x")
    context.set_custom_status({"stage": "after the greeting"})
    raise ValueError("the orchestrator broke")


@app.orchestration_trigger(context_name="context")
def crash_once(context: df.DurableOrchestrationContext):
    flag = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashed.flag")
    if not os.path.exists(flag):  # the first replay kills its worker process
        with open(flag, "w", encoding="utf-8") as f:
            f.write("crashed")
        os._exit(3)
    value = yield context.call_activity("say_hello", "again")
    return value


@app.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext):
    current = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        current += context.get_input()
    elif operation == "fail":
        raise ValueError("the counter refuses")
    context.set_state(current)
    context.set_result(current)


@app.orchestration_trigger(context_name="context")
def use_counter(context: df.DurableOrchestrationContext):
    entity = df.EntityId("counter", context.instance_id)
    context.signal_entity(entity, "add", 5)
    value = yield context.call_entity(entity, "add", 10)
    try:
        yield context.call_entity(entity, "fail")
        failed = None
    except Exception as exc:
        failed = str(exc)
    return [value, failed]


@app.route(route="entity/{key}/{op}", methods=["POST", "GET"])
@app.durable_client_input(client_name="client")
async def entity_client(req: func.HttpRequest, client) -> func.HttpResponse:
    entity = df.EntityId("counter", req.route_params["key"])
    if req.method == "POST":
        await client.signal_entity(entity, req.route_params["op"], int(req.get_body() or b"1"))
        return func.HttpResponse("signalled", status_code=202)
    state = await client.read_entity_state(entity)
    return func.HttpResponse(json.dumps({"exists": state.entity_exists, "state": state.entity_state}))


@app.orchestration_trigger(context_name="context")
def http_caller(context: df.DurableOrchestrationContext):
    target = context.get_input()
    reply = yield context.call_http("POST", target["uri"], target.get("content"), {"X-Test": "durable"})
    return reply


@app.orchestration_trigger(context_name="context")
def carry_events(context: df.DurableOrchestrationContext):
    """Generation 0 holds its episode open (until the test has raised an event) and continues as
    new; the event raised meanwhile must reach generation 1."""
    generation = context.get_input() or 0
    if generation == 0:
        folder = os.path.dirname(os.path.abspath(__file__))
        started, go = os.path.join(folder, "carry.started"), os.path.join(folder, "carry.go")
        if not context.is_replaying:
            with open(started, "w", encoding="utf-8") as f:
                f.write(context.instance_id)
            deadline = time.monotonic() + 20
            while not os.path.exists(go) and time.monotonic() < deadline:
                time.sleep(0.02)
        context.continue_as_new(1)
        return None
    value = yield context.wait_for_external_event("Add")
    return {"generation": generation, "event": value}
