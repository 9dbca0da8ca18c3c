"""The Durable Functions quickstart: an HTTP starter, an orchestrator chaining three activities,
and the check-status response whose URLs you can follow with curl. Run it with
`quickfunc start examples/durable_app`, then `curl -i http://127.0.0.1:7071/api/orchestrators/hello_orchestrator`."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"])
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext):
    result1 = yield context.call_activity("hello", "Seattle")
    result2 = yield context.call_activity("hello", "Tokyo")
    result3 = yield context.call_activity("hello", "London")
    return [result1, result2, result3]


@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return f"Hello {city}"
