"""A Durable Functions app (orchestrator, activity, entity, HTTP starter with a durable client)
next to a plain HTTP function: the local host runs all of it."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"])
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context):
    result = yield context.call_activity("say_hello", "Seattle")
    return result


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}"


@app.entity_trigger(context_name="context")
def counter(context):
    context.set_result(context.get_state(lambda: 0) + 1)


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
@app.durable_client_input(client_name="client")
async def timer_start(timer: func.TimerRequest, client) -> None:
    await client.start_new("hello_orchestrator")


@app.route(route="plain")
def plain(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("plain works")
